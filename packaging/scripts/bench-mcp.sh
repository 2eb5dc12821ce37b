#!/usr/bin/env bash
# MCP benchmark (issue 5), all measured in one run against one warm daemon
# over a 2,000-file generated project (Go benchmark BenchmarkMCPScry in
# ./cmd/patina/):
#   - a scry tools/call through a running `patina mcp` session,
#   - the same query through `patina scry --json` (a process per query),
#   - the same query as POST /api/scry over the unix socket (the floor),
# printed as latencies and as ratios against `patina scry --json`.
#
# Usage: packaging/scripts/bench-mcp.sh BIN   (make bench may call it with bin/patina)
# Knobs: BENCHTIME (default 2s), COUNT (default 1).
set -euo pipefail

[ $# -eq 1 ] || { echo "usage: $0 PATH-TO-patina-BINARY" >&2; exit 2; }
bin=$(realpath "$1")
[ -x "$bin" ] || { echo "bench-mcp: $bin is not an executable (run make build)" >&2; exit 2; }
command -v go >/dev/null || { echo "bench-mcp: go not found" >&2; exit 2; }
cd "$(dirname "$0")/../.."
benchtime=${BENCHTIME:-2s}
count=${COUNT:-1}

out=$(mktemp /tmp/patina-bench-mcp.XXXXXX)
trap 'rm -f "$out"' EXIT

echo "== go test -bench BenchmarkMCPScry (benchtime $benchtime, $bin)"
PATINA_BENCH_BIN=$bin go test -tags sqlite_fts5 -run '^$' -bench '^BenchmarkMCPScry$' \
  -benchtime "$benchtime" -count "$count" ./cmd/patina/ | tee "$out"

# Mean ns/op of one sub-benchmark over its COUNT runs.
nsop() {
  awk -v name="BenchmarkMCPScry/$1" '
    { sub(/-[0-9]+$/, "", $1) }
    $1 == name { for (i = 2; i < NF; i++) if ($(i+1) == "ns/op") { s += $i; n++ } }
    END { if (n) printf "%.0f", s / n }
  ' "$out"
}
mcp_ns=$(nsop mcp-tool-call)
cli_ns=$(nsop cli-scry-json)
api_ns=$(nsop api-post)
[ -n "$mcp_ns" ] && [ -n "$cli_ns" ] && [ -n "$api_ns" ] || { echo "bench-mcp: could not read the benchmark figures" >&2; exit 1; }

ms() { awk -v n="$1" 'BEGIN { printf "%.2f", n / 1e6 }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
row() { printf '  %-46s %9s ms  %s\n' "$1" "$2" "$3"; }
echo
echo "==================== patina mcp: scry latency (warm daemon) ===================="
row "patina scry --json (new process per query)" "$(ms "$cli_ns")" "baseline (1.00x)"
row "scry tools/call via patina mcp (open session)" "$(ms "$mcp_ns")" "$(ratio "$mcp_ns" "$cli_ns")x scry --json"
row "POST /api/scry over the socket (floor)" "$(ms "$api_ns")" "$(ratio "$api_ns" "$cli_ns")x scry --json; MCP adds $(ms $((mcp_ns - api_ns))) ms"
echo "================================================================================"
