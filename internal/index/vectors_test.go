package index

import (
	"cmp"
	"context"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/patina-dev/patina/internal/index/indextest"
)

// testSet quantises n vectors of dims drawn by gen, as vectors() does,
// and keeps the floats for exact answers.
func testSet(n, dims int, gen func(i int, v []float32)) (*vectorSet, []float32) {
	data := make([]float32, n*dims)
	ids := make([]int64, n)
	for i := range n {
		ids[i] = int64(i + 1)
		gen(i, data[i*dims:(i+1)*dims])
	}
	s := &vectorSet{dims: dims, quant: newQuantiser(data, dims)}
	for i, id := range ids {
		s.add(id, data[i*dims:(i+1)*dims])
	}
	return s, data
}

// exactTop is brute force: every score sorted, ties to the lower id.
func exactTop(data []float32, dims int, q []float32, k int) []scored {
	var all []scored
	for i := 0; i < len(data)/dims; i++ {
		all = append(all, scored{int64(i + 1), dot(q, data[i*dims:(i+1)*dims])})
	}
	slices.SortFunc(all, func(a, b scored) int { return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.id, b.id)) })
	return all[:min(k, len(all))]
}

// rescoreInMemory is rescore over the test's floats instead of SQLite.
func rescoreInMemory(data []float32, dims int, q []float32, cands []scored, k int) []scored {
	h := make(minHeap, 0, k)
	for _, c := range cands {
		i := int(c.id - 1)
		h.offer(scored{c.id, dot(q, data[i*dims:(i+1)*dims])}, k)
	}
	return h.sorted()
}

// Sets no bigger than the candidates kept are searched exactly, ties
// going to the lower id.
func TestNearestIsExactWhenEverythingIsRescored(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 5, 128} {
		const dims = 8
		// Few distinct values, so ties happen.
		s, data := testSet(n, dims, func(_ int, v []float32) {
			for d := range v {
				v[d] = float32(rng.IntN(3))
			}
		})
		q := []float32{1, 0.5, 0, 1, 0, 0, 1, 0.25}
		for _, k := range []int{1, 10, 50} {
			cands, err := s.nearest(context.Background(), q, k)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := rescoreInMemory(data, dims, q, cands, k), exactTop(data, dims, q, k); !slices.Equal(got, want) {
				t.Fatalf("n=%d k=%d: nearest = %v, want %v", n, k, got, want)
			}
		}
	}
}

// The tables' estimate is exactly the dot product with the vector each
// code stands for, whatever the dimension count (padding included).
func TestEstimateIsTheDotProductWithTheLevels(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for _, dims := range []int{1, 3, 4, 7, 64, 513} {
		s, _ := testSet(300, dims, func(_ int, v []float32) {
			for d := range v {
				v[d] = float32(rng.NormFloat64()) + float32(d%5)
			}
		})
		q := randomUnit(rng, dims)
		tables := s.quant.tables(q)
		width := s.quant.codeBytes()
		for i := range 300 {
			code := s.codes[i*width : (i+1)*width]
			var want float64
			for d := range dims {
				want += float64(q[d]) * float64(s.quant.levels[d][(code[d/4]>>(2*(d%4)))&3])
			}
			if got := estimate(tables, code); math.Abs(float64(got)-want) > 1e-4 {
				t.Fatalf("dims=%d vector %d: estimate %v, want %v", dims, i, got, want)
			}
		}
		// Each quarter holds about a quarter of the values.
		for d := range min(dims, 8) {
			var counts [4]int
			for i := range 300 {
				counts[(s.codes[i*width+d/4]>>(2*(d%4)))&3]++
			}
			for l, c := range counts {
				if c < 50 || c > 100 {
					t.Fatalf("dims=%d dim %d: quarter %d holds %d of 300", dims, d, l, c)
				}
			}
		}
	}
}

// On vectors with the structure of embeddings (unit length, a shared
// direction, clusters), the staged search finds what brute force finds.
func TestNearestRecallOnClusteredVectors(t *testing.T) {
	const n, dims, clusters, queries, k = 30000, 128, 300, 100, 10
	rng := rand.New(rand.NewPCG(5, 6))
	common := randomUnit(rng, dims)
	centres := make([][]float32, clusters)
	for c := range centres {
		centres[c] = randomUnit(rng, dims)
	}
	point := func(v []float32) {
		c := centres[rng.IntN(clusters)]
		for d := range v {
			v[d] = 2*common[d] + c[d] + 0.6*float32(rng.NormFloat64())/float32(math.Sqrt(dims))
		}
		normalise(v)
	}
	s, data := testSet(n, dims, func(_ int, v []float32) { point(v) })
	found := 0
	for range queries {
		q := make([]float32, dims)
		point(q)
		cands, err := s.nearest(context.Background(), q, k)
		if err != nil {
			t.Fatal(err)
		}
		got := rescoreInMemory(data, dims, q, cands, k)
		for _, w := range exactTop(data, dims, q, k) {
			if slices.ContainsFunc(got, func(g scored) bool { return g.id == w.id }) {
				found++
			}
		}
	}
	if recall := float64(found) / (queries * k); recall < 0.99 {
		t.Fatalf("recall@%d = %.3f, want >= 0.99", k, recall)
	}
}

