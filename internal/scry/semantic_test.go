package scry

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/paths"
)

// models hands out one embedder, or an error.
type models struct {
	e   index.Embedder
	err error
}

func (m models) Model(ctx context.Context, name string) (index.Embedder, error) {
	if m.err != nil {
		return nil, m.err
	}
	return m.e, nil
}

func embeddedTree(t *testing.T, name string, e index.Embedder, files map[string]string) Source {
	t.Helper()
	root := t.TempDir()
	indextest.WriteFiles(t, root, files)
	if _, err := index.Scrape(ctx, root, index.ScrapeOptions{Embedder: e}); err != nil {
		t.Fatal(err)
	}
	db, err := index.OpenReadOnly(paths.ProjectIndex(root))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return Source{Name: name, Index: db}
}

var semanticFiles = map[string]string{
	"vault.md":  "# Vault\n\nSecrets are encrypted to an age recipient.\n",
	"socket.md": "# Socket\n\nThe daemon listens on a unix socket in a private directory.\n",
	"keys.md":   "# Keys\n\nRotate the vault key and re-encrypt every secret.\n",
}

func TestSemanticAndHybrid(t *testing.T) {
	e := &indextest.WordEmbedder{Name: "words", ID: "w1", Dims: 64}
	src := embeddedTree(t, "p", e, semanticFiles)
	s := NewHybridSearcher(models{e: e})

	// "encrypted" appears in vault.md only; the word-bag model finds
	// vault.md and keys.md (sharing "vault") for a query lexical search
	// matches once.
	sem, err := s.Search(ctx, Request{Query: "vault encrypted", Projects: []Source{src}, Mode: ModeSemantic})
	if err != nil || sem.Mode != ModeSemantic || sem.Degraded || sem.Count == 0 {
		t.Fatalf("semantic: %+v %v", sem, err)
	}
	if sem.Results[0].Path != "vault.md" || !slices.Equal(sem.Results[0].Sources, []string{ModeSemantic}) || sem.Results[0].Ranks[ModeSemantic] != 1 {
		t.Fatalf("semantic top result %+v, want vault.md found by semantic at rank 1", sem.Results[0])
	}
	hyb, err := s.Search(ctx, Request{Query: "vault encrypted", Projects: []Source{src}})
	if err != nil || hyb.Mode != ModeHybrid || hyb.Degraded {
		t.Fatalf("default mode with a model: %+v %v", hyb, err)
	}
	top := hyb.Results[0]
	if top.Path != "vault.md" || !slices.Equal(top.Sources, []string{ModeLexical, ModeSemantic}) ||
		top.Ranks[ModeLexical] != 1 || top.Ranks[ModeSemantic] != 1 {
		t.Fatalf("hybrid top %+v: want vault.md, first in both lists", top)
	}
	rk := DefaultRanking
	in := IntentOf("vault encrypted", []string{"vault", "encrypted"})
	if want := (rk.Weights[in][ModeLexical]/(rk.K+1) + rk.Weights[in][ModeSemantic]/(rk.K+1)) * rk.Priors[in][RoleDoc]; top.Score != want {
		t.Errorf("hybrid score %v, want %v", top.Score, want)
	}
}

