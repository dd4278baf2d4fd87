# moto in server mode: AWS Secrets Manager, SSM Parameter Store and STS on one loopback port,
# from PyPI (moto[server]). The venv lives in the cache, outside the checkout, one per version.
# moto accepts any access key and does not verify signatures or web identity tokens.
# Its request recorder (off until a test starts it through /moto-api/recorder/start-recording)
# writes to $DIR/moto-recording.jsonl: the e2e tests count AWS API calls with it.

MOTO_VERSION="${MOTO_VERSION:-5.2.5}"
MOTO_VENV="$CACHE/venv-moto-$MOTO_VERSION"
MOTO_REGION="us-east-1"

moto_installed() {
  local have
  [[ -x "$MOTO_VENV/bin/moto_server" ]] || return 1
  have=$("$MOTO_VENV/bin/pip" show moto 2>/dev/null | sed -n 's/^Version: //p' || true)
  [[ "$have" == "$MOTO_VERSION" ]]
}

install_moto_locked() {
  moto_installed && return 0
  log "installing moto[server]==$MOTO_VERSION from PyPI into $MOTO_VENV (once per version, 1-3 min)"
  [[ -x "$MOTO_VENV/bin/pip" ]] || python3 -m venv "$MOTO_VENV"
  "$MOTO_VENV/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  log "installed moto $MOTO_VERSION"
}

install_moto() {
  moto_installed || with_lock "venv-moto-$MOTO_VERSION" install_moto_locked
}

moto_pid() { pid_of moto 'moto_server'; }

# Starts moto on `port`, waits for it and writes its env; returns 1 if it did not come up.
launch_moto() {
  local port="$1" pid url="http://127.0.0.1:$1"
  MOTO_RECORDER_FILEPATH="$DIR/moto-recording.jsonl" \
    setsid "$MOTO_VENV/bin/moto_server" -H 127.0.0.1 -p "$port" \
    >>"$DIR/logs/moto.log" 2>&1 </dev/null &
  pid=$!
  echo "$pid" >"$DIR/pids/moto"
  if wait_ready "$pid" "$port" 60 curl -fsS --max-time 2 "$url/moto-api/"; then
    # AWS_ENDPOINT_URL is what the SDKs (and the operator under test) read; the per-service
    # variables show the same override works for each client on its own.
    write_env moto <<ENV
MOTO_URL=$url
MOTO_VERSION=$MOTO_VERSION
MOTO_PID=$pid
MOTO_RECORDING=$DIR/moto-recording.jsonl
MOTO_VENV=$MOTO_VENV
AWS_ENDPOINT_URL=$url
AWS_ENDPOINT_URL_SECRETS_MANAGER=$url
AWS_ENDPOINT_URL_SSM=$url
AWS_ENDPOINT_URL_STS=$url
AWS_REGION=$MOTO_REGION
AWS_ACCESS_KEY_ID=AKIAMOTOADMIN0000000
AWS_SECRET_ACCESS_KEY=moto-admin-secret-key
ENV
    log "moto $MOTO_VERSION up: $url (pid $pid)"
    return 0
  fi
  log "moto did not become ready on port $port; last log lines:"
  tail -n 20 "$DIR/logs/moto.log" >&2 || true
  stop_pid "$pid" moto
  rm -f "$DIR/pids/moto"
  return 1
}

up_moto() {
  if moto_pid >/dev/null && [[ -f "$DIR/env/moto.env" ]]; then
    log "moto already running (pid $(moto_pid))"
    return 0
  fi
  down_moto
  install_moto
  local attempt
  : >"$DIR/logs/moto.log"
  for attempt in 1 2 3; do
    : >"$DIR/moto-recording.jsonl"
    launch_moto "$(free_port)" && return 0
    log "moto failed to start (attempt $attempt)"
  done
  return 1
}

# An outage for the fault tests: the process goes (SIGTERM, then SIGKILL), its env stays, so
# `start` brings it back on the same port and every client configured with it reconnects. moto
# keeps its data in memory: a restarted moto is empty.
stop_moto() {
  local pid
  if pid=$(moto_pid); then
    stop_pid "$pid" moto
    log "stopped moto (pid $pid); its port and env are kept for start"
  fi
  rm -f "$DIR/pids/moto"
}

start_moto() {
  local port
  if moto_pid >/dev/null; then
    log "moto already running (pid $(moto_pid))"
    return 0
  fi
  port=$(sed -n 's|^MOTO_URL=http://127.0.0.1:||p' "$DIR/env/moto.env" 2>/dev/null)
  [[ -n "$port" ]] || {
    log "moto has no env to restart from (run up first)"
    return 1
  }
  launch_moto "$port"
}

down_moto() {
  local pid
  if pid=$(moto_pid); then
    log "stopping moto (pid $pid)"
    stop_pid "$pid" moto
  fi
  rm -f "$DIR/pids/moto" "$DIR/moto-recording.jsonl"
}

status_moto() {
  local pid
  if pid=$(moto_pid); then
    echo "moto: running (pid $pid, $(sed -n 's/^MOTO_URL=//p' "$DIR/env/moto.env" 2>/dev/null))"
  else
    echo "moto: stopped"
    return 1
  fi
}
