#!/usr/bin/env bash
# Faults through the foreign tables under a running server (docs/sql.md):
#   1. the store damaged in five ways while a session stays open: an error per query (SQLSTATE
#      XX001 or 58030, the engine's message), never a crash; restored, the same answers;
#   2. COUNT (1000) full scans cancelled mid-scan, by statement_timeout and by cancel requests:
#      the backend's resident memory and open files stay flat;
#   3. the server log shows no backend that died.
#
#   tests/fdw/faults.sh [COUNT]     (COLSTORE_BUILD_DIR=build by default)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=tests/fdw/lib.sh
source "$here/lib.sh"
count=${1:-1000}

fdw_setup
make_work
trap cleanup_lib EXIT
pg_ensure
split_reference
log_start=$(wc -c <"$COLSTORE_PG_DIR/log" 2>/dev/null || echo 0)

db=colstore_fdw_faults
# ~300 K query facts over 30 days: a full scan takes tens of milliseconds, long enough to be
# cancelled in the middle
if ! fdw_dataset faults 5 300000 2025-03-01 30 "$db"; then
  fail "data set could not be prepared"
  finish
  exit 1
fi
store=$work/faults/store
cp -a "$store" "$work/faults/backup"
psql_ -d "$db" <<SQL
CREATE SERVER damaged FOREIGN DATA WRAPPER colstore_fdw OPTIONS (store '$store');
CREATE SCHEMA damaged;
IMPORT FOREIGN SCHEMA colstore FROM SERVER damaged INTO damaged;
SQL

py_checks damage "$here/faults.py" damage --dsn "dbname=$db" --schema damaged --store "$store" --backup "$work/faults/backup"
py_checks cancels "$here/faults.py" cancels --dsn "dbname=$db" --schema analytics --count "$count"

if [[ -f $COLSTORE_PG_DIR/log ]] &&
  tail -c +"$((log_start + 1))" "$COLSTORE_PG_DIR/log" | grep -E "terminated by signal|was terminated|PANIC" >&2; then
  fail "the server log shows a backend that died"
else
  pass "no backend died"
fi
psql_ -d postgres -c "DROP DATABASE \"$db\""
finish
