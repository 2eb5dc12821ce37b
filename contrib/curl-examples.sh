#!/bin/sh
# Talking to mother with curl. The unix socket needs no token: file
# permissions and the peer-uid check are the authentication.
#
# Usage: contrib/curl-examples.sh [PROJECT [FILE]]
#   PROJECT  a registered project (patina projects list); default: the one
#            holding the current directory
#   FILE     for /api/related, relative to the project root (default README.md)
# Env: PATINA (the CLI, default patina); PATINA_TCP=HOST:PORT to try the
# TCP listener too (`patina mother serve --tcp 127.0.0.1:7474`).
set -eu
PATINA=${PATINA:-patina}

# The socket where the CLI looks ($PATINA_SOCKET, $XDG_RUNTIME_DIR/patina,
# /run/user/UID/patina, else ~/.patina/run): ask the CLI rather than guess.
SOCK=$("$PATINA" mother status 2>/dev/null | sed -n 's/^socket: *//p')
[ -n "$SOCK" ] || { echo "curl-examples: cannot find the socket (is $PATINA on PATH?)" >&2; exit 1; }

# A JSON string's contents: backslashes and quotes escaped.
json() { printf '%s' "$1" | sed 's/\\/\\\\/g; s/"/\\"/g'; }

# Which project: named, or (over the unix socket only) the caller's
# directory, as the CLI sends it.
if [ $# -ge 1 ]; then
  WHICH="\"project\":\"$(json "$1")\""
else
  WHICH="\"cwd\":\"$(json "$(pwd)")\""
fi
FILE=${2:-README.md}

curl -sS --unix-socket "$SOCK" http://patina/health
curl -sS --unix-socket "$SOCK" http://patina/version

# Scry: hybrid by default; "mode" picks lexical, semantic or hybrid. Each
# result is a file (or commit) and says which lists found it and at which
# rank ("ranks"); "matches" are the file's other matching passages.
curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' \
  -d "{\"query\":\"how is the daemon started on demand\",$WHICH,\"limit\":3}" http://patina/api/scry
# The files that change together with one, from git history.
curl -sS --unix-socket "$SOCK" -H 'Content-Type: application/json' \
  -d "{\"path\":\"$(json "$FILE")\",$WHICH}" http://patina/api/related
# Which embedding models the daemon holds (none until a query needs one).
curl -sS --unix-socket "$SOCK" http://patina/api/models

# TCP (opt-in): read the token from its file into a header file, so it
# never appears in argv (ps).
if [ -n "${PATINA_TCP:-}" ]; then
  TOKEN_FILE=$("$PATINA" mother token)
  (
    umask 077
    hdr=$(mktemp)
    trap 'rm -f "$hdr"' EXIT
    printf 'Authorization: Bearer %s\n' "$(cat "$TOKEN_FILE")" > "$hdr"
    curl -sS -H @"$hdr" "http://$PATINA_TCP/api/models"
  )
fi
