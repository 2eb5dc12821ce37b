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

// batchSize is how many texts go through the graph in one run. Texts are
// sorted by length first, so little of a batch is padding.
const batchSize = 16

// Embedder embeds text with one model. It is safe for concurrent use.
type Embedder struct {
	m   *Manifest
	id  string
	tok tokenizer

	mu   sync.RWMutex // Embed holds it shared, Close exclusively
	sess session      // nil once closed
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
func open(m *Manifest) (*Embedder, error) {
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
	sess, err := openSession(m, graph, pad)
	if err != nil {
		return nil, err
	}
	// The graph was read into Go memory so that the bytes hashed are the
	// bytes loaded; ONNX Runtime keeps its own copy. Hand ours back to the
	// OS now (~30 MB for use-lite) rather than at some later scavenge.
	debug.FreeOSMemory()
	return &Embedder{m: m, id: m.ID(), tok: tok, sess: sess}, nil
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
// The texts go through the graph in batches; ctx is checked before each.
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

	e.mu.RLock()
	defer e.mu.RUnlock()
	if e.sess == nil {
		return nil, errClosed
	}
	out := make([][]float32, len(texts))
	batch := make([][]int64, 0, batchSize)
	for start := 0; start < len(order); start += batchSize {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		rows := order[start:min(start+batchSize, len(order))]
		batch = batch[:0]
		for _, i := range rows {
			batch = append(batch, ids[i])
		}
		vecs, err := e.sess.run(batch)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", e.m.Name, err)
		}
		if len(vecs) != len(rows) {
			return nil, fmt.Errorf("model %s: %d vectors for %d texts", e.m.Name, len(vecs), len(rows))
		}
		for k, i := range rows {
			if e.m.Dims > 0 && len(vecs[k]) != e.m.Dims {
				return nil, fmt.Errorf("model %s: output has %d dims, the manifest says %d", e.m.Name, len(vecs[k]), e.m.Dims)
			}
			if !normalize(vecs[k]) {
				// NaN, an infinity or all zeros: no direction to compare,
				// and NaN would scramble every ranking it entered.
				return nil, fmt.Errorf("model %s: the output for text %d is not a usable vector (zero, infinite or NaN)", e.m.Name, i)
			}
			out[i] = vecs[k]
		}
	}
	return out, nil
}

// Close releases the session, after any Embed in progress. The runtime
// stays loaded for the life of the process.
func (e *Embedder) Close() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.sess == nil {
		return nil
	}
	err := e.sess.close()
	e.sess = nil
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
