#!/usr/bin/env bash
# Backend test servers on loopback for the provider e2e tests, one file per server in
# e2e/tools/servers/<name>.sh. Run state lives in <checkout>/.e2e/servers (or
# $SYNCRET_E2E_DIR/servers); the client variables of every running server (VAULT_ADDR,
# VAULT_TOKEN, ...) are merged into .e2e/servers.env.
#   servers.sh up [name...] | down [name...] | status [name...] | list
#   servers.sh stop name... | start name...   (an outage: the same port and env afterwards;
#                                              only servers that define stop_<name>)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
HERE="$ROOT/e2e/tools/servers"
STATE="${SYNCRET_E2E_DIR:-$ROOT/.e2e}"
DIR="$STATE/servers"
ENV_FILE="$STATE/servers.env"
CACHE="${SYNCRET_CACHE:-$HOME/.cache/syncret}"
export ROOT HERE STATE DIR CACHE

# shellcheck source=servers/lib.sh
source "$HERE/lib.sh"

ALL=()
for f in "$HERE"/*.sh; do
  name=$(basename "$f" .sh)
  [[ "$name" == lib ]] && continue
  # shellcheck disable=SC1090
  source "$f"
  ALL+=("$name")
done

merge_env() {
  mkdir -p "$STATE"
  local n tmp="$ENV_FILE.tmp"
  (umask 077 && : >"$tmp")
  for n in "${ALL[@]}"; do
    [[ -f "$DIR/env/$n.env" ]] && cat "$DIR/env/$n.env" >>"$tmp"
  done
  mv "$tmp" "$ENV_FILE"
}

cmd="${1:-}"
shift || true
names=("$@")
((${#names[@]})) || names=("${ALL[@]}")
for n in "${names[@]}"; do
  [[ " ${ALL[*]} " == *" $n "* ]] || {
    echo "unknown server '$n' (have: ${ALL[*]})" >&2
    exit 2
  }
done

mkdir -p "$DIR/pids" "$DIR/logs" "$DIR/env"
case "$cmd" in
  up)
    t0=$SECONDS
    for n in "${names[@]}"; do
      "up_$n" || {
        merge_env
        log "$n failed to start"
        exit 1
      }
      merge_env
    done
    log "up: ${names[*]} ($((SECONDS - t0))s); env in $ENV_FILE"
    ;;
  down)
    for n in "${names[@]}"; do
      "down_$n" || true
      rm -f "$DIR/env/$n.env"
    done
    merge_env
    ;;
  stop | start)
    ((${#@})) || {
      echo "usage: $0 $cmd name..." >&2
      exit 2
    }
    for n in "${names[@]}"; do
      declare -F "${cmd}_$n" >/dev/null || {
        echo "server '$n' has no $cmd (an outage with the same port): see e2e/tools/servers/$n.sh" >&2
        exit 2
      }
      "${cmd}_$n" || exit 1
    done
    merge_env
    ;;
  status)
    rc=0
    for n in "${names[@]}"; do "status_$n" || rc=1; done
    exit $rc
    ;;
  list) echo "${ALL[*]}" ;;
  *)
    echo "usage: $0 up [name...] | down [name...] | status [name...] | list | stop|start name..." >&2
    exit 2
    ;;
esac
