// Package embed turns text into unit-length vectors with an ONNX model run
// by ONNX Runtime (through onnxruntime_go, so only in cgo builds).
//
// A model is a Manifest: a name, a family, its files with the SHA-256 each
// must have, its output dimensions and how many tokens it reads. The
// default, use-lite, is built in and provisioned by `make models` into
// paths.Cache(); users add BERT-style models with `patina model add`. Every
// file is hashed before it is used, and so is the provisioned runtime
// library: a missing or altered file is an error wrapping ErrUnavailable,
// never a silent load, and callers fall back to lexical search.
package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"runtime/debug"
	"slices"
	"strings"
	"sync"
)

// Embedder embeds text with one model. It is safe for concurrent use.
type Embedder struct {
	m    *Manifest
	id   string
	tok  tokenizer
	pad  int64  // BERT's padding id
	tune tuning // batch.go

	mu   sync.RWMutex // Embed holds it shared, Close exclusively
	sess session      // queries and small calls; nil once closed

	// bulk is the single-threaded session that runs the batches of a
	// large call side by side (batch.go), opened by the first such call.
	// bulkFailed: it could not be, and sess serves those calls too.
	bulkMu     sync.Mutex
	bulk       session
	bulkFailed bool
}

// tokenizer turns a text into the ids the graph reads: at most MaxTokens
// of them and never none.
type tokenizer interface {
	encode(text string) []int64
}

// session is a loaded graph (ort.go; a stub without cgo). run embeds one
// batch of token ids, returning one vector per row, not yet normalised.
type session interface {
	run(ids [][]int64) ([][]float32, error)
	close() error
}

// Open loads a model: it hashes the model's files and the provisioned
// runtime library, starts ONNX Runtime (once per process) and creates a
// session. Every error wraps ErrUnavailable.
func Open(m *Manifest) (*Embedder, error) {
	if m == nil {
		return nil, unavailablef("no model")
	}
	if m.Dims < 1 {
		return nil, unavailablef("model %s: dims %d", m.Name, m.Dims)
	}
	return open(m)
}

// open is Open without the dims check: `model add` learns a new model's
// dims by embedding with it.
func open(m *Manifest) (*Embedder, error) { return openTuned(m, defaultTuning) }

// openTuned is open with tuning t (the benchmarks compare tunings).
func openTuned(m *Manifest, t tuning) (*Embedder, error) {
	if m.MaxTokens < minTokens(m.Family) {
		return nil, unavailablef("model %s: max_tokens %d", m.Name, m.MaxTokens)
	}
	vocab, err := m.read(RoleVocab)
	if err != nil {
		return nil, err
	}
	var tok tokenizer
	var pad int64
	switch m.Family {
	case FamilyUSELite:
		tok, err = newSPM(vocab, m.MaxTokens)
	case FamilyBERT:
		var wp *wordPiece
		wp, err = newWordPiece(vocab, m.MaxTokens)
		tok = wp
		if wp != nil {
			pad = wp.pad
		}
	default:
		err = fmt.Errorf("unknown family %q", m.Family)
	}
	if err != nil {
		return nil, &fileProblem{m.Name, m.Path(RoleVocab), err}
	}
	graph, err := m.read(RoleONNX)
	if err != nil {
		return nil, err
	}
	sess, err := openSession(m, graph, pad, t.threads) // 0 by default: ORT's threads, best for one query
	if err != nil {
		return nil, err
	}
	// The graph was read into Go memory so that the bytes hashed are the
	// bytes loaded; ONNX Runtime keeps its own copy. Hand ours back to the
	// OS now (~30 MB for use-lite) rather than at some later scavenge.
	debug.FreeOSMemory()
	return &Embedder{m: m, id: m.ID(), tok: tok, pad: pad, tune: t, sess: sess}, nil
}

// Manifest is the model this embedder runs.
func (e *Embedder) Manifest() *Manifest { return e.m }

// ModelName and ModelID are the model's name and identity (Manifest.ID),
// stored with every vector.
func (e *Embedder) ModelName() string { return e.m.Name }
func (e *Embedder) ModelID() string   { return e.id }

var errClosed = errors.New("embed: embedder is closed")

