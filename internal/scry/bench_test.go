package scry

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
)

// The query benchmarks share one index of about 100,000 chunks, built on
// first use and removed by TestMain.
var bench struct {
	once    sync.Once
	dir     string
	db      *index.DB
	queries []string
	chunks  int
	err     error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if bench.db != nil {
		bench.db.Close()
	}
	if bench.dir != "" {
		os.RemoveAll(bench.dir)
	}
	os.Exit(code)
}

// benchIndex builds (once) a corpus of 6,700 files × 20 sections, about
// 100,000 chunks, and its index.
func benchIndex(b *testing.B) (*index.DB, []string) {
	b.Helper()
	if testing.Short() {
		b.Skip("builds a 100,000-chunk index")
	}
	bench.once.Do(func() {
		bench.dir, bench.err = os.MkdirTemp("", "patina-scry-bench")
		if bench.err != nil {
			return
		}
		root := filepath.Join(bench.dir, "corpus")
		c, err := indextest.WriteCorpus(root, indextest.CorpusOptions{Files: 6700, Sections: 20, Seed: 42})
		if err != nil {
			bench.err = err
			return
		}
		bench.queries = c.Queries
		db, err := index.Open(filepath.Join(bench.dir, "index.db"))
		if err != nil {
			bench.err = err
			return
		}
		bench.db = db
		if _, bench.err = db.Scrape(ctx, root, index.ScrapeOptions{BatchSize: 1000}); bench.err != nil {
			return
		}
		st, err := db.Stats(ctx)
		bench.chunks, bench.err = st.Chunks, err
	})
	if bench.err != nil {
		b.Fatal(bench.err)
	}
	return bench.db, bench.queries
}

// reportLatency adds p50/p99 (microseconds) and the index size.
func reportLatency(b *testing.B, lat []time.Duration) {
	slices.Sort(lat)
	pct := func(p float64) float64 { return float64(lat[int(p*float64(len(lat)-1))].Microseconds()) }
	b.ReportMetric(pct(0.50), "p50-µs")
	b.ReportMetric(pct(0.99), "p99-µs")
	b.ReportMetric(float64(bench.chunks), "chunks")
}

// BenchmarkLexicalQuery is a full scry.Search (parse, FTS5 query, snippet,
// fusion) of one project at about 100,000 chunks, limit 10, in process.
func BenchmarkLexicalQuery(b *testing.B) {
	db, queries := benchIndex(b)
	req := Request{Projects: []Source{{Name: "bench", Index: db}}}
	var lat []time.Duration
	i := 0
	for b.Loop() {
		req.Query = queries[i%len(queries)]
		i++
		start := time.Now()
		resp, err := Search(ctx, req)
		lat = append(lat, time.Since(start))
		if err != nil || resp.Count == 0 {
			b.Fatalf("%q: %d results, %v", req.Query, resp.Count, err)
		}
	}
	reportLatency(b, lat)
}

// BenchmarkLexicalQueryDirect is the same queries straight on the index
// (index.SearchLexical), the floor scry's overhead is measured against.
func BenchmarkLexicalQueryDirect(b *testing.B) {
	db, queries := benchIndex(b)
	var lat []time.Duration
	i := 0
	for b.Loop() {
		q := index.LexicalQuery{Terms: strings.Fields(queries[i%len(queries)]), Limit: 10, MarkStart: MarkStart, MarkEnd: MarkEnd}
		i++
		start := time.Now()
		hits, err := db.SearchLexical(ctx, q)
		lat = append(lat, time.Since(start))
		if err != nil || len(hits) == 0 {
			b.Fatalf("%q: %d hits, %v", q.Terms, len(hits), err)
		}
	}
	reportLatency(b, lat)
}
