# Sourced by the differential and CLI tests: counters, comparisons, the binaries under test,
# and the private PostgreSQL server (started here when it is not running, stopped on exit).
#   COLSTORE_BIN_DIR  where colgen, colload and colquery are (default: build/tools)
#   COLSTORE_TEST_TMP scratch directory (default: a fresh mktemp -d, removed on success)
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=scripts/pg-env.sh
source "$repo/scripts/pg-env.sh"

bin_dir=${COLSTORE_BIN_DIR:-$repo/build/tools}
COLGEN=$bin_dir/colgen
COLLOAD=$bin_dir/colload
COLQUERY=$bin_dir/colquery

passed=0
failed=0
started_pg=0

pass() {
  passed=$((passed + 1))
  [[ ${VERBOSE:-0} == 1 ]] && echo "ok   $1"
  return 0
}

fail() {
  failed=$((failed + 1))
  echo "FAIL $1" >&2
  return 0
}

# same NAME EXPECTED ACTUAL: the two files are byte-identical, else a unified diff.
same() {
  if cmp -s "$2" "$3"; then
    pass "$1"
  else
    fail "$1"
    diff -u --label "expected: $2" --label "actual: $3" "$2" "$3" | head -n 60 >&2 || true
  fi
}

# expect_rc NAME WANT RC [STDERR_FILE]: an exit code is the one wanted (WANT may be "1|2").
expect_rc() {
  if [[ "|$2|" == *"|$3|"* ]]; then
    pass "$1"
  else
    fail "$1: exit code $3, expected $2"
    [[ -n ${4:-} && -s ${4:-} ]] && sed 's/^/    /' "$4" | head -n 10 >&2
  fi
  return 0
}

# expect_msg NAME TEXT FILE: FILE (a captured stderr) contains TEXT literally.
expect_msg() {
  if grep -qF -- "$2" "$3"; then
    pass "$1"
  else
    fail "$1: expected '$2' in: $(head -c 300 "$3")"
  fi
  return 0
}

have_engine() {
  [[ -x $COLLOAD && -x $COLQUERY ]]
}

finish() {
  echo "$(basename "$0"): $passed passed, $failed failed"
  [[ $failed -eq 0 ]]
}

cleanup_lib() {
  local rc=$?
  if [[ $started_pg == 1 ]]; then bash "$repo/scripts/pg-stop.sh" >/dev/null || true; fi
  if [[ -n ${work:-} && -d ${work:-} && $rc -eq 0 && -z ${COLSTORE_TEST_TMP:-} ]]; then
    rm -rf "$work"
  elif [[ -n ${work:-} ]]; then
    echo "$(basename "$0"): scratch files kept in $work" >&2
  fi
  return $rc
}

make_work() {
  if [[ -n ${COLSTORE_TEST_TMP:-} ]]; then
    work=$COLSTORE_TEST_TMP
    rm -rf "$work"
    mkdir -p "$work"
  else
    work=$(mktemp -d "${TMPDIR:-/tmp}/colstore-test.XXXXXX")
  fi
}

pg_ensure() {
  if ! pg_is_running; then
    bash "$repo/scripts/pg-start.sh" >/dev/null
    started_pg=1
  fi
}

psql_() {
  PGOPTIONS='-c client_min_messages=warning' psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# pg_fresh_db NAME: an empty database ordering text by bytes, with the warehouse schema.
pg_fresh_db() {
  psql_ -d postgres -c "DROP DATABASE IF EXISTS \"$1\"" 2>/dev/null
  psql_ -d postgres -c "CREATE DATABASE \"$1\" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"
  psql_ -d "$1" -f "$repo/tests/sql/schema.sql" >/dev/null
}

tables=(dim_agent dim_time dim_conversation dim_user fact_agent_query fact_approval fact_training)

key_of() {
  case $1 in
    dim_agent) echo agent_key ;;
    dim_time) echo time_key ;;
    dim_conversation) echo conv_key ;;
    dim_user) echo user_key ;;
    fact_agent_query) echo query_key ;;
    fact_approval) echo approval_key ;;
    fact_training) echo training_key ;;
  esac
}

# pg_load DB FORMAT DIR: COPY every table FROM DIR/<table>.copy|csv (client side, through psql).
pg_load() {
  local db=$1 fmt=$2 dir=$3 t opts ext
  if [[ $fmt == csv ]]; then opts="(FORMAT csv, HEADER)"; ext=csv; else opts="(FORMAT text)"; ext=copy; fi
  for t in "${tables[@]}"; do
    local target=$t
    [[ $t == fact_training ]] && target=stage_fact_training
    psql_ -d "$db" -c "COPY $target FROM STDIN WITH $opts" <"$dir/$t.$ext"
  done
  psql_ -d "$db" -c "INSERT INTO fact_training (training_key, agent_key, time_key, conv_key,
      annotator_key, safe_to_send, clarity_score, accuracy_score, tone_score, labels, created_at,
      annotated_at)
    SELECT training_key, agent_key, time_key, conv_key, annotator_key, safe_to_send, clarity_score,
      accuracy_score, tone_score, labels, created_at, annotated_at
    FROM stage_fact_training ORDER BY training_key; ANALYZE"
}

# pg_export DB DIR: every table as COPY (SELECT * ... ORDER BY key) TO STDOUT, both formats.
pg_export() {
  local db=$1 dir=$2 t
  mkdir -p "$dir"
  for t in "${tables[@]}"; do
    local q="SELECT * FROM $t ORDER BY $(key_of "$t")"
    psql_ -d "$db" -c "COPY ($q) TO STDOUT" >"$dir/$t.copy"
    psql_ -d "$db" -c "COPY ($q) TO STDOUT WITH (FORMAT csv, HEADER)" >"$dir/$t.csv"
  done
}
