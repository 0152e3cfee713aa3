#!/usr/bin/env bash
# The nightly job's differential test: colload nightly against tests/sql/nightly_etl.sql (the job of docs/contract.md as SQL)
# (tests/sql/nightly_etl.sql) on a real PostgreSQL 15, night after night.
#
#   tests/diff/nightly.sh [--quick]     (COLSTORE_BIN_DIR=build/tools by default)
#
#  1. colgen --ops writes several nights of operational exports (late rows, rows sent again,
#     out-of-order commits, an agent change, a new agent, NULL sla target, awkward text);
#  2. each night is COPYed into PostgreSQL's staging tables and the SQL ETL builds the
#     PostgreSQL warehouse; PostgreSQL then exports the staging tables again, in COPY text with
#     TimeZone UTC and in CSV with TimeZone America/St_Johns (-03:30 / -02:30), and
#     `colload nightly` loads each into its own store;
#  3. after every night: `colquery dump` of every table (both formats) equals PostgreSQL's
#     export, and every report for several windows equals psql --csv of reference.sql;
#  4. a third store follows by `colload pull` from PostgreSQL's operational tables (which keep
#     every night's rows), compared the same way;
#  5. the nights include a re-run of a night (nothing changes), an empty night (four empty
#     exports), and a bad night (an unknown agent, and a resolved_at before created_at) that
#     PostgreSQL rolls back and colload refuses with exit 1, the stores left unchanged;
#  6. compaction (docs/storage-format.md §12): the text and pull stores run the automatic one
#     after each load, the CSV store does not (--no-auto-compact); `colload compact` rewrites
#     the text store after night 2 (the later nights then load into a compacted store) and the
#     CSV store after the last night, each compared once more (the thresholds of the automatic
#     one are tested in tests/engine/test_compact_api.c: these few small nights stay below);
#  7. pull failures, each exit 3 with a clear message and the store unchanged: server down, a
#     wrong password (never printed), a missing operational table, the backend terminated in
#     the middle of a COPY.
# --quick: fewer rows and nights (the ASan run).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/diff/lib.sh
source "$here/lib.sh"

rows=1500 nights=5
[[ ${1:-} == --quick ]] && rows=300 nights=4
start=2025-03-01

if [[ ! -x $COLGEN ]] || ! have_engine; then
  echo "nightly.sh: colgen, colload and colquery must be built in $bin_dir" >&2
  echo "nightly.sh: 0 passed, 1 failed"
  exit 1
fi
make_work
trap cleanup_lib EXIT
pg_ensure

reference=$repo/tests/sql/reference.sql
awk -v dir="$work" '
  /^-- (agent-performance|approval-queue|training-quality|daily-agg)  \(/ { out = dir "/ref-" $2 ".sql" }
  out != "" { print > out }' "$reference"

db=colstore_nightly_diff
pg_fresh_db "$db"
psql_ -d "$db" -f "$repo/tests/sql/nightly_schema.sql" >/dev/null

ops=$work/ops
"$COLGEN" --ops --out "$ops" --rows "$rows" --nights "$nights" --seed 11 --start "$start" --format text
psql_ -d "$db" -c "COPY dim_time FROM STDIN" <"$ops/dim_time.copy"

s_text=$work/store-text s_csv=$work/store-csv s_pull=$work/store-pull
err=$work/err
for s in "$s_text" "$s_csv" "$s_pull"; do
  rc=0; "$COLLOAD" --store "$s" --create dim_time "$ops/dim_time.copy" >/dev/null 2>"$err" || rc=$?
  expect_rc "load dim_time into $(basename "$s")" 0 "$rc" "$err"
done

stage=(agents agent_queries agent_approvals agent_feedback)
stage_table() { case $1 in agents) echo stage_agents ;; agent_queries) echo stage_queries ;;
  agent_approvals) echo stage_approvals ;; agent_feedback) echo stage_feedback ;; esac; }

day() { date -u -d "$1 $2 days" +%F; }

