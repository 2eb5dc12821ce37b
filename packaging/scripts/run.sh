#!/usr/bin/env bash
# `make run`: index this repository (text, then embeddings with the default
# model that make provisioned), start the daemon on the user's socket
# (standalone: no init system involved), answer one hybrid query through
# it, then keep the daemon in the foreground. Ctrl-C stops it and removes
# the socket.
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

"$bin" mother serve &
daemon=$!
stopping=0
trap 'stopping=1; kill -TERM "$daemon" 2>/dev/null || true' INT TERM
for _ in $(seq 1 500); do
  "$bin" mother status >/dev/null 2>&1 && break
  kill -0 "$daemon" 2>/dev/null || { wait "$daemon"; exit $?; }
  sleep 0.01
done

query="socket activation"
echo "== $shown scry \"$query\" --limit 3   (answered by the daemon; hybrid: full-text + embeddings)"
"$bin" scry --limit 3 "$query" || true
# The socket as the CLI finds it ($PATINA_SOCKET, $XDG_RUNTIME_DIR/patina,
# /run/user/UID/patina, else ~/.patina/run), so the curl line works as
# printed whether or not XDG_RUNTIME_DIR is set.
sock=$("$bin" mother status | sed -n 's/^socket: *//p')
echo
echo "try, in another terminal:"
echo "$shown scry \"$query\""
echo "$shown scry \"how does the daemon start when a client connects\""
echo "$shown scry --file README.md   # the files that change together with it"
printf 'curl --unix-socket %q http://patina/health\n' "$sock"
echo
echo "the daemon runs in the foreground: Ctrl-C stops it (and removes the socket)"

# Wait for the daemon. A trapped signal makes wait return 128+N at once,
# so after Ctrl-C wait again: the daemon's own (clean) exit status counts.
set +e
wait "$daemon"
rc=$?
if [ "$stopping" = 1 ]; then
  wait "$daemon"
  rc=$?
fi
exit "$rc"
