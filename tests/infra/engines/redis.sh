#!/usr/bin/env bash
# Redis from Debian's packages (redis-server), run directly (no systemd), daemonized with a pid file,
# on 127.0.0.1:$REDIS_PORT, data in $INFRA_DIR/redis.
# Usage: redis.sh {install|start|wait|up|stop|status}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

ENGINE=redis
ENGINE_PORT=$REDIS_PORT
REDIS_DIR="$INFRA_DIR/redis"
REDIS_PID="$REDIS_DIR/redis.pid"
REDIS_LOG="$REDIS_DIR/redis.log"
REDIS_TIMEOUT="${REDIS_TIMEOUT:-30}"

engine_install() {
  if ! command -v redis-server >/dev/null || ! command -v redis-cli >/dev/null; then
    log "redis: installing (apt-get install redis-server)..."
    apt_install redis-server redis-tools
  fi
}

engine_healthy() { [ "$(redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null)" = PONG ]; }

engine_start() {
  mkdir -p "$REDIS_DIR"
  if [ -n "$(pid_of "$REDIS_PID" 2>/dev/null)" ] || port_open "$REDIS_PORT"; then
    log "redis: something already listens on $REDIS_PORT; not starting another"
    return 0
  fi
  log "redis: starting on 127.0.0.1:$REDIS_PORT"
  # No persistence: a test cache. `daemonize yes` forks and writes the pid file.
  redis-server - >/dev/null <<EOF
bind 127.0.0.1
protected-mode yes
port $REDIS_PORT
daemonize yes
supervised no
pidfile $REDIS_PID
logfile $REDIS_LOG
dir $REDIS_DIR
save ""
appendonly no
maxmemory 512mb
maxmemory-policy noeviction
EOF
}

engine_wait() { wait_until redis "$REDIS_TIMEOUT" "$REDIS_LOG" "$REDIS_PID" engine_healthy; }

engine_stop() {
  local pid
  pid="$(pid_of "$REDIS_PID" 2>/dev/null || true)"
  if [ -z "$pid" ]; then
    log "redis: not running"
    return 0
  fi
  log "redis: stopping (pid $pid)"
  redis-cli -h 127.0.0.1 -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || true
  stop_pid "$pid" 10
  rm -f "$REDIS_PID"
}

engine_main "$@"
