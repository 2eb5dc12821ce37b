package index

import (
	"container/heap"
	"context"
	"fmt"
	"runtime"
	"sync"
)

// vectorSet is an index's vectors for one model, in memory: searching
// 100,000 of them by brute force takes milliseconds, reading them from
// SQLite takes far longer, so a DB keeps the last set it read and reuses it
// while the table is unchanged.
type vectorSet struct {
	modelID string
	// count and maxID of the embeddings table when read: together they
	// change on every write (ids never repeat).
	count, maxID int64
	dims         int
	ids          []int64
	data         []float32 // len(ids) × dims, row-major
}

type vectorCache struct {
	mu  sync.Mutex
	set *vectorSet
}

// vectors returns the model's vectors, from memory when the table has not
// changed since they were read.
func (db *DB) vectors(ctx context.Context, modelID string, dims int) (*vectorSet, error) {
	var count, maxID int64
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*), coalesce(max(id), 0) FROM embeddings`).Scan(&count, &maxID); err != nil {
		return nil, err
	}
	db.vec.mu.Lock()
	defer db.vec.mu.Unlock()
	if s := db.vec.set; s != nil && s.modelID == modelID && s.dims == dims && s.count == count && s.maxID == maxID {
		return s, nil
	}
	db.vec.set = nil // let the old set go before reading the new one
	rows, err := db.sql.QueryContext(ctx, `SELECT chunk_id, vector FROM embeddings WHERE model_id = ? ORDER BY chunk_id`, modelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Sized up front: growing by append would briefly hold twice the
	// set (100,000 × 512 float32s are 200 MiB).
	s := &vectorSet{modelID: modelID, count: count, maxID: maxID, dims: dims,
		ids: make([]int64, 0, count), data: make([]float32, 0, int(count)*dims)}
	var blob []byte
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &blob); err != nil {
			return nil, err
		}
		var ok bool
		if s.data, ok = decodeVector(s.data, blob, dims); !ok {
			return nil, fmt.Errorf("chunk %d: vector of %d bytes, want %d float32s (re-run patina scrape)", id, len(blob), dims)
		}
		s.ids = append(s.ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	db.vec.set = s
	return s, nil
}

// SemanticQuery is a nearest-neighbour search over an index's vectors.
type SemanticQuery struct {
	ModelID string    // a VectorID: only vectors this model made are compared
	Vector  []float32 // the query's embedding, unit length
	Limit   int       // default 10
	// SnippetChars is how many characters of each chunk's text
	// Hit.Snippet holds (default 240).
	SnippetChars int
}

// SearchSemantic ranks chunks by cosine similarity (a dot product: stored
// and query vectors are unit length) to q.Vector, comparing against every
// vector (brute force, spread over the CPUs). Hit.Score is the cosine.
// Cancelling ctx stops the scan.
func (db *DB) SearchSemantic(ctx context.Context, q SemanticQuery) ([]Hit, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	snip := q.SnippetChars
	if snip <= 0 {
		snip = 240
	}
	set, err := db.vectors(ctx, q.ModelID, len(q.Vector))
	if err != nil {
		return nil, searchErr(ctx, db, err)
	}
	top, err := set.nearest(ctx, q.Vector, limit)
	if err != nil {
		return nil, err
	}
	if len(top) == 0 {
		return []Hit{}, nil
	}
	args := make([]any, 0, len(top)+1)
	args = append(args, snip)
	for _, t := range top {
		args = append(args, t.id)
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT id, path, kind, title, start_line, end_line, substr(content, 1, ?)
		FROM chunks WHERE id IN (`+placeholders(len(top))+`)`, args...)
	if err != nil {
		return nil, searchErr(ctx, db, err)
	}
	defer rows.Close()
	byID := map[int64]Hit{}
	for rows.Next() {
		var h Hit
		if err := rows.Scan(&h.ChunkID, &h.Path, &h.Kind, &h.Title, &h.StartLine, &h.EndLine, &h.Snippet); err != nil {
			return nil, searchErr(ctx, db, err)
		}
		byID[h.ChunkID] = h
	}
	if err := rows.Err(); err != nil {
		return nil, searchErr(ctx, db, err)
	}
	hits := make([]Hit, 0, len(top))
	for _, t := range top {
		if h, ok := byID[t.id]; ok { // a chunk deleted since its vector was read is skipped
			h.Score = float64(t.score)
			hits = append(hits, h)
		}
	}
	return hits, nil
}

type scored struct {
	id    int64
	score float32
}

// minHeap keeps the best k seen so far, the worst of them on top.
type minHeap []scored

func (h minHeap) Len() int { return len(h) }
func (h minHeap) Less(i, j int) bool {
	if h[i].score != h[j].score {
		return h[i].score < h[j].score
	}
	return h[i].id > h[j].id // equal scores: the older chunk wins
}
func (h minHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *minHeap) Push(x any)   { *h = append(*h, x.(scored)) }
func (h *minHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (h *minHeap) offer(s scored, k int) {
	if h.Len() < k {
		heap.Push(h, s)
	} else if better(s, (*h)[0]) {
		(*h)[0] = s
		heap.Fix(h, 0)
	}
}

func better(a, b scored) bool {
	if a.score != b.score {
		return a.score > b.score
	}
	return a.id < b.id
}

// parallelMin is the set size from which the scan is split across CPUs.
const parallelMin = 8192

// nearest returns the k vectors with the highest dot product with q, best
// first. Each worker scans a contiguous slice and keeps its own top k.
func (s *vectorSet) nearest(ctx context.Context, q []float32, k int) ([]scored, error) {
	n := len(s.ids)
	workers := 1
	if n >= parallelMin {
		workers = runtime.GOMAXPROCS(0)
	}
	heaps := make([]minHeap, workers)
	var wg sync.WaitGroup
	per := (n + workers - 1) / workers
	for w := range workers {
		lo, hi := w*per, min((w+1)*per, n)
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := make(minHeap, 0, k)
			for i := lo; i < hi; i++ {
				if (i-lo)%4096 == 0 && ctx.Err() != nil {
					return
				}
				h.offer(scored{s.ids[i], dot(q, s.data[i*s.dims:(i+1)*s.dims])}, k)
			}
			heaps[w] = h
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all := make(minHeap, 0, k)
	for _, h := range heaps {
		for _, x := range h {
			all.offer(x, k)
		}
	}
	out := make([]scored, len(all))
	for i := len(all) - 1; i >= 0; i-- {
		out[i] = heap.Pop(&all).(scored)
	}
	return out, nil
}

// dot is the inner product of two equal-length vectors, four lanes at a
// time so the compiler keeps independent sums in registers.
func dot(a, b []float32) float32 {
	b = b[:len(a)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(a); i += 4 {
		s0 += a[i] * b[i]
		s1 += a[i+1] * b[i+1]
		s2 += a[i+2] * b[i+2]
		s3 += a[i+3] * b[i+3]
	}
	for ; i < len(a); i++ {
		s0 += a[i] * b[i]
	}
	return s0 + s1 + s2 + s3
}
