package index

import (
	"container/heap"
	"context"
	"database/sql"
	"fmt"
	"runtime"
	"sync"
)

// vectorSet is an index's vectors for one model, in memory and quantised
// (quant.go): searching 100,000 of them takes milliseconds, reading them
// from SQLite takes far longer, so a DB keeps the last set it read and
// reuses it while the table is unchanged.
type vectorSet struct {
	modelID string
	// maxID of the embeddings table when read: every insert raises it
	// (ids never repeat). A scrape that only deletes leaves it, and the
	// set then holds vectors of deleted chunks: harmless, since rescore
	// finds no row for them and skips them. count(*) would notice, but it
	// scans an index on every query (milliseconds at 100,000 vectors).
	maxID int64
	dims  int
	quant quantiser
	ids   []int64 // ascending
	codes []byte  // len(ids) × quant.codeBytes()
}

type vectorCache struct {
	mu  sync.Mutex
	set *vectorSet
}

// vectors returns the model's vectors, from memory when the table has not
// changed since they were read.
func (db *DB) vectors(ctx context.Context, modelID string, dims int) (*vectorSet, error) {
	var maxID int64
	if err := db.sql.QueryRowContext(ctx, `SELECT coalesce(max(id), 0) FROM embeddings`).Scan(&maxID); err != nil {
		return nil, err
	}
	db.vec.mu.Lock()
	defer db.vec.mu.Unlock()
	if s := db.vec.set; s != nil && s.modelID == modelID && s.dims == dims && s.maxID == maxID {
		return s, nil
	}
	db.vec.set = nil // let the old set go before reading the new one
	quant, err := db.fitQuantiser(ctx, modelID, dims, maxID)
	if err != nil {
		return nil, err
	}
	var count int64
	if err := db.sql.QueryRowContext(ctx, `SELECT count(*) FROM embeddings WHERE model_id = ?`, modelID).Scan(&count); err != nil {
		return nil, err
	}
	rows, err := db.sql.QueryContext(ctx, `SELECT chunk_id, vector FROM embeddings WHERE model_id = ? ORDER BY chunk_id`, modelID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	// Sized up front: growing by append would briefly hold twice the set.
	s := &vectorSet{modelID: modelID, maxID: maxID, dims: dims, quant: quant,
		ids: make([]int64, 0, count), codes: make([]byte, 0, int(count)*quant.codeBytes())}
	var blob []byte
	var v []float32
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id, &blob); err != nil {
			return nil, err
		}
		var ok bool
		if v, ok = decodeVector(v[:0], blob, dims); !ok {
			return nil, fmt.Errorf("chunk %d: vector of %d bytes, want %d float32s (re-run patina scrape)", id, len(blob), dims)
		}
		s.add(id, v)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	db.vec.set = s
	return s, nil
}

// add quantises one vector into the set.
func (s *vectorSet) add(id int64, v []float32) {
	s.codes = s.quant.encode(s.codes, v)
	s.ids = append(s.ids, id)
}

// fitSample is how many vectors, spread evenly over the table, the
// quantiser is fitted to.
const fitSample = 2048

