#!/usr/bin/env bash
# Checks the Helm chart offline: installs helm (go install, from the Go module proxy), kubernetes-validate
# (PyPI, into a virtualenv; it ships the Kubernetes JSON schemas, so nothing is downloaded at validation time)
# and promtool (built from the Go module tests/infra/promtool pins) if missing, then runs `helm lint --strict`,
# renders `helm template` with each ci/*-values.yaml and validates every rendered document against the
# Kubernetes schemas (strict: unknown fields fail). The alert rules (files/prometheus-rules.yaml) pass
# `promtool check rules` as a file and as rendered into the PrometheusRule, and `promtool test rules`.
#
# Usage: tests/infra/helm/check.sh [install]   (`install` only installs the tools)
# Env:   INFRA_DIR (default <repo>/.infra), HELM_VERSION, KUBERNETES_VALIDATE_VERSION,
#        KUBE_VERSIONS (Kubernetes versions to validate against), HELM (a helm binary to use instead).
# Prints the paths of the tools it uses; tests read them from $INFRA_DIR/helm/bin/helm and
# $INFRA_DIR/helm/venv/bin/python.
set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
INFRA_DIR="${INFRA_DIR:-$REPO_ROOT/.infra}"
HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KUBERNETES_VALIDATE_VERSION="${KUBERNETES_VALIDATE_VERSION:-1.37.0}"
# The oldest EKS version we claim (native gRPC probes need 1.27+) and a current one.
KUBE_VERSIONS="${KUBE_VERSIONS:-1.30.0 1.34.0}"
CHART="$REPO_ROOT/helm/exchange"
TOOLS="$INFRA_DIR/helm"
HELM_BIN="${HELM:-$TOOLS/bin/helm}"
VENV="$TOOLS/venv"

