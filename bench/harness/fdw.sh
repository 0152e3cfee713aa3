#!/usr/bin/env bash
# SQL through colstore_fdw against native PostgreSQL tables, side by side in one run on the
# same data (docs/benchmarks.md, "SQL through the foreign tables").
#
#   bash bench/harness/fdw.sh [--rows N] [--runs N] [--no-duckdb] [--keep]
#
#   --rows N   query facts (default 10,000,000: the seed's one-year volume), 365 days from
#              2025-01-01, approvals N/10, training N/20
#   --runs N   timed runs of each query on each side (default 7; the median is quoted), after
#              one warm-up run; the two sides alternate run by run
#   --no-duckdb  leave DuckDB out
#   --keep     keep the PostgreSQL cluster (the exports and the store are always kept)
#   --sides LIST    the sides to time, comma-separated (default native,pushed,scans)
#   --queries LIST  the queries to time, comma-separated (default: all six, below)
#   --prepare  only build, generate, load (store, DuckDB, PostgreSQL) and create the foreign
#              tables, then stop (implies --keep): a later run times the queries at once
#
# Queries: the three reference.sql reports; the year's daily aggregates as a SELECT
# (reference.sql's daily-agg statement without its INSERT, the range as constants); an ad-hoc
# GROUP BY agent_type, month over the year with avg and percentile_cont; the materialized
# daily aggregate rows. Each through psql on three sides: native tables, foreign tables with
# the pushdown (joins, grouping, aggregates, order in the engine) and foreign tables with
# colstore_fdw.pushdown = off (the engine only scans and filters). Beside them: colquery for
# the same report as a whole process (hyperfine), and DuckDB (libduckdb.so from npm, in
# process, warm, 2 threads) for the same SQL on the same data.
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
prepare=0
sides_arg=native,pushed,scans
queries_arg=
do_duckdb=1
while [[ $# -gt 0 ]]; do
  case $1 in
    --rows) rows=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --prepare) prepare=1; keep=1; shift ;;
    --sides) sides_arg=$2; shift 2 ;;
    --queries) queries_arg=$2; shift 2 ;;
    --no-duckdb) do_duckdb=0; shift ;;
    -h | --help) sed -n '2,36p' "$0"; exit 0 ;;
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
cmake --build "$build" -j2 --target colgen colload colquery colstore_fdw duckdb_bench >>"$raw/cmake.log" 2>&1 ||
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
duck=
if ((do_duckdb)); then
  BENCH_TOOLS=${BENCH_TOOLS:-/work/bench-tools}
  DUCKDB_LIB=${DUCKDB_LIB:-$BENCH_TOOLS/node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so}
  if [[ ! -f $DUCKDB_LIB ]]; then
    log "installing @duckdb/node-api into $BENCH_TOOLS"
    mkdir -p "$BENCH_TOOLS"
    (cd "$BENCH_TOOLS" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
      npm install --no-audit --no-fund @duckdb/node-api >"$raw/npm.log" 2>&1)
  fi
  export DUCKDB_LIB
  duck=$data/duck.duckdb
  if [[ ! -f $data/.duck-complete ]]; then
    log "DuckDB: load $exports"
    "$build/bench/duckdb_bench" load "$duck" "$exports" >"$raw/duck.load.out"
    touch "$data/.duck-complete"
  fi
  cmdlog "duckdb_bench load DUCK EXPORTS   # $("$build/bench/duckdb_bench" version), threads 2"
fi

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
if ((prepare)); then log "prepared: $data, $pgdir"; exit 0; fi

# ---------------------------------------------------------------- sizes
put pg_db_bytes "$(psql_ -At -c "SELECT pg_database_size('bench')")"
put pg_tables_bytes "$(psql_ -At -c "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = 'public' AND c.relkind = 'r' AND c.relname <> 'stage_fact_training'")"
put pg_facts_heap_bytes "$(psql_ -At -c "SELECT sum(pg_table_size(c)) FROM unnest(array['fact_agent_query','fact_approval','fact_training']::regclass[]) c")"
put pg_facts_total_bytes "$(psql_ -At -c "SELECT sum(pg_total_relation_size(c)) FROM unnest(array['fact_agent_query','fact_approval','fact_training']::regclass[]) c")"
put cs_store_bytes "$(du -sb "$store" | cut -f1)"

