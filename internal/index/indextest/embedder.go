package indextest

import (
	"context"
	"hash/fnv"
	"math"
	"strings"
	"sync"
	"unicode"
)

// WordEmbedder is a deterministic stand-in for a language model, for
// tests of what is done with vectors (storage, incremental updates,
// ranking, fusion) rather than of what a model knows: a text's vector is
// its bag of lower-cased words hashed into Dims buckets, normalised. Texts
// sharing words are near; texts sharing none are orthogonal-ish. It counts
// the texts it was asked to embed. The real model is tested in
// internal/embed.
type WordEmbedder struct {
	Name, ID string
	Dims     int

	mu    sync.Mutex
	texts []string
}

// ModelName is Name.
func (e *WordEmbedder) ModelName() string { return e.Name }

// ModelID is ID.
func (e *WordEmbedder) ModelID() string { return e.ID }

// Embed hashes each text's words into a unit vector.
func (e *WordEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	e.mu.Lock()
	e.texts = append(e.texts, texts...)
	e.mu.Unlock()
	out := make([][]float32, len(texts))
	for i, t := range texts {
		out[i] = e.Vector(t)
	}
	return out, nil
}

// Vector is the embedding of one text.
func (e *WordEmbedder) Vector(text string) []float32 {
	v := make([]float32, e.Dims)
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	}) {
		h := fnv.New32a()
		h.Write([]byte(w))
		v[h.Sum32()%uint32(e.Dims)]++
	}
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if n == 0 {
		v[0], n = 1, 1
	}
	for i := range v {
		v[i] = float32(float64(v[i]) / math.Sqrt(n))
	}
	return v
}

// Embedded returns the texts embedded so far and forgets them.
func (e *WordEmbedder) Embedded() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	t := e.texts
	e.texts = nil
	return t
}