log() { echo "[helm-check] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }
source "$REPO_ROOT/tests/infra/python.sh"

install_helm() {
  if [ -n "${HELM:-}" ]; then
    [ -x "$HELM" ] || die "HELM=$HELM is not an executable"
    log "helm $("$HELM" version --short 2>/dev/null): $HELM (from \$HELM)"
    return 0
  fi
  # `go install` builds carry no release version stamp (helm prints v3.22), so keep our own.
  if [ -x "$HELM_BIN" ] && [ "$(cat "$TOOLS/bin/.helm-version" 2>/dev/null)" = "$HELM_VERSION" ]; then
    log "helm $HELM_VERSION: $HELM_BIN"
    return 0
  fi
  command -v go >/dev/null || die "go is needed to install helm (go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION)"
  log "installing helm $HELM_VERSION with go install into $TOOLS/bin (a few minutes the first time, seconds from Go's build cache)..."
  local t0=$SECONDS
  mkdir -p "$TOOLS/bin"
  GOBIN="$TOOLS/bin" GOFLAGS=-mod=mod go install "helm.sh/helm/v3/cmd/helm@$HELM_VERSION" ||
    die "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION failed"
  echo "$HELM_VERSION" >"$TOOLS/bin/.helm-version"
  log "helm $("$HELM_BIN" version --short) installed in $((SECONDS - t0))s"
}

install_validator() {
  if [ -x "$VENV/bin/kubernetes-validate" ] && [ "$(cat "$VENV/.kubernetes-validate-version" 2>/dev/null)" = "$KUBERNETES_VALIDATE_VERSION" ]; then
    log "kubernetes-validate $KUBERNETES_VALIDATE_VERSION: $VENV"
    return 0
  fi
  local py t0=$SECONDS
  py="$(python_bin)" || die "no python3 with venv/ensurepip (apt-get install python3-venv)"
  if [ ! -x "$VENV/bin/python" ]; then
    log "creating virtualenv $VENV"
    rm -rf "$VENV"
    "$py" -m venv "$VENV" || die "could not create a virtualenv with $py"
  fi
  log "pip install kubernetes-validate==$KUBERNETES_VALIDATE_VERSION (and PyYAML) into $VENV..."
  "$VENV/bin/python" -m pip install --disable-pip-version-check --progress-bar off -q \
    "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION" pyyaml >"$TOOLS/pip.log" 2>&1 || {
    tail -n 20 "$TOOLS/pip.log" >&2
    die "pip install failed (see $TOOLS/pip.log)"
  }
  echo "$KUBERNETES_VALIDATE_VERSION" >"$VENV/.kubernetes-validate-version"
  log "kubernetes-validate installed in $((SECONDS - t0))s"
}

# promtool at the version tests/infra/promtool/go.mod pins; rebuilt when that file changes (seconds from Go's
# build cache, a few minutes on a machine without it).
PROMTOOL_MODULE="$REPO_ROOT/tests/infra/promtool"
PROMTOOL_BIN="${PROMTOOL:-$TOOLS/bin/promtool}"
install_promtool() {
  if [ -n "${PROMTOOL:-}" ]; then
    [ -x "$PROMTOOL" ] || die "PROMTOOL=$PROMTOOL is not an executable"
    return 0
  fi
  local stamp
  stamp="$(cat "$PROMTOOL_MODULE/go.mod" "$PROMTOOL_MODULE/go.sum" | sha256sum | cut -c1-16)"
  if [ -x "$PROMTOOL_BIN" ] && [ "$(cat "$TOOLS/bin/.promtool-stamp" 2>/dev/null)" = "$stamp" ]; then
    log "promtool ($(grep -m1 'prometheus/prometheus ' "$PROMTOOL_MODULE/go.mod" | awk '{print $2}')): $PROMTOOL_BIN"
    return 0
  fi
  command -v go >/dev/null || die "go is needed to build promtool (tests/infra/promtool)"
  log "building promtool from tests/infra/promtool into $TOOLS/bin (a few minutes the first time, seconds from Go's build cache)..."
  local t0=$SECONDS
  mkdir -p "$TOOLS/bin"
  (cd "$PROMTOOL_MODULE" && go build -o "$PROMTOOL_BIN" github.com/prometheus/prometheus/cmd/promtool) || die "building promtool failed"
  echo "$stamp" >"$TOOLS/bin/.promtool-stamp"
  log "promtool built in $((SECONDS - t0))s"
}

mkdir -p "$TOOLS"
install_helm
install_validator
install_promtool
[ "${1:-}" = install ] && exit 0

started=$SECONDS
# The dashboards' JSON must be what their code builds (helm/exchange/dashboards/*.ts, @grafana/grafana-foundation-sdk).
if [ -d "$REPO_ROOT/node_modules/@grafana/grafana-foundation-sdk" ]; then
  log "dashboards: files/dashboards/*.json match helm/exchange/dashboards (npm run dashboards)"
  (cd "$REPO_ROOT" && npx tsx helm/exchange/dashboards/build.ts --check) || die "files/dashboards/ is stale: run npm run dashboards and commit"
else
  log "dashboards: node_modules not installed (npm ci); not checking files/dashboards/"
fi
log "helm lint --strict $CHART"
"$HELM_BIN" lint --strict "$CHART"
for values in "$CHART"/ci/*-values.yaml; do
  "$HELM_BIN" lint --strict "$CHART" -f "$values" >/dev/null || {
    "$HELM_BIN" lint --strict "$CHART" -f "$values"
    die "helm lint --strict with $values failed"
  }
done

out="$TOOLS/rendered"
rm -rf "$out"
mkdir -p "$out"
for values in "$CHART"/ci/*-values.yaml; do
  fixture="$(basename "$values" -values.yaml)"
  for kube in $KUBE_VERSIONS; do
    dir="$out/$fixture-$kube"
    log "helm template with ci/$(basename "$values") for Kubernetes $kube"
    "$HELM_BIN" template exchange "$CHART" --namespace exchange --kube-version "$kube" -f "$values" --output-dir "$dir" >/dev/null
    mapfile -t files < <(find "$dir" -name '*.yaml' | sort)
    [ "${#files[@]}" -gt 0 ] || die "helm template rendered nothing for $values"
    # Strict: fields the schema does not know fail; --quiet prints only problems.
    "$VENV/bin/kubernetes-validate" --strict --quiet -k "$kube" "${files[@]}" ||
      die "rendered manifests for ci/$(basename "$values") are not valid Kubernetes $kube objects (files under $dir)"
    docs=$("$VENV/bin/python" -c 'import sys,yaml; print(sum(1 for f in sys.argv[1:] for d in yaml.safe_load_all(open(f)) if d))' "${files[@]}")
    log "  $docs documents valid"
  done
done

rules="$CHART/files/prometheus-rules.yaml"
log "promtool check rules + test rules ($(basename "$rules"))"
"$PROMTOOL_BIN" check rules "$rules"
(cd "$CHART/tests" && "$PROMTOOL_BIN" test rules prometheus-rules.test.yaml)
# The PrometheusRule as rendered carries the same rules: its spec must check too.
for rendered in "$out"/*/exchange/templates/monitoring.yaml; do
  [ -f "$rendered" ] || continue
  spec="$(dirname "$rendered")/prometheus-rule-spec.yaml"
  "$VENV/bin/python" -c 'import sys,yaml
docs=[d for d in yaml.safe_load_all(open(sys.argv[1])) if d and d.get("kind")=="PrometheusRule"]
if docs: yaml.safe_dump(docs[0]["spec"], open(sys.argv[2],"w"))' "$rendered" "$spec"
  if [ -f "$spec" ]; then
    "$PROMTOOL_BIN" check rules "$spec" >/dev/null || die "the rendered PrometheusRule in $rendered does not pass promtool check rules"
    log "  rendered PrometheusRule ($(basename "$(dirname "$(dirname "$(dirname "$rendered")")")")) checks"
  fi
done
log "chart OK in $((SECONDS - started))s"
