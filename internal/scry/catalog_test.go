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

// TestCatalogRefusesSymlinkedIndex: the catalog checks the index path
// itself where it opens it, so an index path that became a symlink after
// the registry checked it (or while the catalog held it open) is refused.
func TestCatalogRefusesSymlinkedIndex(t *testing.T) {
	victim := t.TempDir()
	indextest.WriteFiles(t, victim, map[string]string{"a.md": "# A\n\nvictimword\n"})
	if _, err := index.Scrape(ctx, victim, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	proj, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	indextest.WriteFiles(t, proj, map[string]string{"b.md": "# B\n\nownword\n"})
	if _, err := index.Scrape(ctx, proj, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	p := projects.Project{Name: "p", Path: proj, Index: paths.ProjectIndex(proj), Status: projects.StatusOK}
	cat := NewCatalog(projects.New(filepath.Join(t.TempDir(), "projects.toml")))
	defer cat.Close()
	if _, err := cat.index(p); err != nil {
		t.Fatal(err)
	}
	// .patina swapped for a symlink to another project's, with the real
	// index already open, then with nothing open.
	if err := os.Rename(paths.ProjectDir(proj), filepath.Join(proj, "old")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(paths.ProjectDir(victim), paths.ProjectDir(proj)); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if db, err := cat.index(p); !errors.Is(err, paths.ErrIndexSymlink) {
			t.Errorf("opened through a symlinked .patina: %v %v", db, err)
		}
		cat.Close()
	}
	// local, and index.db itself.
	os.Remove(paths.ProjectDir(proj))
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(paths.ProjectDir(proj), 0o700))
	must(os.Symlink(filepath.Dir(paths.ProjectIndex(victim)), filepath.Join(paths.ProjectDir(proj), "local")))
	if _, err := cat.index(p); !errors.Is(err, paths.ErrIndexSymlink) {
		t.Errorf("opened through a symlinked local: %v", err)
	}
	must(os.Remove(filepath.Join(paths.ProjectDir(proj), "local")))
	must(os.MkdirAll(filepath.Dir(p.Index), 0o700))
	must(os.Symlink(paths.ProjectIndex(victim), p.Index))
	if _, err := cat.index(p); !errors.Is(err, paths.ErrIndexSymlink) {
		t.Errorf("opened a symlinked index.db: %v", err)
	}
}
