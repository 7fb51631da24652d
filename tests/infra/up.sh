#!/usr/bin/env bash
# Start the real engines on loopback (installing what is missing), wait until each is healthy.
#   tests/infra/up.sh                    # all: postgres redis kafka opensearch moto jaeger
#   tests/infra/up.sh postgres redis     # a subset
# Safe to run twice: an engine that is already healthy is left alone.
# Exits non-zero, with the tail of the engine's log, if an engine does not become healthy in time.
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lib.sh"

ALL=(postgres redis kafka opensearch moto jaeger)
engines=("$@")
[ ${#engines[@]} -eq 0 ] && engines=("${ALL[@]}")
for e in "${engines[@]}"; do
  [ -f "$HERE/engines/$e.sh" ] || die "unknown engine '$e' (known: ${ALL[*]})"
done

t0=$SECONDS
log "up: ${engines[*]} (state in $INFRA_DIR)"
# The unprivileged user is shared: create it once, before engines run in parallel.
ensure_infra_user

# All engines install, start and wait in parallel (apt-get calls serialise on a lock; the two JVMs
# starting together is fine on 2 cores). Each engine's own output goes straight to stderr.
declare -A pids=()
for e in "${engines[@]}"; do
  bash "$HERE/engines/$e.sh" up &
  pids[$e]=$!
done

failed=()
for e in "${engines[@]}"; do
  if ! wait "${pids[$e]}"; then
    failed+=("$e")
  fi
done

if [ ${#failed[@]} -gt 0 ]; then
  log "up: FAILED: ${failed[*]} (after $((SECONDS - t0))s). Logs are under $INFRA_DIR; stop everything with tests/infra/down.sh"
  exit 1
fi
log "up: all healthy (${engines[*]}) in $((SECONDS - t0))s"
log "up: connection settings: eval \"\$(bash tests/infra/env.sh)\""
