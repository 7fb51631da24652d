#!/usr/bin/env bash
# moto in server mode (one endpoint for DynamoDB, S3, SNS, SQS, Secrets Manager, ...), from PyPI
# (pip, into a virtualenv; MOTO_EXTRAS=server for `moto[server]`, all services' dependencies),
# in a virtualenv under $INFRA_DIR/moto/venv, on 127.0.0.1:$MOTO_PORT.
# Usage: moto.sh {install|start|wait|up|stop|status}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
source "$(dirname "${BASH_SOURCE[0]}")/../python.sh"

ENGINE=moto
ENGINE_PORT=$MOTO_PORT
MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
MOTO_DIR="$INFRA_DIR/moto"
MOTO_VENV="$MOTO_DIR/venv"
MOTO_PID="$MOTO_DIR/moto.pid"
MOTO_LOG="$MOTO_DIR/moto.log"
MOTO_TIMEOUT="${MOTO_TIMEOUT:-60}"
# The extras for the services we use (+ flask/flask-cors, which moto_server needs) install in ~10s;
# MOTO_EXTRAS=server brings every service's dependencies (cfn-lint, sympy, ...: ~35s).
MOTO_EXTRAS="${MOTO_EXTRAS:-dynamodb,s3,sns,sqs,secretsmanager}"
MOTO_REQS=("moto[$MOTO_EXTRAS]==$MOTO_VERSION" "flask!=2.2.0,!=2.2.1" "flask-cors")
MOTO_WHEELHOUSE="${MOTO_WHEELHOUSE:-${XDG_CACHE_HOME:-$HOME/.cache}/exchange-infra/moto-$MOTO_VERSION-$(echo "$MOTO_EXTRAS" | tr ',' '-')-wheels}"


engine_install() {
  if [ -x "$MOTO_VENV/bin/moto_server" ] && [ "$(cat "$MOTO_VENV/.moto-version" 2>/dev/null)" = "$MOTO_VERSION[$MOTO_EXTRAS]" ]; then
    return 0
  fi
  mkdir -p "$MOTO_DIR"
  local py
  py="$(python_bin)" || { apt_install python3 python3-venv; py="$(python_bin)" || die "moto: no python3 with venv"; }
  if [ ! -x "$MOTO_VENV/bin/python" ]; then
    log "moto: creating virtualenv $MOTO_VENV"
    rm -rf "$MOTO_VENV"
    "$py" -m venv "$MOTO_VENV" || die "moto: could not create a virtualenv with $py"
  fi
  # pip's HTTP cache stays empty here (the registry's answers are not cacheable), so keep a wheelhouse
  # outside $INFRA_DIR: deleting .infra/ then costs a local install, not a download.
  local wheels="$MOTO_WHEELHOUSE" t0=$SECONDS
  if [ ! -f "$wheels/.complete" ]; then
    log "moto: downloading ${MOTO_REQS[*]} and their dependencies into $wheels (pip download)..."
    mkdir -p "$wheels"
    if ! "$MOTO_VENV/bin/python" -m pip download --disable-pip-version-check --progress-bar off -d "$wheels" \
      "${MOTO_REQS[@]}" >"$MOTO_DIR/pip.log" 2>&1; then
      tail -n 20 "$MOTO_DIR/pip.log" | sed 's/^/[infra] moto| /' >&2
      die "moto: pip download failed (see $MOTO_DIR/pip.log)"
    fi
    touch "$wheels/.complete"
  fi
  log "moto: pip install ${MOTO_REQS[*]} from $wheels..."
  if ! "$MOTO_VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off --no-index \
    --find-links "$wheels" "${MOTO_REQS[@]}" >>"$MOTO_DIR/pip.log" 2>&1; then
    tail -n 20 "$MOTO_DIR/pip.log" | sed 's/^/[infra] moto| /' >&2
    rm -f "$wheels/.complete"
    die "moto: pip install failed (see $MOTO_DIR/pip.log); run again to re-download"
  fi
  echo "$MOTO_VERSION[$MOTO_EXTRAS]" >"$MOTO_VENV/.moto-version"
  log "moto: installed moto[$MOTO_EXTRAS] $MOTO_VERSION ($((SECONDS - t0))s)"
}

# The server script's revision (its "revision: N" line), and the one of the server running, recorded at its
# start (none recorded: 1). A server older than this checkout's script is restarted by `up`; a newer one is
# kept, so checkouts of different ages sharing one INFRA_DIR do not restart it back and forth.
MOTO_SCRIPT="$REPO_ROOT/tests/infra/engines/moto-server-untracked.py"
MOTO_REVISION_FILE="$MOTO_DIR/moto.revision"
script_revision() { sed -n 's/^revision: \([0-9][0-9]*\).*/\1/p' "$MOTO_SCRIPT" | head -n 1; }

engine_stale() {
  [ -n "$(pid_of "$MOTO_PID" 2>/dev/null)" ] || return 0 # not started by us: not ours to restart
  local running wanted
  running="$(cat "$MOTO_REVISION_FILE" 2>/dev/null || echo 1)"
  wanted="$(script_revision)"
  if [ -n "$wanted" ] && [ "$running" -lt "$wanted" ]; then
    echo "it runs moto-server-untracked.py revision $running, this checkout has revision $wanted"
  fi
}

engine_healthy() {
  [ "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 "http://127.0.0.1:$MOTO_PORT/moto-api/data.json" 2>/dev/null)" = 200 ]
}

engine_start() {
  mkdir -p "$MOTO_DIR"
  if [ -n "$(pid_of "$MOTO_PID" 2>/dev/null)" ]; then
    log "moto: already started (pid $(pid_of "$MOTO_PID"))"
    return 0
  fi
  port_open "$MOTO_PORT" && die "moto: port $MOTO_PORT is taken by a process we did not start"
  [ -f "$MOTO_LOG" ] && mv -f "$MOTO_LOG" "$MOTO_LOG.1"
  log "moto: starting on 127.0.0.1:$MOTO_PORT"
  # moto_server, minus the dashboard's instance tracking that keeps every TransactWriteItems
  # rollback copy alive (see moto-server-untracked.py): long DynamoDB runs would grow it by GBs.
  (cd "$MOTO_DIR" && exec setsid nohup "$MOTO_VENV/bin/python" "$REPO_ROOT/tests/infra/engines/moto-server-untracked.py" -H 127.0.0.1 -p "$MOTO_PORT" \
    >"$MOTO_LOG" 2>&1 </dev/null) &
  echo $! >"$MOTO_PID"
  script_revision >"$MOTO_REVISION_FILE"
}

engine_wait() { wait_until moto "$MOTO_TIMEOUT" "$MOTO_LOG" "$MOTO_PID" engine_healthy; }

engine_stop() {
  local pid p
  pid="$(pid_of "$MOTO_PID" 2>/dev/null || true)"
  if [ -n "$pid" ]; then
    log "moto: stopping (pid $pid)"
    stop_pid "$pid" 10
  else
    log "moto: not running"
  fi
  rm -f "$MOTO_PID"
  for p in $(pids_matching "$MOTO_VENV/bin/moto_server"); do
    log "moto: stopping stray server $p"
    stop_pid "$p" 10
  done
}

engine_main "$@"
