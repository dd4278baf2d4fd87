#!/usr/bin/env bash
# A real, minimal Kubernetes control plane on loopback: etcd, kube-apiserver and
# kube-controller-manager (garbage collector, namespace, serviceaccount, and the deployment,
# replicaset, statefulset and daemonset controllers for rollout restarts; no kubelet runs, so
# pods never start, but ReplicaSets and ControllerRevisions show every rollout).
# Run state lives in <checkout>/.e2e/cluster (or $SYNCRET_E2E_DIR/cluster); the admin
# kubeconfig in <checkout>/.e2e/kubeconfig, addresses in .e2e/cluster/env.
#   cluster.sh up | down | status
#   cluster.sh kill | start | restart etcd|kube-apiserver|kube-controller-manager
# SYNCRET_CLUSTER_PROFILING=true serves the apiserver's /debug/pprof (bench profiling runs).
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
ADMIN_KUBECONFIG="$STATE/kubeconfig"

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# The kubectl built with the control plane matches its version; the distribution's may be
# older than the supported skew.
kubectl_bin() {
  if [[ -x "$K8S_BIN/kubectl" ]]; then echo "$K8S_BIN/kubectl"; else command -v kubectl; fi
}

# A pid file alone is not proof: after a reboot or a crash the pid may belong to another
# process. Every component's command line names this state directory, so check that too.
pid_of() {
  local f="$DIR/pids/$1" pid
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF "$DIR/" || return 1
  echo "$pid"
}

alive() { pid_of "$1" >/dev/null; }

# kill -0 also succeeds for a zombie. The components are reparented to init when the
# shell that started them exits, and an init that reaps lazily leaves them as zombies for
# a while after they exited.
running() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ "$st" != Z* ]]
}

# Binds all sockets before closing any, so the ports differ from each other; the kernel may
# still hand one out again before the server binds it, which up() retries.
free_ports() {
  local n="$1"
  if command -v python3 >/dev/null 2>&1; then
    python3 - "$n" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
  else
    node -e '
      const net = require("node:net");
      const n = Number(process.argv[1]);
      const servers = [];
      const next = () => {
        if (servers.length === n) {
          console.log(servers.map((s) => s.address().port).join(" "));
          servers.forEach((s) => s.close());
          return;
        }
        const s = net.createServer();
        servers.push(s);
        s.listen(0, "127.0.0.1", next);
      };
      next();' "$n"
  fi
}

# Whether `pid` itself listens on the port. A health check alone could be answered by
# another server that took the port between free_ports and our bind (another `up` running
# at the same moment), and etcd has no identity to tell the two apart.
owns_port() {
  local pid="$1" port="$2"
  command -v ss >/dev/null 2>&1 || return 0
  ss -Hltnp "sport = :$port" 2>/dev/null | grep -q "pid=$pid,"
}

# Polls until the process listens on its port and the check command succeeds, for at most
# `secs`; gives up early if the process died.
wait_for() {
  local what="$1" secs="$2" pid="$3" port="$4"; shift 4
  local deadline=$((SECONDS + secs))
  while ((SECONDS < deadline)); do
    if ! running "$pid"; then
      log "$what exited during startup; last log lines:"
      tail -n 20 "$DIR/logs/$what.log" >&2 || true
      return 1
    fi
    if owns_port "$pid" "$port" && "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  log "$what not ready after ${secs}s; last log lines:"
  tail -n 20 "$DIR/logs/$what.log" >&2 || true
  return 1
}

certs() {
  local c="$DIR/certs"
  rm -rf "$c"
  mkdir -p "$c"
  chmod 700 "$c"
  log "creating certificates in $c"
  openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=syncret-e2e-ca" \
    -keyout "$c/ca.key" -out "$c/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=kube-apiserver" \
    -keyout "$c/apiserver.key" -out "$c/apiserver.csr" 2>/dev/null
  printf '%s\n' \
    'subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc' \
    'extendedKeyUsage=serverAuth' \
    'keyUsage=critical,digitalSignature,keyEncipherment' >"$c/apiserver.ext"
  openssl x509 -req -in "$c/apiserver.csr" -CA "$c/ca.crt" -CAkey "$c/ca.key" -CAcreateserial \
    -days 365 -extfile "$c/apiserver.ext" -out "$c/apiserver.crt" 2>/dev/null
  # Service-account tokens (TokenRequest) are signed with this pair; kube-controller-manager
  # gets the private key too, and tests that configure Vault's jwt auth use the public key.
  openssl genrsa -out "$c/sa.key" 2048 2>/dev/null
  openssl rsa -in "$c/sa.key" -pubout -out "$c/sa.pub" 2>/dev/null
}

