#!/usr/bin/env bash
# Installs the SDK generators and runtimes at pinned versions, project-local and offline-reproducible:
# protoc-gen-go and protoc-gen-connect-go with `go install` into $INFRA_DIR/sdk/bin, and a Python virtualenv
# ($INFRA_DIR/sdk/venv) with grpcio-tools (protoc and the Python message generator), protoc-gen-connect-python and
# the Python SDK's runtime dependencies. Idempotent: a tool already at its pinned version is kept (seconds).
#
# Usage: sdk/tools.sh          Prints nothing on stdout; progress on stderr.
# Env:   INFRA_DIR (default <repo>/.infra), SDK_TOOLS_DIR (default $INFRA_DIR/sdk)
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INFRA_DIR="${INFRA_DIR:-$REPO_ROOT/.infra}"
TOOLS="${SDK_TOOLS_DIR:-$INFRA_DIR/sdk}"
source "$REPO_ROOT/sdk/versions.sh"
source "$REPO_ROOT/tests/infra/python.sh"

log() { echo "[sdk-tools] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

go_tool() { # name module@version
  local name=$1 pkg=$2 stamp="$TOOLS/bin/.$1-version"
  if [ -x "$TOOLS/bin/$name" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$pkg" ]; then
    log "$name: $pkg"
    return 0
  fi
  command -v go >/dev/null || die "go is needed (go install $pkg)"
  log "go install $pkg ..."
  local t0=$SECONDS
  mkdir -p "$TOOLS/bin"
  GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "$pkg" || die "go install $pkg failed"
  echo "$pkg" >"$stamp"
  log "$name installed in $((SECONDS - t0))s"
}

python_tools() {
  local want
  want="$(printf '%s\n' "${PYTHON_REQUIREMENTS[@]}")"
  if [ -x "$TOOLS/venv/bin/python" ] && [ "$(cat "$TOOLS/venv/.requirements" 2>/dev/null)" = "$want" ]; then
    log "python venv: $TOOLS/venv"
    return 0
  fi
  local py t0=$SECONDS
  py="$(python_bin)" || die "no python3 with venv/ensurepip (apt-get install python3-venv)"
  if [ ! -x "$TOOLS/venv/bin/python" ]; then
    log "creating virtualenv $TOOLS/venv"
    "$py" -m venv "$TOOLS/venv" || die "could not create a virtualenv with $py"
  fi
  log "pip install ${PYTHON_REQUIREMENTS[*]} ..."
  "$TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check "${PYTHON_REQUIREMENTS[@]}" || die "pip install failed"
  echo "$want" >"$TOOLS/venv/.requirements"
  log "python tools installed in $((SECONDS - t0))s"
}

go_tool protoc-gen-go "google.golang.org/protobuf/cmd/protoc-gen-go@$PROTOC_GEN_GO_VERSION"
go_tool protoc-gen-connect-go "connectrpc.com/connect/cmd/protoc-gen-connect-go@$CONNECT_GO_VERSION"
python_tools
