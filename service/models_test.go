package service

import (
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/scry"
)

// The daemon loads a model on the first query that needs it, not before,
// and keeps it: GET /api/models says which it holds.
func TestDaemonLoadsModelOnFirstSemanticQuery(t *testing.T) {
	model, err := knowledge.LoadModel(embed.DefaultModel)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (make test provisions the model)", err)
		}
		t.Skipf("%v: run make models", err)
	}
	root := t.TempDir()
	indextest.WriteFiles(t, root, map[string]string{
		"garden.md": "# Garden\n\nWater the tomatoes every morning.\n",
		"ledger.md": "# Ledger\n\nThe accounts are reconciled nightly.\n",
	})
	_, err = index.Scrape(context.Background(), root, index.ScrapeOptions{Embedder: knowledge.Embedder{E: model}})
	model.Close()
	if err != nil {
		t.Fatal(err)
	}
	reg := projects.New(filepath.Join(t.TempDir(), "projects.toml"))
	if _, _, err := reg.Add(root, "notes"); err != nil {
		t.Fatal(err)
	}
	engine := knowledge.NewEngineFor(reg)
	t.Cleanup(func() { engine.Close() })
	ts := startTestServerWith(t, Config{}, false, func(s *Server) { RegisterScry(s, engine) })
	c := ts.unixClient()
	loaded := func() []string {
		t.Helper()
		resp, err := c.Get("http://patina/api/models")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var body struct{ Loaded []string }
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode != 200 || json.Unmarshal(b, &body) != nil {
			t.Fatalf("GET /api/models: %d %s", resp.StatusCode, b)
		}
		return body.Loaded
	}
	if got := loaded(); len(got) != 0 {
		t.Fatalf("models loaded before any query: %q", got)
	}
	// A lexical query needs no model.
	if status, _, body := postScry(t, c, "http://patina", "", `{"query":"tomatoes","project":"notes","mode":"lexical"}`); status != 200 {
		t.Fatalf("lexical: %d %s", status, body)
	}
	if got := loaded(); len(got) != 0 {
		t.Fatalf("a lexical query loaded %q", got)
	}
	status, h, body := postScry(t, c, "http://patina", "", `{"query":"how often are the plants watered","project":"notes","mode":"semantic"}`)
	resp := checkScryAnswer(t, "semantic", status, h, body)
	if resp.Mode != scry.ModeSemantic || resp.Degraded || resp.Count == 0 || resp.Results[0].Path != "garden.md" {
		t.Fatalf("semantic through the daemon: %s", body)
	}
	if got := loaded(); !slices.Equal(got, []string{embed.DefaultModel}) {
		t.Fatalf("after a semantic query, loaded = %q", got)
	}
	if strings.Contains(ts.logs.String(), "tomatoes") || strings.Contains(ts.logs.String(), "watered") {
		t.Errorf("the request log holds query text:\n%s", ts.logs.String())
	}
}
