# shellcheck shell=bash
# Shared helpers for tests/infra/*.sh. Sourced, never run.
#
# State lives in $INFRA_DIR (default: <repo>/.infra): downloads, data dirs, logs, pid files.
# Maven's cache stays in ~/.m2 and pip's in its default place, so a second install is fast.

INFRA_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "$INFRA_SRC/../.." && pwd)"
INFRA_DIR="${INFRA_DIR:-$REPO_ROOT/.infra}"
# The unprivileged account that runs PostgreSQL and OpenSearch when we are root
# (initdb and OpenSearch both refuse to run as root).
INFRA_USER="${INFRA_USER:-exchange-infra}"
JAVA17_HOME="${JAVA17_HOME:-/usr/lib/jvm/java-17-openjdk-amd64}"

# Ports (loopback only).
PG_PORT="${PG_PORT:-55432}"
REDIS_PORT="${REDIS_PORT:-56379}"
KAFKA_PORT="${KAFKA_PORT:-59092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-59093}"
OPENSEARCH_PORT="${OPENSEARCH_PORT:-59200}"
OPENSEARCH_TRANSPORT_PORT="${OPENSEARCH_TRANSPORT_PORT:-59300}"
MOTO_PORT="${MOTO_PORT:-55000}"
JAEGER_OTLP_PORT="${JAEGER_OTLP_PORT:-54318}"
JAEGER_QUERY_PORT="${JAEGER_QUERY_PORT:-56686}"
JAEGER_QUERY_GRPC_PORT="${JAEGER_QUERY_GRPC_PORT:-56685}"
JAEGER_HEALTH_PORT="${JAEGER_HEALTH_PORT:-53133}"

mkdir -p "$INFRA_DIR"
INFRA_DIR="$(cd "$INFRA_DIR" && pwd)"

log() { echo "[infra] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

is_root() { [ "$(id -u)" = 0 ]; }

# Create the unprivileged system user if we are root and it does not exist yet.
ensure_infra_user() {
  is_root || return 0
  if ! id -u "$INFRA_USER" >/dev/null 2>&1; then
    log "creating system user $INFRA_USER"
    useradd --system --no-create-home --home-dir "$INFRA_DIR" --shell /usr/sbin/nologin "$INFRA_USER" 2>/dev/null ||
      id -u "$INFRA_USER" >/dev/null 2>&1 || die "could not create user $INFRA_USER"
  fi
}

# Run a command as the unprivileged user when root, else as ourselves.
as_infra_user() {
  if is_root; then
    runuser -u "$INFRA_USER" -- "$@"
  else
    "$@"
  fi
}

# Give a directory to the unprivileged user (root only) and make sure that user can reach it.
own_dir() {
  local d="$1"
  mkdir -p "$d"
  if is_root; then
    chown -R "$INFRA_USER" "$d"
    # every parent up to / must be traversable
    local p="$d"
    while [ "$p" != "/" ]; do
      p="$(dirname "$p")"
      if ! runuser -u "$INFRA_USER" -- test -x "$p" 2>/dev/null; then
        chmod o+x "$p"
      fi
    done
  fi
}

# apt-get install, serialised across parallel engine installs (dpkg has one lock).
apt_install() {
  local sudo=""
  if ! is_root; then
    command -v sudo >/dev/null || die "apt-get install $* needs root (or sudo)"
    sudo=sudo
  fi
  (
    flock 9
    if [ ! -f "$INFRA_DIR/.apt-updated" ] || [ -n "$(find "$INFRA_DIR/.apt-updated" -mmin +1440 2>/dev/null)" ]; then
      log "apt-get update"
      $sudo env DEBIAN_FRONTEND=noninteractive apt-get update -q 2>&1 | sed -u 's/^/[infra] apt| /' >&2 || true
      touch "$INFRA_DIR/.apt-updated"
    fi
    log "apt-get install $*"
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" 2>&1 | sed -u 's/^/[infra] apt| /' >&2
  ) 9>"$INFRA_DIR/.apt.lock"
}

# Is something listening on 127.0.0.1:$1 ?
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# pid recorded in a pid file, if that process is alive.
pid_of() {
  local f="$1" pid
  [ -s "$f" ] || return 1
  pid="$(head -n 1 "$f" | tr -dc '0-9')"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && echo "$pid"
}

# Processes whose command line mentions a path of ours (e.g. a JVM started from $INFRA_DIR/kafka).
pids_matching() {
  local needle="$1" p
  for p in /proc/[0-9]*; do
    [ -r "$p/cmdline" ] || continue
    if tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$needle"; then
      echo "${p#/proc/}"
    fi
  done
}

# Stop a process: TERM, wait up to $2 seconds, then KILL.
stop_pid() {
  local pid="$1" grace="${2:-30}" i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 10; i++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  log "pid $pid did not stop in ${grace}s; killing"
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

# The pid a pid file records, or nothing while the file is missing or still being written.
recorded_pid() { head -n 1 "$1" 2>/dev/null | tr -dc '0-9'; }

# wait_until <name> <timeout-seconds> <log file> <pid file or -> <health command...>
# Polls the health command until it succeeds. Fails (printing the log tail) on time-out, or at once
# if the pid file names a process that has died.
wait_until() {
  local name="$1" timeout="$2" logfile="$3" pidfile="$4"
  shift 4
  local start=$SECONDS why=""
  while ! "$@" >/dev/null 2>&1; do
    if ((SECONDS - start >= timeout)); then
      why="NOT healthy after ${timeout}s"
    elif [ "$pidfile" != - ] && [ -n "$(recorded_pid "$pidfile")" ] && [ -z "$(pid_of "$pidfile" 2>/dev/null)" ]; then
      why="process $(recorded_pid "$pidfile") died"
    fi
    if [ -n "$why" ]; then
      log "$name: $why; last lines of $logfile:"
      tail -n 30 "$logfile" 2>/dev/null | cut -c1-400 | sed "s/^/[infra] $name| /" >&2
      return 1
    fi
    sleep 0.5
  done
}

# Standard subcommand dispatch for engines/<name>.sh
engine_main() {
  local cmd="${1:-}"
  case "$cmd" in
    install | start | wait | stop | status | healthy) "engine_$cmd" ;;
    up)
      local t0=$SECONDS
      if engine_healthy >/dev/null 2>&1; then
        # An engine may say that the server running is older than this checkout's (engine_stale prints why).
        local stale=""
        if declare -F engine_stale >/dev/null; then stale="$(engine_stale || true)"; fi
        if [ -z "$stale" ]; then
          log "$ENGINE: already running on port $ENGINE_PORT"
          return 0
        fi
        log "$ENGINE: restarting: $stale"
        engine_stop
      fi
      engine_install
      local t1=$SECONDS
      engine_start
      engine_wait
      log "$ENGINE: ready on 127.0.0.1:$ENGINE_PORT in $((SECONDS - t1))s (install+start $((SECONDS - t0))s)"
      ;;
    restart) engine_stop; bash "$0" up ;;
    *) echo "usage: $0 {install|start|wait|up|stop|status|restart}" >&2; return 2 ;;
  esac
}

engine_status() {
  if engine_healthy >/dev/null 2>&1; then
    echo "$ENGINE: up (127.0.0.1:$ENGINE_PORT)"
  else
    echo "$ENGINE: down"
    return 1
  fi
}
