#!/usr/bin/env bash
# `make dev`: the operator and examples/ on the local control plane from `make cluster-up`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export KUBECONFIG="$ROOT/.e2e/kubeconfig"
# shellcheck disable=SC1091
source .e2e/cluster/env
log() { printf '[dev] %s\n' "$*"; }

log "installing CRDs and RBAC"
kubectl apply --server-side -f crds/ >/dev/null
kubectl apply -k config/rbac >/dev/null
kubectl wait --for condition=Established crd --all --timeout 60s >/dev/null
bash scripts/operator-kubeconfig.sh "$KUBECONFIG" .e2e/operator.kubeconfig

mkdir -p .e2e/logs
if [[ -f .e2e/dev-operator.pid ]] && kill -0 "$(cat .e2e/dev-operator.pid)" 2>/dev/null; then
  log "operator already running (pid $(cat .e2e/dev-operator.pid)); restarting it"
  kill "$(cat .e2e/dev-operator.pid)"; sleep 1
fi
port="${SYNCRET_DEV_PORT:-8080}"
log "starting the operator (metrics on 127.0.0.1:$port, log in .e2e/logs/dev-operator.log)"
setsid node dist/main.js run --kubeconfig .e2e/operator.kubeconfig --metrics-addr "127.0.0.1:$port" \
  --log-format text >>.e2e/logs/dev-operator.log 2>&1 </dev/null &
echo $! >.e2e/dev-operator.pid
for _ in $(seq 1 60); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.5; done

log "applying examples/"
kubectl apply -f examples/00-namespace.yaml -f examples/10-fake-store.yaml -f examples/11-fake-externalsecrets.yaml \
  -f examples/20-kubernetes-source.yaml >/dev/null
sed -e "s#\${APISERVER_URL}#$APISERVER_URL#" -e "s#\${APISERVER_CA_B64}#$(base64 -w0 <"$APISERVER_CA")#" \
  examples/21-kubernetes-store.yaml.tpl | kubectl apply -f - >/dev/null
kubectl wait --for condition=Ready es --all -n syncret-demo --timeout 90s >/dev/null || true

echo
kubectl get ss,css -A
echo
kubectl get es -n syncret-demo
echo
kubectl get secrets -n syncret-demo -l reconcile.external-secrets.io/managed=true
cat <<MSG

Syncret is running against the local control plane.
  export KUBECONFIG=$KUBECONFIG
  kubectl get es -A                         # ExternalSecrets and their status
  kubectl describe es db-credentials -n syncret-demo
  curl -s 127.0.0.1:$port/metrics | grep syncret_
  tail -f .e2e/logs/dev-operator.log
Stop everything with: make dev-down
MSG
