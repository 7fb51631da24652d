#!/usr/bin/env bash
# Regenerates the SDKs' generated trees from proto/ with local, pinned tools (sdk/tools.sh installs any missing):
#   sdk/typescript/src/gen/   protoc-gen-es (the project's, from node_modules)          sdk/typescript/buf.gen.yaml
#   sdk/go/gen/               protoc-gen-go + protoc-gen-connect-go (go install)        sdk/go/buf.gen.yaml
#   sdk/python/src/{exchange,buf}/  grpcio-tools' protoc (messages, .pyi) + protoc-gen-connect-python (clients)
# Each generator writes only its own gen/ directory; hand-kept files live beside it and are never touched.
# Usage: sdk/generate.sh [--check]   (--check: fail when a generated tree differs from what is committed)
# Env:   INFRA_DIR / SDK_TOOLS_DIR as sdk/tools.sh.
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
TOOLS="${SDK_TOOLS_DIR:-${INFRA_DIR:-$REPO_ROOT/.infra}/sdk}"
GENERATED=(sdk/typescript/src/gen sdk/go/gen sdk/python/src/exchange sdk/python/src/buf)
# The public API's files and what they import; google.rpc comes from googleapis-common-protos at run time.
PYTHON_PROTOS=(exchange/auth/v1/auth.proto exchange/common/v1/common.proto exchange/marketdata/v1/marketdata.proto
  exchange/order/v1/order.proto exchange/wallet/v1/wallet.proto buf/validate/validate.proto)
log() { echo "[sdk-generate] $*" >&2; }

bash sdk/tools.sh

log "typescript: sdk/typescript/src/gen"
npx buf generate --template sdk/typescript/buf.gen.yaml

log "go: sdk/go/gen"
PATH="$TOOLS/bin:$PATH" npx buf generate --template sdk/go/buf.gen.yaml

log "python: sdk/python/src/exchange, sdk/python/src/buf"
rm -rf sdk/python/src/exchange sdk/python/src/buf # only the generated packages; exchange_sdk/ is kept by hand
"$TOOLS/venv/bin/python" -m grpc_tools.protoc -Iproto --python_out=sdk/python/src --pyi_out=sdk/python/src \
  --plugin=protoc-gen-connect-python="$TOOLS/venv/bin/protoc-gen-connect-python" --connect-python_out=sdk/python/src \
  "${PYTHON_PROTOS[@]}"

if [ "${1:-}" = "--check" ]; then
  git diff --exit-code -- "${GENERATED[@]}" || { log "a generated SDK tree differs from the committed one: run sdk/generate.sh and commit"; exit 1; }
  untracked="$(git status --porcelain --untracked-files=all -- "${GENERATED[@]}")"
  [ -z "$untracked" ] || { echo "$untracked"; log "untracked generated files: run sdk/generate.sh and commit"; exit 1; }
  log "generated trees match the commit"
fi
