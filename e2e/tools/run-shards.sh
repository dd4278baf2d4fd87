#!/usr/bin/env bash
# Runs the e2e files in N jest processes at once (jest --shard), each with its own control plane
# and test servers (SYNCRET_E2E_DIR=.e2e/shard-I): most of an e2e file's time is waiting for
# refreshes, leases and restarts, so two shards on two cores finish in a little over half the
# time of one. Then the files that measure the operator under stress (SERIAL: faults, fuzz,
# hostile, sharding) run alone, so another shard's CPU use cannot decide their latency bounds.
# Output lines carry their shard.
#   run-shards.sh [N [JEST_ARGS...]]   N=1: one process on .e2e, as `npm run test:e2e`;
#                                      with JEST_ARGS (e.g. files) no serial phase
set -euo pipefail
cd "$(dirname "$0")/../.."
n=${1:-2}
shift || true
if [ "$n" -le 1 ]; then exec npm run --silent test:e2e -- "$@"; fi

SERIAL='e2e/tests/(faults|fuzz|hostile|sharding)\.e2e\.test\.ts$'
serial=0
if [ $# -eq 0 ]; then
  serial=1
  set -- --testPathIgnorePatterns "$SERIAL"
fi

mkdir -p .e2e/output
rm -f .e2e/output/*.log
shard() { # LABEL DIR JEST_ARGS...
  local label=$1 dir=$2
  shift 2
  SYNCRET_E2E_DIR="$PWD/.e2e/$dir" npm run --silent test:e2e -- "$@" 2>&1 |
    tee ".e2e/output/${label//\//-of-}.log" | sed -u "s|^|[e2e $label] |"
}

# CI keeps only the end of the output: the failed tests and their first error lines come last.
failures() {
  awk '
    # "● Console" heads the console output of a test file, not a failure.
    /^  ● / { name = $0; sub(/^  ● /, "", name); if (name == "Console") name = ""; n = 0; next }
    name != "" && n < 3 && $0 ~ /[^ ]/ && $0 !~ /^ +at / && $0 !~ /^ +[0-9]+ \|/ && $0 !~ /^ +\|/ {
      line = $0; sub(/^ +/, "", line)
      if (n == 0) { if (seen[name]++) { name = ""; next } print "  ✕ " name }
      if (!shown[line]++) print "      " substr(line, 1, 200)
      n++
      if (n == 3) name = ""
    }
  ' .e2e/output/*.log | head -40
}

t0=$SECONDS
pids=()
for i in $(seq 1 "$n"); do
  shard "$i/$n" "shard-$i" --shard="$i/$n" "$@" &
  pids+=($!)
done
rc=0
for i in "${!pids[@]}"; do
  if ! wait "${pids[$i]}"; then
    echo "[e2e] shard $((i + 1))/$n failed"
    rc=1
  fi
done
echo "[e2e] shards done in $((SECONDS - t0)) s"
if [ "$serial" = 1 ]; then
  t1=$SECONDS
  if ! shard serial shard-1 --testPathPatterns "$SERIAL"; then
    echo "[e2e] serial files failed"
    rc=1
  fi
  echo "[e2e] serial files done in $((SECONDS - t1)) s"
fi
if [ "$rc" != 0 ]; then
  echo "[e2e] failed tests (full output in .e2e/output/):"
  # head closing the pipe early must not turn the exit status into SIGPIPE's.
  failures || true
fi
exit $rc
