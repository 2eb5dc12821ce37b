package knowledge

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/scry"
)

// A warming engine (the daemon's) starts loading a project's model on its
// first scry of any kind, lexical too, without making that scry wait; an
// engine that does not warm (the CLI's in-process one) loads nothing for a
// lexical scry.
func TestWarmOnUseLoadsTheModelInTheBackground(t *testing.T) {
	requireModel(t)
	ctx := context.Background()
	root := indextest.Fixture(t)
	model, err := FindModel(embed.DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	defer model.Close()
	if _, err := index.Scrape(ctx, root, index.ScrapeOptions{Embedder: model}); err != nil {
		t.Fatal(err)
	}
	reg := projects.New(filepath.Join(t.TempDir(), "projects.toml"))
	if _, _, err := reg.Add(root, "fixture"); err != nil {
		t.Fatal(err)
	}
	lexical := Request{Query: indextest.WordReadme, Project: "fixture", Mode: scry.ModeLexical}

	cold := NewEngineFor(reg)
	defer cold.Close()
	if _, err := cold.Scry(ctx, lexical); err != nil {
		t.Fatal(err)
	}

	warm := NewEngineFor(reg)
	defer warm.Close()
	warm.WarmOnUse()
	if _, err := warm.Scry(ctx, lexical); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(30 * time.Second)
	for !slices.Contains(warm.Models().Loaded(), embed.DefaultModel) {
		if time.Now().After(deadline) {
			t.Fatal("a lexical scry on a warming engine never loaded the project's model")
		}
		time.Sleep(20 * time.Millisecond)
	}
	if got := cold.Models().Loaded(); len(got) != 0 {
		t.Errorf("an engine that does not warm loaded %q for a lexical scry", got)
	}
}
