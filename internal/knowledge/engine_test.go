package knowledge

import (
	"context"
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

// fixtureProject scrapes the indextest fixture and registers it as "fx".
func fixtureProject(t *testing.T) (root string, reg *projects.Registry) {
	t.Helper()
	root = indextest.Fixture(t)
	if _, err := index.Scrape(context.Background(), root, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	reg = projects.New(filepath.Join(t.TempDir(), "projects.toml"))
	if _, _, err := reg.Add(root, "fx"); err != nil {
		t.Fatal(err)
	}
	return root, reg
}

// TestEngineDamagedIndex: whichever way the index is damaged, a search of
// the project (by name, or from inside it; by an engine that had the
// index open, or a fresh one) is a DamagedError that names the project
// and the fix, and nothing of the file: not its path, not its content.
// After a scrape repairs it, the engine that saw it damaged finds again.
func TestEngineDamagedIndex(t *testing.T) {
	ctx := context.Background()
	const want = `index of project "fx" is damaged (`
	const fix = "); rebuild it: patina scrape --rebuild (in fx's directory)"
	for _, d := range indextest.Damages {
		t.Run(d.Name, func(t *testing.T) {
			root, reg := fixtureProject(t)
			warm := NewEngineFor(reg)
			defer warm.Close()
			if _, err := warm.Scry(ctx, Request{Query: "wobbulator", Project: "fx"}); err != nil {
				t.Fatal(err)
			}
			d.Spoil(t, paths.ProjectIndex(root))

			fresh := NewEngineFor(reg)
			defer fresh.Close()
			for _, c := range []struct {
				name string
				e    *Engine
				req  Request
			}{
				{"fresh by name", fresh, Request{Query: "wobbulator", Project: "fx"}},
				{"fresh from inside", fresh, Request{Query: "wobbulator", Cwd: filepath.Join(root, "docs")}},
				{"warm by name", warm, Request{Query: "wobbulator", Project: "fx"}},
			} {
				_, err := c.e.Scry(ctx, c.req)
				var de *DamagedError
				if !errors.As(err, &de) || de.Project != "fx" || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), fix) {
					t.Errorf("%s: %v", c.name, err)
					continue
				}
				if d.Reason != "" && de.Reason != d.Reason {
					t.Errorf("%s: reason %q, want %q", c.name, de.Reason, d.Reason)
				}
				if msg := err.Error(); strings.Contains(msg, root) || strings.Contains(msg, "wobbulator") || strings.Contains(msg, "SQLite format") {
					t.Errorf("%s: the message gives away a path or content: %q", c.name, msg)
				}
				if IsInputError(err) {
					t.Errorf("%s: a damaged index is not the caller's fault", c.name)
				}
			}
			if _, err := warm.Related(ctx, RelatedRequest{Path: "main.go", Project: "fx"}); !errors.As(err, new(*DamagedError)) {
				t.Errorf("related: %v", err)
			}

			if _, err := index.Scrape(ctx, root, index.ScrapeOptions{}); err != nil {
				t.Fatal(err)
			}
			resp, err := warm.Scry(ctx, Request{Query: "wobbulator", Project: "fx"})
			if err != nil || resp.Count == 0 {
				t.Errorf("after the repair: %+v %v", resp, err)
			}
		})
	}
}

// TestEngineDeletedIndex: from inside a registered project whose index
// was deleted, the answer says the project is registered but not indexed
// and to scrape it, not that the directory is in no project.
func TestEngineDeletedIndex(t *testing.T) {
	root, reg := fixtureProject(t)
	e := NewEngineFor(reg)
	defer e.Close()
	if err := os.Remove(paths.ProjectIndex(root)); err != nil {
		t.Fatal(err)
	}
	for _, req := range []Request{
		{Query: "wobbulator", Cwd: filepath.Join(root, "docs")},
		{Query: "wobbulator", Project: "fx"},
	} {
		_, err := e.Scry(context.Background(), req)
		if !IsInputError(err) || !strings.Contains(err.Error(), `project "fx" is registered but not indexed yet: run `+"`patina scrape`") {
			t.Errorf("%+v: %v", req, err)
		}
	}
}

// TestEngineFilters: kind and path_prefix reach the search, a bad one is
// an input error naming the field before any project is looked up, and
// the answer gives the project's root.
func TestEngineFilters(t *testing.T) {
	root, reg := fixtureProject(t)
	e := NewEngineFor(reg)
	defer e.Close()
	ctx := context.Background()
	resp, err := e.Scry(ctx, Request{Query: "fluxcapacitor", Project: "fx", Kind: "commit"})
	if err != nil || resp.Count != 1 || resp.Results[0].Kind != "commit" || resp.Projects["fx"].Root != root {
		t.Errorf("kind commit: %+v %v", resp, err)
	}
	resp, err = e.Scry(ctx, Request{Query: "install reverse", Project: "fx", PathPrefix: "util"})
	if err != nil || resp.Count != 1 || resp.Results[0].Path != "util/strings.go" {
		t.Errorf("path_prefix util: %+v %v", resp, err)
	}
	for _, req := range []Request{
		{Query: "x", Project: "nosuch", Kind: "tests"},
		{Query: "x", PathPrefix: "../up"},
	} {
		_, err := e.Scry(ctx, req)
		field := "kind"
		if req.PathPrefix != "" {
			field = "path_prefix"
		}
		if !IsInputError(err) || !strings.HasPrefix(err.Error(), field) {
			t.Errorf("%+v: %v, want an input error naming %s", req, err, field)
		}
	}
}
