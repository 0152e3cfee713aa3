#!/usr/bin/env bash
# SQL through colstore_fdw against native PostgreSQL tables, side by side in one run on the
# same data (docs/benchmarks.md, "SQL through the foreign tables").
#
#   bash bench/harness/fdw.sh [--rows N] [--runs N] [--keep]
#
#   --rows N   query facts (default 10,000,000: the seed's one-year volume), 365 days from
#              2025-01-01, approvals N/10, training N/20
#   --runs N   timed runs of each query on each side (default 7; the median is quoted), after
#              one warm-up run; the two sides alternate run by run
#   --keep     keep the PostgreSQL cluster (the exports and the store are always kept)
#
# One PostgreSQL 15 server (port $BENCH_PG_PORT, default 55491, socket and data under
# $BENCH_DIR/pg-fdw) holds the native tables (the seed's DDL and indexes, loaded with COPY,
# ANALYZEd and VACUUMed) in schema public and the store's foreign tables (IMPORT FOREIGN SCHEMA)
# in schema analytics. Each query is the same SQL text, run with search_path set to one or the
# other, through psql's \timing, warm. The extension is installed from the benchmark build
# (cmake --install --component colstore_fdw: run as root).
#
# Output: a markdown report on stdout and in bench/harness/results/<date>-fdw.md, the raw
# figures in bench/harness/results/<date>-fdw/.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

rows=10000000
runs=7
keep=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --rows) rows=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "fdw.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

