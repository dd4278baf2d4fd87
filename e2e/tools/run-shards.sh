#!/usr/bin/env bash
# Runs the e2e files in N jest processes at once (jest --shard), each with its own control plane
# and test servers (SYNCRET_E2E_DIR=.e2e/shard-I): most of an e2e file's time is waiting for
# refreshes, leases and restarts, so two shards on two cores finish in a little over half the
# time of one. Files never share a control plane across shards, so a fault file that kills its
# apiserver or etcd touches only its own shard. Output lines carry their shard.
#   run-shards.sh [N [JEST_ARGS...]]   N=1: one process on .e2e, as `npm run test:e2e`
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2}
shift || true
if [ "$n" -le 1 ]; then exec npm run --silent test:e2e -- "$@"; fi

pids=()
for i in $(seq 1 "$n"); do
  (
    SYNCRET_E2E_DIR="$PWD/.e2e/shard-$i" npm run --silent test:e2e -- --shard="$i/$n" "$@" 2>&1 |
      sed -u "s|^|[e2e $i/$n] |"
  ) &
  pids+=($!)
done
rc=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "[e2e] shard $((i + 1))/$n failed"
    rc=1
  fi
done
exit $rc
