#!/usr/bin/env bash
# Jaeger (v2, all-in-one, in-memory storage): the trace backend the tracing test exports to. Built with
# `go build` from the Go module tests/infra/jaeger pins (go.mod/go.sum: the version and every dependency), into
# $INFRA_DIR/jaeger/bin, then run with our own config on loopback: OTLP/HTTP on $JAEGER_OTLP_PORT, the query
# API (and UI) on $JAEGER_QUERY_PORT, health on $JAEGER_HEALTH_PORT.
# Usage: jaeger.sh {install|start|wait|up|stop|status}
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

ENGINE=jaeger
ENGINE_PORT=$JAEGER_OTLP_PORT
JAEGER_DIR="$INFRA_DIR/jaeger"
JAEGER_BIN="$JAEGER_DIR/bin/jaeger"
JAEGER_PID="$JAEGER_DIR/jaeger.pid"
JAEGER_LOG="$JAEGER_DIR/jaeger.log"
JAEGER_CONFIG="$JAEGER_DIR/config.yaml"
JAEGER_MODULE="$INFRA_SRC/jaeger"
JAEGER_TIMEOUT="${JAEGER_TIMEOUT:-60}"

# The module's go.mod and go.sum decide what is built: a change to either rebuilds.
stamp() { cat "$JAEGER_MODULE/go.mod" "$JAEGER_MODULE/go.sum" | sha256sum | cut -c1-16; }

engine_install() {
  if [ -x "$JAEGER_BIN" ] && [ "$(cat "$JAEGER_DIR/bin/.stamp" 2>/dev/null)" = "$(stamp)" ]; then return 0; fi
  command -v go >/dev/null || die "jaeger: go is needed to build it (tests/infra/jaeger/go.mod)"
  log "jaeger: building $(grep -m1 'jaegertracing/jaeger ' "$JAEGER_MODULE/go.mod" | awk '{print $2}') with go build (minutes the first time, seconds from Go's build cache)..."
  local t0=$SECONDS
  mkdir -p "$JAEGER_DIR/bin"
  (cd "$JAEGER_MODULE" && go build -o "$JAEGER_BIN.new" github.com/jaegertracing/jaeger/cmd/jaeger) >"$JAEGER_DIR/build.log" 2>&1 || {
    tail -n 20 "$JAEGER_DIR/build.log" >&2
    die "jaeger: go build failed (see $JAEGER_DIR/build.log)"
  }
  mv "$JAEGER_BIN.new" "$JAEGER_BIN"
  stamp >"$JAEGER_DIR/bin/.stamp"
  log "jaeger: built in $((SECONDS - t0))s"
}

engine_healthy() { curl -fsS "http://127.0.0.1:$JAEGER_HEALTH_PORT/status" >/dev/null 2>&1 && port_open "$JAEGER_QUERY_PORT" && port_open "$JAEGER_OTLP_PORT"; }

engine_start() {
  mkdir -p "$JAEGER_DIR"
  if [ -n "$(pid_of "$JAEGER_PID" 2>/dev/null)" ] || port_open "$JAEGER_OTLP_PORT"; then
    log "jaeger: something already listens on $JAEGER_OTLP_PORT; not starting another"
    return 0
  fi
  # Only what the test needs, every port on loopback (the stock all-in-one also opens 8888, 5778, 9411...).
  cat >"$JAEGER_CONFIG" <<YAML
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    resource:
      service.name: jaeger
    metrics:
      level: none
    logs:
      level: warn
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: 127.0.0.1:$JAEGER_HEALTH_PORT
  jaeger_query:
    storage:
      traces: memory
    http:
      endpoint: 127.0.0.1:$JAEGER_QUERY_PORT
    grpc:
      endpoint: 127.0.0.1:$JAEGER_QUERY_GRPC_PORT
  jaeger_storage:
    backends:
      memory:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:$JAEGER_OTLP_PORT
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memory
YAML
  log "jaeger: starting (OTLP/HTTP 127.0.0.1:$JAEGER_OTLP_PORT, query 127.0.0.1:$JAEGER_QUERY_PORT)"
  nohup "$JAEGER_BIN" --config "$JAEGER_CONFIG" >"$JAEGER_LOG" 2>&1 &
  echo $! >"$JAEGER_PID"
}

engine_wait() { wait_until jaeger "$JAEGER_TIMEOUT" "$JAEGER_LOG" "$JAEGER_PID" engine_healthy; }

engine_stop() {
  local pid
  pid="$(pid_of "$JAEGER_PID" 2>/dev/null || true)"
  if [ -z "$pid" ]; then
    log "jaeger: not running"
    return 0
  fi
  log "jaeger: stopping (pid $pid)"
  stop_pid "$pid" 10
  rm -f "$JAEGER_PID"
}

engine_main "$@"
