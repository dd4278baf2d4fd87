# Shared helpers for the backend test servers (sourced by servers.sh; not run on its own).
# Each server lives in servers/<name>.sh and defines up_<name>, down_<name> and status_<name>;
# up_<name> writes its client variables to "$DIR/env/<name>.env", which servers.sh merges
# into .e2e/servers.env.

log() { printf '[servers %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

# kill -0 also succeeds for a zombie (this machine's init reaps lazily), so read the state.
running() {
  local st
  st=$(ps -o stat= -p "$1" 2>/dev/null) || return 1
  [[ "$st" != Z* ]]
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# The process listening on the port is the one we started (not a stranger that won the race).
owns_port() {
  local pid="$1" port="$2"
  command -v ss >/dev/null 2>&1 || return 0
  # Servers run as a wrapper's child (java, python): accept any process in the pid's group.
  local pids
  pids=$(ps -o pid= -g "$(ps -o pgid= -p "$pid" | tr -d ' ')" 2>/dev/null | tr -d ' ' | paste -sd'|')
  [[ -n "$pids" ]] || pids="$pid"
  ss -Hltnp "sport = :$port" 2>/dev/null | grep -qE "pid=($pids),"
}

# pid_of NAME PATTERN: the recorded pid, if it is alive and its command line matches PATTERN
# (a reused pid after a crash is not ours).
pid_of() {
  local name="$1" pattern="$2" f="$DIR/pids/$1" pid
  [[ -f "$f" ]] || return 1
  pid=$(cat "$f")
  [[ "$pid" =~ ^[0-9]+$ ]] && running "$pid" || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qE -- "$pattern" || return 1
  echo "$pid"
}

# Stops a server and its process group (setsid made the pid the group leader).
stop_pid() {
  local pid="$1" what="$2" deadline
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || return 0
  deadline=$((SECONDS + 10))
  while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
  if running "$pid"; then
    log "$what (pid $pid) ignored SIGTERM for 10s; sending SIGKILL"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  fi
}

# wait_ready PID PORT SECONDS CMD...: polls CMD until it succeeds while PID owns PORT.
wait_ready() {
  local pid="$1" port="$2" limit="$3"
  shift 3
  local deadline=$((SECONDS + limit))
  while ((SECONDS < deadline)); do
    running "$pid" || return 1
    if owns_port "$pid" "$port" && "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

# write_env NAME < lines: the server's client variables, private (they hold test credentials).
write_env() {
  mkdir -p "$DIR/env"
  (umask 077 && cat >"$DIR/env/$1.env")
}

# with_lock NAME CMD...: serialises cache installs between checkouts sharing $CACHE.
with_lock() {
  local name="$1"
  shift
  mkdir -p "$CACHE"
  (
    flock 9
    "$@"
  ) 9>"$CACHE/.$name.lock"
}
