#!/bin/sh
# Talking to mother with curl. The unix socket needs no token: file
# permissions and the peer-uid check are the authentication.
SOCK=${PATINA_SOCKET:-${XDG_RUNTIME_DIR:-$HOME/.patina/run}/patina/mother.sock}

curl -s --unix-socket "$SOCK" http://patina/health
curl -s --unix-socket "$SOCK" http://patina/version

# Scry: hybrid by default; "mode" picks lexical, semantic or hybrid. Each
# result is a file (or commit) and says which lists found it and at which
# rank ("ranks"); "matches" are the file's other matching passages.
curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' \
  -d '{"query":"how is the daemon started on demand","project":"main","limit":3}' http://patina/api/scry
# The files that change together with one, from git history.
curl -s --unix-socket "$SOCK" -H 'Content-Type: application/json' \
  -d '{"path":"internal/index/search.go","project":"main"}' http://patina/api/related
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
