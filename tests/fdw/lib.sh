# Sourced by the foreign-table tests (tests/fdw/*.sh): the build under test, installing the
# extension, a data set loaded both natively and into a store, and comparisons between the
# native tables (search_path=public) and the foreign ones (search_path=analytics).
#   COLSTORE_BUILD_DIR       the CMake build holding tools/ and fdw/ (default: build)
#   COLSTORE_FDW_NO_INSTALL  1: do not install the extension (it is installed already)
here_fdw=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
build_dir=${COLSTORE_BUILD_DIR:-$(cd "$here_fdw/../.." && pwd)/build}
export COLSTORE_BIN_DIR=${COLSTORE_BIN_DIR:-$build_dir/tools}
# shellcheck source=tests/diff/lib.sh
source "$here_fdw/../diff/lib.sh"
# Debian's interpreter, which has python3-psycopg (not whatever python3 comes first in PATH).
PYTHON=${PYTHON:-/usr/bin/python3}

all_tables=("${tables[@]}" agg_agent_daily_performance)

key_of() {
  case $1 in
    dim_agent) echo agent_key ;;
    dim_time) echo time_key ;;
    dim_conversation) echo conv_key ;;
    dim_user) echo user_key ;;
    fact_agent_query) echo query_key ;;
    fact_approval) echo approval_key ;;
    fact_training) echo training_key ;;
    agg_agent_daily_performance) echo "agent_key, time_key" ;;
  esac
}

day() { date -u -d "$1 $2 days" +%F; } # day 2025-01-01 -3 → 2024-12-29

fdw_setup() {
  if [[ ! -f $build_dir/fdw/colstore_fdw.so ]]; then
    echo "$(basename "$0"): no $build_dir/fdw/colstore_fdw.so (build it, or set COLSTORE_BUILD_DIR)" >&2
    exit 2
  fi
  if [[ ${COLSTORE_FDW_NO_INSTALL:-0} != 1 ]]; then
    cmake --install "$build_dir" --component colstore_fdw >/dev/null
  fi
  if ! "$PYTHON" -c 'import psycopg' 2>/dev/null; then
    echo "$(basename "$0"): $PYTHON has no psycopg (apt-get install python3-psycopg)" >&2
    exit 2
  fi
}

