#!/usr/bin/env bash
# Stop the engines started by up.sh (all, or the ones named). Tolerant of engines that are not running.
#   tests/infra/down.sh            # all
#   tests/infra/down.sh kafka      # one
# Data stays in $INFRA_DIR (delete that directory for a clean slate).
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
source "$HERE/lib.sh"

ALL=(postgres redis kafka opensearch moto jaeger)
engines=("$@")
[ ${#engines[@]} -eq 0 ] && engines=("${ALL[@]}")

rc=0
declare -A pids=()
for e in "${engines[@]}"; do
  [ -f "$HERE/engines/$e.sh" ] || { log "unknown engine '$e'"; rc=1; continue; }
  bash "$HERE/engines/$e.sh" stop &
  pids[$e]=$!
done
for e in "${!pids[@]}"; do
  wait "${pids[$e]}" || { log "down: stopping $e failed"; rc=1; }
done

# Anything of ours still alive? A JVM carrying our marker property, a postgres on our data dir, a moto
# server from our virtualenv (the engine scripts already stopped these by pid file; this is the backstop).
if [ ${#engines[@]} -eq ${#ALL[@]} ]; then
  for p in $( (pids_matching "-Dexchange.infra=$INFRA_DIR/"; pids_matching "-D $INFRA_DIR/postgres/data";
    pids_matching "$INFRA_DIR/moto/venv/bin/"; pids_matching "$INFRA_DIR/jaeger/bin/jaeger") | sort -u); do
    [ "$p" = "$$" ] && continue
    log "down: stopping leftover process $p: $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-120)"
    stop_pid "$p" 20
  done
fi
log "down: stopped ${engines[*]}"
exit $rc
