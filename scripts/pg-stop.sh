#!/usr/bin/env bash
# Stops the private PostgreSQL server pg-start.sh started and removes its directory
# (COLSTORE_PG_KEEP=1 keeps it, for a look at the log). Does nothing when none is running.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/pg-env.sh
source "$here/pg-env.sh"

if pg_is_running; then
  pg_as_owner "$COLSTORE_PG_BIN/pg_ctl" -D "$COLSTORE_PG_DIR/data" -m fast -w -t 60 stop >/dev/null
  echo "pg-stop: stopped the server on $COLSTORE_PG_DIR"
fi
if [[ ${COLSTORE_PG_KEEP:-0} != 1 && -d $COLSTORE_PG_DIR ]]; then
  rm -rf "$COLSTORE_PG_DIR"
fi
