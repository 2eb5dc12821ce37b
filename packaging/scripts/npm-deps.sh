#!/usr/bin/env bash
# Installs the npm packages Patina's tests use — today only the reference
# TypeScript MCP SDK, @modelcontextprotocol/sdk, pinned with its whole
# dependency tree (and integrity hashes) in contrib/mcp/test/package-lock.json
# — into a cache directory outside the repository, and prints that directory.
# The interop test (cmd/patina, TestMCPNodeClient) runs node against it.
#
# Idempotent and fast when already done: nothing is fetched while the
# installed tree matches the lock file. Install scripts are never run.
#
# Usage: packaging/scripts/npm-deps.sh [DIR]
#   DIR defaults to $PATINA_NPM_DIR, then ${XDG_CACHE_HOME:-~/.cache}/patina/npm.
set -euo pipefail

src=$(cd "$(dirname "$0")/../../contrib/mcp/test" && pwd)
dir=${1:-${PATINA_NPM_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/patina/npm}}

for tool in node npm sha256sum; do
  command -v "$tool" >/dev/null || { echo "npm-deps: $tool not found (install Node.js 18 or later)" >&2; exit 1; }
done

want=$(cat "$src/package.json" "$src/package-lock.json" | sha256sum | cut -d' ' -f1)
stamp="$dir/.patina-lock.sha256"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/node_modules/@modelcontextprotocol/sdk" ]; then
  echo "$dir"
  exit 0
fi

mkdir -p "$dir"
# One installer at a time (parallel test binaries may race here).
exec 9>"$dir/.lock"
flock 9
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$dir/node_modules/@modelcontextprotocol/sdk" ]; then
  echo "$dir"
  exit 0
fi
rm -f "$stamp"
cp "$src/package.json" "$src/package-lock.json" "$dir/"
echo "npm-deps: installing $(node -p 'Object.entries(require(process.argv[1]).dependencies).map(([n, v]) => n + "@" + v).join(" ")' "$src/package.json") into $dir" >&2
(cd "$dir" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error \
  --fetch-retries=2 --fetch-retry-mintimeout=2000 --fetch-retry-maxtimeout=10000 >&2)
echo "$want" >"$stamp"
echo "$dir"