# ---------------------------------------------------------------- queries
awk -v d="$raw" '/^-- (agent-performance|approval-queue|training-quality)  \(/ { out = d "/q." $2 ".sql" } /^-- daily-agg/ { out = "" } out != "" { print > out }' \
  "$repo/tests/sql/reference.sql"
# The year's daily aggregates as a SELECT: reference.sql's daily-agg INSERT without the INSERT,
# its range CTE r replaced by the range as constants (a join with a CTE cannot be pushed; the
# constants are what a planner sees after inlining), in (time_key, agent_key) order.
awk '/^INSERT INTO agg_agent_daily_performance/ { on = 1; next } on && /^COMMIT;/ { exit } on' \
  "$repo/tests/sql/reference.sql" |
  sed -e '/^WITH r AS (/d' -e '/^  SELECT to_char(:.from.::date/d' -e 's/^), q AS (/WITH q AS (/' \
    -e 's/, r WHERE f.time_key BETWEEN r.lo AND r.hi/ WHERE f.time_key BETWEEN :lo AND :hi/' \
    -e 's/, r WHERE f.agent_key IS NOT NULL AND f.time_key BETWEEN r.lo AND r.hi/ WHERE f.agent_key IS NOT NULL AND f.time_key BETWEEN :lo AND :hi/' \
    -e 's/^LEFT JOIN t USING (agent_key, time_key);/LEFT JOIN t USING (agent_key, time_key)\nORDER BY k.time_key, k.agent_key;/' \
    >"$raw/q.daily-agg-select.sql"
if grep -q '\br\.' "$raw/q.daily-agg-select.sql" || ! grep -q '^ORDER BY k.time_key' "$raw/q.daily-agg-select.sql"; then
  echo "fdw.sh: reference.sql's daily-agg statement changed; update the rewrite" >&2
  exit 3
fi
# an ad-hoc BI query over the whole year: agent type by month, average and median latency
cat >"$raw/q.type-month.sql" <<'SQL'
SELECT a.agent_type, date_trunc('month', d.full_date) AS month, count(*) AS n,
  round(avg(f.latency_ms), 2) AS avg_latency_ms,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY f.latency_ms) AS median_latency_ms
FROM fact_agent_query f JOIN dim_agent a ON f.agent_key = a.agent_key
JOIN dim_time d ON f.time_key = d.time_key
WHERE d.full_date BETWEEN :'from' AND :'to'
GROUP BY 1, 2 ORDER BY 1, 2;
SQL
echo "SELECT * FROM agg_agent_daily_performance WHERE time_key BETWEEN 20250101 AND 20251231 ORDER BY time_key, agent_key;" >"$raw/q.daily-agg-rows.sql"
queries=(agent-performance approval-queue training-quality daily-agg-select type-month daily-agg-rows)
[[ -n $queries_arg ]] && IFS=, read -r -a queries <<<"$queries_arg"
vars=(-v as_of="$last" -v year="$year" -v from="$first" -v to="$last"
  -v lo="${first//-/}" -v hi="${last//-/}")
declare -A days=([agent-performance]=7 [training-quality]=30)
# the same work in colquery (a whole process) and in DuckDB (embedded, warm)
declare -A cq_args=([agent-performance]="agent-performance --as-of $last --days 7"
  [approval-queue]="approval-queue --year $year" [training-quality]="training-quality --as-of $last --days 30"
  [daily-agg-select]="daily-agg --from $first --to $last --recompute" [daily-agg-rows]="daily-agg --from $first --to $last")
declare -A duck_rep=([agent-performance]=agent-performance [approval-queue]=approval-queue
  [training-quality]=training-quality [daily-agg-select]=daily-agg-recompute [type-month]=type-month
  [daily-agg-rows]=daily-agg)
# sides: native tables, foreign tables with the pushdown (the default), foreign tables without
IFS=, read -r -a sides <<<"$sides_arg"
declare -A side_opts=([native]="-c search_path=public" [pushed]="-c search_path=analytics"
  [scans]="-c search_path=analytics -c colstore_fdw.pushdown=off")

