# PostgreSQL 15 from Debian, for the Vault database secrets engine tests (dynamic credentials
# that must really log in). A throwaway cluster under the state dir on a free loopback port,
# with its socket in the data dir, so it never touches a system PostgreSQL.

PG_MAJOR="${PG_MAJOR:-15}"
PG_BINDIR="/usr/lib/postgresql/$PG_MAJOR/bin"

pg_installed() { [[ -x "$PG_BINDIR/initdb" && -x "$PG_BINDIR/pg_ctl" ]] && command -v psql >/dev/null; }

install_pg_locked() {
  pg_installed && return 0
  log "installing postgresql-$PG_MAJOR from Debian apt (once per machine)"
  local sudo=()
  ((EUID == 0)) || sudo=(sudo -n)
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "postgresql-$PG_MAJOR" >/dev/null ||
    { "${sudo[@]}" apt-get update -q >/dev/null &&
      DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -q "postgresql-$PG_MAJOR" >/dev/null; }
  pg_installed
}

install_pg() { pg_installed || with_lock apt-postgresql install_pg_locked; }

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
pg_as() {
  if ((EUID == 0)); then runuser -u postgres -- "$@"; else "$@"; fi
}

postgres_pid() { pid_of postgres 'postgres .*-D'; }

up_postgres() {
  if postgres_pid >/dev/null && [[ -f "$DIR/env/postgres.env" ]]; then
    log "postgres already running (pid $(postgres_pid))"
    return 0
  fi
  down_postgres
  install_pg || { log "postgresql-$PG_MAJOR is not installed and apt-get failed"; return 1; }
  local data="$DIR/postgres" pw port pid attempt
  pw="pg-$(openssl rand -hex 16)"
  mkdir -p "$data"
  chmod 700 "$data"
  (umask 077 && printf '%s\n' "$pw" >"$DIR/postgres.pw")
  if ((EUID == 0)); then chown postgres: "$data" "$DIR/postgres.pw"; fi
  # Socket connections trust (the scripts' own), TCP needs a password (what Vault and the
  # synced dynamic credentials use).
  pg_as "$PG_BINDIR/initdb" -D "$data" -U postgres --pwfile="$DIR/postgres.pw" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --no-sync >"$DIR/logs/postgres-initdb.log" 2>&1 ||
    { log "initdb failed:"; tail -n 20 "$DIR/logs/postgres-initdb.log" >&2; return 1; }
  rm -f "$DIR/postgres.pw"
  for attempt in 1 2 3; do
    port=$(free_port)
    # setsid first: the wrapper (runuser) leads the process group, so owns_port and
    # stop_pid see the server as its member.
    local launch=(setsid)
    if ((EUID == 0)); then launch=(setsid runuser -u postgres --); fi
    "${launch[@]}" "$PG_BINDIR/postgres" -D "$data" -p "$port" -c listen_addresses=127.0.0.1 \
      -c unix_socket_directories="$data" -c fsync=off -c max_connections=50 \
      >"$DIR/logs/postgres.log" 2>&1 </dev/null &
    pid=$!
    echo "$pid" >"$DIR/pids/postgres"
    if wait_ready "$pid" "$port" 30 "$PG_BINDIR/pg_isready" -q -h 127.0.0.1 -p "$port"; then
      # runuser forks: record the server itself, not the wrapper.
      local real
      real=$(head -n1 "$data/postmaster.pid" 2>/dev/null || echo "$pid")
      echo "$real" >"$DIR/pids/postgres"
      write_env postgres <<ENV
PG_HOST=127.0.0.1
PG_PORT=$port
PG_ADMIN_USER=postgres
PG_ADMIN_PASSWORD=$pw
PG_PSQL=$(command -v psql)
ENV
      log "postgresql $PG_MAJOR up: 127.0.0.1:$port (pid $real)"
      return 0
    fi
    log "postgres did not become ready on port $port (attempt $attempt); last log lines:"
    tail -n 20 "$DIR/logs/postgres.log" >&2 || true
    stop_pid "$pid" postgres
    rm -f "$DIR/pids/postgres"
  done
  return 1
}

down_postgres() {
  local pid
  if pid=$(postgres_pid); then
    log "stopping postgres (pid $pid)"
    # SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for clients to leave).
    kill -INT "$pid" 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while running "$pid" && ((SECONDS < deadline)); do sleep 0.1; done
    running "$pid" && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$DIR/pids/postgres"
  rm -rf "$DIR/postgres"
}

status_postgres() {
  local pid
  if pid=$(postgres_pid); then
    echo "postgres: running (pid $pid, 127.0.0.1:$(sed -n 's/^PG_PORT=//p' "$DIR/env/postgres.env" 2>/dev/null))"
  else
    echo "postgres: stopped"
    return 1
  fi
}
