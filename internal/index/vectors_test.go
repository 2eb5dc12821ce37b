package index

import (
	"cmp"
	"context"
	"math/rand/v2"
	"slices"
	"testing"
)

// nearest must agree with sorting every score, on both the one-worker
// and the parallel path, ties going to the lower id.
func TestNearestMatchesSort(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, n := range []int{0, 5, 100, parallelMin + 37} {
		const dims = 8
		s := &vectorSet{dims: dims}
		for i := range n {
			s.ids = append(s.ids, int64(i+1))
			for range dims {
				// Few distinct values, so ties happen.
				s.data = append(s.data, float32(rng.IntN(3)))
			}
		}
		q := []float32{1, 0.5, 0, 1, 0, 0, 1, 0.25}
		var all []scored
		for i, id := range s.ids {
			all = append(all, scored{id, dot(q, s.data[i*dims:(i+1)*dims])})
		}
		slices.SortFunc(all, func(a, b scored) int { return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.id, b.id)) })
		for _, k := range []int{1, 10, 50} {
			got, err := s.nearest(context.Background(), q, k)
			if err != nil {
				t.Fatal(err)
			}
			want := all[:min(k, len(all))]
			if !slices.Equal(got, want) {
				t.Fatalf("n=%d k=%d: nearest = %v, want %v", n, k, got, want)
			}
		}
	}
}

func TestNearestCancelled(t *testing.T) {
	s := &vectorSet{dims: 1, ids: []int64{1}, data: []float32{1}}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.nearest(ctx, []float32{1}, 1); err != context.Canceled {
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