# time_side SIDE QUERY: one warm-up and one timed run in a fresh session, in ms
time_side() {
  local side=$1 q=$2
  {
    echo '\o /dev/null'
    cat "$raw/q.$q.sql"
    echo '\timing on'
    cat "$raw/q.$q.sql"
  } >"$raw/run.sql"
  PGOPTIONS="${side_opts[$side]}" psql_ "${vars[@]}" -v days="${days[$q]:-7}" -f "$raw/run.sql" |
    grep -o 'Time: [0-9.]* ms' | awk '{ print $2 }'
}
for q in "${queries[@]}"; do
  cmdlog "psql ${vars[*]} -v days=${days[$q]:-7} -f q.$q.sql   # PGOPTIONS per side: ${side_opts[*]}; warm, $runs runs alternating"
  # same answers first
  for side in "${sides[@]}"; do
    PGOPTIONS="${side_opts[$side]}" psql_ --csv "${vars[@]}" -v days="${days[$q]:-7}" -f "$raw/q.$q.sql" \
      >"$raw/out.$side.$q.csv"
    : >"$raw/t.$side.$q"
  done
  same=yes
  for side in "${sides[@]}"; do [[ $side == native ]] && continue; cmp -s "$raw/out.native.$q.csv" "$raw/out.$side.$q.csv" || same="NO ($side)"; done
  put "same_$q" "$same"
  put "rows_$q" "$(($(wc -l <"$raw/out.native.$q.csv") - 1))"
  log "$q: $runs runs on each side"
  for ((i = 0; i < runs; i++)); do
    for side in "${sides[@]}"; do time_side "$side" "$q" >>"$raw/t.$side.$q"; done
  done
  for side in "${sides[@]}"; do put "${side}_${q}_ms" "$(median <"$raw/t.$side.$q")"; done
  PGOPTIONS="${side_opts[pushed]}" psql_ "${vars[@]}" -v days="${days[$q]:-7}" \
    -f <(awk '!done && /^(SELECT|WITH)/ { $0 = "EXPLAIN (ANALYZE, VERBOSE, COSTS OFF, TIMING OFF) " $0; done = 1 } 1' "$raw/q.$q.sql") \
    >"$raw/explain.pushed.$q.txt" 2>&1 || true
  # colquery: the whole process (start-up, opening the store), warm
  if [[ -n ${cq_args[$q]:-} ]]; then
    cmdlog "hyperfine -N --warmup 2 --runs $runs 'colquery --store STORE --format csv ${cq_args[$q]}'"
    hyperfine -N --warmup 2 --runs "$runs" --export-json "$raw/hf.colquery.$q.json" \
      "$build/tools/colquery --store $store --format csv ${cq_args[$q]}" >/dev/null 2>&1 &&
      put "colquery_${q}_ms" "$(jq '.results[0].median * 1e6 | round / 1000' "$raw/hf.colquery.$q.json")"
  fi
  if [[ -n $duck && -n ${duck_rep[$q]:-} ]]; then
    cmdlog "duckdb_bench embed DUCK ${duck_rep[$q]} --as-of $last --days ${days[$q]:-7} --year $year --from $first --to $last --iters $runs --warmup 1"
    "$build/bench/duckdb_bench" embed "$duck" "${duck_rep[$q]}" --as-of "$last" --days "${days[$q]:-7}" \
      --year "$year" --from "$first" --to "$last" --iters "$runs" --warmup 1 --max-seconds 600 \
      >"$raw/duck.$q.txt" 2>&1 &&
      put "duckdb_${q}_ms" "$(awk '{ print $3 }' "$raw/duck.$q.txt")"
  fi
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
  echo "Median ms of $runs warm runs through psql (\\timing), the sides alternating run by run;"
  echo "colquery as a whole process (hyperfine), DuckDB embedded (one connection, warm)."
  echo
  echo "| query | rows | native (seed's indexes) | foreign, pushdown | foreign, scans only | native / pushdown | colquery | DuckDB | same answer |"
  echo "|---|---|---|---|---|---|---|---|---|"
  for q in "${queries[@]}"; do
    n=$(kv "native_${q}_ms") p=$(kv "pushed_${q}_ms") f=$(kv "scans_${q}_ms")
    echo "| $q | $(kv "rows_$q") | $n | $p | $f | $(ratio "$n" "$p") | $(kv "colquery_${q}_ms") | $(kv "duckdb_${q}_ms") | $(kv "same_$q") |"
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
