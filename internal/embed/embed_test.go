package embed

import (
	"context"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
)

// The default model ranks a paraphrase above an unrelated sentence, on
// pairs where any sentence encoder should.
func TestEmbedSimilarAboveDissimilar(t *testing.T) {
	e := openDefault(t)
	cases := []struct{ a, similar, dissimilar string }{
		{"The dog is running in the park", "A dog runs through the park", "I love eating pizza for dinner"},
		{"How do I reset my password?", "I forgot my password and need to change it", "The weather is sunny today"},
		{"The stock market fell sharply this morning", "Share prices dropped steeply at the open", "My cat sleeps on the sofa"},
		{"Encrypt the file with a public key", "Use asymmetric encryption to protect the file", "Bake the bread for forty minutes"},
		{"The server crashed because it ran out of memory", "An out-of-memory error took the service down", "She plays the violin beautifully"},
	}
	for _, c := range cases {
		v, err := e.Embed(context.Background(), []string{c.a, c.similar, c.dissimilar})
		if err != nil {
			t.Fatal(err)
		}
		sim, dis := dot(v[0], v[1]), dot(v[0], v[2])
		if sim <= dis+0.1 {
			t.Errorf("%q: similar %.3f, dissimilar %.3f", c.a, sim, dis)
		}
	}
}

// A batch gives the vectors the texts get one at a time, in order, each
// of unit length and of the manifest's dims.
func TestEmbedBatchEqualsSingle(t *testing.T) {
	e := openDefault(t)
	texts := []string{
		"short",
		"how do I rotate the vault key",
		"",
		strings.Repeat("a long chunk of documentation about socket activation and idle exit ", 12),
		"re-encrypt secrets to a new age recipient",
	}
	for i := 0; len(texts) < 40; i++ { // more than one batch, lengths mixed
		texts = append(texts, fmt.Sprintf("chunk %d says %s", i, strings.Repeat("word ", i%9)))
	}
	batch, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	if len(batch) != len(texts) {
		t.Fatalf("%d vectors for %d texts", len(batch), len(texts))
	}
	for i, text := range texts {
		one, err := e.Embed(context.Background(), []string{text})
		if err != nil {
			t.Fatal(err)
		}
		if len(one[0]) != 512 || len(batch[i]) != 512 {
			t.Fatalf("dims %d and %d, want 512", len(one[0]), len(batch[i]))
		}
		if d := maxDiff(one[0], batch[i]); d > 1e-5 {
			t.Errorf("text %d: batch and single differ by %g", i, d)
		}
		if n := norm2(batch[i]); math.Abs(n-1) > 1e-5 {
			t.Errorf("text %d: length %g", i, n)
		}
	}
}

// An empty text gets a vector; a very long one is truncated to what the
// graph reads, so it embeds like its first MaxTokens tokens.
func TestEmbedEmptyAndLong(t *testing.T) {
	e := openDefault(t)
	var words []string
	for i := range 50_000 {
		words = append(words, []string{"vault", "rotation", "socket", "index", "chunk", "daemon"}[i%6])
	}
	long := strings.Join(words, " ")
	head := strings.Join(words[:200], " ")
	v, err := e.Embed(context.Background(), []string{"", long, head, "   "})
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range v {
		if n := norm2(x); math.Abs(n-1) > 1e-5 {
			t.Errorf("vector %d: length %g", i, n)
		}
	}
	if d := maxDiff(v[1], v[2]); d > 1e-5 {
		t.Errorf("a 50,000-word text and its first 200 words differ by %g", d)
	}
	if v, err := e.Embed(context.Background(), nil); err != nil || len(v) != 0 {
		t.Errorf("no texts: %v, %v", v, err)
	}
}

// Many goroutines embedding at once get what one alone gets (run under
// -race), and Close waits for them.
func TestEmbedConcurrent(t *testing.T) {
	e := openDefault(t)
	texts := []string{"the daemon exits when idle", "secrets are encrypted with age", "scry searches the index"}
	want, err := e.Embed(context.Background(), texts)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 5 {
				i := g % len(texts)
				v, err := e.Embed(context.Background(), []string{texts[i]})
				if err != nil {
					errs <- err
					return
				}
				if d := maxDiff(v[0], want[i]); d > 1e-5 {
					errs <- fmt.Errorf("goroutine %d: differs by %g", g, d)
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if err := e.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Embed(context.Background(), texts); !errors.Is(err, errClosed) {
		t.Errorf("Embed after Close: %v", err)
	}
	if err := e.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

// A cancelled context stops Embed before the next batch.
func TestEmbedHonoursContext(t *testing.T) {
	e := openDefault(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.Embed(ctx, []string{"a", "b"}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

// The embedder names its model and its identity for the index.
func TestEmbedModelIdentity(t *testing.T) {
	e := openDefault(t)
	if e.ModelName() != DefaultModel || e.Manifest().Name != DefaultModel {
		t.Errorf("name %q", e.ModelName())
	}
	if e.ModelID() != e.Manifest().ID() || len(e.ModelID()) != 64 {
		t.Errorf("id %q", e.ModelID())
	}
}