report() { # TAG STORE REPORT ARGS...: psql --csv of reference.sql vs colquery --format csv
  local tag=$1 store=$2 rep=$3
  shift 3
  local as_of=2000-01-01 days=0 year=2000 from=2000-01-01 to=2000-01-01 a=("$@") i
  for ((i = 0; i < ${#a[@]}; i++)); do
    case ${a[i]} in
      --as-of) as_of=${a[i + 1]} ;; --days) days=${a[i + 1]} ;; --year) year=${a[i + 1]} ;;
      --from) from=${a[i + 1]} ;; --to) to=${a[i + 1]} ;;
    esac
  done
  local ref=${rep%% *} exp=$work/expected.csv got=$work/actual.csv
  if [[ $ref == daily-agg ]]; then # the stored rows, not reference.sql's recompute-and-store
    psql_ -d "$db" --csv -c "SELECT * FROM agg_agent_daily_performance WHERE time_key BETWEEN
      to_char('$from'::date, 'YYYYMMDD')::int AND to_char('$to'::date, 'YYYYMMDD')::int
      ORDER BY time_key, agent_key" >"$exp"
  else
    psql -X -q --csv -v ON_ERROR_STOP=1 -v as_of="$as_of" -v days="$days" -v year="$year" \
      -d "$db" -f "$work/ref-$ref.sql" >"$exp"
  fi
  local rc=0
  # shellcheck disable=SC2086
  "$COLQUERY" --store "$store" --format csv $rep "$@" >"$got" 2>"$err" || rc=$?
  if [[ $rc -ne 0 ]]; then fail "$tag: colquery $rep $* exited $rc: $(head -c 300 "$err")"; return 0; fi
  same "$tag: $rep $*" "$exp" "$got"
}

compare() { # TAG DAY: every table and the reports, both stores against PostgreSQL
  local tag=$1 d=$2 t s fmt ext rc
  pg_export "$db" "$work/pg"
  psql_ -d "$db" -c "COPY (SELECT * FROM agg_agent_daily_performance ORDER BY agent_key, time_key) TO STDOUT" \
    >"$work/pg/agg_agent_daily_performance.copy"
  for s in "$s_text" "$s_csv" "$s_pull"; do
    for t in "${tables[@]}" agg_agent_daily_performance; do
      for fmt in text csv; do
        ext=copy; [[ $fmt == csv ]] && ext=csv
        [[ $t == agg_agent_daily_performance && $fmt == csv ]] && continue
        rc=0; "$COLQUERY" --store "$s" dump "$t" --format "$fmt" >"$work/dump.$ext" 2>"$err" || rc=$?
        if [[ $rc -ne 0 ]]; then fail "$tag: dump $t exited $rc: $(head -c 300 "$err")"; continue; fi
        same "$tag: $(basename "$s") dump $t $fmt" "$work/pg/$t.$ext" "$work/dump.$ext"
      done
    done
  done
  for s in "$s_text" "$s_csv"; do
    local st="$tag/$(basename "$s")"
    report "$st" "$s" agent-performance --as-of "$d" --days 7
    report "$st" "$s" agent-performance --as-of "$(day "$d" -3)" --days 1
    report "$st" "$s" training-quality --as-of "$d" --days 30
    report "$st" "$s" approval-queue --year "${d%%-*}"
    report "$st" "$s" daily-agg --from "$(day "$start" -10)" --to "$d"
    report "$st" "$s" "daily-agg --recompute" --from "$(day "$start" -10)" --to "$d"
  done
}

