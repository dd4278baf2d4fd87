#!/usr/bin/env bash
# A real, minimal Kubernetes control plane on loopback: etcd, kube-apiserver and
# kube-controller-manager (garbage collector, namespace and serviceaccount controllers).
# Run state lives in <checkout>/.e2e/cluster; the admin kubeconfig in <checkout>/.e2e/kubeconfig.
#   cluster.sh up | down | status
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
STATE="${SYNCRET_E2E_DIR:-$ROOT/.e2e}"
DIR="$STATE/cluster"
K8S_VERSION="${K8S_VERSION:-v1.34.4}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
CACHE="${SYNCRET_CACHE:-$HOME/.cache/syncret}"
K8S_BIN="$CACHE/bin/k8s-$K8S_VERSION"
ETCD_BIN="$CACHE/bin/etcd-$ETCD_VERSION"
COMPONENTS=(etcd kube-apiserver kube-controller-manager)

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

alive() { [[ -f "$DIR/pids/$1" ]] && kill -0 "$(cat "$DIR/pids/$1")" 2>/dev/null; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

# Polls until the command succeeds; fails with the component's log tail after `secs`.
wait_for() {
  local what="$1" secs="$2"; shift 2
  local i
  for ((i = 0; i < secs * 4; i++)); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    if [[ -n "${WAIT_PID:-}" ]] && ! kill -0 "$WAIT_PID" 2>/dev/null; then break; fi
    sleep 0.25
  done
  log "$what did not become ready; last log lines:"
  tail -n 30 "$DIR/logs/$what.log" >&2 || true
  return 1
}

certs() {
  local c="$DIR/certs"
  mkdir -p "$c"
  [[ -f "$c/ca.crt" ]] && return 0
  log "creating certificates"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=syncret-e2e-ca" \
    -keyout "$c/ca.key" -out "$c/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$c/apiserver.key" -out "$c/apiserver.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n' >"$c/apiserver.ext"
  openssl x509 -req -in "$c/apiserver.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial \
    -days 3650 -extfile "$c/apiserver.ext" -out "$c/apiserver.crt" 2>/dev/null
  # Service-account tokens are signed with this pair (TokenRequest, Vault's jwt auth later).
  openssl genrsa -out "$c/sa.key" 2048 2>/dev/null
  openssl rsa -in "$c/sa.key" -pubout -out "$c/sa.pub" 2>/dev/null
}

write_kubeconfig() {
  local file="$1" server="$2" token="$3"
  cat >"$file" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: syncret-e2e
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$DIR/certs/ca.crt")
users:
- name: admin
  user:
    token: $token
contexts:
- name: syncret-e2e
  context: {cluster: syncret-e2e, user: admin}
current-context: syncret-e2e
EOF
  chmod 600 "$file"
}

start() {
  local name="$1"; shift
  mkdir -p "$DIR/logs" "$DIR/pids"
  # setsid: the components must outlive the shell (and make) that started them.
  setsid "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$DIR/pids/$name"
  WAIT_PID=$!
}

up() {
  if alive kube-apiserver && alive etcd; then
    log "already running (kubeconfig: $STATE/kubeconfig)"
    return 0
  fi
  [[ -d "$DIR/pids" ]] && down_quiet
  bash "$ROOT/e2e/tools/build-bins.sh" all
  mkdir -p "$DIR"
  certs
  local etcd_port etcd_peer api_port kcm_port token
  etcd_port=$(free_port); etcd_peer=$(free_port); api_port=$(free_port); kcm_port=$(free_port)
  token=$(openssl rand -hex 24)
  printf '%s,admin,admin,"system:masters"\n' "$token" >"$DIR/certs/tokens.csv"
  chmod 600 "$DIR/certs/tokens.csv"
  local server="https://127.0.0.1:$api_port"

  log "starting etcd on 127.0.0.1:$etcd_port"
  rm -rf "$DIR/etcd-data"
  start etcd "$ETCD_BIN/etcd" --name e2e --data-dir "$DIR/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "e2e=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync --log-level warn \
    --quota-backend-bytes 8589934592
  wait_for etcd 30 curl -sf "http://127.0.0.1:$etcd_port/health"

  log "starting kube-apiserver on $server"
  start kube-apiserver "$K8S_BIN/kube-apiserver" \
    --etcd-servers "http://127.0.0.1:$etcd_port" \
    --bind-address 127.0.0.1 --secure-port "$api_port" --advertise-address 127.0.0.1 \
    --endpoint-reconciler-type none \
    --cert-dir "$DIR/certs" \
    --tls-cert-file "$DIR/certs/apiserver.crt" --tls-private-key-file "$DIR/certs/apiserver.key" \
    --client-ca-file "$DIR/certs/ca.crt" \
    --token-auth-file "$DIR/certs/tokens.csv" \
    --authorization-mode RBAC \
    --service-account-issuer "$server" \
    --service-account-key-file "$DIR/certs/sa.pub" \
    --service-account-signing-key-file "$DIR/certs/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --disable-admission-plugins ServiceAccount \
    --profiling=false
  wait_for kube-apiserver 90 curl -sf --cacert "$DIR/certs/ca.crt" -H "Authorization: Bearer $token" "$server/readyz"

  write_kubeconfig "$STATE/kubeconfig" "$server" "$token"

  # The garbage collector learns of CRDs installed after it started only at its 30 s
  # rediscovery; installing the project's CRDs first makes ownerReference GC immediate.
  if compgen -G "$ROOT/crds/*.yaml" >/dev/null; then
    log "installing CRDs from crds/"
    kubectl --kubeconfig "$STATE/kubeconfig" apply --server-side --force-conflicts -f "$ROOT/crds/" >/dev/null
    kubectl --kubeconfig "$STATE/kubeconfig" wait --for condition=Established crd --all --timeout 60s >/dev/null
  fi

  log "starting kube-controller-manager"
  start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$STATE/kubeconfig" \
    --authentication-kubeconfig "$STATE/kubeconfig" --authorization-kubeconfig "$STATE/kubeconfig" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" --leader-elect=false \
    --controllers garbage-collector-controller,namespace-controller,serviceaccount-controller \
    --service-account-private-key-file "$DIR/certs/sa.key" --root-ca-file "$DIR/certs/ca.crt" \
    --concurrent-gc-syncs 20 --profiling=false
  wait_for kube-controller-manager 60 curl -sfk "https://127.0.0.1:$kcm_port/healthz"

  cat >"$DIR/env" <<EOF
APISERVER_URL=$server
APISERVER_PORT=$api_port
APISERVER_CA=$DIR/certs/ca.crt
SA_ISSUER=$server
SA_PUBLIC_KEY=$DIR/certs/sa.pub
ETCD_URL=http://127.0.0.1:$etcd_port
KCM_PORT=$kcm_port
KUBECONFIG_ADMIN=$STATE/kubeconfig
EOF
  log "up: $server (kubeconfig: $STATE/kubeconfig)"
}

stop_one() {
  local name="$1" pid i
  [[ -f "$DIR/pids/$name" ]] || return 0
  pid=$(cat "$DIR/pids/$name")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 40; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$DIR/pids/$name"
}

down_quiet() {
  local i
  for ((i = ${#COMPONENTS[@]} - 1; i >= 0; i--)); do stop_one "${COMPONENTS[$i]}"; done
  rm -rf "$DIR/etcd-data" "$DIR/env"
}

down() {
  if [[ ! -d "$DIR/pids" ]] || [[ -z "$(ls -A "$DIR/pids" 2>/dev/null)" ]]; then
    log "not running"
    return 0
  fi
  down_quiet
  rm -f "$STATE/kubeconfig"
  log "stopped (logs kept in $DIR/logs)"
}

status() {
  local c rc=0
  for c in "${COMPONENTS[@]}"; do
    if alive "$c"; then echo "$c: running (pid $(cat "$DIR/pids/$c"))"; else echo "$c: stopped"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  *) echo "usage: $0 up|down|status" >&2; exit 2 ;;
esac
