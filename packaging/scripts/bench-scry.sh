#!/usr/bin/env bash
# Knowledge benchmarks (issue 4), all measured in this one run:
#   1. Scrape throughput on a generated corpus of 10,000 files (files/s,
#      chunks/s), and the re-scrape of the unchanged corpus as a ratio to
#      the full scrape: BenchmarkScrape, BenchmarkScrapeUnchanged in
#      ./internal/index/.
#   2. Lexical query latency p50/p99 at about 100,000 chunks through the
#      daemon (POST /api/scry over a real unix socket) and in-process
#      through the engine, each as a ratio to the same queries run directly
#      on SQLite; brute-force vector search, semantic search (real model
#      embedding the query) and hybrid through the daemon at the same size,
#      with the process's RSS: BenchmarkScryQuery in ./service/.
#   3. Embedding: query latency and RSS with the model loaded, and chunks/s
#      on a scrape-like page of 256 texts, each beside the same figure for
#      the tuning before issue 14 (16 texts per run, one run at a time, ONNX
#      Runtime's default threads), the two alternating in one loop:
#      BenchmarkEmbedQuery, BenchmarkEmbedChunks in ./internal/embed/.
#
# Usage: packaging/scripts/bench-scry.sh [BIN]   (BIN is accepted, like
# bench.sh's, and unused: these are Go benchmarks)
# Knobs: BENCHTIME (query benchmarks, default 2s), SCRAPE_BENCHTIME
# (default 3x: three full scrapes), EMBED_BENCHTIME (default 6x: six pages
# embedded with each tuning).
set -euo pipefail

command -v go >/dev/null || { echo "bench-scry: go not found" >&2; exit 2; }
cd "$(dirname "$0")/../.."
benchtime=${BENCHTIME:-2s}
scrape_benchtime=${SCRAPE_BENCHTIME:-3x}
embed_benchtime=${EMBED_BENCHTIME:-6x}

work=$(mktemp -d /tmp/patina-bench-scry.XXXXXX)
trap 'rm -rf "$work"' EXIT

echo "== scrape throughput: BenchmarkScrape, BenchmarkScrapeUnchanged (benchtime $scrape_benchtime)"
go test -tags sqlite_fts5 -run '^$' -bench '^BenchmarkScrape(Unchanged)?$' -benchtime "$scrape_benchtime" -count 1 \
  ./internal/index/ | tee "$work/scrape.txt"
echo
echo "== query latency: BenchmarkScryQuery (benchtime $benchtime)"
go test -tags sqlite_fts5 -run '^$' -bench '^BenchmarkScryQuery$' -benchtime "$benchtime" -count 1 -timeout 30m \
  ./service/ | tee "$work/query.txt"

echo
# Recall of the quantised vector search needs real embeddings: the
# evaluation corpora's, once make eval has embedded them.
cache=${PATINA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/patina}
recall_dbs=$(find "$cache/eval" -path '*/.patina/local/index.db' 2>/dev/null | sort | paste -sd, -)
echo "== vector recall: BenchmarkVectorRecall on ${recall_dbs:-no real embeddings (run make eval once)}"
if [ -n "$recall_dbs" ]; then
  PATINA_RECALL_INDEXES=$recall_dbs go test -tags sqlite_fts5 -run '^$' -bench '^BenchmarkVectorRecall$' -benchtime 1x -count 1 \
    ./internal/index/ | tee "$work/recall.txt"
fi

echo
echo "== embeddings: BenchmarkEmbedQuery (benchtime $benchtime), BenchmarkEmbedChunks (benchtime $embed_benchtime)"
go test -tags sqlite_fts5 -run '^$' -bench '^BenchmarkEmbedQuery$' -benchtime "$benchtime" -count 1 \
  ./internal/embed/ | tee "$work/embed.txt"
go test -tags sqlite_fts5 -run '^$' -bench '^BenchmarkEmbedChunks$' -benchtime "$embed_benchtime" -count 1 \
  ./internal/embed/ | tee -a "$work/embed.txt"

# metric FILE BENCHMARK UNIT: the value printed before UNIT on BENCHMARK's line.
metric() {
  awk -v name="$2" -v unit="$3" '
    { sub(/-[0-9]+$/, "", $1) }
    $1 == name { for (i = 2; i < NF; i++) if ($(i+1) == unit) { print $i; exit } }
  ' "$1"
}
need() { [ -n "$2" ] || { echo "bench-scry: could not read $1 from the benchmark output" >&2; exit 1; }; }

files_s=$(metric "$work/scrape.txt" BenchmarkScrape files/s);                     need "files/s" "$files_s"
chunks_s=$(metric "$work/scrape.txt" BenchmarkScrape chunks/s);                   need "chunks/s" "$chunks_s"
unch_files_s=$(metric "$work/scrape.txt" BenchmarkScrapeUnchanged files/s);       need "unchanged files/s" "$unch_files_s"
unch_ratio=$(metric "$work/scrape.txt" BenchmarkScrapeUnchanged unchanged/full);  need "unchanged/full" "$unch_ratio"
chunks=$(metric "$work/query.txt" BenchmarkScryQuery/direct chunks);              need "chunks" "$chunks"
for way in direct engine daemon; do
  for p in p50 p99; do
    v=$(metric "$work/query.txt" "BenchmarkScryQuery/$way" "$p-µs"); need "$way $p" "$v"
    printf -v "${way}_${p}" '%s' "$v"
  done
