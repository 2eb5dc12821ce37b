package embed

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
)

// batchTexts are texts of every length the scraper hands over: empty,
// a word, commit subjects, prose, code gists, and past MaxTokens.
func batchTexts() []string {
	texts := []string{"", "vault", "   ", "Naïve café — ünïcode ✓ 日本語",
		strings.Repeat("socket activation and idle exit of the daemon ", 40)}
	words := strings.Fields(`the daemon listens on a unix socket in a private runtime directory and exits
		after an idle timeout secrets live in an age encrypted vault decrypted in memory only for the
		command that needs them and scry searches each project's index with BM25 and embeddings`)
	for i := range 95 {
		n := (i * 37) % 140 // 0–139 words, shuffled lengths
		texts = append(texts, fmt.Sprintf("chunk %d: %s", i, strings.Join(words[:n%len(words)], " ")+strings.Repeat(" more", n/len(words))))
	}
	return texts
}

// A text's vector is the same whatever it is batched with and however the
// batches are cut, padded, threaded and run side by side: each text alone
// on one thread, the old 16-row batches on ONNX Runtime's default threads,
// the default tuning, one batch of everything padded to its longest text,
// and tiny batches on more workers than cores.
func TestEmbedSameVectorsWhateverTheBatching(t *testing.T) {
	m := defaultModel(t)
	texts := batchTexts()
	tunings := []struct {
		name string
		t    tuning
		bulk bool // the call runs on the bulk session
	}{
		{"alone", tuning{threads: 1, batchRows: 1}, false},
		{"old", oldTuning, false},
		{"default", defaultTuning, true},
		{"one-padded-batch", tuning{threads: 2}, false},
		{"tiny-batches-4-workers", tuning{batchTokens: 64, bulkFrom: 2, workers: 4}, true},
	}
	var want [][]float32
	for _, tu := range tunings {
		e, err := openTuned(m, tu.t)
		if err != nil {
			t.Fatal(err)
		}
		got, err := e.Embed(context.Background(), texts)
		bulk := e.bulk != nil
		e.Close()
		if err != nil {
			t.Fatalf("%s: %v", tu.name, err)
		}
		if bulk != tu.bulk {
			t.Errorf("%s: bulk session opened %v, want %v", tu.name, bulk, tu.bulk)
		}
		if want == nil {
			want = got
			continue
		}
		var worst float64
		for i := range texts {
			worst = max(worst, maxDiff(got[i], want[i]))
		}
		t.Logf("%s: largest difference from each text alone %g", tu.name, worst)
		if worst > 1e-6 {
			t.Errorf("%s: vectors differ from each text embedded alone by up to %g", tu.name, worst)
		}
	}
}

// cut keeps every text, in order, in runs within the row and token
// limits; a text longer than the token limit is a run of its own.
func TestTuningCut(t *testing.T) {
	lens := []int{1, 1, 2, 3, 5, 8, 8, 8, 13, 40, 100, 128, 128, 500}
	ids := make([][]int64, len(lens))
	order := make([]int, len(lens))
	for i, n := range lens {
		ids[i], order[i] = make([]int64, n), i
	}
	for _, tu := range []tuning{{batchRows: 16}, {batchRows: 3}, {batchTokens: 24}, {batchTokens: 256, batchRows: 4}, {}, {batchTokens: 1}} {
		batches := tu.cut(order, ids)
		var all []int
		for _, b := range batches {
			if len(b) == 0 {
				t.Fatalf("%+v: an empty run in %v", tu, batches)
			}
			if tu.batchRows > 0 && len(b) > tu.batchRows {
				t.Errorf("%+v: run %v has more than %d rows", tu, b, tu.batchRows)
			}
			if slots := len(b) * lens[b[len(b)-1]]; tu.batchTokens > 0 && slots > tu.batchTokens && len(b) > 1 {
				t.Errorf("%+v: run %v has %d token slots", tu, b, slots)
			}
			all = append(all, b...)
		}
		if !slices.Equal(all, order) {
			t.Errorf("%+v: runs %v lose or reorder texts", tu, batches)
		}
	}
	if b := (tuning{batchTokens: 384}).cut(nil, nil); len(b) != 0 {
		t.Errorf("no texts: %v", b)
	}
}

// parallel runs every index once, returns the first failing index's
// error, starts nothing after a failure, and stops when ctx is done.
func TestParallel(t *testing.T) {
	for _, workers := range []int{0, 1, 3, 64} {
		var calls atomic.Int64
		seen := make([]atomic.Int32, 100)
		if err := parallel(context.Background(), len(seen), workers, func(i int) error {
			calls.Add(1)
			seen[i].Add(1)
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		for i := range seen {
			if n := seen[i].Load(); n != 1 {
				t.Fatalf("workers %d: index %d ran %d times", workers, i, n)
			}
		}
		boom := errors.New("boom")
		calls.Store(0)
		err := parallel(context.Background(), 1000, workers, func(i int) error {
			calls.Add(1)
			if i >= 10 {
				return fmt.Errorf("index %d: %w", i, boom)
			}
			return nil
		})
		// Index 10 is always taken before any later one, so it runs.
		if !errors.Is(err, boom) || !strings.HasPrefix(err.Error(), "index 10:") {
			t.Errorf("workers %d: %v, want index 10's error", workers, err)
		}
		if n := calls.Load(); n > 10+64+1 {
			t.Errorf("workers %d: %d runs after a failure at 10", workers, n)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	var ran atomic.Bool
	if err := parallel(ctx, 5, 2, func(int) error { ran.Store(true); return nil }); !errors.Is(err, context.Canceled) || ran.Load() {
		t.Errorf("cancelled: %v (ran %v)", err, ran.Load())
	}
	if err := parallel(ctx, 0, 2, func(int) error { return nil }); err != nil {
		t.Errorf("nothing to do: %v", err)
	}
}

// A query never opens the bulk session; a large call does, once. If it
// cannot (here the graph changed on disk after Open), large calls run on
// the query session, with the same vectors.
func TestEmbedBulkSession(t *testing.T) {
	m := *defaultModel(t)
	dir := t.TempDir()
	for _, f := range m.Files {
		b, err := os.ReadFile(filepath.Join(m.Dir, f.Name))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, f.Name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	m.Dir = dir
	texts := batchTexts()
	ctx := context.Background()
	var want [][]float32
	for _, tamper := range []bool{false, true} {
		e, err := Open(&m)
		if err != nil {
			t.Fatal(err)
		}
		defer e.Close()
		if _, err := e.Embed(ctx, texts[:1]); err != nil || e.bulk != nil || e.bulkFailed {
			t.Fatalf("a query: err %v, bulk session %v (failed %v); want none", err, e.bulk, e.bulkFailed)
		}
		if tamper {
			if err := os.WriteFile(m.Path(RoleONNX), []byte("not the graph"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		for range 2 {
			got, err := e.Embed(ctx, texts)
			if err != nil {
				t.Fatalf("tamper %v: %v", tamper, err)
			}
			if (e.bulk != nil) == tamper || e.bulkFailed != tamper {
				t.Fatalf("tamper %v: bulk session %v, failed %v", tamper, e.bulk, e.bulkFailed)
			}
			if want == nil {
				want = got
			}
			for i := range texts {
				if d := maxDiff(got[i], want[i]); d > 1e-6 {
					t.Fatalf("tamper %v: text %d differs by %g", tamper, i, d)
				}
			}
		}
	}
}
