# Sourced by pg-start.sh, pg-stop.sh and the tests: where the private PostgreSQL 15 test
# cluster lives and how to reach it. Nothing here starts anything.
#   COLSTORE_PG_PORT  port of the private server (55432)
#   COLSTORE_PG_DIR   its directory: data/, log, and the Unix socket (/tmp/colstore-pg-PORT)
#   COLSTORE_PG_BIN   PostgreSQL's server binaries (/usr/lib/postgresql/15/bin)
# The server listens on the Unix socket only (listen_addresses ''), trusts local connections,
# runs with TimeZone UTC and DateStyle ISO, and is created with locale C (text sorts by bytes).
COLSTORE_PG_PORT=${COLSTORE_PG_PORT:-55432}
# Under /tmp, not $TMPDIR: the server runs as the postgres user, which must reach the directory.
COLSTORE_PG_DIR=${COLSTORE_PG_DIR:-/tmp/colstore-pg-$COLSTORE_PG_PORT}
COLSTORE_PG_BIN=${COLSTORE_PG_BIN:-/usr/lib/postgresql/15/bin}
export PGHOST=$COLSTORE_PG_DIR PGPORT=$COLSTORE_PG_PORT PGUSER=postgres PGTZ=UTC
export PGDATESTYLE=ISO PGCLIENTENCODING=UTF8
unset PGDATABASE PGPASSWORD PGSERVICE PGOPTIONS 2>/dev/null || true

# pg_as_owner CMD...: run a server command as the cluster's owner (initdb and postgres refuse
# to run as root, so root runs them as the postgres user).
pg_as_owner() {
  if [[ $(id -u) -eq 0 ]]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

pg_is_running() {
  [[ -f $COLSTORE_PG_DIR/data/postmaster.pid ]] &&
    pg_as_owner "$COLSTORE_PG_BIN/pg_ctl" -D "$COLSTORE_PG_DIR/data" status >/dev/null 2>&1
}
