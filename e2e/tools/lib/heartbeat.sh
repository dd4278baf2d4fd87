# with_heartbeat WHAT CMD...: runs a long command while printing a heartbeat through the
# caller's log(), so CI logs show progress. Sourced by build-bins.sh and build-tools.sh.
with_heartbeat() {
  local what="$1"
  shift
  "$@" &
  local pid=$! start=$SECONDS next=$((SECONDS + 30))
  # Short ticks: a step that finishes in 2 s must not cost a whole heartbeat period.
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS >= next)) && kill -0 "$pid" 2>/dev/null; then
      log "$what: still building ($((SECONDS - start))s)"
      next=$((SECONDS + 30))
    fi
  done
  wait "$pid"
}
