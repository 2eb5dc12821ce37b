package embed

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkEmbedQuery is the latency of embedding one short query with the
// default model; rss-MB is the process's resident memory with it loaded.
func BenchmarkEmbedQuery(b *testing.B) {
	e := openDefault(b)
	rss := rssMB()
	ctx := context.Background()
	q := []string{"how do I rotate the vault key"}
	for b.Loop() {
		if _, err := e.Embed(ctx, q); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(rss, "rss-MB")
}

// BenchmarkEmbedChunks is indexing throughput: batches of 16 texts of ~60
// words (about a chunk's embedded text), reported as chunks/s.
func BenchmarkEmbedChunks(b *testing.B) {
	e := openDefault(b)
	words := strings.Fields(`The daemon listens on a unix socket in a private runtime directory and
		exits after an idle timeout; socket activation starts it again on the next request. Secrets
		live in an age-encrypted vault, decrypted in memory only for the command that needs them,
		and scry searches each project's index with BM25 and, when a model is loaded, embeddings
		fused by reciprocal rank so either retriever can find a chunk the other misses entirely today.`)
	texts := make([]string, 16)
	for i := range texts {
		n := 50 + i%20 // 50–69 words, varied
		var sb strings.Builder
		for j := range n {
			sb.WriteString(words[(i*7+j)%len(words)])
			sb.WriteByte(' ')
		}
		texts[i] = fmt.Sprintf("chunk %d: %s", i, sb.String())
	}
	ctx := context.Background()
	for b.Loop() {
		if _, err := e.Embed(ctx, texts); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N*len(texts))/b.Elapsed().Seconds(), "chunks/s")
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
