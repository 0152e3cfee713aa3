#!/usr/bin/env bash
# End-to-end benchmark: generate -> load -> reports, colstore side by side with DuckDB and
# PostgreSQL 15 on the same data and the same machine, in one run.
#
#   bash bench/harness/run.sh [--rows N] [--quick] [--runs N] [--load-reps N]
#                             [--no-pg] [--no-duckdb] [--keep]
#
#   --rows N       query facts (default 10,000,000: the seed's one-year volume; approvals N/10,
#                  training N/20), --days 365 from 2025-01-01
#   --quick        1,000,000 rows, fewer repetitions (to try the harness out)
#   --runs N       hyperfine runs per whole-process command (default 20, warm-up 3)
#   --load-reps N  loads per colstore format and for DuckDB (default 3; the median is quoted)
#   --no-pg, --no-duckdb  leave that system out
#   --keep         keep the data, stores and databases in $BENCH_DIR afterwards
#
# Scratch space: $BENCH_DIR (default /work/bench-data; it needs about 12 GB at 10 M rows, PG
# included). DuckDB: $DUCKDB_LIB, else libduckdb.so of the npm package @duckdb/node-api, installed
# into $BENCH_TOOLS (default /work/bench-tools) when missing. PostgreSQL 15: a private server on
# port $BENCH_PG_PORT (default 55490, socket in $BENCH_DIR/pg), started and stopped here.
# Needs: cmake, a C compiler, hyperfine, jq, GNU time (/usr/bin/time), PostgreSQL 15 server
# binaries, npm (for DuckDB).
#
# Output: a markdown report on stdout and in bench/harness/results/<date>.md, the raw figures
# (hyperfine JSON, /usr/bin/time -v output, logs) in bench/harness/results/<date>/, the ratios
# in bench/harness/results/ratios.tsv and their chart in docs/benchmark-ratios.svg.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

rows=10000000
quick=0
runs=20
load_reps=3
do_pg=1
do_duckdb=1
keep=0
rows_given=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --rows) rows=$2; rows_given=1; shift 2 ;;
    --quick) quick=1; shift ;;
    --runs) runs=$2; shift 2 ;;
    --load-reps) load_reps=$2; shift 2 ;;
    --no-pg) do_pg=0; shift ;;
    --no-duckdb) do_duckdb=0; shift ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
if ((quick)); then
  ((rows_given)) || rows=1000000
  runs=10
  load_reps=1
fi

start_date=2025-01-01
ndays=365
first=$start_date
last=$(date -u -d "$start_date + $((ndays - 1)) days" +%F)
year=${first%%-*}

BENCH_DIR=${BENCH_DIR:-/work/bench-data}
BENCH_TOOLS=${BENCH_TOOLS:-/work/bench-tools}
BENCH_PG_PORT=${BENCH_PG_PORT:-55490}
build=${BENCH_BUILD:-$repo/build-bench}
stamp=$(date -u +%Y-%m-%d)
results_md=$here/results/$stamp.md
raw=$here/results/$stamp
data=$BENCH_DIR/data-$rows
exports=$data/exports
work=$data/work # logs and report outputs (not kept with the results)
rm -rf "$raw" "$work"
mkdir -p "$raw" "$data" "$work"
: >"$raw/results.kv"
: >"$raw/commands.txt"

log() { printf '[%s] %s\n' "$(date -u +%T)" "$*" >&2; }
put() { printf '%s %s\n' "$1" "$2" >>"$raw/results.kv"; }
get() { awk -v k="$1" '$1 == k { v = $2 } END { print (v == "" ? "n/a" : v) }' "$raw/results.kv"; }
cmdlog() { printf '%s\n' "$*" >>"$raw/commands.txt"; }
now() { date +%s.%N; }
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'; }
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR == 0) print "n/a"; else if (NR % 2) print v[(NR + 1) / 2]; else printf "%.4f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# maxrss_mb FILE: "Maximum resident set size" of a /usr/bin/time -v output, in MB.
maxrss_mb() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $2 / 1024 }' "$1"; }