# night DIR LOAD_TIME EXPECT_RC TAG: one night into PostgreSQL and both stores
night() {
  local dir=$1 lt=$2 want=$3 tag=$4 f rc pgrc=0
  {
    echo "BEGIN;"
    for f in "${stage[@]}"; do echo "TRUNCATE $(stage_table "$f");"; done
    echo "COMMIT;"
  } | psql_ -d "$db" >/dev/null
  for f in "${stage[@]}"; do
    psql_ -d "$db" -c "COPY $(stage_table "$f") FROM STDIN" <"$dir/$f.copy" 2>"$err" || pgrc=1
  done
  if ((pgrc == 0)); then
    psql_ -d "$db" -v load_time="$lt" -f "$repo/tests/sql/nightly_etl.sql" >/dev/null 2>"$err" || pgrc=1
  fi
  if [[ $want -eq 0 && $pgrc -ne 0 ]]; then fail "$tag: PostgreSQL's ETL failed: $(head -c 300 "$err")"; fi
  if [[ $want -ne 0 && $pgrc -eq 0 ]]; then fail "$tag: PostgreSQL's ETL accepted a bad night"; fi
  # PostgreSQL's exports of the night: COPY text in UTC, CSV in a zone with a half-hour offset
  mkdir -p "$work/x-text" "$work/x-csv"
  for f in "${stage[@]}"; do
    psql_ -d "$db" -c "COPY $(stage_table "$f") TO STDOUT" >"$work/x-text/$f.copy"
    PGTZ=America/St_Johns psql_ -d "$db" -c "COPY $(stage_table "$f") TO STDOUT WITH (FORMAT csv, HEADER)" \
      >"$work/x-csv/$f.csv"
  done
  local x=$work/x-text ext=copy s
  for s in "$s_text" "$s_csv"; do
    local auto=()
    [[ $s == "$s_csv" ]] && x=$work/x-csv ext=csv auto=(--no-auto-compact)
    rc=0
    "$COLLOAD" --store "$s" "${auto[@]}" nightly --load-time "$lt" --agents "$x/agents.$ext" \
      --queries "$x/agent_queries.$ext" --approvals "$x/agent_approvals.$ext" \
      --feedback "$x/agent_feedback.$ext" >/dev/null 2>"$err" || rc=$?
    expect_rc "$tag: colload nightly $(basename "$s")" "$want" "$rc" "$err"
  done
  # the operational tables keep every row of the good nights (what a pull reads)
  [[ $want -ne 0 ]] && return 0
  psql_ -d "$db" -c "INSERT INTO agents SELECT * FROM stage_agents ON CONFLICT (agent_name) DO UPDATE
      SET agent_type = EXCLUDED.agent_type, capabilities = EXCLUDED.capabilities,
      sla_target_seconds = EXCLUDED.sla_target_seconds, cost_per_query_usd = EXCLUDED.cost_per_query_usd;
    INSERT INTO agent_queries SELECT * FROM stage_queries ON CONFLICT DO NOTHING;
    INSERT INTO agent_approvals SELECT * FROM stage_approvals ON CONFLICT DO NOTHING;
    INSERT INTO agent_feedback SELECT * FROM stage_feedback ON CONFLICT DO NOTHING" >/dev/null
  rc=0
  "$COLLOAD" --store "$s_pull" --create pull --dsn "dbname=$db" --load-time "$lt" >/dev/null 2>"$err" || rc=$?
  expect_rc "$tag: colload pull" 0 "$rc" "$err"
}

compact_store() { # STORE TAG DAY: colload compact commits, then every comparison again
  local rc=0
  "$COLLOAD" --store "$1" compact >/dev/null 2>"$err" || rc=$?
  expect_rc "$2: colload compact $(basename "$1")" 0 "$rc" "$err"
  if grep -q "compact: commit" "$err"; then pass "$2: colload compact committed"; else
    fail "$2: colload compact: $(head -c 300 "$err")"; fi
  compare "$2: compacted $(basename "$1")" "$3"
  rc=0; "$COLQUERY" --store "$1" verify >/dev/null 2>"$err" || rc=$?
  expect_rc "$2: verify after colload compact" 0 "$rc" "$err"
}