// Every reason semantic search cannot run degrades to lexical with a note
// naming it; nothing fails.
func TestSemanticFallback(t *testing.T) {
	e := &indextest.WordEmbedder{Name: "words", ID: "w1", Dims: 64}
	embedded := embeddedTree(t, "emb", e, semanticFiles)
	plain := tree(t, "plain", semanticFiles)
	other := &indextest.WordEmbedder{Name: "words", ID: "w2", Dims: 64}
	for _, tc := range []struct {
		name   string
		src    Source
		models Models
		note   string
	}{
		{"no embeddings", plain, models{e: e}, "project plain has no embeddings"},
		{"model fails to load", embedded, models{err: errors.New("model use-lite: model.onnx: sha256 mismatch")}, "sha256 mismatch"},
		{"model changed since scrape", embedded, models{e: other}, "another version of model words"},
	} {
		for _, mode := range []string{ModeSemantic, ModeHybrid, ""} {
			resp, err := NewHybridSearcher(tc.models).Search(ctx, Request{Query: "vault encrypted", Projects: []Source{tc.src}, Mode: mode})
			if err != nil {
				t.Fatalf("%s, mode %q: %v", tc.name, mode, err)
			}
			if !resp.Degraded || resp.Mode != ModeLexical || resp.Count == 0 || !strings.Contains(strings.Join(resp.Notes, "\n"), tc.note) {
				t.Errorf("%s, mode %q: %+v; want degraded lexical results and a note with %q", tc.name, mode, resp, tc.note)
			}
			for _, r := range resp.Results {
				if !slices.Equal(r.Sources, []string{ModeLexical}) {
					t.Errorf("%s: result from %v", tc.name, r.Sources)
				}
			}
		}
	}
}

// A query that is one name ranks the chunk declaring it first, above
// chunks that mention its words more often, and above uses of the name.
func TestIdentifierDeclarationFirst(t *testing.T) {
	files := map[string]string{
		"apart.py": "def digest_compare(x, y):\n    # compare the hash, then digest the comparison; compare digest\n    return compare(y) or digest(x)\n",
		"uses.py":  "import hmac\nok = hmac.compare_digest(a, b)\nok2 = hmac.compare_digest(c, d)\n",
		"hmac.py":  "x = 1\n\ndef compare_digest(a, b):\n    return a == b\n",
	}
	for _, w := range []string{"alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel"} {
		files[w+".py"] = w + " = 1\n"
	}
	src := tree(t, "ids", files)
	for text, want := range map[string][]string{
		"hmac.compare_digest": {"compare digest"}, "shutil.rmtree": {"rmtree"}, "compare_digest": {"compare digest"},
		"urlsplit": {"urlsplit"}, "compare digest": nil, "how to use hmac.compare_digest": nil,
	} {
		q, err := ParseQuery(text)
		if err != nil || !slices.Equal(q.Identifiers, want) {
			t.Errorf("ParseQuery(%q).Identifiers = %q, %v; want %q", text, q.Identifiers, err, want)
		}
	}
	for _, q := range []string{"compare_digest", "hmac.compare_digest"} {
		resp, err := Search(ctx, Request{Query: q, Projects: []Source{src}, Mode: ModeLexical})
		if err != nil || resp.Count < 3 || resp.Results[0].Path != "hmac.py" {
			t.Fatalf("%s: %+v %v; want hmac.py (the declaration) first", q, resp, err)
		}
	}
}

// slowModels never finishes loading within a query.
type slowModels struct{}

func (slowModels) Model(ctx context.Context, name string) (index.Embedder, error) {
	<-ctx.Done()
	return nil, ctx.Err()
}

// A model still loading when half the query's time is gone leaves the
// query to lexical search, with a note; the query itself does not time out.
func TestSemanticModelStillLoading(t *testing.T) {
	e := &indextest.WordEmbedder{Name: "words", ID: "w1", Dims: 64}
	src := embeddedTree(t, "p", e, semanticFiles)
	qctx, cancel := context.WithTimeout(ctx, 400*time.Millisecond)
	defer cancel()
	resp, err := NewHybridSearcher(slowModels{}).Search(qctx, Request{Query: "vault encrypted", Projects: []Source{src}})
	if err != nil || !resp.Degraded || resp.Mode != ModeLexical || resp.Count == 0 ||
		!strings.Contains(strings.Join(resp.Notes, "\n"), "model words is still loading") {
		t.Fatalf("query while the model loads: %+v, %v", resp, err)
	}
	if qctx.Err() != nil {
		t.Fatal("the query used its whole deadline waiting for the model")
	}
}
