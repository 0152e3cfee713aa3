#!/usr/bin/env bash
# The nightly job's benchmarks (issue 11), side by side with PostgreSQL 15:
#
#   bash bench/harness/nightly.sh [--years-rows N] [--night-rows N] [--nights N] [--runs N]
#                                 [--skip-3y] [--skip-year]
#
#  1. a warehouse of three years (colgen --rows 30,000,000 --days 1095 from 2023-01-01, the
#     seed's volume) loaded into a colstore store and into PostgreSQL 15 (the seed's indexes);
#  2. one night of the seed's volume (colgen --ops: ~27.4 K queries, 2.7 K approvals, 1.4 K
#     feedback rows, ~1 % late rows of the previous week; the second night of two, the first
#     applied to both warehouses beforehand) applied to it: the whole
#     `colload nightly` process (from a hard-linked copy of the store: the store's files are
#     immutable, so each run starts from the same state), against `psql -f` of the same night's
#     ETL as SQL (tests/sql/nightly_etl.sql: COPY into staging + the ETL, rolled back at the end
#     so that every run starts from the same state), hyperfine alternating; and the same night by
#     `colload pull` from the local server;
#  3. a year of nights (365 runs of colload nightly, ~1 % late rows each) against the same year
#     loaded in one go (the nightly store's tables dumped and bulk-loaded): store size and the
#     reports' times;
#  4. the ratios of every measured task into bench/harness/results/ratios.tsv and the chart
#     docs/benchmark-ratios.svg (bench/harness/chart.sh).
# Scratch: $BENCH_DIR (default /work/bench-nightly; ~10 GB). PostgreSQL on $BENCH_PG_PORT
# (default 55491). Output: markdown on stdout and in bench/harness/results/nightly-<date>.md.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
BENCH_DIR=${BENCH_DIR:-/work/bench-nightly}
BENCH_PG_PORT=${BENCH_PG_PORT:-55491}
BIN=${COLSTORE_BIN_DIR:-$repo/build-bench/tools}
years_rows=30000000 night_rows=27397 nights=365 runs=15 skip3y=0 skipyear=0
while [[ $# -gt 0 ]]; do
  case $1 in
    --years-rows) years_rows=$2; shift 2 ;;
    --night-rows) night_rows=$2; shift 2 ;;
    --nights) nights=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    --skip-3y) skip3y=1; shift ;;
    --skip-year) skipyear=1; shift ;;
    -h | --help) sed -n '2,24p' "$0"; exit 0 ;;
    *) echo "nightly.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
mkdir -p "$BENCH_DIR"
# a new store needs --create since the store-safety work; older builds do not know the option
create=; "$BIN/colload" --help 2>&1 | grep -q -- --create && create=--create
tag=nightly-$(date -u +%F)${NIGHTLY_TAG:+-$NIGHTLY_TAG}
out=$repo/bench/harness/results/$tag.md
raw=$repo/bench/harness/results/$tag
mkdir -p "$raw"
log() { echo "nightly.sh: $*" >&2; }
med() { jq -r "[.results[$1].times[]] | sort | .[length/2|floor] * 1000" "$2"; } # ms
report() { echo "$*" | tee -a "$out"; }
: >"$out"
tables=(dim_agent dim_time dim_conversation dim_user fact_agent_query fact_approval fact_training)

pgbin=/usr/lib/postgresql/15/bin
pgdir=$BENCH_DIR/pg
export PGHOST=$pgdir PGPORT=$BENCH_PG_PORT PGUSER=postgres PGTZ=UTC PGDATESTYLE=ISO
as_owner() { if [[ $(id -u) -eq 0 ]]; then runuser -u postgres -- "$@"; else "$@"; fi; }
psql_() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }
pg_up() {
  if as_owner "$pgbin/pg_ctl" -D "$pgdir/data" status >/dev/null 2>&1; then return; fi
  if [[ ! -d $pgdir/data ]]; then
    mkdir -p "$pgdir"; chmod 700 "$pgdir"; [[ $(id -u) -eq 0 ]] && chown postgres: "$pgdir"
    as_owner "$pgbin/initdb" -D "$pgdir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync >/dev/null
  fi
  local o="-p $BENCH_PG_PORT -k $pgdir -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
  o+=" -c full_page_writes=off -c TimeZone=UTC -c DateStyle=ISO -c shared_buffers=1GB"
  o+=" -c work_mem=64MB -c maintenance_work_mem=512MB -c max_wal_size=8GB"
  as_owner "$pgbin/pg_ctl" -D "$pgdir/data" -l "$pgdir/log" -o "$o" -w -t 60 start >/dev/null
}
ratios=$repo/bench/harness/results/ratios.tsv
put_ratio() { # TASK VERSUS RATIO: replaces the task's line for that system
  touch "$ratios"
  awk -F'\t' -v t="$1" -v s="$2" '!($1 == t && $2 == s)' "$ratios" >"$ratios.new"
  printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$ratios.new"
  mv "$ratios.new" "$ratios"
}

