#!/usr/bin/env bash
# Builds the real control-plane binaries the e2e suite runs (etcd, kube-apiserver,
# kube-controller-manager) and a kubectl of the same version from the Go module proxy,
# once per version.
# The cache lives outside the checkout because CI runs in a fresh clone on the same
# machine and must reuse it; a machine without it rebuilds (10-25 min cold on 2 cores).
set -euo pipefail

K8S_VERSION="${K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
CACHE="${SYNCRET_CACHE:-$HOME/.cache/syncret}"
BIN="$CACHE/bin"
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-mod=mod
mkdir -p "$BIN"

log() { printf '[build-bins %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# Two checkouts (or CI and `make dev`) may start on a cold cache at once; they share the
# wrapper modules under $CACHE/src, so builds are serialised and the second one then finds
# the binaries cached.
exec 9>"$BIN/.build.lock"
if ! flock -n 9; then
  log "another build is running; waiting for it"
  flock 9
fi

# shellcheck source=lib/heartbeat.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/heartbeat.sh"

build_k8s() {
  local out="$BIN/k8s-$K8S_VERSION"
  if [[ -x "$out/kube-apiserver" && -x "$out/kube-controller-manager" ]]; then
    log "kube-apiserver/kube-controller-manager $K8S_VERSION cached in $out"; return
  fi
  local stg="v0.${K8S_VERSION#v1.}" src="$CACHE/src/k8s-$K8S_VERSION"
  log "building kube-apiserver and kube-controller-manager $K8S_VERSION (first time only)"
  mkdir -p "$src" "$out.tmp"
  cd "$src"
  [[ -f go.mod ]] || go mod init syncret.e2e/k8sbins >/dev/null 2>&1
  log "downloading k8s.io/kubernetes $K8S_VERSION module graph (about 1 GB)"
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\([^"]*\)".*/\1/p')
  # k8s.io/kubernetes replaces its staging modules with local paths; point them at the
  # published staging tags instead, or `go build` refuses the module.
  local m
  for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/.*#\1#p' "$gomod"); do
    go mod edit -replace="$m=$m@$stg"
  done
  with_heartbeat "go get" go get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" \
    "k8s.io/kubernetes/cmd/kube-controller-manager@$K8S_VERSION"
  with_heartbeat "go build k8s" go build -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${K8S_VERSION#v1.}" \
    -o "$out.tmp/" k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kube-controller-manager
  rm -rf "$out" && mv "$out.tmp" "$out"
  log "built $out"
}

# kubectl from the same module graph: the distribution's kubectl may be several minor
# versions older than the apiserver, beyond the supported skew. With the k8s modules and
# build cache warm this costs about 35 s.
build_kubectl() {
  local out="$BIN/k8s-$K8S_VERSION"
  if [[ -x "$out/kubectl" ]]; then log "kubectl $K8S_VERSION cached in $out"; return; fi
  local src="$CACHE/src/k8s-$K8S_VERSION"
  [[ -f "$src/go.mod" ]] || { log "kubectl needs the k8s wrapper module; run '$0 k8s' first"; return 1; }
  log "building kubectl $K8S_VERSION (first time only)"
  cd "$src"
  with_heartbeat "go get kubectl" go get "k8s.io/kubernetes/cmd/kubectl@$K8S_VERSION"
  with_heartbeat "go build kubectl" go build -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$K8S_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=${K8S_VERSION#v1.}" \
    -o "$out/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl
  mv "$out/kubectl.tmp" "$out/kubectl"
  log "built $out/kubectl"
}

build_etcd() {
  local out="$BIN/etcd-$ETCD_VERSION"
  if [[ -x "$out/etcd" ]]; then log "etcd $ETCD_VERSION cached in $out"; return; fi
  local src="$CACHE/src/etcd-$ETCD_VERSION"
  log "building etcd $ETCD_VERSION (first time only)"
  mkdir -p "$src" "$out.tmp"
  cd "$src"
  [[ -f go.mod ]] || go mod init syncret.e2e/etcdbin >/dev/null 2>&1
  with_heartbeat "go get etcd" go get "go.etcd.io/etcd/server/v3@$ETCD_VERSION"
  with_heartbeat "go build etcd" go build -trimpath -ldflags "-s -w" -o "$out.tmp/etcd" go.etcd.io/etcd/server/v3
  rm -rf "$out" && mv "$out.tmp" "$out"
  log "built $out"
}

case "${1:-all}" in
  etcd) build_etcd ;;
  k8s) build_k8s ;;
  kubectl) build_kubectl ;;
  all) build_etcd; build_k8s; build_kubectl ;;
  *) echo "usage: $0 [all|etcd|k8s|kubectl]" >&2; exit 2 ;;
esac
