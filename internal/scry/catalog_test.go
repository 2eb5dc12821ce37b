package scry

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/projects"
)

func TestCatalog(t *testing.T) {
	reg := projects.New(filepath.Join(t.TempDir(), "projects.toml"))
	fix := indextest.Fixture(t)
	if _, err := index.Scrape(ctx, fix, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Add(fix, "fix"); err != nil {
		t.Fatal(err)
	}
	other := t.TempDir()
	indextest.WriteFiles(t, other, map[string]string{"a.md": "# A\n\nquasar too\n"})
	if _, err := index.Scrape(ctx, other, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Add(other, "other"); err != nil {
		t.Fatal(err)
	}
	unindexed := t.TempDir()
	if _, _, err := reg.Add(unindexed, "bare"); err != nil {
		t.Fatal(err)
	}
	cat := NewCatalog(reg)
	defer cat.Close()

	srcs, notes, err := cat.Sources(Selection{Names: []string{"fix"}})
	if err != nil || len(srcs) != 1 || srcs[0].Name != "fix" || len(notes) != 0 {
		t.Fatalf("by name: %+v %v %v", srcs, notes, err)
	}
	again, _, _ := cat.Sources(Selection{Names: []string{"fix"}})
	if again[0].Index != srcs[0].Index {
		t.Error("index reopened for no reason")
	}
	if _, _, err := cat.Sources(Selection{Names: []string{"nope"}}); !errors.Is(err, projects.ErrNotFound) {
		t.Errorf("unknown name: %v", err)
	}
	var ue *projects.UnusableError
	if _, _, err := cat.Sources(Selection{Names: []string{"bare"}}); !errors.As(err, &ue) {
		t.Errorf("unindexed project: %v", err)
	}
	srcs, _, err = cat.Sources(Selection{Dir: filepath.Join(fix, "docs")})
	if err != nil || len(srcs) != 1 || srcs[0].Name != "fix" {
		t.Errorf("by dir: %+v %v", srcs, err)
	}
	srcs, notes, err = cat.Sources(Selection{All: true})
	if err != nil || len(srcs) != 2 || len(notes) != 1 || !strings.Contains(notes[0], "bare") {
		t.Errorf("all: %+v %v %v", srcs, notes, err)
	}
	resp, err := Search(ctx, Request{Query: "quasar", Projects: srcs})
	if err != nil || resp.Count != 2 {
		t.Errorf("search all: %+v %v", resp, err)
	}
	if _, _, err := cat.Sources(Selection{}); !errors.Is(err, ErrNoProjects) {
		t.Errorf("empty selection: %v", err)
	}

	// A deleted and rebuilt index is reopened.
	old, _, _ := cat.Sources(Selection{Names: []string{"other"}})
	if err := os.RemoveAll(filepath.Dir(paths.ProjectIndex(other))); err != nil {
		t.Fatal(err)
	}
	indextest.WriteFiles(t, other, map[string]string{"a.md": "# A\n\npulsar now\n"})
	if _, err := index.Scrape(ctx, other, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	fresh, _, err := cat.Sources(Selection{Names: []string{"other"}})
	if err != nil || fresh[0].Index == old[0].Index {
		t.Fatalf("replaced index: %v", err)
	}
	if resp, err := Search(ctx, Request{Query: "pulsar", Projects: fresh}); err != nil || resp.Count != 1 {
		t.Errorf("search rebuilt index: %+v %v", resp, err)
	}
}