write_kubeconfig() {
  local file="$1" server="$2" token="$3"
  (
    umask 077
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
  )
}

start() {
  local name="$1"; shift
  # setsid: the components must outlive the shell (and make, and jest) that started them.
  (cd "$DIR" && exec setsid "$@" >>"$DIR/logs/$name.log" 2>&1 </dev/null) &
  echo $! >"$DIR/pids/$name"
  STARTED_PID=$!
}

# The three launches, shared by boot (fresh ports and data) and start_one (the same ports, data
# and certificates again, after a kill). They read the ports from the caller's variables
# etcd_port, etcd_peer, api_port and kcm_port, and the admin token from token.
launch_etcd() {
  log "starting etcd $ETCD_VERSION on 127.0.0.1:$etcd_port"
  start etcd "$ETCD_BIN/etcd" --name e2e --data-dir "$DIR/etcd-data" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "e2e=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync --log-level warn \
    --quota-backend-bytes 8589934592
  wait_for etcd 30 "$STARTED_PID" "$etcd_port" curl -sf "http://127.0.0.1:$etcd_port/health"
}

launch_apiserver() {
  local server="https://127.0.0.1:$api_port"
  log "starting kube-apiserver $K8S_VERSION on $server"
  # --api-audiences: tokens without an explicit audience get the issuer, and the apiserver
  # accepts exactly these audiences when a ServiceAccount token authenticates against it.
  # --delete-collection-workers: namespace cleanup deletes in parallel (default 1). A namespace
  # of 5,000 ExternalSecrets and 10,000 Secrets went in 18 s instead of 29 s (2026-11-23); the
  # benchmark waits for several such deletions between its timed phases.
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
    --api-audiences "$server" \
    --service-account-key-file "$DIR/certs/sa.pub" \
    --service-account-signing-key-file "$DIR/certs/sa.key" \
    --service-cluster-ip-range 10.0.0.0/24 \
    --disable-admission-plugins ServiceAccount \
    --delete-collection-workers 8 \
    --profiling="${SYNCRET_CLUSTER_PROFILING:-false}"
  wait_for kube-apiserver 90 "$STARTED_PID" "$api_port" \
    curl -sf --cacert "$DIR/certs/ca.crt" -H "Authorization: Bearer $token" "$server/readyz"
}

launch_kcm() {
  log "starting kube-controller-manager $K8S_VERSION"
  start kube-controller-manager "$K8S_BIN/kube-controller-manager" \
    --kubeconfig "$ADMIN_KUBECONFIG" \
    --authentication-kubeconfig "$ADMIN_KUBECONFIG" --authorization-kubeconfig "$ADMIN_KUBECONFIG" \
    --bind-address 127.0.0.1 --secure-port "$kcm_port" --leader-elect=false \
    --controllers garbage-collector-controller,namespace-controller,serviceaccount-controller,deployment-controller,replicaset-controller,statefulset-controller,daemonset-controller \
    --service-account-private-key-file "$DIR/certs/sa.key" --root-ca-file "$DIR/certs/ca.crt" \
    --concurrent-gc-syncs 20 --profiling=false
  wait_for kube-controller-manager 60 "$STARTED_PID" "$kcm_port" curl -sfk "https://127.0.0.1:$kcm_port/healthz"
}