report "# Nightly job benchmarks ($(date -u '+%F %H:%M') UTC, $(git -C "$repo" rev-parse --short HEAD))"
report ""
report "Machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), load $(cut -d' ' -f1-3 /proc/loadavg); medians of hyperfine runs."
report ""

wh=$BENCH_DIR/wh ops=$BENCH_DIR/ops store3y=$BENCH_DIR/store3y
if ((!skip3y)); then
  [[ -f $wh/fact_training.copy ]] ||
    "$BIN/colgen" --out "$wh" --rows "$years_rows" --seed 3 --start 2023-01-01 --days 1095 --format text
  rm -rf "$ops"
  "$BIN/colgen" --ops --out "$ops" --rows "$night_rows" --nights 2 --seed 5 --start 2026-01-01 --format text
  night1=$ops/night-001 night=$ops/night-002
  lt1=$(cat "$night1/load_time") lt=$(cat "$night/load_time")
  if [[ ! -f $store3y/CURRENT ]]; then
    log "colstore: loading three years"
    for t in "${tables[@]}"; do "$BIN/colload" --store "$store3y" $create "$t" "$wh/$t.copy"; done
  fi
  pg_up
  if [[ $(psql_ -d postgres -At -c "SELECT count(*) FROM pg_database WHERE datname = 'bench3y'") != 1 ]]; then
    log "PostgreSQL: loading three years (COPY, then foreign keys and the seed's indexes)"
    psql_ -d postgres -c "DROP DATABASE IF EXISTS bench3y_loading"
    psql_ -d postgres -c "CREATE DATABASE bench3y_loading TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
    grep -v '^CREATE INDEX fact_' "$repo/tests/sql/schema.sql" >"$raw/pg.schema.sql"
    grep '^CREATE INDEX fact_' "$repo/tests/sql/schema.sql" >"$raw/pg.fact_indexes.sql"
    psql_ -d bench3y_loading -f "$raw/pg.schema.sql" >/dev/null
    fkq="FROM pg_constraint WHERE contype = 'f' AND conrelid::regclass::text LIKE 'fact_%'"
    psql_ -d bench3y_loading -At -c "SELECT format('ALTER TABLE %s DROP CONSTRAINT %I;', conrelid::regclass, conname) $fkq" >"$raw/fk_drop.sql"
    psql_ -d bench3y_loading -At -c "SELECT format('ALTER TABLE %s ADD CONSTRAINT %I %s;', conrelid::regclass, conname, pg_get_constraintdef(oid)) $fkq" >"$raw/fk_add.sql"
    psql_ -d bench3y_loading -f "$raw/fk_drop.sql"
    for t in "${tables[@]}"; do
      target=$t; [[ $t == fact_training ]] && target=stage_fact_training
      psql_ -d bench3y_loading -c "COPY $target FROM '$wh/$t.copy'"
    done
    psql_ -d bench3y_loading -c "INSERT INTO fact_training (training_key, agent_key, time_key, conv_key, annotator_key,
      safe_to_send, clarity_score, accuracy_score, tone_score, labels, created_at, annotated_at)
      SELECT training_key, agent_key, time_key, conv_key, annotator_key, safe_to_send, clarity_score,
      accuracy_score, tone_score, labels, created_at, annotated_at FROM stage_fact_training; TRUNCATE stage_fact_training"
    psql_ -d bench3y_loading -f "$raw/fk_add.sql"
    psql_ -d bench3y_loading -f "$raw/pg.fact_indexes.sql"
    psql_ -d bench3y_loading -f "$repo/tests/sql/nightly_schema.sql" >/dev/null
    psql_ -d bench3y_loading -c "VACUUM (FREEZE, ANALYZE)"
    psql_ -d postgres -c "ALTER DATABASE bench3y_loading RENAME TO bench3y"
  fi
  # the first night, applied once to both warehouses (the benchmarked night is the second)
  base=$BENCH_DIR/store3y-n1
  if [[ ! -f $base/CURRENT ]]; then
    rm -rf "$base.tmp" && cp -al "$store3y" "$base.tmp"
    "$BIN/colload" --store "$base.tmp" nightly --load-time "$lt1" --agents "$night1/agents.copy" \
      --queries "$night1/agent_queries.copy" --approvals "$night1/agent_approvals.copy" \
      --feedback "$night1/agent_feedback.copy"
    mv "$base.tmp" "$base"
  fi
  if [[ $(psql_ -d bench3y -At -c "SELECT count(*) FROM etl_src_query") == 0 ]]; then
    {
      echo "TRUNCATE stage_agents, stage_queries, stage_approvals, stage_feedback;"
      echo "COPY stage_agents FROM '$night1/agents.copy';"
      echo "COPY stage_queries FROM '$night1/agent_queries.copy';"
      echo "COPY stage_approvals FROM '$night1/agent_approvals.copy';"
      echo "COPY stage_feedback FROM '$night1/agent_feedback.copy';"
    } | psql_ -d bench3y >/dev/null
    psql_ -d bench3y -v load_time="$lt1" -f "$repo/tests/sql/nightly_etl.sql" >/dev/null
  fi
  # the operational tables hold both nights (what a pull reads: the second night above the
  # store's watermark, the first one again through the 2-day overlap, skipped)
  psql_ -d bench3y -c "TRUNCATE agents, agent_queries, agent_approvals, agent_feedback"
  for k in 1 2; do
    for t in agent_queries agent_approvals agent_feedback; do
      psql_ -d bench3y -c "CREATE TEMP TABLE x (LIKE $t); COPY x FROM '$ops/night-00$k/$t.copy';
        INSERT INTO $t SELECT * FROM x ON CONFLICT DO NOTHING"
    done
  done
  psql_ -d bench3y -c "COPY agents FROM '$night/agents.copy'"
  psql_ -d bench3y -c "VACUUM ANALYZE agents, agent_queries, agent_approvals, agent_feedback"
  # PostgreSQL's night: staging COPY + the ETL, rolled back so that each run starts the same
  {
    echo "BEGIN;"
    echo "TRUNCATE stage_agents, stage_queries, stage_approvals, stage_feedback;"
    echo "COPY stage_agents FROM '$night/agents.copy';"
    echo "COPY stage_queries FROM '$night/agent_queries.copy';"
    echo "COPY stage_approvals FROM '$night/agent_approvals.copy';"
    echo "COPY stage_feedback FROM '$night/agent_feedback.copy';"
    grep -v -e '^BEGIN;$' -e '^COMMIT;$' -e '^\\set' "$repo/tests/sql/nightly_etl.sql"
    echo "ROLLBACK;"
  } >"$raw/pg_night.sql"
  run=$BENCH_DIR/run
  prep="rm -rf $run && cp -al $base $run"
  c_night="$BIN/colload --store $run nightly --load-time '$lt' --agents $night/agents.copy --queries $night/agent_queries.copy --approvals $night/agent_approvals.copy --feedback $night/agent_feedback.copy"
  c_pull="$BIN/colload --store $run pull --dsn 'host=$pgdir port=$BENCH_PG_PORT dbname=bench3y' --load-time '$lt'"
  c_pg="psql -X -q -v ON_ERROR_STOP=1 -v load_time='$lt' -d bench3y -f $raw/pg_night.sql"
  log "hyperfine: the night, side by side"
  hyperfine --warmup 2 --runs "$runs" --prepare "$prep" --export-json "$raw/night.json" \
    "$c_night" "$c_pull" "$c_pg" >"$raw/night.txt" 2>&1
  eval "$prep" && eval "$c_night" 2>"$raw/night.summary"
  n_ms=$(med 0 "$raw/night.json") p_ms=$(med 1 "$raw/night.json") g_ms=$(med 2 "$raw/night.json")
  ratio=$(awk -v a="$g_ms" -v b="$n_ms" 'BEGIN { printf "%.1f", a / b }')
  put_ratio "nightly job, one night into 3 years" PostgreSQL "$ratio"
  report "## One night of the seed's volume into a store of three years"
  report ""
  report "| | median |"
  report "|---|---|"
  report "| \`colload nightly\` (whole process, aggregates refreshed, committed) | $(printf '%.1f' "$n_ms") ms |"
  report "| \`colload pull\` from the local server (whole process) | $(printf '%.1f' "$p_ms") ms |"
  report "| PostgreSQL 15: the same night's ETL as SQL (staging COPY + tests/sql/nightly_etl.sql) | $(printf '%.1f' "$g_ms") ms |"
  report "| ratio PostgreSQL / colstore | ${ratio}x |"
  report ""
  report "Night: $(sed 's/^colload: //' "$raw/night.summary")"
  report ""
  report "Commands: \`$c_night\` (prepare: \`$prep\`); \`$c_pull\`; \`$c_pg\`."
  report ""