for tool in cmake hyperfine jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "run.sh: $tool is missing (apt-get install ${tool##*/})" >&2; exit 3; }
done
df -h "$BENCH_DIR" >&2

# ---------------------------------------------------------------- build
log "build (Release) in $build"
cmake -S "$repo" -B "$build" -DCMAKE_BUILD_TYPE=Release -DCOLSTORE_WERROR=OFF -DCOLSTORE_TESTS=OFF \
  >"$work/cmake.log" 2>&1
cmake --build "$build" -j2 --target colgen colload colquery cs_embedded duckdb_bench \
  >>"$work/cmake.log" 2>&1 || { tail -30 "$work/cmake.log" >&2; exit 3; }
colgen=$build/tools/colgen
colload=$build/tools/colload
colquery=$build/tools/colquery
embedded=$build/bench/cs_embedded
duckdb_bench=$build/bench/duckdb_bench

if ((do_duckdb)); then
  DUCKDB_LIB=${DUCKDB_LIB:-$BENCH_TOOLS/node_modules/@duckdb/node-bindings-linux-x64/libduckdb.so}
  if [[ ! -f $DUCKDB_LIB ]]; then
    log "installing @duckdb/node-api into $BENCH_TOOLS"
    mkdir -p "$BENCH_TOOLS"
    (cd "$BENCH_TOOLS" && { [[ -f package.json ]] || npm init -y >/dev/null; } &&
      npm install --no-audit --no-fund @duckdb/node-api >"$work/npm.log" 2>&1)
  fi
  export DUCKDB_LIB
fi

# ---------------------------------------------------------------- machine
put rows "$rows"
put first "$first"
put last "$last"
{
  echo "date: $(date -u '+%F %T UTC')"
  echo "cpu: $(nproc) x $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)"
  echo "memory: $(free -g | awk '/Mem:/ { print $2 " GiB" }')"
  echo "kernel: $(uname -sr)"
  echo "os: $(. /etc/os-release && echo "$PRETTY_NAME")"
  echo "compiler: $(cc --version | head -1)"
  echo "colstore: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null || echo '?')$(git -C "$repo" diff --quiet HEAD -- . ':(exclude)bench/harness/results' 2>/dev/null || echo ' + uncommitted changes in the work tree'), Release build"
  ((do_duckdb)) && echo "duckdb: $("$duckdb_bench" version) (libduckdb.so from npm @duckdb/node-bindings-linux-x64), threads=2"
  ((do_pg)) && echo "postgresql: $(/usr/lib/postgresql/15/bin/postgres --version)"
  echo "hyperfine: $(hyperfine --version)"
  echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
} >"$raw/machine.txt"
cat "$raw/machine.txt" >&2

# ---------------------------------------------------------------- generate
tables=(dim_agent dim_time dim_conversation dim_user fact_agent_query fact_approval fact_training)
facts=(fact_agent_query fact_approval fact_training)
cmd=("$colgen" --out "$exports" --rows "$rows" --seed 1 --start "$start_date" --days "$ndays" --format both)
cmdlog "${cmd[*]}   # skipped when $exports/.complete exists"
if [[ ! -f $exports/.complete ]]; then
  log "generate $rows query facts, $ndays days, CSV and COPY text"
  rm -rf "$exports"
  t0=$(now)
  "${cmd[@]}"
  put gen_seconds "$(sub "$(now)" "$t0")"
  touch "$exports/.complete"
fi
csv_bytes=0
text_bytes=0
for t in "${tables[@]}"; do
  csv_bytes=$((csv_bytes + $(stat -c %s "$exports/$t.csv")))
  text_bytes=$((text_bytes + $(stat -c %s "$exports/$t.copy")))
done
put csv_bytes "$csv_bytes"
put text_bytes "$text_bytes"