// fitQuantiser fits a quantiser to vectors picked by rowid at even steps
// from 1 to maxID, so the sample spans the whole index rather than the
// first files scraped. Rowid lookups read only the sampled rows.
func (db *DB) fitQuantiser(ctx context.Context, modelID string, dims int, maxID int64) (quantiser, error) {
	var ids []any
	for i := range int64(fitSample) {
		id := 1 + i*maxID/fitSample
		if len(ids) == 0 || ids[len(ids)-1].(int64) != id {
			ids = append(ids, id)
		}
	}
	var sample []float32
	var err error
	const batch = 500 // well under SQLite's limit on parameters
	for lo := 0; lo < len(ids); lo += batch {
		part := ids[lo:min(lo+batch, len(ids))]
		var rows *sql.Rows
		rows, err = db.sql.QueryContext(ctx, `SELECT model_id, vector FROM embeddings WHERE id IN (`+placeholders(len(part))+`)`, part...)
		if err != nil {
			return quantiser{}, err
		}
		for rows.Next() {
			var model string
			var blob []byte
			if err := rows.Scan(&model, &blob); err != nil {
				rows.Close()
				return quantiser{}, err
			}
			if model == modelID {
				sample, _ = decodeVector(sample, blob, dims) // a bad length is reported by the full read
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return quantiser{}, err
		}
	}
	if len(sample)/max(dims, 1) < minFit {
		// Ids spread far beyond the live rows (many re-scrapes): the
		// first rows will do.
		if sample, err = db.firstVectors(ctx, modelID, dims); err != nil {
			return quantiser{}, err
		}
	}
	return newQuantiser(sample, dims), nil
}

// minFit is the fewest vectors a quantiser is fitted to when more exist.
const minFit = 256

func (db *DB) firstVectors(ctx context.Context, modelID string, dims int) ([]float32, error) {
	rows, err := db.sql.QueryContext(ctx, `SELECT vector FROM embeddings WHERE model_id = ? LIMIT ?`, modelID, fitSample)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var sample []float32
	var blob []byte
	for rows.Next() {
		if err := rows.Scan(&blob); err != nil {
			return nil, err
		}
		sample, _ = decodeVector(sample, blob, dims)
	}
	return sample, rows.Err()
}

// SemanticQuery is a nearest-neighbour search over an index's vectors.
type SemanticQuery struct {
	ModelID string    // a VectorID: only vectors this model made are compared
	Vector  []float32 // the query's embedding, unit length
	Limit   int       // default 10
	// Filter keeps only the chunks it passes, before Limit counts them.
	Filter Filter
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
	allow, err := db.kept(ctx, q.Filter)
	if err != nil {
		return nil, searchErr(ctx, db, err)
	}
	if allow != nil && len(allow) == 0 {
		return []Hit{}, nil // the filter keeps no chunk
	}
	cands, err := set.nearestIn(ctx, q.Vector, limit, allow)
	if err != nil {
		return nil, err
	}
	top, err := db.rescore(ctx, q.ModelID, q.Vector, cands, limit)
	if err != nil {
		return nil, searchErr(ctx, db, err)
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

// candidates is how many vectors the codes' estimate passes on to the
// exact re-score (a read from SQLite each) for a top-k search. Chosen on
// 12,820 real embeddings (BenchmarkVectorRecall): recall against exact
// search is 0.999 at k = 10 and 40, and 0.998 at k = 100, the chunks scry
// fetches for ten files (2k gave 0.967 there, 8k 1.000 for twice the reads).
func candidates(k int) int { return max(4*k, 128) }

// parallelMin is the set size from which the scan is split across CPUs.
const parallelMin = 8192

// nearest returns the candidates for the k vectors with the highest dot
// product with q: the candidates(k) best by the codes' estimate, best
// first, for rescore to order exactly. Each worker scans a contiguous
// slice and keeps its own best.
func (s *vectorSet) nearest(ctx context.Context, q []float32, k int) ([]scored, error) {
	return s.nearestIn(ctx, q, k, nil)
}

// nearestIn is nearest among the chunks in allow (nil: all of them).
func (s *vectorSet) nearestIn(ctx context.Context, q []float32, k int, allow idSet) ([]scored, error) {
	n, width := len(s.ids), s.quant.codeBytes()
	keep := candidates(k)
	if n == 0 {
		return nil, ctx.Err()
	}
	t := s.quant.tables(q)
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
			h := make(minHeap, 0, keep)
			for i := lo; i < hi; i++ {
				if (i-lo)%8192 == 0 && ctx.Err() != nil {
					return
				}
				if allow != nil && !allow.has(s.ids[i]) {
					continue
				}
				h.offer(scored{s.ids[i], estimate(t, s.codes[i*width:(i+1)*width])}, keep)
			}
			heaps[w] = h
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	all := make(minHeap, 0, keep)
	for _, h := range heaps {
		for _, x := range h {
			all.offer(x, keep)
		}
	}
	return all.sorted(), nil
}

// rescore orders candidates by their exact dot product with q, from the
// stored float32s, and returns the best k; ties go to the older chunk.
func (db *DB) rescore(ctx context.Context, modelID string, q []float32, cands []scored, k int) ([]scored, error) {
	h := make(minHeap, 0, k)
	const batch = 500 // well under SQLite's limit on parameters
	var v []float32
	for lo := 0; lo < len(cands); lo += batch {
		part := cands[lo:min(lo+batch, len(cands))]
		args := make([]any, 0, len(part))
		for _, c := range part {
			args = append(args, c.id)
		}
		// By chunk_id alone, so SQLite takes its unique index (the model's
		// index would walk every vector); the model is checked here.
		rows, err := db.sql.QueryContext(ctx, `SELECT chunk_id, model_id, vector FROM embeddings
			WHERE chunk_id IN (`+placeholders(len(part))+`)`, args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var model string
			var blob []byte
			if err := rows.Scan(&id, &model, &blob); err != nil {
				rows.Close()
				return nil, err
			}
			var ok bool
			// A vector replaced since the set was read is skipped.
			if v, ok = decodeVector(v[:0], blob, len(q)); ok && model == modelID {
				h.offer(scored{id, dot(q, v)}, k)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return h.sorted(), nil
}

// sorted empties the heap, best first.
func (h *minHeap) sorted() []scored {
	out := make([]scored, h.Len())
	for i := len(out) - 1; i >= 0; i-- {
		out[i] = heap.Pop(h).(scored)
	}
	return out
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

// WarmVectors reads the vectors of the index's embedding model into
// memory, as the first semantic search would, so that search finds them
// ready. An index without vectors is left as it is.
func (db *DB) WarmVectors(ctx context.Context) error {
	_, id, err := db.EmbeddingModel(ctx)
	if err != nil || id == "" {
		return err
	}
	var bytes int
	if err := db.sql.QueryRowContext(ctx, `SELECT length(vector) FROM embeddings WHERE model_id = ? LIMIT 1`, id).Scan(&bytes); err != nil {
		return err
	}
	_, err = db.vectors(ctx, id, bytes/4)
	return err
}
