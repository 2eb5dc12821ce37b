#!/usr/bin/env bash
# `make run`: index this repository, then run the daemon in the foreground
# on the user's socket (standalone: no init system involved). Ctrl-C stops
# it and removes the socket.
#
# Usage: packaging/scripts/run.sh BIN    (make run calls it with bin/patina)
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 PATH-TO-patina-BINARY" >&2; exit 2; }
shown=$1
bin=$(realpath "$1")
[ -x "$bin" ] || { echo "run: $bin is not an executable (run make build)" >&2; exit 2; }
cd "$(dirname "$0")/../.."

# A failed scrape is worth a warning, not a daemon that never starts.
if ! "$bin" scrape .; then
  echo "run: warning: scraping $(pwd) failed; the daemon starts anyway" >&2
fi
echo "try: $shown scry \"socket activation\""
exec "$bin" mother serve