# Starts the three components once; returns 1 on any failure (the caller cleans up).
boot() {
  local ports etcd_port etcd_peer api_port kcm_port token server kubectl
  ports=$(free_ports 4)
  read -r etcd_port etcd_peer api_port kcm_port <<<"$ports"
  token=$(openssl rand -hex 24)
  (umask 077 && printf '%s,admin,admin,"system:masters"\n' "$token" >"$DIR/certs/tokens.csv")
  server="https://127.0.0.1:$api_port"
  kubectl=$(kubectl_bin)

  rm -rf "$DIR/etcd-data"
  launch_etcd || return 1
  launch_apiserver || return 1

  write_kubeconfig "$ADMIN_KUBECONFIG" "$server" "$token"

  # The garbage collector learns of CRDs installed after it started only at its 30 s
  # rediscovery; installing the project's CRDs first makes ownerReference GC of their
  # dependents prompt from the first test on.
  if compgen -G "$ROOT/crds/*.yaml" >/dev/null; then
    log "installing CRDs from crds/ before the garbage collector starts"
    "$kubectl" --kubeconfig "$ADMIN_KUBECONFIG" apply --server-side --force-conflicts -f "$ROOT/crds/" >/dev/null || return 1
    "$kubectl" --kubeconfig "$ADMIN_KUBECONFIG" wait --for condition=Established crd --all --timeout 60s >/dev/null || return 1
  fi

  launch_kcm || return 1

  # Plain KEY=value lines: sourced by shell scripts and parsed by e2e/lib (no quoting).
  # ETCD_PEER_PORT: for `start etcd` after a kill (the same peer URL as the data dir records).
  cat >"$DIR/env" <<EOF
APISERVER_URL=$server
APISERVER_PORT=$api_port
APISERVER_CA=$DIR/certs/ca.crt
SA_ISSUER=$server
SA_PUBLIC_KEY=$DIR/certs/sa.pub
ETCD_URL=http://127.0.0.1:$etcd_port
ETCD_PORT=$etcd_port
ETCD_PEER_PORT=$etcd_peer
KCM_PORT=$kcm_port
KUBECONFIG_ADMIN=$ADMIN_KUBECONFIG
KUBECTL=$kubectl
K8S_VERSION=$K8S_VERSION
EOF
}

