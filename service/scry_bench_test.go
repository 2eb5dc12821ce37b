package service

// Query latency at about 100,000 chunks, in one run:
//
//	direct         index.SearchLexical on the index, in process (the floor)
//	engine         knowledge.Engine.Scry in process, lexical (what the CLI
//	               falls back to)
//	daemon         POST /api/scry, lexical, through internal/client over a
//	               real unix socket to a real daemon (gate, deadline, JSON)
//	vectors        index.SearchSemantic: brute-force cosine over every
//	               stored vector, the query vector given
//	semantic       the query embedded by the real default model, then
//	               vectors
//	semantic-daemon POST /api/scry in semantic mode through the daemon: the
//	               daemon's hot model embeds the query, then vectors
//	hybrid-daemon  POST /api/scry in hybrid mode through the daemon: the
//	               daemon's hot model embeds the query, both retrievers
//	               run and their lists are fused; reports the process's
//	               RSS after (index, model and 100,000 vectors in memory)
//
// The stored vectors are random unit vectors filed under the real model's
// name and identity (embedding 100,000 chunks for real takes about a
// quarter of an hour here): a brute-force scan costs the same whatever the
// vectors hold, and the query side runs the real model.
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
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/embed"
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
	model, err := knowledge.LoadModel(embed.DefaultModel)
	if err != nil {
		b.Skipf("the default model is not provisioned (run make models): %v", err)
	}
	b.Cleanup(func() { model.Close() })
	stored := &randomVectors{name: model.ModelName(), id: model.ModelID(), dims: model.Manifest().Dims, rng: rand.New(rand.NewPCG(1, 2))}
	if _, err := index.Scrape(ctx, root, index.ScrapeOptions{BatchSize: 1000, Embedder: stored}); err != nil {
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
			resp, err := engine.Scry(ctx, knowledge.Request{Query: q, Project: "bench", Limit: 10, Mode: scry.ModeLexical})
			return resp.Count, err
		})
		lat.report(b, st.Chunks, direct)
	})

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
	b.Run("daemon", func(b *testing.B) {
		lat := measure(b, queries, func(q string) (int, error) {
			var resp scry.Response
			err := c.Post(ctx, "/api/scry", knowledge.Request{Query: q, Project: "bench", Limit: 10, Mode: scry.ModeLexical}, &resp)
			return resp.Count, err
		})
		lat.report(b, st.Chunks, direct)
	})
	b.Run("semantic-daemon", func(b *testing.B) {
		lat := measure(b, queries, func(q string) (int, error) {
			var resp scry.Response
			err := c.Post(ctx, "/api/scry", knowledge.Request{Query: q, Project: "bench", Limit: 10, Mode: scry.ModeSemantic}, &resp)
			if err == nil && (resp.Mode != scry.ModeSemantic || resp.Degraded) {
				b.Fatalf("semantic query answered %s (degraded %v): %v", resp.Mode, resp.Degraded, resp.Notes)
			}
			return resp.Count, err
		})
		lat.report(b, st.Chunks, direct)
	})
	b.Run("hybrid-daemon", func(b *testing.B) {
		lat := measure(b, queries, func(q string) (int, error) {
			var resp scry.Response
			err := c.Post(ctx, "/api/scry", knowledge.Request{Query: q, Project: "bench", Limit: 10, Mode: scry.ModeHybrid}, &resp)
			if err == nil && (resp.Mode != scry.ModeHybrid || resp.Degraded) {
				b.Fatalf("hybrid query answered %s (degraded %v): %v", resp.Mode, resp.Degraded, resp.Notes)
			}
			return resp.Count, err
		})
		lat.report(b, st.Chunks, direct)
		b.ReportMetric(rssMB(), "rss-MB")
	})

	qvec, err := model.Embed(ctx, []string{queries[0]})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("vectors", func(b *testing.B) {
		lat := measure(b, queries, func(string) (int, error) {
			hits, err := db.SearchSemantic(ctx, index.SemanticQuery{ModelID: index.VectorID(model.ModelID()), Vector: qvec[0], Limit: 10})
			return len(hits), err
		})
		lat.report(b, st.Chunks, direct)
	})
	b.Run("semantic", func(b *testing.B) {
		lat := measure(b, queries, func(q string) (int, error) {
			v, err := model.Embed(ctx, []string{q})
			if err != nil {
				return 0, err
			}
			hits, err := db.SearchSemantic(ctx, index.SemanticQuery{ModelID: index.VectorID(model.ModelID()), Vector: v[0], Limit: 10})
			return len(hits), err
		})
		lat.report(b, st.Chunks, direct)
	})
}

// randomVectors files random unit vectors under a real model's name and
// identity (see the comment at the top).
type randomVectors struct {
	name, id string
	dims     int
	rng      *rand.Rand
}

func (r *randomVectors) ModelName() string { return r.name }
func (r *randomVectors) ModelID() string   { return r.id }
func (r *randomVectors) Embed(_ context.Context, texts []string) ([][]float32, error) {
	out := make([][]float32, len(texts))
	for i := range out {
		v := make([]float32, r.dims)
		var n float64
		for j := range v {
			v[j] = float32(r.rng.NormFloat64())
			n += float64(v[j]) * float64(v[j])
		}
		for j := range v {
			v[j] /= float32(math.Sqrt(n))
		}
		out[i] = v
	}
	return out, nil
}

// rssMB is this process's resident set size in MiB (Linux; 0 elsewhere).
func rssMB() float64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "VmRSS:" {
			kb, _ := strconv.ParseFloat(f[1], 64)
			return kb / 1024
		}
	}
	return 0
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
