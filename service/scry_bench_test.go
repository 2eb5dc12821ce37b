package service

// Lexical query latency at about 100,000 chunks, three ways in one run:
//
//	direct  index.SearchLexical on the index, in process (the floor)
//	engine  knowledge.Engine.Scry in process (what the CLI falls back to)
//	daemon  POST /api/scry through internal/client over a real unix socket
//	        to a real daemon (gate, deadline, JSON both ways)
//
// Each reports p50-µs and p99-µs; engine and daemon also report their p50
// and p99 as ratios to direct's from the same run (x-direct). The corpus
// (6,700 files × 20 sections, as internal/scry's query benchmarks) is built
// once per run in a temporary directory and removed at the end.
// packaging/scripts/bench-scry.sh runs it and prints the ratios.
//
//	go test -tags sqlite_fts5 -run '^$' -bench '^BenchmarkScryQuery$' ./service/

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/scry"
)

// scryBenchCorpus is the shape of the benchmark corpus: about 100,000 chunks.
var scryBenchCorpus = indextest.CorpusOptions{Files: 6700, Sections: 20, Seed: 42}

func BenchmarkScryQuery(b *testing.B) {
	if testing.Short() {
		b.Skip("builds a 100,000-chunk index")
	}
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "patina-scry-bench-")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { os.RemoveAll(dir) })
	root := filepath.Join(dir, "corpus")
	corpus, err := indextest.WriteCorpus(root, scryBenchCorpus)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := index.Scrape(ctx, root, index.ScrapeOptions{BatchSize: 1000}); err != nil {
		b.Fatal(err)
	}
	reg := projects.New(filepath.Join(dir, "home", "projects.toml"))
	p, _, err := reg.Add(root, "bench")
	if err != nil {
		b.Fatal(err)
	}
	db, err := index.OpenReadOnly(p.Index)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	st, err := db.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	queries := corpus.Queries

	var direct latencies
	b.Run("direct", func(b *testing.B) {
		direct = measure(b, queries, func(q string) (int, error) {
			hits, err := db.SearchLexical(ctx, index.LexicalQuery{Terms: strings.Fields(q), Limit: 10, MarkStart: scry.MarkStart, MarkEnd: scry.MarkEnd})
			return len(hits), err
		})
		direct.report(b, st.Chunks, latencies{})
	})

	engine := knowledge.NewEngineFor(reg)
	b.Cleanup(func() { engine.Close() })
	b.Run("engine", func(b *testing.B) {
		lat := measure(b, queries, func(q string) (int, error) {
			resp, err := engine.Scry(ctx, knowledge.Request{Query: q, Project: "bench", Limit: 10})
			return resp.Count, err
		})
		lat.report(b, st.Chunks, direct)
	})

	b.Run("daemon", func(b *testing.B) {
		srv := New(Config{
			Log:       slog.New(slog.NewTextHandler(io.Discard, nil)), // formatted as in production
			TokenPath: filepath.Join(dir, "home", "mother.token"),
		})
		RegisterScry(srv, engine)
		sock := filepath.Join(dir, "run", "mother.sock")
		l, err := ListenStandalone(sock)
		if err != nil {
			b.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- srv.Serve(sctx, []Listener{l}) }()
		defer func() {
			cancel()
			<-done
		}()
		c := client.Local(sock)
		lat := measure(b, queries, func(q string) (int, error) {
			var resp scry.Response
			err := c.Post(ctx, "/api/scry", knowledge.Request{Query: q, Project: "bench", Limit: 10}, &resp)
			return resp.Count, err
		})
		lat.report(b, st.Chunks, direct)
	})
}

// latencies are one sub-benchmark's per-query times, sorted.
type latencies []time.Duration

// measure runs query over the corpus queries in turn, once each as a
// warm-up, then b.N times, and returns the sorted latencies.
func measure(b *testing.B, queries []string, query func(string) (int, error)) latencies {
	b.Helper()
	for _, q := range queries {
		if n, err := query(q); err != nil || n == 0 {
			b.Fatalf("%q: %d results, %v", q, n, err)
		}
	}
	var lat latencies
	i := 0
	for b.Loop() {
		q := queries[i%len(queries)]
		i++
		start := time.Now()
		n, err := query(q)
		lat = append(lat, time.Since(start))
		if err != nil || n == 0 {
			b.Fatalf("%q: %d results, %v", q, n, err)
		}
	}
	slices.Sort(lat)
	return lat
}

func (l latencies) pct(p float64) time.Duration {
	if len(l) == 0 {
		return 0
	}
	return l[int(p*float64(len(l)-1))]
}

// report adds p50/p99 in µs, the chunk count and, if base ran, the ratios.
func (l latencies) report(b *testing.B, chunks int, base latencies) {
	us := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / 1e3 }
	b.ReportMetric(us(l.pct(0.50)), "p50-µs")
	b.ReportMetric(us(l.pct(0.99)), "p99-µs")
	b.ReportMetric(float64(chunks), "chunks")
	if len(base) > 0 && base.pct(0.5) > 0 {
		b.ReportMetric(us(l.pct(0.50))/us(base.pct(0.50)), "p50-x-direct")
		b.ReportMetric(us(l.pct(0.99))/us(base.pct(0.99)), "p99-x-direct")
	}
}