# ---------------------------------------------------------------- colstore load
# cs_load FMT EXT STORE REP: every table into a fresh store, one colload process per table.
cs_load() {
  local fmt=$1 ext=$2 store=$3 rep=$4 t t0 total=0 rss=0 r
  rm -rf "$store"
  for t in "${tables[@]}"; do
    [[ $rep == 1 ]] && cmdlog "$colload --store $store --create $t $exports/$t.$ext"
    t0=$(now)
    if ! /usr/bin/time -v -o "$raw/time.colload.$fmt.$t" "$colload" --store "$store" --create "$t" "$exports/$t.$ext" \
      2>>"$work/colload.$fmt.log"; then
      echo "run.sh: colload $t ($fmt) failed:" >&2
      tail -3 "$work/colload.$fmt.log" >&2
      return 1
    fi
    total=$(awk -v a="$total" -v b="$(sub "$(now)" "$t0")" 'BEGIN { print a + b }')
    r=$(maxrss_mb "$raw/time.colload.$fmt.$t")
    rss=$(awk -v a="$rss" -v b="$r" 'BEGIN { print (b > a ? b : a) }')
  done
  echo "$total $rss" >>"$raw/cs_load.$fmt.reps"
}

store_csv=$data/store-csv
store_text=$data/store-text
for fmt in csv text; do
  ext=$([[ $fmt == csv ]] && echo csv || echo copy)
  store=$([[ $fmt == csv ]] && echo "$store_csv" || echo "$store_text")
  : >"$raw/cs_load.$fmt.reps"
  : >"$work/colload.$fmt.log"
  ok=1
  for ((rep = 1; rep <= load_reps; rep++)); do
    log "colstore load from $fmt ($rep/$load_reps)"
    cs_load "$fmt" "$ext" "$store" "$rep" || { ok=0; break; }
  done
  if ((ok)); then
    put "cs_load_${fmt}_s" "$(awk '{ print $1 }' "$raw/cs_load.$fmt.reps" | median)"
    put "cs_load_${fmt}_rss_mb" "$(awk '{ print $2 }' "$raw/cs_load.$fmt.reps" | sort -g | tail -1)"
    # the per-table split of the last repetition
    for t in "${tables[@]}"; do
      put "cs_load_${fmt}_${t}_s" "$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$raw/time.colload.$fmt.$t")"
      put "cs_load_${fmt}_${t}_rss_mb" "$(maxrss_mb "$raw/time.colload.$fmt.$t")"
    done
  fi
done
put cs_store_bytes "$(du -sb "$store_csv" | cut -f1)"
put cs_store_text_bytes "$(du -sb "$store_text" | cut -f1)"
fact_rows=0
for t in "${facts[@]}"; do
  n=$(grep -o "colload: $t: [0-9]* rows read, [0-9]* loaded" "$work/colload.csv.log" | tail -1 | awk '{ print $6 }')
  put "rows_$t" "$n"
  fact_rows=$((fact_rows + n))
done
put fact_rows "$fact_rows"

# ---------------------------------------------------------------- DuckDB load
duck=$data/duck.duckdb
if ((do_duckdb)); then
  : >"$raw/duck_load.reps"
  for ((rep = 1; rep <= load_reps; rep++)); do
    log "DuckDB load from CSV ($rep/$load_reps)"
    ((rep == 1)) && cmdlog "$duckdb_bench load $duck $exports"
    rm -f "$duck" "$duck.wal"
    /usr/bin/time -v -o "$raw/time.duck.load" "$duckdb_bench" load "$duck" "$exports" >"$raw/duck.load.out"
    echo "$(awk '$1 == "load_copy_seconds" { print $2 }' "$raw/duck.load.out") $(awk '$1 == "load_total_seconds" { print $2 }' "$raw/duck.load.out") $(maxrss_mb "$raw/time.duck.load")" >>"$raw/duck_load.reps"
  done
  put duck_load_copy_s "$(awk '{ print $1 }' "$raw/duck_load.reps" | median)"
  put duck_load_total_s "$(awk '{ print $2 }' "$raw/duck_load.reps" | median)"
  put duck_load_rss_mb "$(awk '{ print $3 }' "$raw/duck_load.reps" | sort -g | tail -1)"
  put duck_load_agg_s "$(awk '$1 == "load_agg_seconds" { print $2 }' "$raw/duck.load.out")"
  put duck_bytes "$(stat -c %s "$duck")"
