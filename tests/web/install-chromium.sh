#!/usr/bin/env bash
# Installs Debian's chromium package (the browser the trading page's test drives through playwright-core) if no
# chromium is on PATH. Idempotent: seconds when it is already there. Needs root for apt-get. Prints its path.
set -euo pipefail
log() { echo "[chromium] $*" >&2; }
if ! command -v chromium >/dev/null 2>&1; then
  [ "$(id -u)" = 0 ] || { log "ERROR: chromium is missing and installing it needs root (apt-get install chromium)"; exit 1; }
  log "apt-get install chromium (a minute or two the first time)..."
  t0=$SECONDS
  DEBIAN_FRONTEND=noninteractive apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
  log "installed in $((SECONDS - t0))s"
fi
log "$(chromium --version 2>/dev/null || echo chromium): $(command -v chromium)"
command -v chromium
