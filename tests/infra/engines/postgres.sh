#!/usr/bin/env bash
# PostgreSQL from Debian's packages, on 127.0.0.1:$PG_PORT, data in $INFRA_DIR/postgres/data.
# Database `exchange`, user/password `exchange`/`exchange` (md5 on loopback).
# Usage: postgres.sh {install|start|wait|up|stop|status}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

ENGINE=postgres
ENGINE_PORT=$PG_PORT
PG_DIR="$INFRA_DIR/postgres"
PG_DATA="$PG_DIR/data"
PG_LOG="$PG_DIR/postgres.log"
PG_TIMEOUT="${PG_TIMEOUT:-60}"

pg_bindir() {
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [ -x "$d/postgres" ] && [ -x "$d/initdb" ] && { echo "$d"; return 0; }
  done
  return 1
}

engine_install() {
  if ! pg_bindir >/dev/null; then
    log "postgres: installing server (apt-get install postgresql)..."
    apt_install postgresql
  fi
  command -v psql >/dev/null || apt_install postgresql-client
  ensure_infra_user
}

engine_healthy() {
  PGPASSWORD=exchange psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U exchange -d exchange -tAc 'select 1' 2>/dev/null | grep -qx 1
}

engine_start() {
  local bin
  bin="$(pg_bindir)" || die "postgres: server binaries not found"
  own_dir "$PG_DIR"
  if [ ! -s "$PG_DATA/PG_VERSION" ]; then
    log "postgres: initdb $PG_DATA"
    rm -rf "$PG_DATA"
    local pw="$PG_DIR/.pwfile"
    echo "exchange" >"$pw"
    is_root && chown "$INFRA_USER" "$pw"
    # Superuser is `exchange` (password `exchange`): the test suite may create schemas freely.
    as_infra_user "$bin/initdb" -D "$PG_DATA" -U exchange --pwfile="$pw" -A md5 -E UTF8 --locale=C.UTF-8 >>"$PG_LOG" 2>&1 ||
      as_infra_user "$bin/initdb" -D "$PG_DATA" -U exchange --pwfile="$pw" -A md5 -E UTF8 --locale=C >>"$PG_LOG" 2>&1 ||
      { tail -n 20 "$PG_LOG" >&2; die "postgres: initdb failed"; }
    rm -f "$pw"
    cat >>"$PG_DATA/postgresql.conf" <<EOF

# --- tests/infra ---
listen_addresses = '127.0.0.1'
port = $PG_PORT
unix_socket_directories = '$PG_DIR'
max_connections = 200
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
max_prepared_transactions = 20
EOF
  fi
  if [ -n "$(pid_of "$PG_DATA/postmaster.pid" 2>/dev/null)" ] || port_open "$PG_PORT"; then
    log "postgres: a server is already on port $PG_PORT (or its pid file is live); not starting another"
  else
    rm -f "$PG_DATA/postmaster.pid"
    touch "$PG_LOG"
    is_root && chown "$INFRA_USER" "$PG_LOG"
    log "postgres: starting on 127.0.0.1:$PG_PORT"
    as_infra_user "$bin/pg_ctl" -D "$PG_DATA" -l "$PG_LOG" -o "-p $PG_PORT" -w -t "$PG_TIMEOUT" start >/dev/null ||
      { tail -n 30 "$PG_LOG" | sed 's/^/[infra] postgres| /' >&2; die "postgres: pg_ctl start failed"; }
  fi
  # create the `exchange` database once
  local t0=$SECONDS
  until PGPASSWORD=exchange psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U exchange -d postgres -tAc 'select 1' >/dev/null 2>&1; do
    ((SECONDS - t0 < PG_TIMEOUT)) || break
    sleep 0.3
  done
  if ! PGPASSWORD=exchange psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U exchange -d postgres -tAc \
    "select 1 from pg_database where datname='exchange'" 2>/dev/null | grep -qx 1; then
    PGPASSWORD=exchange psql -X -q -h 127.0.0.1 -p "$PG_PORT" -U exchange -d postgres -c 'create database exchange' >/dev/null
  fi
}

engine_wait() { wait_until postgres "$PG_TIMEOUT" "$PG_LOG" "$PG_DATA/postmaster.pid" engine_healthy; }

engine_stop() {
  local bin pid
  pid="$(pid_of "$PG_DATA/postmaster.pid" 2>/dev/null || true)"
  if [ -z "$pid" ]; then
    log "postgres: not running"
    return 0
  fi
  bin="$(pg_bindir)"
  log "postgres: stopping (pid $pid)"
  as_infra_user "$bin/pg_ctl" -D "$PG_DATA" -m fast -w -t 30 stop >/dev/null 2>&1 || stop_pid "$pid" 10
}

engine_main "$@"
