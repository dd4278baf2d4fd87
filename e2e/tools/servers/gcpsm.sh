# GCP Secret Manager emulator (gRPC, plaintext, loopback). Google ships no emulator and the
# community one is a Go module the reachable module proxy refuses (403), so this runs the
# project's own emulator, e2e/tools/gcpsm-emulator/emulator.ts, on Node with the real service
# definition from @google-cloud/secret-manager's protos. Nothing to install: it needs only the
# checkout's node_modules. See docs/providers/gcp.md for what it implements.

GCPSM_EMULATOR="$ROOT/e2e/tools/gcpsm-emulator/emulator.ts"

gcpsm_pid() { pid_of gcpsm 'gcpsm-emulator/emulator\.ts'; }

# The emulator prints its address only once the gRPC server is bound; wait_ready also checks
# that our pid owns the port.
gcpsm_listening() { grep -q "listening on 127.0.0.1:$1" "$DIR/logs/gcpsm.log"; }

up_gcpsm() {
  if gcpsm_pid >/dev/null && [[ -f "$DIR/env/gcpsm.env" ]]; then
    log "gcpsm already running (pid $(gcpsm_pid))"
    return 0
  fi
  down_gcpsm
  local node port pid attempt
  node=$(command -v node) || {
    log "gcpsm: node is not on PATH"
    return 1
  }
  [[ -d "$ROOT/node_modules/@google-cloud/secret-manager" ]] || {
    log "gcpsm: node_modules/@google-cloud/secret-manager is missing (run make deps)"
    return 1
  }
  for attempt in 1 2 3; do
    port=$(free_port)
    log "starting gcpsm emulator on 127.0.0.1:$port"
    : >"$DIR/logs/gcpsm-requests.jsonl"
    setsid "$node" "$GCPSM_EMULATOR" --host 127.0.0.1 --port "$port" \
      --request-log "$DIR/logs/gcpsm-requests.jsonl" \
      >"$DIR/logs/gcpsm.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$DIR/pids/gcpsm"
    if wait_ready "$pid" "$port" 30 gcpsm_listening "$port"; then
      write_env gcpsm <<ENV
GCPSM_EMULATOR_HOST=127.0.0.1:$port
GCPSM_PROJECT=syncret-e2e
GCPSM_EMULATOR_PID=$pid
GCPSM_REQUEST_LOG=$DIR/logs/gcpsm-requests.jsonl
ENV
      log "gcpsm emulator up: 127.0.0.1:$port (pid $pid)"
      return 0
    fi
    log "gcpsm did not become ready on port $port (attempt $attempt); last log lines:"
    tail -n 20 "$DIR/logs/gcpsm.log" >&2 || true
    stop_pid "$pid" gcpsm
    rm -f "$DIR/pids/gcpsm"
  done
  return 1
}

down_gcpsm() {
  local pid
  if pid=$(gcpsm_pid); then
    log "stopping gcpsm (pid $pid)"
    stop_pid "$pid" gcpsm
  fi
  rm -f "$DIR/pids/gcpsm"
}

status_gcpsm() {
  local pid
  if pid=$(gcpsm_pid); then
    echo "gcpsm: running (pid $pid, $(sed -n 's/^GCPSM_EMULATOR_HOST=//p' "$DIR/env/gcpsm.env" 2>/dev/null))"
  else
    echo "gcpsm: stopped"
    return 1
  fi
}