fi

# ---------------------------------------------------------------- whole-process reports
declare -A cs_args duck_args
cs_args[agent-performance]="agent-performance --as-of $last --days 7"
cs_args[approval-queue]="approval-queue --year $year"
cs_args[training-quality]="training-quality --as-of $last --days 30"
cs_args[daily-agg-recompute]="daily-agg --from $first --to $last --recompute"
cs_args[daily-agg]="daily-agg --from $first --to $last"
duck_args[agent-performance]="agent-performance --as-of $last --days 7"
duck_args[approval-queue]="approval-queue --year $year"
duck_args[training-quality]="training-quality --as-of $last --days 30"
duck_args[daily-agg-recompute]="daily-agg-recompute --from $first --to $last"
duck_args[daily-agg]="daily-agg --from $first --to $last"
reports=(agent-performance approval-queue training-quality daily-agg-recompute daily-agg)
# The machine is shared and noisy: each command's runs are split into rounds, the systems
# alternating, so that a busy spell does not fall on one system only.
rounds=4
per=$(((runs + rounds - 1) / rounds))
((per >= 2)) || per=2

log "process start-up baseline (/bin/true)"
hyperfine -N --warmup 3 --runs "$runs" --export-json "$raw/hf.true.json" /bin/true >/dev/null 2>&1 || true
put proc_true_ms "$(jq '.results[0].median * 1000' "$raw/hf.true.json" 2>/dev/null || echo n/a)"
if ((do_duckdb)); then
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$raw/hf.duck-noop.json" \
    "$duckdb_bench query $duck noop" >/dev/null 2>&1 || true
  put duck_proc_noop_ms "$(jq '.results[0].median * 1000' "$raw/hf.duck-noop.json" 2>/dev/null || echo n/a)"
fi

