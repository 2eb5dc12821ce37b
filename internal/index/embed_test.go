package index_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
)

func embedScrape(t *testing.T, db *index.DB, root string, e index.Embedder) index.Summary {
	t.Helper()
	sum, err := db.Scrape(context.Background(), root, index.ScrapeOptions{NoGit: true, Embedder: e})
	if err != nil {
		t.Fatal(err)
	}
	return sum
}

func TestEmbedIncremental(t *testing.T) {
	root := t.TempDir()
	write := func(name, text string) {
		if err := os.WriteFile(filepath.Join(root, name), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("a.md", "# Sockets\n\nThe daemon listens on a unix socket.\n\n# Vault\n\nSecrets are encrypted with age.\n")
	write("b.py", "def rotate():\n    \"\"\"Rotate the vault key.\"\"\"\n    pass\n")
	db, err := index.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	m1 := &indextest.WordEmbedder{Name: "words", ID: "id-1", Dims: 64}

	sum := embedScrape(t, db, root, m1)
	if sum.ChunksEmbedded != sum.ChunksAdded || sum.ChunksEmbedded == 0 || sum.EmbeddingModel != "words" {
		t.Fatalf("first scrape embedded %d of %d chunks (model %q)", sum.ChunksEmbedded, sum.ChunksAdded, sum.EmbeddingModel)
	}
	m1.Embedded()
	info, err := db.Embeddings(ctx)
	if err != nil || info.Vectors != info.Chunks || info.ModelID != index.VectorID("id-1") {
		t.Fatalf("Embeddings() = %+v, %v", info, err)
	}

	// Unchanged tree: nothing reaches the model, nothing is written.
	sum = embedScrape(t, db, root, m1)
	if got := m1.Embedded(); len(got) != 0 || sum.Writes != 0 {
		t.Fatalf("rescrape of an unchanged tree embedded %q in %d writes", got, sum.Writes)
	}

	// One section changes: only its chunk is embedded again.
	write("a.md", "# Sockets\n\nThe daemon listens on a unix socket.\n\n# Vault\n\nSecrets are encrypted with age, to a recipient.\n")
	embedScrape(t, db, root, m1)
	got := m1.Embedded()
	if len(got) != 1 || !strings.Contains(got[0], "recipient") {
		t.Fatalf("after one section changed, embedded %q; want just that section", got)
	}

	// Search finds the nearest chunk and reports its cosine.
	hits, err := db.SearchSemantic(ctx, index.SemanticQuery{ModelID: index.VectorID("id-1"), Vector: m1.Vector("rotate vault key"), Limit: 2})
	if err != nil || len(hits) != 2 || hits[0].Path != "b.py" || hits[0].Score < hits[1].Score {
		t.Fatalf("SearchSemantic = %+v, %v; want 2 hits, b.py first, best score first", hits, err)
	}

	// Another model: every vector is replaced, none of the old model's
	// survive, and the old model's query finds nothing.
	m2 := &indextest.WordEmbedder{Name: "words2", ID: "id-2", Dims: 32}
	sum = embedScrape(t, db, root, m2)
	if n := len(m2.Embedded()); n != info.Chunks {
		t.Fatalf("a new model embedded %d chunks, want all %d", n, info.Chunks)
	}
	if !strings.Contains(strings.Join(sum.Notes, "\n"), "another model") {
		t.Errorf("model change not noted: %q", sum.Notes)
	}
	info, _ = db.Embeddings(ctx)
	if info.ModelID != index.VectorID("id-2") || info.Vectors != info.Chunks {
		t.Fatalf("after model change Embeddings() = %+v", info)
	}
	hits, err = db.SearchSemantic(ctx, index.SemanticQuery{ModelID: index.VectorID("id-1"), Vector: m1.Vector("vault"), Limit: 5})
	if err != nil || len(hits) != 0 {
		t.Fatalf("old model's vectors still searched: %+v, %v", hits, err)
	}

	// A removed file takes its vectors with it (ON DELETE CASCADE), and
	// the in-memory copy notices.
	if _, err := db.SearchSemantic(ctx, index.SemanticQuery{ModelID: index.VectorID("id-2"), Vector: m2.Vector("rotate"), Limit: 5}); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(root, "b.py"))
	embedScrape(t, db, root, m2)
	hits, err = db.SearchSemantic(ctx, index.SemanticQuery{ModelID: index.VectorID("id-2"), Vector: m2.Vector("rotate vault key"), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		if h.Path == "b.py" {
			t.Fatalf("deleted file still found semantically: %+v", h)
		}
	}
	info, _ = db.Embeddings(ctx)
	if info.Vectors != info.Chunks {
		t.Fatalf("vectors %d != chunks %d after a file was removed", info.Vectors, info.Chunks)
	}
	if err := db.Check(ctx); err != nil {
		t.Fatal(err)
	}
}

// A scrape cancelled while embedding keeps the text index and every page
// of vectors it committed; the next scrape embeds only the rest.
func TestEmbedInterrupted(t *testing.T) {
	root := t.TempDir()
	for i := range 600 {
		name := filepath.Join(root, "f"+strings.Repeat("x", i%7)+string(rune('a'+i%26))+".md")
		f, err := os.OpenFile(name, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("# Part " + strings.Repeat("z", i%13) + "\n\nsection number words " + string(rune('a'+i%26)) + "\n\n")
		f.Close()
	}
	db, err := index.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := &indextest.WordEmbedder{Name: "w", ID: "w1", Dims: 16}
	ctx, cancel := context.WithCancel(context.Background())
	pages := 0
	_, err = db.Scrape(ctx, root, index.ScrapeOptions{NoGit: true, Embedder: m, Progress: func(p index.Progress) {
		if p.Phase == "embed" && p.Done > 0 {
			if pages++; pages == 1 {
				cancel()
			}
		}
	}})
	if err != context.Canceled {
		t.Fatalf("cancelled scrape returned %v", err)
	}
	info, _ := db.Embeddings(context.Background())
	if info.Vectors == 0 || info.Vectors >= info.Chunks {
		t.Fatalf("after cancelling in the embed phase: %d of %d chunks embedded; want some but not all", info.Vectors, info.Chunks)
	}
	m.Embedded()
	sum := embedScrape(t, db, root, m)
	if sum.ChunksEmbedded != info.Chunks-info.Vectors || len(m.Embedded()) != sum.ChunksEmbedded {
		t.Fatalf("resumed scrape embedded %d, want the %d missing", sum.ChunksEmbedded, info.Chunks-info.Vectors)
	}
}

// A text-only scrape of an embedded project drops its vectors (they would
// no longer cover its chunks), once.
func TestDropEmbeddings(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "a.md"), []byte("# A\n\nalpha words\n"), 0o600)
	db, err := index.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	embedScrape(t, db, root, &indextest.WordEmbedder{Name: "w", ID: "w1", Dims: 8})
	sum, err := db.Scrape(ctx, root, index.ScrapeOptions{NoGit: true, DropEmbeddings: true})
	if err != nil || sum.Writes != 1 || !strings.Contains(strings.Join(sum.Notes, " "), "dropped the 1 embeddings") {
		t.Fatalf("drop: %+v, %v", sum, err)
	}
	if name, _, err := db.EmbeddingModel(ctx); name != "" || err != nil {
		t.Fatalf("after dropping, EmbeddingModel = %q, %v", name, err)
	}
	if sum, err := db.Scrape(ctx, root, index.ScrapeOptions{NoGit: true, DropEmbeddings: true}); err != nil || sum.Writes != 0 {
		t.Fatalf("dropping nothing wrote: %+v, %v", sum, err)
	}
}

// pageEmbedder records the size of each Embed call.
type pageEmbedder struct {
	*indextest.WordEmbedder
	calls []int
}

func (p *pageEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	p.calls = append(p.calls, len(texts))
	return p.WordEmbedder.Embed(ctx, texts)
}

// The model gets whole pages of chunks, one call per write transaction
// (it batches and parallelises them itself), and every chunk once, while
// the next page is read ahead.
func TestEmbedWholePages(t *testing.T) {
	root := t.TempDir()
	for i := range 300 {
		text := fmt.Sprintf("# Part %d\n\nsection %d words\n\n# More %d\n\nother %d words\n", i, i, i, i)
		if err := os.WriteFile(filepath.Join(root, fmt.Sprintf("f%03d.md", i)), []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	db, err := index.Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := &pageEmbedder{WordEmbedder: &indextest.WordEmbedder{Name: "w", ID: "w1", Dims: 16}}
	sum := embedScrape(t, db, root, m)
	if sum.ChunksAdded != 600 || sum.ChunksEmbedded != 600 {
		t.Fatalf("added %d, embedded %d chunks; want 600 each", sum.ChunksAdded, sum.ChunksEmbedded)
	}
	if want := []int{256, 256, 88}; !slices.Equal(m.calls, want) {
		t.Errorf("Embed calls of %v texts, want %v", m.calls, want)
	}
	if got := m.Embedded(); len(got) != 600 || len(slices.Compact(slices.Sorted(slices.Values(got)))) != 600 {
		t.Errorf("embedded %d texts, %d distinct; want 600 each", len(got), len(slices.Compact(slices.Sorted(slices.Values(got)))))
	}
	if err := db.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
}
