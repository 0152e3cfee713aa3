#!/usr/bin/env bash
# Starts the private PostgreSQL 15 server the differential tests compare against (see
# scripts/pg-env.sh for where it lives). A fresh cluster each time; a server already running
# on the same directory is left as it is. Stop it with scripts/pg-stop.sh.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=scripts/pg-env.sh
source "$here/pg-env.sh"

if [[ ! -x $COLSTORE_PG_BIN/initdb ]]; then
  echo "pg-start: no PostgreSQL 15 server in $COLSTORE_PG_BIN (run scripts/install-deps.sh)" >&2
  exit 3
fi
if pg_is_running; then
  echo "pg-start: already running (socket $COLSTORE_PG_DIR, port $COLSTORE_PG_PORT)"
  exit 0
fi
if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
  echo "pg-start: running as root needs a postgres user to own the server (apt-get install postgresql creates it)" >&2
  exit 3
fi

rm -rf "$COLSTORE_PG_DIR"
mkdir -p "$COLSTORE_PG_DIR"
chmod 700 "$COLSTORE_PG_DIR"
[[ $(id -u) -eq 0 ]] && chown postgres: "$COLSTORE_PG_DIR"

if ! pg_as_owner "$COLSTORE_PG_BIN/initdb" -D "$COLSTORE_PG_DIR/data" -U postgres -A trust \
  -E UTF8 --locale=C --no-sync >"$COLSTORE_PG_DIR/initdb.log" 2>&1; then
  cat "$COLSTORE_PG_DIR/initdb.log" >&2
  echo "pg-start: initdb failed" >&2
  exit 3
fi
# One role must give a password even on the local socket: the pull tests check a wrong one
# fails cleanly and is never printed (everyone else is trusted, as initdb -A trust set up).
hba=$COLSTORE_PG_DIR/data/pg_hba.conf
{ echo "local all colstore_pw scram-sha-256"; cat "$hba"; } >"$hba.new" && mv "$hba.new" "$hba"
[[ $(id -u) -eq 0 ]] && chown postgres: "$hba"
# A throwaway test server: durability off, everything else default.
opts="-p $COLSTORE_PG_PORT -k $COLSTORE_PG_DIR -c listen_addresses='' -c fsync=off"
opts+=" -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC -c DateStyle=ISO"
opts+=" -c max_connections=20 -c shared_buffers=128MB"
if ! pg_as_owner "$COLSTORE_PG_BIN/pg_ctl" -D "$COLSTORE_PG_DIR/data" -l "$COLSTORE_PG_DIR/log" \
  -o "$opts" -w -t 60 start >/dev/null; then
  cat "$COLSTORE_PG_DIR/log" >&2 || true
  echo "pg-start: the server did not start" >&2
  exit 3
fi
echo "pg-start: PostgreSQL $(psql -X -At -d postgres -c 'SHOW server_version') on socket $COLSTORE_PG_DIR, port $COLSTORE_PG_PORT"
