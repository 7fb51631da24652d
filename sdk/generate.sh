#!/usr/bin/env bash
# Regenerates the SDKs' generated trees from proto/ with local, pinned tools (installed by sdk/tools.sh if missing):
#   sdk/typescript/src/gen/   protoc-gen-es (the project's own, from node_modules)
# Each generator writes only its own gen/ directory; hand-kept files live beside it and are never touched.
# Usage: sdk/generate.sh [--check]   (--check: fail when a generated tree differs from what is committed)
set -euo pipefail
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$REPO_ROOT"
GENERATED=(sdk/typescript/src/gen)

echo "[sdk-generate] typescript" >&2
npx buf generate --template sdk/typescript/buf.gen.yaml

if [ "${1:-}" = "--check" ]; then
  git diff --exit-code -- "${GENERATED[@]}" || { echo "[sdk-generate] a generated SDK tree differs from the committed one: run sdk/generate.sh and commit" >&2; exit 1; }
  untracked="$(git status --porcelain --untracked-files=all -- "${GENERATED[@]}")"
  [ -z "$untracked" ] || { echo "$untracked"; echo "[sdk-generate] untracked generated files: run sdk/generate.sh and commit" >&2; exit 1; }
  echo "[sdk-generate] generated trees match the commit" >&2
fi
