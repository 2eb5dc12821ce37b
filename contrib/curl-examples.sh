#!/bin/sh
# Talking to mother with curl. The unix socket needs no token: file
# permissions and the peer-uid check are the authentication.
SOCK=${PATINA_SOCKET:-${XDG_RUNTIME_DIR:-$HOME/.patina/run}/patina/mother.sock}

curl -s --unix-socket "$SOCK" http://patina/health
curl -s --unix-socket "$SOCK" http://patina/version

# Scry: hybrid by default; "mode" picks lexical, semantic or hybrid. Each
# result says which retrievers found it and at which rank ("ranks").
curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' \
  -d '{"query":"how is the daemon started on demand","project":"main","limit":3}' http://patina/api/scry
# Which embedding models the daemon holds (none until a query needs one).
curl -s --unix-socket "$SOCK" http://patina/api/models

# TCP (opt-in, `patina mother serve --tcp 127.0.0.1:7474`): read the token
# from its file into a header file, so it never appears in argv (ps).
TOKEN_FILE=${PATINA_HOME:-$HOME/.patina}/mother.token
(
  umask 077
  hdr=$(mktemp)
  printf 'Authorization: Bearer %s\n' "$(cat "$TOKEN_FILE")" > "$hdr"
  curl -s -H @"$hdr" http://127.0.0.1:7474/health
  rm -f "$hdr"
)