# split_reference: reference.sql's four statements into $work/ref-NAME.sql.
split_reference() {
  awk -v dir="$work" '
    /^-- (agent-performance|approval-queue|training-quality|daily-agg)  \(/ { out = dir "/ref-" $2 ".sql" }
    out != "" { print > out }' "$repo/tests/sql/reference.sql"
}

# psql_in SCHEMA ARGS...: psql with search_path set to SCHEMA.
psql_in() {
  local schema=$1
  shift
  PGOPTIONS="-c client_min_messages=warning -c search_path=$schema ${FDW_SETTINGS:-}" psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# fdw_dataset NAME SEED ROWS START DAYS DB: exports → native tables of DB and a store, whose
# tables are imported into DB's schema analytics through server `warehouse`.
fdw_dataset() {
  local name=$1 seed=$2 rows=$3 start=$4 ndays=$5 db=$6 t
  local gen=$work/$name/gen store=$work/$name/store
  mkdir -p "$gen"
  "$COLGEN" --out "$gen" --rows "$rows" --seed "$seed" --start "$start" --days "$ndays" \
    --format text >/dev/null || return 1
  pg_fresh_db "$db"
  pg_load "$db" text "$gen"
  psql_ -d "$db" -v from="$(day "$start" -7)" -v to="$(day "$start" $((ndays + 6)))" \
    -f "$work/ref-daily-agg.sql" >/dev/null || return 1
  for t in "${tables[@]}"; do
    "$COLLOAD" --store "$store" --create --format text "$t" "$gen/$t.copy" >/dev/null 2>&1 || return 1
  done
  # the server runs as another user (postgres) when the tests run as root
  chmod a+rX "$work" "$work/$name" && chmod -R a+rX "$store"
  psql_ -d "$db" <<SQL || return 1
CREATE EXTENSION colstore_fdw;
CREATE SERVER warehouse FOREIGN DATA WRAPPER colstore_fdw OPTIONS (store '$store');
CREATE SCHEMA analytics;
IMPORT FOREIGN SCHEMA colstore FROM SERVER warehouse INTO analytics;
SQL
}

# both_copy NAME DB SQL: the SQL's output under search_path public and analytics, byte-equal.
both_copy() {
  local name=$1 db=$2 sql=$3 rc=0
  psql_in public -d "$db" -c "$sql" >"$work/native.out" 2>&1 || rc=$?
  psql_in analytics -d "$db" -c "$sql" >"$work/foreign.out" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    fail "$name: failed"
    head -n 5 "$work/native.out" "$work/foreign.out" >&2
    return 0
  fi
  same "$name" "$work/native.out" "$work/foreign.out"
}

# both_ref NAME DB REPORT PSQL_VARS...: a statement of reference.sql, unchanged, through
# psql --csv on the native tables and on the foreign ones.
both_ref() {
  local name=$1 db=$2 rep=$3 rc=0
  shift 3
  psql_in public --csv "$@" -d "$db" -f "$work/ref-$rep.sql" >"$work/native.out" 2>&1 || rc=$?
  psql_in analytics --csv "$@" -d "$db" -f "$work/ref-$rep.sql" >"$work/foreign.out" 2>&1 || rc=$?
  if [[ $rc -ne 0 ]]; then
    fail "$name: failed"
    head -n 5 "$work/native.out" "$work/foreign.out" >&2
    return 0
  fi
  same "$name" "$work/native.out" "$work/foreign.out"
}

# compare_queries NAME DB FILE: every query of FILE (one a line) native vs foreign.
compare_queries() {
  local name=$1 db=$2 file=$3 line
  while IFS= read -r line; do
    case $line in
      "ok "*) pass "$name: ${line#ok }" ;;
      "FAIL "*) fail "$name: ${line#FAIL }" ;;
      *) echo "$line" >&2 ;;
    esac
  done < <("$PYTHON" "$here_fdw/compare.py" --dsn "dbname=$db" --native public --foreign analytics \
    ${COMPARE_ARGS:-} "$file" 2>&1 || true)
  return 0 # the loop's status is its last body command's: an "ok" line would end it as 1 (set -e)
}

