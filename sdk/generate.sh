#!/usr/bin/env bash
# Regenerates the SDKs' generated trees from proto/ with local, pinned tools (sdk/tools.sh installs any missing):
#   sdk/typescript/src/gen/   protoc-gen-es (the project's, from node_modules)          sdk/typescript/buf.gen.yaml
#   sdk/go/gen/               protoc-gen-go + protoc-gen-connect-go (go install)        sdk/go/buf.gen.yaml
# Each generator writes only its own gen/ directory; hand-kept files live beside it and are never touched.
# Usage: sdk/generate.sh [--check]   (--check: fail when a generated tree differs from what is committed)
# Env:   INFRA_DIR / SDK_TOOLS_DIR as sdk/tools.sh.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
TOOLS="${SDK_TOOLS_DIR:-${INFRA_DIR:-$REPO_ROOT/.infra}/sdk}"
GENERATED=(sdk/typescript/src/gen sdk/go/gen)
log() { echo "[sdk-generate] $*" >&2; }

bash sdk/tools.sh

log "typescript: sdk/typescript/src/gen"
npx buf generate --template sdk/typescript/buf.gen.yaml

log "go: sdk/go/gen"
PATH="$TOOLS/bin:$PATH" npx buf generate --template sdk/go/buf.gen.yaml

if [ "${1:-}" = "--check" ]; then
  git diff --exit-code -- "${GENERATED[@]}" || { log "a generated SDK tree differs from the committed one: run sdk/generate.sh and commit"; exit 1; }
  untracked="$(git status --porcelain --untracked-files=all -- "${GENERATED[@]}")"
  [ -z "$untracked" ] || { echo "$untracked"; log "untracked generated files: run sdk/generate.sh and commit"; exit 1; }
  log "generated trees match the commit"
fi
