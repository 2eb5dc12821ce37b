package embed

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// BenchmarkEmbedQuery is the latency of embedding one short query with the
// default model (ns/op), and old-ns/op the same with oldTuning, the two
// alternating in one loop so that both see the same machine; x-old is
// their ratio (below 1: faster now). rss-MB is the process's resident
// memory with the default tuning's model loaded.
func BenchmarkEmbedQuery(b *testing.B) {
	e := openDefault(b)
	rss := rssMB()
	old := openTunedDefault(b, oldTuning)
	ctx := context.Background()
	q := []string{"how do I rotate the vault key"}
	var took [2]time.Duration
	for i := 0; b.Loop(); i++ {
		for _, k := range [2][2]int{{0, 1}, {1, 0}}[i&1] { // alternate which goes first
			emb := []*Embedder{e, old}[k]
			start := time.Now()
			if _, err := emb.Embed(ctx, q); err != nil {
				b.Fatal(err)
			}
			took[k] += time.Since(start)
		}
	}
	b.ReportMetric(float64(took[0].Nanoseconds())/float64(b.N), "ns/op")
	b.ReportMetric(float64(took[1].Nanoseconds())/float64(b.N), "old-ns/op")
	b.ReportMetric(took[0].Seconds()/took[1].Seconds(), "x-old")
	b.ReportMetric(rss, "rss-MB")
}

// BenchmarkEmbedChunks is indexing throughput: a page of 256 texts of
// 5–150 words (the spread of chunk texts in a scrape: commit subjects to
// code gists past the model's 128 tokens), handed over in one call as
// the scraper does, reported as chunks/s with the default tuning and
// old-chunks/s with oldTuning (16 texts per run, one run at a time, ONNX
// Runtime's default threads), alternating in one loop; x-old is their
// ratio. ns/op is per chunk.
func BenchmarkEmbedChunks(b *testing.B) {
	e := openDefault(b)
	old := openTunedDefault(b, oldTuning)
	texts := chunkTexts(256)
	ctx := context.Background()
	for _, emb := range []*Embedder{e, old} { // the first call opens the bulk session
		if _, err := emb.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
	var took [2]time.Duration
	for i := 0; b.Loop(); i++ {
		for _, k := range [2][2]int{{0, 1}, {1, 0}}[i&1] {
			emb := []*Embedder{e, old}[k]
			start := time.Now()
			if _, err := emb.Embed(ctx, texts); err != nil {
				b.Fatal(err)
			}
			took[k] += time.Since(start)
		}
	}
	n := float64(b.N * len(texts))
	b.ReportMetric(took[0].Seconds()*1e9/n, "ns/op")
	b.ReportMetric(n/took[0].Seconds(), "chunks/s")
	b.ReportMetric(n/took[1].Seconds(), "old-chunks/s")
	b.ReportMetric(took[1].Seconds()/took[0].Seconds(), "x-old")
}

// chunkTexts makes n texts of 5–150 words, lengths shuffled.
func chunkTexts(n int) []string {
	words := strings.Fields(`The daemon listens on a unix socket in a private runtime directory and
		exits after an idle timeout; socket activation starts it again on the next request. Secrets
		live in an age-encrypted vault, decrypted in memory only for the command that needs them,
		and scry searches each project's index with BM25 and, when a model is loaded, embeddings
		fused by reciprocal rank so either retriever can find a chunk the other misses entirely today.`)
	texts := make([]string, n)
	for i := range texts {
		var sb strings.Builder
		fmt.Fprintf(&sb, "chunk %d:", i)
		for j := range 5 + (i*53)%146 {
			sb.WriteByte(' ')
			sb.WriteString(words[(i*7+j)%len(words)])
		}
		texts[i] = sb.String()
	}
	return texts
}

// openTunedDefault opens the default model with tuning t for one benchmark.
func openTunedDefault(b *testing.B, t tuning) *Embedder {
	b.Helper()
	e, err := openTuned(defaultModel(b), t)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close() })
	return e
}

// BenchmarkEmbedTokenizeSPM is the default model's tokenizer alone, on one
// ~60-word text.
func BenchmarkEmbedTokenizeSPM(b *testing.B) {
	m, err := Find(DefaultModel)
	if err != nil {
		b.Fatal(err)
	}
	vocab, err := m.read(RoleVocab)
	if err != nil {
		skipUnavailable(b, err)
	}
	tok, err := newSPM(vocab, m.MaxTokens)
	if err != nil {
		b.Fatal(err)
	}
	text := strings.Repeat("re-encrypt every secret to the new recipient after rotating the vault key; ", 5)
	for b.Loop() {
		tok.encode(text)
	}
}

// rssMB is VmRSS from /proc/self/status in MB, or 0 where there is none.
func rssMB() float64 {
	st, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(st), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			if kb, err := strconv.Atoi(f[1]); err == nil {
				return float64(kb) / 1024
			}
		}
	}
	return 0
}