# explain_checks NAME DB START: EXPLAIN shows pushed conditions and pruned partitions.
explain_checks() {
  local name=$1 db=$2 start=$3 tk
  tk=$(date -u -d "$start 3 days" +%Y%m%d)
  local out=$work/explain.out
  # the scan's own EXPLAIN (with the pushdown, the count itself would run in the engine)
  psql_in analytics -d "$db" -c "SET colstore_fdw.pushdown = off" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
    SELECT count(*) FROM fact_agent_query WHERE time_key BETWEEN $tk AND $tk + 1 AND latency_ms > 100" >"$out" 2>&1 || true
  if grep -q "Engine Filter: .*latency_ms > 100" "$out" && grep -Eq "Partitions: 2 of [0-9]+ read" "$out"; then
    pass "$name: EXPLAIN shows the pushed filter and 2 partitions read"
  else
    fail "$name: EXPLAIN does not show the pushed filter and 2 partitions read"
    sed 's/^/    /' "$out" >&2
  fi
  # EXPLAIN VERBOSE says why a grouping stayed PostgreSQL's, on the fact table's scan
  local why q setting
  while IFS='|' read -r setting q why; do
    psql_in analytics -d "$db" -c "$setting" -c "EXPLAIN (VERBOSE, COSTS OFF) $q" >"$out" 2>&1 || true
    if grep -Fq "Not Pushed: $why" "$out" && ! grep -q "Aggregate on" "$out"; then
      pass "$name: EXPLAIN VERBOSE says why it was not pushed: $why"
    else
      fail "$name: EXPLAIN VERBOSE of ($q) does not say \"Not Pushed: $why\""
      sed 's/^/    /' "$out" >&2
    fi
  done <<EOF
SET colstore_fdw.pushdown = off|SELECT agent_key, count(*) FROM fact_agent_query GROUP BY 1|colstore_fdw.pushdown is off
SET TimeZone = 'UTC'|SELECT agent_key, stddev(latency_ms) FROM fact_agent_query GROUP BY 1|stddev(): not an aggregate the engine computes
SET TimeZone = 'UTC'|SELECT agent_key, sum(DISTINCT latency_ms) FROM fact_agent_query GROUP BY 1|sum(): DISTINCT is pushed in count() only
SET TimeZone = 'Europe/Paris'|SELECT date_trunc('month', created_at), count(*) FROM fact_agent_query GROUP BY 1|GROUP BY date_trunc(): the engine's calendar is UTC
SET TimeZone = 'UTC'|SELECT length(query_hash), count(*) FROM fact_agent_query GROUP BY 1|GROUP BY length(): not a column nor a calendar function
SET TimeZone = 'UTC'|SELECT count(*) FROM fact_agent_query f JOIN dim_agent a ON f.agent_key = a.agent_key WHERE length(f.query_hash) > 3|a condition on f is not evaluated by the engine
SET TimeZone = 'UTC'|SELECT count(*) FROM fact_agent_query f JOIN dim_agent a ON f.query_hash = a.agent_name GROUP BY a.agent_type|the joins are not a star
EOF
  # groupings pushed inside a UNION and a CTE: their Engine Filter names their own columns
  # (the plan's range-table indexes moved; the conditions kept in the plan did not)
  psql_in analytics -d "$db" -c "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
    SELECT agent_key, count(*) FROM fact_agent_query WHERE latency_ms > 100 GROUP BY 1
    UNION ALL (WITH x AS MATERIALIZED (SELECT agent_key, count(*) FROM fact_approval WHERE sla_met GROUP BY 1)
               SELECT * FROM x)" >"$out" 2>&1 || true
  if grep -Fq "Engine Filter: (fact_agent_query.latency_ms > 100)" "$out" &&
    grep -Fq "Engine Filter: fact_approval.sla_met" "$out" && [[ $(grep -c "Aggregate on" "$out") == 2 ]]; then
    pass "$name: EXPLAIN of groupings pushed inside a UNION and a CTE"
  else
    fail "$name: EXPLAIN of groupings pushed inside a UNION and a CTE"
    sed 's/^/    /' "$out" >&2
  fi
  # and nothing when it was pushed
  psql_in analytics -d "$db" -c "EXPLAIN (VERBOSE, COSTS OFF) SELECT agent_key, count(*) FROM fact_agent_query GROUP BY 1" \
    >"$out" 2>&1 || true
  if grep -q "Aggregate on" "$out" && ! grep -q "Not Pushed" "$out"; then
    pass "$name: EXPLAIN VERBOSE of a pushed grouping has no Not Pushed"
  else
    fail "$name: EXPLAIN VERBOSE of a pushed grouping"
    sed 's/^/    /' "$out" >&2
  fi
}

# py_checks NAME SCRIPT ARGS...: a Python check script printing `ok   ...` / `FAIL ...` lines; a
# script that exits non-zero without a FAIL line (a traceback) fails too.
py_checks() {
  local name=$1 line rc=0 fails=$failed out=$work/py.out
  shift
  "$PYTHON" "$@" >"$out" 2>&1 || rc=$?
  while IFS= read -r line; do
    case $line in
      "ok   "*) pass "$name: ${line#ok   }" ;;
      "FAIL "*) fail "$name: ${line#FAIL }" ;;
      *) [[ -n $line && ($rc -ne 0 || ${VERBOSE:-0} == 1) ]] && echo "    $line" >&2 ;;
    esac
  done <"$out"
  if [[ $rc -ne 0 && $failed -eq $fails ]]; then fail "$name: $(basename "$1") exited $rc"; fi
  return 0
}