fi

if ((!skipyear)); then
  yops=$BENCH_DIR/year-ops ynight=$BENCH_DIR/year-nightly yone=$BENCH_DIR/year-onego
  [[ -f $yops/night-$(printf '%03d' "$nights")/load_time ]] ||
    "$BIN/colgen" --ops --out "$yops" --rows "$night_rows" --nights "$nights" --seed 7 --start 2025-01-01 --format text
  rm -rf "$ynight" "$yone"
  "$BIN/colload" --store "$ynight" $create dim_time "$yops/dim_time.copy" 2>/dev/null
  log "a year of nights"
  t0=$(date +%s.%N)
  for ((k = 1; k <= nights; k++)); do
    d=$yops/$(printf 'night-%03d' "$k")
    "$BIN/colload" --store "$ynight" nightly --load-time "$(cat "$d/load_time")" --agents "$d/agents.copy" \
      --queries "$d/agent_queries.copy" --approvals "$d/agent_approvals.copy" --feedback "$d/agent_feedback.copy" 2>>"$raw/year.log"
  done
  t1=$(date +%s.%N)
  mkdir -p "$BENCH_DIR/year-dump"
  for t in "${tables[@]}"; do "$BIN/colquery" --store "$ynight" dump "$t" >"$BENCH_DIR/year-dump/$t.copy"; done
  "$BIN/colload" --store "$yone" $create dim_time "$BENCH_DIR/year-dump/dim_time.copy" 2>/dev/null
  for t in "${tables[@]}"; do "$BIN/colload" --store "$yone" "$t" "$BENCH_DIR/year-dump/$t.copy" 2>/dev/null; done
  for t in "${tables[@]}" agg_agent_daily_performance; do
    cmp -s <("$BIN/colquery" --store "$ynight" dump "$t") <("$BIN/colquery" --store "$yone" dump "$t") ||
      log "WARNING: $t differs between the two stores"
  done
  s_n=$(du -sb "$ynight" | cut -f1) s_o=$(du -sb "$yone" | cut -f1)
  q=(agent-performance --as-of 2025-12-31 --days 7)
  hyperfine -N --warmup 3 --runs "$runs" --export-json "$raw/year.json" \
    "$BIN/colquery --store $ynight --format csv agent-performance --as-of 2025-12-31 --days 7" \
    "$BIN/colquery --store $yone --format csv agent-performance --as-of 2025-12-31 --days 7" \
    "$BIN/colquery --store $ynight --format csv approval-queue --year 2025" \
    "$BIN/colquery --store $yone --format csv approval-queue --year 2025" \
    "$BIN/colquery --store $ynight --format csv training-quality --as-of 2025-12-31 --days 30" \
    "$BIN/colquery --store $yone --format csv training-quality --as-of 2025-12-31 --days 30" \
    "$BIN/colquery --store $ynight --format csv daily-agg --from 2025-01-01 --to 2025-12-31 --recompute" \
    "$BIN/colquery --store $yone --format csv daily-agg --from 2025-01-01 --to 2025-12-31 --recompute" \
    >"$raw/year.txt" 2>&1
  report "## A year of nightly runs against the same year loaded in one go"
  report ""
  report "$nights runs of \`colload nightly\` ($night_rows queries a night, ~1 % late rows of the previous week each) took $(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s in all; the nightly store's tables, dumped and bulk-loaded into a fresh store, make the one-go store (every table's dump equal)."
  report ""
  report "| | nightly store | one-go store | ratio |"
  report "|---|---|---|---|"
  report "| size (du -sb) | $s_n | $s_o | $(awk -v a="$s_n" -v b="$s_o" 'BEGIN { printf "%.2fx", a / b }') |"
  names=("agent-performance 7 days" "approval-queue 2025" "training-quality 30 days" "daily-agg --recompute 2025")
  for i in 0 1 2 3; do
    a=$(med $((2 * i)) "$raw/year.json") b=$(med $((2 * i + 1)) "$raw/year.json")
    report "| ${names[i]} (whole colquery, ms) | $(printf '%.1f' "$a") | $(printf '%.1f' "$b") | $(awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2fx", a / b }') |"
  done
  report ""
fi
bash "$here/chart.sh" "$ratios" "$repo/docs/benchmark-ratios.svg"
log "wrote $out and docs/benchmark-ratios.svg"