// Embed returns one unit-length vector per text, in order. An empty text
// still gets a vector; a long one is truncated to the model's MaxTokens.
// The texts are sorted by token count and go through the graph in batches
// of similar lengths, those of a large call several at once (batch.go);
// ctx is checked before each. A text's vector does not depend on the
// texts beside it.
func (e *Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	ids := make([][]int64, len(texts))
	for i, t := range texts {
		ids[i] = e.tok.encode(t)
	}
	order := make([]int, len(texts))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return len(ids[a]) - len(ids[b]) })
	batches := e.tune.cut(order, ids)

	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.sess == nil {
		return nil, errClosed
	}
	out := make([][]float32, len(texts))
	sess, workers := e.sess, 1
	if e.tune.bulkFrom > 0 && len(batches) >= e.tune.bulkFrom {
		if b := e.bulkSession(); b != nil {
			sess, workers = b, e.tune.workers
		}
	}
	err := parallel(ctx, len(batches), workers, func(b int) error {
		return e.run(sess, batches[b], ids, out)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// bulkSession is the single-threaded session for large calls, opened the
// first time one is made (from the model's files, hashed again), or nil
// if it cannot be: those calls then run on e.sess, as small ones do. The
// caller holds e.mu shared.
func (e *Embedder) bulkSession() session {
	e.bulkMu.Lock()
	defer e.bulkMu.Unlock()
	if e.bulk == nil && !e.bulkFailed {
		var err error
		e.bulk, err = e.openBulk()
		e.bulkFailed = err != nil
		debug.FreeOSMemory() // the graph's bytes, as in open
	}
	return e.bulk
}

func (e *Embedder) openBulk() (session, error) {
	graph, err := e.m.read(RoleONNX)
	if err != nil {
		return nil, err
	}
	return openSession(e.m, graph, e.pad, 1)
}

// run embeds the texts rows (indices into ids) in one run of sess,
// storing their vectors in out. Concurrent runs write disjoint rows.
func (e *Embedder) run(sess session, rows []int, ids [][]int64, out [][]float32) error {
	batch := make([][]int64, len(rows))
	for k, i := range rows {
		batch[k] = ids[i]
	}
	vecs, err := sess.run(batch)
	if err != nil {
		return fmt.Errorf("model %s: %w", e.m.Name, err)
	}
	if len(vecs) != len(rows) {
		return fmt.Errorf("model %s: %d vectors for %d texts", e.m.Name, len(vecs), len(rows))
	}
	for k, i := range rows {
		if e.m.Dims > 0 && len(vecs[k]) != e.m.Dims {
			return fmt.Errorf("model %s: output has %d dims, the manifest says %d", e.m.Name, len(vecs[k]), e.m.Dims)
		}
		if !normalize(vecs[k]) {
			// NaN, an infinity or all zeros: no direction to compare,
			// and NaN would scramble every ranking it entered.
			return fmt.Errorf("model %s: the output for text %d is not a usable vector (zero, infinite or NaN)", e.m.Name, i)
		}
		out[i] = vecs[k]
	}
	return nil
}

// Close releases the sessions, after any Embed in progress. The runtime
// stays loaded for the life of the process.
func (e *Embedder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sess == nil {
		return nil
	}
	err := e.sess.close()
	e.sess = nil
	if e.bulk != nil {
		err = errors.Join(err, e.bulk.close())
		e.bulk = nil
	}
	return err
}

// normalize scales v to unit length. It reports false, leaving v as it
// was, for a vector with no length or a length that is not finite.
func normalize(v []float32) bool {
	var sum float64
	for _, x := range v {
		sum += float64(x) * float64(x)
	}
	if sum == 0 || math.IsNaN(sum) || math.IsInf(sum, 0) {
		return false
	}
	inv := 1 / math.Sqrt(sum)
	for i, x := range v {
		v[i] = float32(float64(x) * inv)
	}
	return true
}

// meanPool averages a [rows, seq, dim] hidden state over each row's first
// lengths[row] positions: mean pooling under an attention mask that is 1
// for the tokens and 0 for the padding after them.
func meanPool(hidden []float32, lengths []int, seq, dim int) [][]float32 {
	out := make([][]float32, len(lengths))
	for r, n := range lengths {
		acc := make([]float64, dim)
		for p := range n {
			row := hidden[(r*seq+p)*dim : (r*seq+p+1)*dim]
			for d, x := range row {
				acc[d] += float64(x)
			}
		}
		v := make([]float32, dim)
		for d := range v {
			v[d] = float32(acc[d] / float64(max(n, 1)))
		}
		out[r] = v
	}
	return out
}

// oneLine is err's message with runs of whitespace, newlines included, as
// one space: ONNX Runtime's messages can span lines.
func oneLine(err error) string { return strings.Join(strings.Fields(err.Error()), " ") }