start_date=2025-01-01
ndays=365
first=$start_date
last=$(date -u -d "$start_date + $((ndays - 1)) days" +%F)
year=${first%%-*}
BENCH_DIR=${BENCH_DIR:-/work/bench-data}
BENCH_PG_PORT=${BENCH_PG_PORT:-55491}
build=${BENCH_BUILD:-$repo/build-bench}
stamp=$(date -u +%Y-%m-%d)
raw=$here/results/$stamp-fdw
results_md=$here/results/$stamp-fdw.md
data=$BENCH_DIR/data-$rows
exports=$data/exports
store=$data/store-fdw
rm -rf "$raw"
mkdir -p "$raw" "$data"
: >"$raw/results.kv"
: >"$raw/commands.txt"
log() { printf '[%s] %s\n' "$(date -u +%T)" "$*" >&2; }
put() { printf '%s %s\n' "$1" "$2" >>"$raw/results.kv"; }
cmdlog() { printf '%s\n' "$*" >>"$raw/commands.txt"; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.3f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# ---------------------------------------------------------------- build, data, store
log "build (Release) in $build"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCOLSTORE_WERROR=OFF -DCOLSTORE_TESTS=OFF \
  >"$raw/cmake.log" 2>&1
cmake --build "$build" -j2 --target colgen colload colquery colstore_fdw >>"$raw/cmake.log" 2>&1 ||
  { tail -30 "$raw/cmake.log" >&2; exit 3; }
cmake --install "$build" --component colstore_fdw >/dev/null
tables=(dim_agent dim_time dim_conversation dim_user fact_agent_query fact_approval fact_training)
if [[ ! -f $exports/.complete ]]; then
  log "generate $rows query facts"
  rm -rf "$exports"
  "$build/tools/colgen" --out "$exports" --rows "$rows" --seed 1 --start "$start_date" --days "$ndays" --format both
  touch "$exports/.complete"
fi
cmdlog "colgen --out EXPORTS --rows $rows --seed 1 --start $start_date --days $ndays --format both"
if [[ ! -f $store/.complete ]]; then
  log "colload into $store"
  rm -rf "$store"
  for t in "${tables[@]}"; do "$build/tools/colload" --store "$store" --create "$t" "$exports/$t.csv" 2>>"$raw/colload.log"; done
  touch "$store/.complete"
fi
cmdlog "colload --store STORE TABLE EXPORTS/TABLE.csv   # each table"
chmod a+rX "$BENCH_DIR" "$data" && chmod -R a+rX "$store"

# ---------------------------------------------------------------- PostgreSQL
pgbin=/usr/lib/postgresql/15/bin
pgdir=$BENCH_DIR/pg-fdw
export PGHOST=$pgdir PGPORT=$BENCH_PG_PORT PGUSER=postgres PGTZ=UTC PGDATESTYLE=ISO PGDATABASE=bench
as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
pg_stop() { as_owner "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true; }
cleanup() {
  pg_stop
  ((keep)) || rm -rf "$pgdir"
}
trap cleanup EXIT
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
pg_stop
if [[ ! -f $pgdir/.loaded ]]; then
  rm -rf "$pgdir"
  mkdir -p "$pgdir"
  chmod 700 "$pgdir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$pgdir"
  as_owner "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >"$raw/initdb.log" 2>&1
fi
pg_opts="-p $BENCH_PG_PORT -k $pgdir -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
pg_opts+=" -c full_page_writes=off -c TimeZone=UTC -c DateStyle=ISO -c shared_buffers=1GB"
pg_opts+=" -c max_parallel_workers_per_gather=2 -c work_mem=64MB -c maintenance_work_mem=512MB"
pg_opts+=" -c max_wal_size=8GB"
cmdlog "postgres $pg_opts"
as_owner "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -o "$pg_opts" -w -t 60 start >/dev/null
if [[ ! -f $pgdir/.loaded ]]; then
  log "PostgreSQL: native tables (COPY, seed's indexes, ANALYZE, VACUUM)"
  psql_ -d postgres -c "CREATE DATABASE bench TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
  grep -v '^CREATE INDEX fact_' "$repo/tests/sql/schema.sql" >"$raw/pg.schema.sql"
  grep '^CREATE INDEX fact_' "$repo/tests/sql/schema.sql" >"$raw/pg.fact_indexes.sql"
  psql_ -f "$raw/pg.schema.sql" >/dev/null
  {
    for t in "${tables[@]}"; do
      target=$t
      [[ $t == fact_training ]] && target=stage_fact_training
      echo "COPY $target FROM '$exports/$t.csv' WITH (FORMAT csv, HEADER);"
    done
    echo "INSERT INTO fact_training (training_key, agent_key, time_key, conv_key, annotator_key,"
    echo "  safe_to_send, clarity_score, accuracy_score, tone_score, labels, created_at, annotated_at)"
    echo "SELECT training_key, agent_key, time_key, conv_key, annotator_key, safe_to_send, clarity_score,"
    echo "  accuracy_score, tone_score, labels, created_at, annotated_at FROM stage_fact_training;"
    echo "TRUNCATE stage_fact_training;"
  } >"$raw/pg.load.sql"
  psql_ -f "$raw/pg.load.sql"
  psql_ -f "$raw/pg.fact_indexes.sql"
  # the materialized daily aggregates, as reference.sql computes them
  awk '/^-- daily-agg  \(/ { on = 1 } on' "$repo/tests/sql/reference.sql" |
    psql_ -v from="$first" -v to="$last" >/dev/null
  psql_ -c "ANALYZE"
  psql_ -c "VACUUM (FREEZE) fact_agent_query, fact_approval, fact_training, agg_agent_daily_performance"
  touch "$pgdir/.loaded"
fi
cmdlog "PostgreSQL: tests/sql/schema.sql, COPY ... FROM each CSV, the seed's indexes, reference.sql's daily-agg, ANALYZE, VACUUM (FREEZE)"
psql_ -c "DROP SCHEMA IF EXISTS analytics CASCADE" -c "DROP EXTENSION IF EXISTS colstore_fdw CASCADE" 2>/dev/null
psql_ <<SQL
CREATE EXTENSION colstore_fdw;
CREATE SERVER warehouse FOREIGN DATA WRAPPER colstore_fdw OPTIONS (store '$store');
CREATE SCHEMA analytics;
IMPORT FOREIGN SCHEMA colstore FROM SERVER warehouse INTO analytics;
SQL
cmdlog "CREATE EXTENSION colstore_fdw; CREATE SERVER warehouse ... OPTIONS (store 'STORE'); IMPORT FOREIGN SCHEMA colstore FROM SERVER warehouse INTO analytics"

# ---------------------------------------------------------------- sizes
put pg_db_bytes "$(psql_ -At -c "SELECT pg_database_size('bench')")"
put pg_tables_bytes "$(psql_ -At -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'stage_fact_training'")"
put pg_facts_heap_bytes "$(psql_ -At -c "SELECT sum(pg_table_size(c)) FROM unnest(array['fact_agent_query','fact_approval','fact_training']::regclass[]) c")"
put pg_facts_total_bytes "$(psql_ -At -c "SELECT sum(pg_total_relation_size(c)) FROM unnest(array['fact_agent_query','fact_approval','fact_training']::regclass[]) c")"
put cs_store_bytes "$(du -sb "$store" | cut -f1)"

# ---------------------------------------------------------------- queries
awk -v d="$raw" '/^-- (agent-performance|approval-queue|training-quality)  \(/ { out = d "/q." $2 ".sql" } /^-- daily-agg/ { out = "" } out != "" { print > out }' \
  "$repo/tests/sql/reference.sql"
echo "SELECT agent_key, time_key, count(*), avg(latency_ms) FROM fact_agent_query GROUP BY agent_key, time_key ORDER BY agent_key, time_key;" >"$raw/q.year-group-by.sql"
echo "SELECT * FROM agg_agent_daily_performance WHERE time_key BETWEEN 20250101 AND 20251231 ORDER BY time_key, agent_key;" >"$raw/q.daily-agg-rows.sql"
queries=(agent-performance approval-queue training-quality year-group-by daily-agg-rows)
vars=(-v as_of="$last" -v year="$year" -v from="$first" -v to="$last")
declare -A days=([agent-performance]=7 [training-quality]=30)

# time_side SCHEMA QUERY: one warm-up and one timed run in a fresh session, in ms
time_side() {
  local schema=$1 q=$2
  {
    echo '\o /dev/null'
    cat "$raw/q.$q.sql"
    echo '\timing on'
    cat "$raw/q.$q.sql"
  } >"$raw/run.sql"
  PGOPTIONS="-c search_path=$schema" psql_ "${vars[@]}" -v days="${days[$q]:-7}" -f "$raw/run.sql" |
    grep -o 'Time: [0-9.]* ms' | awk '{ print $2 }'
}
for q in "${queries[@]}"; do
  cmdlog "psql -v as_of=$last -v days=${days[$q]:-7} -v year=$year -f q.$q.sql   # search_path public / analytics, warm, $runs runs alternating"
  # same answers first
  PGOPTIONS="-c search_path=public" psql_ --csv "${vars[@]}" -v days="${days[$q]:-7}" -f "$raw/q.$q.sql" >"$raw/out.native.$q.csv"
  PGOPTIONS="-c search_path=analytics" psql_ --csv "${vars[@]}" -v days="${days[$q]:-7}" -f "$raw/q.$q.sql" >"$raw/out.foreign.$q.csv"
  if cmp -s "$raw/out.native.$q.csv" "$raw/out.foreign.$q.csv"; then put "same_$q" yes; else put "same_$q" NO; fi
  put "rows_$q" "$(($(wc -l <"$raw/out.native.$q.csv") - 1))"
  : >"$raw/t.native.$q"
  : >"$raw/t.foreign.$q"
  log "$q: $runs runs on each side"
  for ((i = 0; i < runs; i++)); do
    time_side public "$q" >>"$raw/t.native.$q"
    time_side analytics "$q" >>"$raw/t.foreign.$q"
  done
  put "native_${q}_ms" "$(median <"$raw/t.native.$q")"
  put "foreign_${q}_ms" "$(median <"$raw/t.foreign.$q")"
  PGOPTIONS="-c search_path=analytics" psql_ "${vars[@]}" -v days="${days[$q]:-7}" \
    -c "\\set QUIET off" -f <(sed 's/^SELECT/EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF) SELECT/' "$raw/q.$q.sql") \
    >"$raw/explain.foreign.$q.txt" 2>&1 || true
done

# ---------------------------------------------------------------- report
kv() { awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "n/a" : v) }' "$raw/results.kv"; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", a / b; else print "n/a" }'; }
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1048576 }'; }
{
  echo "# SQL through colstore_fdw vs native PostgreSQL tables ($stamp)"
  echo
  echo "$rows query facts, $ndays days; \`bash bench/harness/fdw.sh --rows $rows --runs $runs\`; colstore $(git -C "$repo" rev-parse --short HEAD)."
  echo "Machine: $(nproc) x $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), load average $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| query | rows | native (seed's indexes) | foreign tables | native / foreign | same answer |"
  echo "|---|---|---|---|---|---|"
  for q in "${queries[@]}"; do
    n=$(kv "native_${q}_ms") f=$(kv "foreign_${q}_ms")
    echo "| $q | $(kv "rows_$q") | $n ms | $f ms | $(ratio "$n" "$f") | $(kv "same_$q") |"
  done
  echo
  echo "| bytes on disk | |"
  echo "|---|---|"
  echo "| PostgreSQL, the eight tables with their indexes | $(mb "$(kv pg_tables_bytes)") |"
  echo "| PostgreSQL, the three fact tables with their indexes | $(mb "$(kv pg_facts_total_bytes)") |"
  echo "| PostgreSQL, the whole database | $(mb "$(kv pg_db_bytes)") |"
  echo "| colstore store (every table, the daily aggregates, manifests) | $(mb "$(kv cs_store_bytes)") |"
} >"$results_md"
cat "$results_md"
log "done: $results_md"