up() {
  local c live=0
  for c in "${COMPONENTS[@]}"; do if alive "$c"; then live=$((live + 1)); fi; done
  if ((live == ${#COMPONENTS[@]})); then
    log "already running: $(sed -n 's/^APISERVER_URL=//p' "$DIR/env" 2>/dev/null) (kubeconfig: $ADMIN_KUBECONFIG)"
    return 0
  fi
  if ((live > 0)); then log "partly running; restarting every component"; fi
  stop_all
  bash "$ROOT/e2e/tools/build-bins.sh" all
  local t0=$SECONDS attempt
  mkdir -p "$DIR/logs" "$DIR/pids" "$STATE/logs"
  for c in "${COMPONENTS[@]}"; do
    if [[ -f "$DIR/logs/$c.log" ]]; then mv -f "$DIR/logs/$c.log" "$DIR/logs/$c.prev.log"; fi
  done
  certs
  for attempt in 1 2 3; do
    if boot; then
      log "up in $((SECONDS - t0))s: $(sed -n 's/^APISERVER_URL=//p' "$DIR/env")"
      log "export KUBECONFIG=$ADMIN_KUBECONFIG"
      return 0
    fi
    stop_all
    if grep -qs 'address already in use' "$DIR/logs/etcd.log" "$DIR/logs/kube-apiserver.log" \
      "$DIR/logs/kube-controller-manager.log"; then
      log "a port was taken before its server bound it; retrying with new ports (attempt $attempt)"
      for c in "${COMPONENTS[@]}"; do
        if [[ -f "$DIR/logs/$c.log" ]]; then mv -f "$DIR/logs/$c.log" "$DIR/logs/$c.failed.log"; fi
      done
      continue
    fi
    break
  done
  log "failed to start; logs in $DIR/logs"
  return 1
}

# Sends SIGTERM to the named components together, waits up to 10 s, then SIGKILLs the rest.
terminate() {
  local c pid i
  local -A pids=()
  for c in "$@"; do
    if pid=$(pid_of "$c"); then
      pids[$c]=$pid
      kill -TERM "$pid" 2>/dev/null || true
    fi
  done
  for ((i = 0; i < 100 && ${#pids[@]} > 0; i++)); do
    for c in "${!pids[@]}"; do running "${pids[$c]}" || unset "pids[$c]"; done
    if ((${#pids[@]} > 0)); then sleep 0.1; fi
  done
  for c in "${!pids[@]}"; do
    log "$c (pid ${pids[$c]}) ignored SIGTERM for 10s; sending SIGKILL"
    kill -KILL "${pids[$c]}" 2>/dev/null || true
  done
  for c in "$@"; do rm -f "$DIR/pids/$c"; done
}

# etcd last: a kube-apiserver that lost etcd keeps retrying it and never finishes its
# graceful shutdown. The controller manager and apiserver go together, which takes as long
# as the slower of the two (about 3 s) rather than their sum.
stop_all() {
  terminate kube-controller-manager kube-apiserver
  terminate etcd
}

down() {
  local c live=0
  for c in "${COMPONENTS[@]}"; do if alive "$c"; then live=$((live + 1)); fi; done
  stop_all
  # Everything but the logs: the kubeconfigs point at a server that no longer exists, and
  # the certificates and token file hold credentials.
  rm -rf "$DIR/etcd-data" "$DIR/env" "$DIR/pids" "$DIR/certs" "$ADMIN_KUBECONFIG" "$STATE/operator.kubeconfig"
  if ((live > 0)); then log "stopped (logs kept in $DIR/logs)"; else log "not running"; fi
}

# One component of a running control plane, for the fault tests: `kill` is a crash (SIGKILL,
# nothing flushed or released), `start` brings it back with the same data directory, ports,
# certificates and token, so every client's kubeconfig and every stored object stay valid.
component_arg() {
  local c
  for c in "${COMPONENTS[@]}"; do [[ "$1" == "$c" ]] && return 0; done
  echo "unknown component '${1:-}' (have: ${COMPONENTS[*]})" >&2
  exit 2
}

kill_one() {
  local c="$1" pid i
  if ! pid=$(pid_of "$c"); then
    log "$c is not running"
    return 0
  fi
  kill -KILL "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do running "$pid" || break; sleep 0.05; done
  rm -f "$DIR/pids/$c"
  log "killed $c (pid $pid, SIGKILL)"
}

start_one() {
  local c="$1" etcd_port etcd_peer api_port kcm_port token t0=$SECONDS
  [[ -f "$DIR/env" && -f "$DIR/certs/tokens.csv" ]] || {
    log "no control plane state in $DIR (run up first)"
    return 1
  }
  if alive "$c"; then
    log "$c already running"
    return 0
  fi
  etcd_port=$(sed -n 's/^ETCD_PORT=//p' "$DIR/env")
  etcd_peer=$(sed -n 's/^ETCD_PEER_PORT=//p' "$DIR/env")
  api_port=$(sed -n 's/^APISERVER_PORT=//p' "$DIR/env")
  kcm_port=$(sed -n 's/^KCM_PORT=//p' "$DIR/env")
  token=$(cut -d, -f1 "$DIR/certs/tokens.csv")
  [[ -n "$etcd_peer" ]] || {
    log "$DIR/env has no ETCD_PEER_PORT (a control plane from an older cluster.sh): run down and up"
    return 1
  }
  mkdir -p "$DIR/pids"
  case "$c" in
    etcd) launch_etcd ;;
    kube-apiserver) launch_apiserver ;;
    kube-controller-manager) launch_kcm ;;
  esac || return 1
  log "$c up again in $((SECONDS - t0))s"
}

status() {
  local c pid rc=0
  for c in "${COMPONENTS[@]}"; do
    if pid=$(pid_of "$c"); then echo "$c: running (pid $pid)"; else echo "$c: stopped"; rc=1; fi
  done
  if ((rc == 0)) && [[ -f "$DIR/env" ]]; then
    echo "apiserver: $(sed -n 's/^APISERVER_URL=//p' "$DIR/env")"
    echo "kubeconfig: $ADMIN_KUBECONFIG"
  fi
  return $rc
}

case "${1:-}" in
  up) up ;;
  down) down ;;
  status) status ;;
  kill) component_arg "${2:-}" && kill_one "$2" ;;
  start) component_arg "${2:-}" && start_one "$2" ;;
  restart) component_arg "${2:-}" && kill_one "$2" && start_one "$2" ;;
  *) echo "usage: $0 up|down|status | kill|start|restart COMPONENT" >&2; exit 2 ;;
esac