for ((k = 1; k <= nights; k++)); do
  dir=$ops/$(printf 'night-%03d' "$k")
  lt=$(cat "$dir/load_time")
  d=$(day "$start" $((k - 1)))
  if ((k == nights)); then # a bad night first: nothing may change anywhere
    bad=$work/bad
    mkdir -p "$bad"
    cp "$dir"/*.copy "$bad/"
    printf '%s\tno such agent\tc-bad\tq\t1\t5\tt\tf\tf\t%s 12:00:00+00\n' 999999901 "$d" >>"$bad/agent_queries.copy"
    night "$bad" "$lt" 1 "bad night $k (unknown agent)"
    cp "$dir"/*.copy "$bad/"
    printf '%s\t\\N\tc-bad\t\\N\tapproved\t0\t%s 12:00:00+00\t%s 11:00:00+00\n' 999999902 "$d" "$d" \
      >>"$bad/agent_approvals.copy"
    night "$bad" "$lt" 1 "bad night $k (resolved before created)"
    compare "after the bad night $k" "$d"
  fi
  night "$dir" "$lt" 0 "night $k"
  compare "night $k" "$d"
  if ((k == 2)); then # the same night again, the next hour: nothing changes
    night "$dir" "$(date -u -d "$lt 1 hour" '+%F %T+00')" 0 "night $k re-run"
    compare "night $k re-run" "$d"
    compact_store "$s_text" "night $k" "$d"
  fi
  if ((k == 3)); then # an empty night
    empty=$work/empty
    mkdir -p "$empty"
    for f in "${stage[@]}"; do : >"$empty/$f.copy"; done
    night "$empty" "$(date -u -d "$lt 2 hours" '+%F %T+00')" 0 "empty night"
    compare "empty night" "$d"
  fi
done
for s in "$s_text" "$s_csv" "$s_pull"; do
  rc=0; "$COLQUERY" --store "$s" verify >/dev/null 2>"$err" || rc=$?
  expect_rc "verify $(basename "$s")" 0 "$rc" "$err"
done
compact_store "$s_csv" "after the last night" "$(day "$start" $((nights - 1)))"

# Pull failures: exit 3, a clear message, nothing committed.
snap_pull() { local t; for t in "${tables[@]}" agg_agent_daily_performance; do
  "$COLQUERY" --store "$s_pull" dump "$t"; done >"$1"; }
snap_pull "$work/pull-before"
pull_fails() { # NAME WANT_MESSAGE DSN
  local rc=0
  "$COLLOAD" --store "$s_pull" --create pull --dsn "$3" >/dev/null 2>"$err" || rc=$?
  expect_rc "pull: $1: exit 3" 3 "$rc" "$err"
  if grep -q -- "$2" "$err"; then pass "pull: $1: message"; else fail "pull: $1: message: $(cat "$err")"; fi
  snap_pull "$work/pull-after"
  same "pull: $1: store unchanged" "$work/pull-before" "$work/pull-after"
}
pull_fails "server down" "could not connect" "host=$work/no-server port=1 dbname=$db"
psql_ -d postgres -c "DROP ROLE IF EXISTS colstore_pw; CREATE ROLE colstore_pw LOGIN PASSWORD 'right-Secret-42'" >/dev/null
pull_fails "wrong password" "password authentication failed" "dbname=$db user=colstore_pw password=wrong-Secret-17"
if grep -q 'wrong-Secret-17' "$err"; then fail "pull: the password was printed"; else pass "pull: the password is not printed"; fi
odb=${db}_other
pg_fresh_db "$odb"
psql_ -d "$odb" -f "$repo/tests/sql/nightly_schema.sql" >/dev/null
psql_ -d "$odb" -c "DROP TABLE agent_feedback" >/dev/null
pull_fails "missing table" 'relation "agent_feedback" does not exist' "dbname=$odb"
# the backend terminated in the middle of a COPY: agent_queries streams its rows, then stalls
psql_ -d "$odb" -c "CREATE TABLE agent_feedback (LIKE stage_feedback);
  ALTER TABLE agent_queries RENAME TO q_rows;
  CREATE FUNCTION stall() RETURNS SETOF q_rows LANGUAGE plpgsql AS \$\$
    BEGIN PERFORM pg_sleep(60); END \$\$;
  CREATE VIEW agent_queries AS SELECT * FROM q_rows UNION ALL SELECT * FROM stall()" >/dev/null
psql_ -d "$odb" -c "COPY q_rows FROM STDIN" <"$ops/night-001/agent_queries.copy"
rc=0
"$COLLOAD" --store "$s_pull" --create pull --dsn "dbname=$odb application_name=colload_pull_test" \
  >/dev/null 2>"$err" &
pid=$!
killed=0
for _ in $(seq 1 100); do # until the COPY of agent_queries waits in stall()
  if [[ $(psql_ -At -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE
       application_name = 'colload_pull_test' AND query LIKE 'COPY%agent_queries%'
       AND wait_event = 'PgSleep'") == 1 ]]; then
    psql_ -d postgres -c "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
      WHERE application_name = 'colload_pull_test'" >/dev/null
    killed=1
    break
  fi
  sleep 0.1
done
wait "$pid" || rc=$?
if ((killed)); then pass "pull: the backend was terminated mid-COPY"; else fail "pull: the COPY never stalled"; fi
expect_rc "pull: terminated mid-COPY: exit 3" 3 "$rc" "$err"
if grep -q "COPY of agent_queries" "$err"; then pass "pull: terminated: message"; else fail "pull: terminated: message: $(cat "$err")"; fi
snap_pull "$work/pull-after"
same "pull: terminated: store unchanged" "$work/pull-before" "$work/pull-after"
finish
