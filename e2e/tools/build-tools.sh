#!/usr/bin/env bash
# Builds the packaging tools CI uses to check charts/ and config/ (helm, kubeconform, promtool) from the
# Go module proxy, once per version, into $SYNCRET_CACHE/bin/<name>-<version>/<name>.
# Prints the binary's path on stdout (progress goes to stderr), so callers can do
#   HELM=$(bash e2e/tools/build-tools.sh helm)
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.21.4}"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.8.0}"
# Prometheus 3.x is tagged v3.N.M but published as module version v0.3NN.M (Go's v0/v1 rule).
PROMTOOL_VERSION="${PROMTOOL_VERSION:-v0.316.0}"
CACHE="${SYNCRET_CACHE:-$HOME/.cache/syncret}"
BIN="$CACHE/bin"
# local: a Go version mismatch fails loudly instead of downloading a toolchain.
export GOTOOLCHAIN=local CGO_ENABLED=0
mkdir -p "$BIN"

log() { printf '[build-tools %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# shellcheck source=lib/heartbeat.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/heartbeat.sh"

# install NAME VERSION PACKAGE [LDFLAGS [TAGS]]: go install PACKAGE@VERSION into $BIN/NAME-VERSION/.
install_tool() {
  local name="$1" version="$2" pkg="$3" ldflags="${4:-}" tags="${5:-}"
  local out="$BIN/$name-$version"
  if [[ -x "$out/$name" ]]; then echo "$out/$name"; return; fi
  # Two checkouts on a cold cache share the module cache: serialise, then look again.
  exec 8>"$BIN/.$name.lock"
  if ! flock -n 8; then
    log "another build of $name is running; waiting for it"
    flock 8
  fi
  if [[ ! -x "$out/$name" ]]; then
    log "building $name $version from the Go module proxy (first time only)"
    local t0=$SECONDS
    rm -rf "$out.tmp" && mkdir -p "$out.tmp"
    GOBIN="$out.tmp" with_heartbeat "go install $name" go install -trimpath -tags "$tags" -ldflags "-s -w $ldflags" "$pkg@$version"
    rm -rf "$out" && mv "$out.tmp" "$out"
    log "built $out/$name in $((SECONDS - t0))s"
  fi
  exec 8>&-
  echo "$out/$name"
}

# `go install` leaves the version variables at their development defaults; set them so
# `helm version` and `kubeconform -v` tell the truth.
# Its default Kubernetes version (for `helm template` without --kube-version) is that of its
# client-go (v0.36 for helm v3.21.4; update with HELM_VERSION), as in Helm's own Makefile.
helm() {
  install_tool helm "$HELM_VERSION" helm.sh/helm/v3/cmd/helm \
    "-X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=36"
}
kubeconform() { install_tool kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform "-X main.version=$KUBECONFORM_VERSION"; }
# promtool checks and unit-tests the chart's alert rules (the longest build here: minutes, once).
# remove_all_sd: rule checks and tests need no service discovery, and leaving out its plugins
# (the cloud SDKs, client-go, ...) cuts the cold build to a few minutes.
promtool() { install_tool promtool "$PROMTOOL_VERSION" github.com/prometheus/prometheus/cmd/promtool "" remove_all_sd; }

case "${1:-all}" in
  helm) helm ;;
  kubeconform) kubeconform ;;
  promtool) promtool ;;
  all) helm >/dev/null; kubeconform >/dev/null; promtool >/dev/null ;;
  *) echo "usage: $0 [all|helm|kubeconform|promtool]" >&2; exit 2 ;;
esac
