package index

import (
	"context"
	"database/sql"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// BenchmarkVectorRecall measures the quantised search against exact search
// on real embeddings: the vectors of the indexes named in
// PATINA_RECALL_INDEXES (comma-separated index.db paths; make bench passes
// the evaluation corpora's, which make eval embeds with the real model).
// 300 vectors picked at random are held out and used as queries against
// the rest; the quantiser is fitted as vectors() fits it, to 2,048 vectors
// spread over the set. It reports recall@10, @40 and @100 (what scry asks for ten files) (the share of the
// exact top k that the quantised search returns) and the memory the
// in-memory set takes per vector and per 100,000 vectors.
func BenchmarkVectorRecall(b *testing.B) {
	paths := os.Getenv("PATINA_RECALL_INDEXES")
	if paths == "" {
		b.Skip("PATINA_RECALL_INDEXES names no index with real embeddings (run make eval once, then make bench)")
	}
	var all []float32
	dims := 0
	for _, p := range strings.Split(paths, ",") {
		db, err := sql.Open(driverName, "file:"+p+"?mode=ro")
		if err != nil {
			b.Fatal(err)
		}
		rows, err := db.Query(`SELECT vector FROM embeddings`)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var blob []byte
			if err := rows.Scan(&blob); err != nil {
				b.Fatal(err)
			}
			if dims == 0 {
				dims = len(blob) / 4
			}
			all, _ = decodeVector(all, blob, dims)
		}
		rows.Close()
		db.Close()
	}
	const queries = 300
	n := len(all) / max(dims, 1)
	if n < 10*queries {
		b.Skipf("only %d vectors in %s", n, paths)
	}
	rng := rand.New(rand.NewPCG(9, 9))
	held := map[int]bool{}
	var qs [][]float32
	for _, i := range rng.Perm(n)[:queries] {
		held[i] = true
		qs = append(qs, all[i*dims:(i+1)*dims])
	}
	var data []float32
	for i := range n {
		if !held[i] {
			data = append(data, all[i*dims:(i+1)*dims]...)
		}
	}
	m := len(data) / dims
	var sample []float32
	for i := range fitSample {
		j := i * m / fitSample
		sample = append(sample, data[j*dims:(j+1)*dims]...)
	}
	s := &vectorSet{dims: dims, quant: newQuantiser(sample, dims)}
	for i := range m {
		s.add(int64(i+1), data[i*dims:(i+1)*dims])
	}
	b.ResetTimer()
	for range b.N {
		for _, k := range []int{10, 40, 100} {
			found := 0
			for _, q := range qs {
				cands, err := s.nearest(context.Background(), q, k)
				if err != nil {
					b.Fatal(err)
				}
				got := rescoreInMemory(data, dims, q, cands, k)
				for _, w := range exactTop(data, dims, q, k) {
					if slices.ContainsFunc(got, func(g scored) bool { return g.id == w.id }) {
						found++
					}
				}
			}
			b.ReportMetric(float64(found)/float64(queries*k), "recall@"+strconv.Itoa(k))
		}
	}
	perVector := float64(len(s.codes)+8*len(s.ids)) / float64(m)
	b.ReportMetric(float64(m), "vectors")
	b.ReportMetric(perVector, "B/vector")
	b.ReportMetric(perVector*100000/(1<<20), "MiB/100k")
	b.ReportMetric(float64(4*dims), "B/vector-float32")
}

// BenchmarkNearest is the in-memory scan alone over 100,000 vectors of 512
// dimensions (random: the scan costs the same whatever they hold).
func BenchmarkNearest(b *testing.B) {
	const n, dims = 100000, 512
	rng := rand.New(rand.NewPCG(1, 2))
	s, _ := testSet(n, dims, func(_ int, v []float32) {
		for d := range v {
			v[d] = float32(rng.NormFloat64())
		}
	})
	q := randomUnit(rng, dims)
	b.ResetTimer()
	for range b.N {
		if _, err := s.nearest(context.Background(), q, 10); err != nil {
			b.Fatal(err)
		}
	}
}