for rep in "${reports[@]}"; do
  cs_cmd="$colquery --store $store_csv --format csv ${cs_args[$rep]}"
  if ! $cs_cmd >"$work/out.cs.$rep.csv" 2>"$work/err.cs.$rep"; then
    log "colquery $rep FAILED: $(head -1 "$work/err.cs.$rep")"
    put "cs_proc_${rep}_ms" FAILED
    cs_cmd=
  fi
  duck_cmd=
  if ((do_duckdb)); then
    duck_cmd="$duckdb_bench query $duck ${duck_args[$rep]}"
    $duck_cmd >"$work/out.duck.$rep.csv"
  fi
  cmds=()
  [[ -n $cs_cmd ]] && cmds+=("$cs_cmd")
  [[ -n $duck_cmd ]] && cmds+=("$duck_cmd")
  ((${#cmds[@]})) || continue
  log "hyperfine $rep ($rounds rounds of $per runs, the systems alternating)"
  for c in "${cmds[@]}"; do cmdlog "hyperfine -N --warmup 3 --runs $per '$c'   # x $rounds rounds, alternating with the other system"; done
  for ((k = 1; k <= rounds; k++)); do
    for j in "${!cmds[@]}"; do
      hyperfine -N --warmup $((k == 1 ? 3 : 1)) --runs "$per" --export-json "$work/hf.$rep.$j.$k.json" \
        "${cmds[$j]}" >/dev/null 2>&1
    done
  done
  i=0
  for j in "${!cmds[@]}"; do
    # every run of every round, one result per command
    jq -s '{command: .[0].results[0].command, times: [.[].results[0].times[]]}' \
      "$work"/hf."$rep".$j.*.json >"$work/hf.$rep.$j.json"
    med=$(jq '.times | sort | (if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end) * 1000' "$work/hf.$rep.$j.json")
    if [[ ${cmds[$j]} == "$cs_cmd" ]]; then put "cs_proc_${rep}_ms" "$med"; else put "duck_proc_${rep}_ms" "$med"; fi
  done
  jq -s '{results: .}' "$work"/hf."$rep".[0-9].json >"$raw/hf.$rep.json"
done

log "peak RSS of agent-performance"
/usr/bin/time -v -o "$raw/time.cs.q1" $colquery --store "$store_csv" --format csv ${cs_args[agent-performance]} >/dev/null 2>&1 &&
  put cs_q1_rss_mb "$(maxrss_mb "$raw/time.cs.q1")"
if ((do_duckdb)); then
  /usr/bin/time -v -o "$raw/time.duck.q1" "$duckdb_bench" query "$duck" ${duck_args[agent-performance]} >/dev/null &&
    put duck_q1_rss_mb "$(maxrss_mb "$raw/time.duck.q1")"
fi

# ---------------------------------------------------------------- embedded
emb_iters=$((quick ? 100 : 300))
emb_secs=$((quick ? 3 : 8))
log "embedded: colstore and DuckDB alternating, report by report"
: >"$raw/cs_embedded.txt"
: >"$raw/duck_embedded.txt"
for rep in "${reports[@]}"; do
  [[ $rep == "${reports[0]}" ]] &&
    cmdlog "$embedded $store_csv --iters $emb_iters --warmup 10 --max-seconds $emb_secs --as-of $last --year $year --from $first --to $last REPORT"
  "$embedded" "$store_csv" --iters "$emb_iters" --warmup 10 --max-seconds "$emb_secs" --as-of "$last" \
    --year "$year" --from "$first" --to "$last" "$rep" >>"$raw/cs_embedded.txt" 2>>"$work/cs_embedded.err" || true
  if ((do_duckdb)); then
    cmdlog "$duckdb_bench embed $duck ${duck_args[$rep]} --iters $emb_iters --warmup 5 --max-seconds $emb_secs"
    "$duckdb_bench" embed "$duck" ${duck_args[$rep]} --iters "$emb_iters" --warmup 5 --max-seconds "$emb_secs" \
      >>"$raw/duck_embedded.txt"
  fi
done
for rep in "${reports[@]}"; do
  put "cs_emb_${rep}_ms" "$(awk -v r="$rep" '$1 == r { print ($2 == "FAILED" ? "FAILED" : $3) }' "$raw/cs_embedded.txt")"
  put "cs_emb_${rep}_p10" "$(awk -v r="$rep" '$1 == r && $2 != "FAILED" { print $5 }' "$raw/cs_embedded.txt")"
  put "cs_emb_${rep}_p90" "$(awk -v r="$rep" '$1 == r && $2 != "FAILED" { print $7 }' "$raw/cs_embedded.txt")"
  if ((do_duckdb)); then
    put "duck_emb_${rep}_ms" "$(awk -v r="$rep" '$1 == r { print $3 }' "$raw/duck_embedded.txt")"
    put "duck_emb_${rep}_p10" "$(awk -v r="$rep" '$1 == r { print $5 }' "$raw/duck_embedded.txt")"
    put "duck_emb_${rep}_p90" "$(awk -v r="$rep" '$1 == r { print $7 }' "$raw/duck_embedded.txt")"
  fi
done

# ---------------------------------------------------------------- PostgreSQL 15
if ((do_pg)); then
  pgbin=/usr/lib/postgresql/15/bin
  pgdir=$BENCH_DIR/pg
  export PGHOST=$pgdir PGPORT=$BENCH_PG_PORT PGUSER=postgres PGTZ=UTC PGDATESTYLE=ISO PGDATABASE=bench
  as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
  pg_stop() { as_owner "$pgbin/pg_ctl" -D "$pgdir/data" -m fast stop >/dev/null 2>&1 || true; }
  cleanup() {
    pg_stop
    ((keep)) || rm -rf "$pgdir"
  }
  trap cleanup EXIT
  pg_stop
  rm -rf "$pgdir"
  mkdir -p "$pgdir"
  chmod 700 "$pgdir"
  [[ $(id -u) -eq 0 ]] && chown postgres: "$pgdir"
  log "PostgreSQL: initdb and start on port $BENCH_PG_PORT"
  as_owner "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync \
    >"$work/pg.initdb.log" 2>&1
  pg_opts="-p $BENCH_PG_PORT -k $pgdir -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
  pg_opts+=" -c full_page_writes=off -c TimeZone=UTC -c DateStyle=ISO -c shared_buffers=1GB"
  pg_opts+=" -c max_parallel_workers_per_gather=2 -c work_mem=64MB -c maintenance_work_mem=512MB"
  pg_opts+=" -c max_wal_size=8GB"
  echo "postgres $pg_opts" >>"$raw/commands.txt"
  as_owner "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -o "$pg_opts" -w -t 60 start >/dev/null
  psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
  psql_ -d postgres -c "CREATE DATABASE bench TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
  # The schema without the fact tables' secondary indexes: they are built after the COPY, as a
  # bulk load into PostgreSQL would (primary keys and foreign keys stay, checked during COPY).
  grep -v '^CREATE INDEX fact_' "$repo/tests/sql/schema.sql" >"$raw/pg.schema.sql"
  grep '^CREATE INDEX fact_' "$repo/tests/sql/schema.sql" >"$raw/pg.fact_indexes.sql"
  psql_ -f "$raw/pg.schema.sql" >/dev/null
  # Foreign keys too are dropped for the COPY and added back (validated) afterwards, as
  # PostgreSQL's "Populating a Database" advises: checked row by row, they make COPY ~10x slower.
  fkq="FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text LIKE 'fact_%'"
  psql_ -At -c "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I;', conrelid::regclass, conname) $fkq" \
    >"$raw/pg.fk_drop.sql"
  psql_ -At -c "SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s;', conrelid::regclass, conname, pg_get_constraintdef(oid)) $fkq" \
    >"$raw/pg.fk_add.sql"
  psql_ -f "$raw/pg.fk_drop.sql"
  log "PostgreSQL: COPY (server side) every CSV"
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
    echo "SELECT pg_backend_pid() AS bpid \\gset"
    echo "\\setenv BPID :bpid"
    echo "\\! grep VmHWM /proc/\$BPID/status"
  } >"$raw/pg.load.sql"
  cmdlog "psql -f pg.schema.sql; psql -f pg.fk_drop.sql; psql -f pg.load.sql; psql -f pg.fk_add.sql; psql -f pg.fact_indexes.sql; psql -c ANALYZE   # files in results/<date>/"
  t0=$(now)
  psql_ -f "$raw/pg.load.sql" >"$raw/pg.load.out"
  put pg_copy_s "$(sub "$(now)" "$t0")"
  put pg_backend_hwm_mb "$(awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "$raw/pg.load.out")"
  log "PostgreSQL: foreign keys and secondary indexes"
  t0=$(now)
  psql_ -f "$raw/pg.fk_add.sql"
  psql_ -f "$raw/pg.fact_indexes.sql"
  put pg_index_s "$(sub "$(now)" "$t0")"
  t0=$(now)
  psql_ -c "ANALYZE"
  put pg_analyze_s "$(sub "$(now)" "$t0")"
  t0=$(now)
  psql_ -c "VACUUM (FREEZE) fact_agent_query, fact_approval, fact_training" # hint bits, visibility map
  put pg_vacuum_s "$(sub "$(now)" "$t0")"
  put pg_heap_bytes "$(psql_ -At -c "SELECT sum(pg_table_size(c)) FROM unnest(array['fact_agent_query','fact_approval','fact_training']::regclass[]) c")"
  put pg_total_bytes "$(psql_ -At -c "SELECT sum(pg_total_relation_size(c)) FROM unnest(array['fact_agent_query','fact_approval','fact_training']::regclass[]) c")"
  put pg_db_bytes "$(psql_ -At -c "SELECT pg_database_size('bench')")"

  # reference.sql, one file per statement: 1-3 the reports, 4-7 the daily-agg transaction
  # (BEGIN, DELETE, INSERT ... SELECT, COMMIT), 8 the materialized rows.
  awk -v d="$raw" '/^--/ { next } { buf = buf $0 "\n" } /;[[:space:]]*$/ { n++; f = d "/ref." n ".sql"; printf "%s", buf > f; close(f); buf = "" }' \
    "$repo/tests/sql/reference.sql"
  pgvars=(-v as_of="$last" -v year="$year" -v from="$first" -v to="$last")
  # pg_time NAME REPS FILE...: \timing of the statements of the last FILE, REPS times after a
  # warm-up run; the median of the Time: lines, in ms.
  pg_time() {
    local name=$1 reps=$2 stmt=$3 f=$raw/pg.$1.sql i
    {
      echo '\o /dev/null'
      for ((i = 0; i <= reps; i++)); do
        ((i == 1)) && echo '\timing on'
        cat "$stmt"
      done
    } >"$f"
    psql_ "${pgvars[@]}" -v days="$4" -f "$f" >"$raw/pg.$name.out"
    grep -o 'Time: [0-9.]* ms' "$raw/pg.$name.out" | awk '{ print $2 }' | median
  }
  log "PostgreSQL: reports (warm, median of 5)"
  cmdlog "psql -v as_of=$last -v days=7|30 -v year=$year -f <statement of reference.sql, 1 warm-up + 5 timed (\\timing)>"
  put pg_agent-performance_ms "$(pg_time agent-performance 5 "$raw/ref.1.sql" 7)"
  put pg_approval-queue_ms "$(pg_time approval-queue 5 "$raw/ref.2.sql" 7)"
  put pg_training-quality_ms "$(pg_time training-quality 5 "$raw/ref.3.sql" 30)"
  log "PostgreSQL: the year's daily aggregates (DELETE + INSERT ... SELECT), 1 + 3 runs"
  {
    echo '\o /dev/null'
    for ((i = 0; i <= 3; i++)); do
      cat "$raw/ref.4.sql" "$raw/ref.5.sql"
      ((i >= 1)) && echo '\timing on'
      cat "$raw/ref.6.sql"
      echo '\timing off'
      cat "$raw/ref.7.sql"
    done
  } >"$raw/pg.daily-agg-recompute.sql"
  cmdlog "psql -v from=$first -v to=$last -f <BEGIN; DELETE; INSERT ... SELECT (timed); COMMIT of reference.sql, 1 + 3 runs>"
  psql_ "${pgvars[@]}" -v days=7 -f "$raw/pg.daily-agg-recompute.sql" >"$raw/pg.daily-agg-recompute.out"
  put pg_daily-agg-recompute_ms "$(grep -o 'Time: [0-9.]* ms' "$raw/pg.daily-agg-recompute.out" | awk '{ print $2 }' | median)"
  put pg_daily-agg_ms "$(pg_time daily-agg 5 "$raw/ref.8.sql" 7)"
  pg_stop
fi

# ---------------------------------------------------------------- check: same numbers
# colstore's CSV is psql's byte for byte; DuckDB prints decimals without trailing zeros and
# rounds some x.xx5 averages in double precision, so only the row counts are compared.
for rep in "${reports[@]}"; do
  if [[ -f $work/out.duck.$rep.csv && -s $work/out.cs.$rep.csv ]]; then
    put "rows_${rep}" "$(($(wc -l <"$work/out.cs.$rep.csv") - 1))/$(($(wc -l <"$work/out.duck.$rep.csv") - 1))"
  fi
done

# ---------------------------------------------------------------- report
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$raw/machine.txt"
bash "$here/render.sh" "$raw" >"$results_md"
cat "$results_md"
# the ratios of every task, with the nightly job's (nightly.sh), drawn for docs/
bash "$here/ratios.sh" "$raw" "$here/results/ratios.tsv"
bash "$here/chart.sh" "$here/results/ratios.tsv" "$repo/docs/benchmark-ratios.svg"
((keep)) || { rm -rf "$store_text" "$duck"; }
log "done: $results_md"
