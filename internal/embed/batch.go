package embed

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
)

// tuning is how Embed spreads texts over ONNX Runtime: how big each run
// of the graph is, and whether a call's runs go one at a time through a
// session whose runs each use every core, or side by side through a
// session of one thread per run.
//
// Measured on use-lite (two cores, the chunks of this repository sorted
// by length; BenchmarkEmbedChunks, BenchmarkEmbedQuery): for a page of
// chunks, runs of one thread side by side cost 10–17% less CPU per chunk
// than runs spread over both cores, each of whose ~300 nodes is split
// between the threads and waits for the slower; and runs of a few hundred token slots keep
// their activations (rows × tokens × 1,536 floats in the feed-forward
// layers) in the core's cache, where 16 texts of ~100 tokens spill them.
// For one short query, though, the spread run is the faster (by ~2%
// here, more with more cores), so queries keep it. A text's vector is the
// same either way (within ~1e-7): the graph masks padding, and each row is
// computed apart from the others.
type tuning struct {
	batchRows   int // at most this many texts per run; 0 for no limit
	batchTokens int // at most this many token slots (rows × the longest row) per run; 0 for no limit
	threads     int // threads per run of the query session; 0 is ONNX Runtime's default, one per core
	// bulkFrom: a call cut into at least this many runs makes them side
	// by side, workers at a time, on a second session of one thread per
	// run, opened by the first such call. 0: never; runs go one at a time
	// through the query session.
	bulkFrom int
	workers  int // 0 for GOMAXPROCS
}

// defaultBatchTokens bounds a run's padded size: 3–4 chunks of ~100
// tokens, a few dozen commit subjects. 256–512 measured alike; 1,024
// and more (16 rows of 100 tokens is ~1,600) cost more per chunk.
const defaultBatchTokens = 384

// defaultTuning is what Open uses. bulkFrom 8 is ~30 chunks, ~0.3 s of
// work on two cores: about where the bulk session's start (~70 ms, and
// ~40 MB more at the peak of a scrape) pays for itself. A query never
// opens it: the daemon, which only embeds queries, keeps one session.
var defaultTuning = tuning{batchTokens: defaultBatchTokens, bulkFrom: 8}

// oldTuning is how Embed ran before the tuning above (16 texts per run,
// one run at a time, ONNX Runtime's default threads): BenchmarkEmbedChunks
// and BenchmarkEmbedQuery measure against it in the same run.
var oldTuning = tuning{batchRows: 16}

// cut splits order (text indices sorted by token count, shortest first)
// into runs within the row and token limits. Every run has at least one
// text, however long.
func (t tuning) cut(order []int, ids [][]int64) [][]int {
	var batches [][]int
	start := 0
	for i := range order {
		rows, longest := i-start+1, len(ids[order[i]]) // sorted: the last row is the longest
		full := (t.batchRows > 0 && rows > t.batchRows) || (t.batchTokens > 0 && rows*longest > t.batchTokens)
		if full && rows > 1 {
			batches = append(batches, order[start:i])
			start = i
		}
	}
	if start < len(order) {
		batches = append(batches, order[start:])
	}
	return batches
}

// parallel calls run(i) for every i below n, on up to workers goroutines
// (the caller's among them), and returns the error of the first i that
// failed. Once one fails or ctx is done, no further i is started.
func parallel(ctx context.Context, n, workers int, run func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = min(workers, n)
	errs := make([]error, n)
	var next atomic.Int64
	var failed atomic.Bool
	work := func() {
		for !failed.Load() {
			i := int(next.Add(1) - 1)
			if i >= n {
				return
			}
			if err := ctx.Err(); err != nil {
				errs[i] = err
			} else {
				errs[i] = run(i)
			}
			if errs[i] != nil {
				failed.Store(true)
			}
		}
	}
	var wg sync.WaitGroup
	for range workers - 1 {
		wg.Go(work)
	}
	work()
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}