done
for way in engine daemon; do
  for p in p50 p99; do
    v=$(metric "$work/query.txt" "BenchmarkScryQuery/$way" "$p-x-direct"); need "$way $p ratio" "$v"
    printf -v "${way}_${p}_x" '%s' "$v"
  done
done

for way in vectors semantic semantic-daemon hybrid-daemon; do
  for p in p50 p99; do
    v=$(metric "$work/query.txt" "BenchmarkScryQuery/$way" "$p-µs"); need "$way $p" "$v"
    printf -v "${way//-/_}_${p}" '%s' "$v"
  done
done
rss=$(metric "$work/query.txt" BenchmarkScryQuery/hybrid-daemon rss-MB);        need "rss" "$rss"
q_ns=$(metric "$work/embed.txt" BenchmarkEmbedQuery ns/op);                       need "query embed" "$q_ns"
q_old_ns=$(metric "$work/embed.txt" BenchmarkEmbedQuery old-ns/op);               need "old query embed" "$q_old_ns"
q_x=$(metric "$work/embed.txt" BenchmarkEmbedQuery x-old);                        need "query embed ratio" "$q_x"
model_rss=$(metric "$work/embed.txt" BenchmarkEmbedQuery rss-MB);                 need "model rss" "$model_rss"
emb_s=$(metric "$work/embed.txt" BenchmarkEmbedChunks chunks/s);                  need "chunks/s" "$emb_s"
emb_old_s=$(metric "$work/embed.txt" BenchmarkEmbedChunks old-chunks/s);          need "old chunks/s" "$emb_old_s"
emb_x=$(metric "$work/embed.txt" BenchmarkEmbedChunks x-old);                     need "chunks/s ratio" "$emb_x"

fmt() { awk -v n="$1" -v f="$2" 'BEGIN { printf f, n }'; }
row() { printf '  %-40s %s\n' "$1" "$2"; }
echo
echo "====================== patina scry: benchmark summary ======================"
echo "  $(nproc) CPU(s), $(go env GOOS)/$(go env GOARCH), $(go version | awk '{print $3}')"
row "scrape, 10,000 files" "$(fmt "$files_s" '%.0f') files/s, $(fmt "$chunks_s" '%.0f') chunks/s"
row "re-scrape of the unchanged corpus" "$(fmt "$unch_ratio" '%.3f')x the full scrape's time ($(fmt "$unch_files_s" '%.0f') files/s)"
row "lexical query at $(fmt "$chunks" '%.0f') chunks, limit 10:" ""
row "  direct on SQLite (baseline)" "p50 $(fmt "$direct_p50" '%.0f') µs, p99 $(fmt "$direct_p99" '%.0f') µs"
row "  engine in-process" "p50 $(fmt "$engine_p50" '%.0f') µs ($(fmt "$engine_p50_x" '%.2f')x), p99 $(fmt "$engine_p99" '%.0f') µs ($(fmt "$engine_p99_x" '%.2f')x)"
row "  daemon over the unix socket" "p50 $(fmt "$daemon_p50" '%.0f') µs ($(fmt "$daemon_p50_x" '%.2f')x), p99 $(fmt "$daemon_p99" '%.0f') µs ($(fmt "$daemon_p99_x" '%.2f')x)"
row "vector search ($(fmt "$chunks" '%.0f') × 512-d, 2-bit codes)" "p50 $(fmt "$vectors_p50" '%.0f') µs, p99 $(fmt "$vectors_p99" '%.0f') µs"
row "semantic query (embed + vector search)" "p50 $(fmt "$semantic_p50" '%.0f') µs, p99 $(fmt "$semantic_p99" '%.0f') µs"
row "semantic query through the daemon" "p50 $(fmt "$semantic_daemon_p50" '%.0f') µs ($(awk -v a="$semantic_daemon_p50" -v b="$daemon_p50" 'BEGIN { printf "%.2f", a / b }')x the lexical daemon query), p99 $(fmt "$semantic_daemon_p99" '%.0f') µs"
if [ -s "$work/recall.txt" ]; then
  r10=$(metric "$work/recall.txt" BenchmarkVectorRecall recall@10); need "recall@10" "$r10"
  mib=$(metric "$work/recall.txt" BenchmarkVectorRecall MiB/100k);  need "MiB/100k" "$mib"
  nvec=$(metric "$work/recall.txt" BenchmarkVectorRecall vectors);  need "vectors" "$nvec"
  row "quantised vectors vs exact search" "recall@10 $(fmt "$r10" '%.4f') on $(fmt "$nvec" '%.0f') real embeddings; $(fmt "$mib" '%.1f') MiB per 100k vectors"
else
  row "quantised vectors vs exact search" "not measured: run make eval once to embed its corpora"
fi
row "hybrid query through the daemon" "p50 $(fmt "$hybrid_daemon_p50" '%.0f') µs, p99 $(fmt "$hybrid_daemon_p99" '%.0f') µs; RSS $(fmt "$rss" '%.0f') MiB"
ms() { awk -v n="$1" 'BEGIN { printf "%.2f", n / 1e6 }'; }
row "query embedding (use-lite)" "$(ms "$q_ns") ms ($(fmt "$q_x" '%.2f')x the old tuning's $(ms "$q_old_ns") ms); RSS with the model loaded $(fmt "$model_rss" '%.0f') MiB"
row "embedding at scrape, 256-text pages" "$(fmt "$emb_s" '%.0f') chunks/s, $(fmt "$emb_x" '%.2f')x the old tuning's $(fmt "$emb_old_s" '%.0f') (16 per run, one at a time)"
echo "============================================================================"