# pushed_share NAME DB FILE: at least 90% of the star queries of FILE run in the engine (their
# EXPLAIN shows "Aggregate on").
pushed_share() {
  local name=$1 db=$2 file=$3 n pushed
  read -r n pushed < <("$PYTHON" - "$db" "$file" <<'PY'
import sys, psycopg
conn = psycopg.connect(f"dbname={sys.argv[1]}", autocommit=True)
conn.execute("SET search_path = analytics")
qs = [q.strip() for q in open(sys.argv[2]) if q.strip()]
p = sum(1 for q in qs if any("Aggregate on" in r[0] for r in conn.execute("EXPLAIN " + q)))
print(len(qs), p)
PY
  )
  if [[ -n $n && $pushed -ge $((n * 9 / 10)) ]]; then
    pass "$name: $pushed of $n star queries run in the engine"
  else
    fail "$name: only ${pushed:-?} of ${n:-?} star queries run in the engine"
  fi
}

# explain_reference NAME DB AS_OF: each report statement of reference.sql is one Foreign Scan
# that runs the join, the grouping and the order in the engine.
explain_reference() {
  local name=$1 db=$2 as_of=$3 rep out=$work/explain.out
  for rep in agent-performance approval-queue training-quality; do
    { echo "EXPLAIN (COSTS OFF)"; sed -n '/^SELECT/,$p' "$work/ref-$rep.sql"; } >"$work/explain.sql"
    psql_in analytics -v as_of="$as_of" -v days=7 -v year="${as_of%%-*}" -d "$db" \
      -f "$work/explain.sql" >"$out" 2>&1 || true
    if [[ $(head -n 3 "$out" | sed -n 3p) == " Foreign Scan"* ]] && grep -q "Relations: Aggregate on" "$out" &&
      grep -q "Engine Order:" "$out" && ! grep -Eq "Sort|Hash|Nested Loop|Aggregate  |GroupAggregate|HashAggregate" "$out"; then
      pass "$name: EXPLAIN of $rep: entirely in the engine"
    else
      fail "$name: EXPLAIN of $rep is not one pushed-down scan"
      sed 's/^/    /' "$out" | head -n 20 >&2
    fi
    # run, it takes the report's kernel; with colstore_fdw.kernels off, the general executor
    { echo "EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)"; sed -n '/^SELECT/,$p' "$work/ref-$rep.sql"; } >"$work/explain.sql"
    psql_in analytics -v as_of="$as_of" -v days=7 -v year="${as_of%%-*}" -d "$db" \
      -f "$work/explain.sql" >"$out" 2>&1 || true
    if grep -q "Engine Kernel: $rep\$" "$out"; then
      pass "$name: EXPLAIN ANALYZE of $rep: its kernel ran"
    else
      fail "$name: EXPLAIN ANALYZE of $rep: not its kernel"
      sed 's/^/    /' "$out" | head -n 20 >&2
    fi
    FDW_SETTINGS="-c colstore_fdw.kernels=off" psql_in analytics -v as_of="$as_of" -v days=7 \
      -v year="${as_of%%-*}" -d "$db" -f "$work/explain.sql" >"$out" 2>&1 || true
    if grep -q "Engine Kernel: general\$" "$out"; then
      pass "$name: EXPLAIN ANALYZE of $rep, kernels off: the general executor ran"
    else
      fail "$name: EXPLAIN ANALYZE of $rep, kernels off: not the general executor"
      sed 's/^/    /' "$out" | head -n 20 >&2
    fi
  done
}
