#!/usr/bin/env bash
# Re-scrape benchmark (issue 14), measured in this one run on a copy of this
# repository (git archive HEAD):
#   embedded:  `patina scrape` of the unchanged tree, embedded with the
#              default model (the model must not be loaded: nothing needs a
#              vector)
#   text-only: the same re-scrape of a second copy scraped --no-embed
# Each is the median wall time of RUNS runs; the ratio is embedded/text-only.
#
# Usage: packaging/scripts/bench-rescrape.sh BIN   (make bench calls it with bin/patina)
# Knobs: RUNS (default 15).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 PATH-TO-patina-BINARY" >&2; exit 2; }
[ -n "${EPOCHREALTIME:-}" ] || { echo "bench-rescrape: needs bash 5 (EPOCHREALTIME)" >&2; exit 2; }
bin=$(realpath "$1")
[ -x "$bin" ] || { echo "bench-rescrape: $bin is not an executable (run make build)" >&2; exit 2; }
cd "$(dirname "$0")/../.."
runs=${RUNS:-15}

work=$(mktemp -d /tmp/patina-bench-rescrape.XXXXXX)
trap 'rm -rf "$work"' EXIT
# The model comes from the usual cache; everything else is private.
export PATINA_CACHE=${PATINA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/patina}
export HOME="$work/home" PATINA_HOME="$work/home/.patina" PATINA_SOCKET="$work/run/none.sock"
unset PATINA_MOTHER
mkdir -p "$HOME" "$work/emb" "$work/txt"
git archive HEAD | tar -x -C "$work/emb"
git archive HEAD | tar -x -C "$work/txt"

"$bin" scrape "$work/emb" --name emb >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
"$bin" scrape "$work/txt" --name txt --no-embed >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
time_ms() { # CMD… → ms of one run
  local t0=$EPOCHREALTIME
  "$@" >/dev/null 2>&1 || { echo "bench-rescrape: $* failed" >&2; exit 1; }
  awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.3f\n", (b - a) * 1000 }'
}
: >"$work/emb.ms"; : >"$work/txt.ms"
for _ in $(seq 1 "$runs"); do # interleaved, so load hits both alike
  time_ms "$bin" scrape "$work/emb" >>"$work/emb.ms"
  time_ms "$bin" scrape "$work/txt" --no-embed >>"$work/txt.ms"
done
emb=$(median <"$work/emb.ms")
txt=$(median <"$work/txt.ms")
chunks=$("$bin" projects list --json | awk -F: '/"chunks"/ { gsub(/[ ,]/, "", $2); print $2; exit }')

echo
echo "====================== patina scrape: unchanged re-scrape ======================"
printf '  %-40s %s\n' "tree" "this repository at HEAD (${chunks:-?} chunks)"
printf '  %-40s %s\n' "embedded project, re-scrape" "$emb ms (median of $runs)"
printf '  %-40s %s\n' "text-only project, re-scrape --no-embed" "$txt ms"
printf '  %-40s %s\n' "ratio embedded / text-only" "$(awk -v a="$emb" -v b="$txt" 'BEGIN { printf "%.2fx", a / b }')"
echo "================================================================================"