func randomUnit(rng *rand.Rand, dims int) []float32 {
	v := make([]float32, dims)
	for d := range v {
		v[d] = float32(rng.NormFloat64())
	}
	normalise(v)
	return v
}

func normalise(v []float32) {
	var sum float64
	for _, f := range v {
		sum += float64(f) * float64(f)
	}
	for d := range v {
		v[d] /= float32(math.Sqrt(sum))
	}
}

func TestNearestCancelled(t *testing.T) {
	s, _ := testSet(parallelMin*2, 8, func(_ int, v []float32) { v[0] = 1 })
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.nearest(ctx, make([]float32, 8), 1); err != context.Canceled {
		t.Fatalf("nearest with a cancelled context = %v, want context.Canceled", err)
	}
}

func TestVectorRoundTrip(t *testing.T) {
	v := []float32{0, -1.5, 3.25e-8, 1}
	got, ok := decodeVector(nil, encodeVector(v), len(v))
	if !ok || !slices.Equal(got, v) {
		t.Fatalf("round trip = %v %v", got, ok)
	}
	if _, ok := decodeVector(nil, encodeVector(v)[:15], len(v)); ok {
		t.Fatal("a truncated vector decoded")
	}
}

// WarmVectors leaves the model's vectors in memory, where the next
// semantic search finds them; an index without vectors stays as it is.
func TestWarmVectors(t *testing.T) {
	ctx := context.Background()
	root := indextest.Fixture(t)
	db, err := Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Scrape(ctx, root, ScrapeOptions{NoGit: true}); err != nil {
		t.Fatal(err)
	}
	if err := db.WarmVectors(ctx); err != nil || db.vec.set != nil {
		t.Fatalf("an index without vectors: %v, set %v", err, db.vec.set != nil)
	}
	e := &indextest.WordEmbedder{Name: "w", ID: "w1", Dims: 16}
	if _, err := db.Scrape(ctx, root, ScrapeOptions{NoGit: true, Embedder: e}); err != nil {
		t.Fatal(err)
	}
	if err := db.WarmVectors(ctx); err != nil {
		t.Fatal(err)
	}
	set := db.vec.set
	if set == nil || set.modelID != VectorID("w1") || set.dims != 16 || len(set.ids) == 0 {
		t.Fatalf("warmed set: %+v", set)
	}
	if _, err := db.SearchSemantic(ctx, SemanticQuery{ModelID: VectorID("w1"), Vector: e.Vector("quasar")}); err != nil || db.vec.set != set {
		t.Fatalf("the search after warming read the vectors again (%v)", err)
	}
}

// A scrape that only deletes leaves the table's max id, so the vectors in
// memory are kept; the deleted chunks' vectors among them are never
// returned (rescore finds no row for them).
func TestDeletedChunksNeverReturned(t *testing.T) {
	ctx := context.Background()
	root := indextest.Fixture(t)
	db, err := Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := &indextest.WordEmbedder{Name: "w", ID: "w1", Dims: 16}
	if _, err := db.Scrape(ctx, root, ScrapeOptions{NoGit: true, Embedder: e}); err != nil {
		t.Fatal(err)
	}
	q := SemanticQuery{ModelID: VectorID("w1"), Vector: e.Vector(indextest.WordReadme), Limit: 50}
	hits, err := db.SearchSemantic(ctx, q)
	if err != nil || !slices.ContainsFunc(hits, func(h Hit) bool { return h.Path == "README.md" }) {
		t.Fatalf("before: %v %v", hits, err)
	}
	set := db.vec.set
	if err := os.Remove(filepath.Join(root, "README.md")); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Scrape(ctx, root, ScrapeOptions{NoGit: true, Embedder: e}); err != nil {
		t.Fatal(err)
	}
	hits, err = db.SearchSemantic(ctx, q)
	if err != nil || len(hits) == 0 {
		t.Fatalf("after: %v %v", hits, err)
	}
	for _, h := range hits {
		if h.Path == "README.md" {
			t.Fatalf("a deleted file's chunk came back: %+v", h)
		}
	}
	if db.vec.set != set {
		t.Log("the set was re-read (fine, but not needed)")
	}
}
