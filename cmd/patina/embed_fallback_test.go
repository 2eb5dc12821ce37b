package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/paths"
)

// provisionedFiles are what make models puts in the cache, relative to it.
var provisionedFiles = []string{"onnxruntime/1.30.0/libonnxruntime.so.1", "models/use-lite/model.onnx", "models/use-lite/vocab.json"}

// brokenCache copies the provisioned cache into a temporary one and
// breaks it with spoil; the real cache is never touched.
func brokenCache(t *testing.T, spoil func(dir string)) string {
	t.Helper()
	dir := t.TempDir()
	for _, f := range provisionedFiles {
		data, err := os.ReadFile(filepath.Join(modelCache, f))
		must(t, err)
		must(t, os.MkdirAll(filepath.Dir(filepath.Join(dir, f)), 0o700))
		must(t, os.WriteFile(filepath.Join(dir, f), data, 0o600))
	}
	spoil(dir)
	return dir
}

// A model or runtime that fails its checks never loads: scrape indexes the
// text, names the bad file and its expected hash, and exits 1; scry of the
// project works lexically (exit 0) and says why on stderr.
func TestBrokenModelFallsBackToLexical(t *testing.T) {
	model := func(d string) string { return filepath.Join(d, "models/use-lite/model.onnx") }
	cases := []struct {
		name  string
		spoil func(dir string)
		want  []string // in scrape's stderr
	}{
		{"tampered model", func(d string) {
			b, err := os.ReadFile(model(d))
			must(t, err)
			b[len(b)/2] ^= 1
			must(t, os.WriteFile(model(d), b, 0o600))
		}, []string{"model.onnx", "expected eac17d707ffe3062c3f32b574b892212065f308fcc06f46a63c67dc296a7f327"}},
		{"missing vocabulary", func(d string) { must(t, os.Remove(filepath.Join(d, "models/use-lite/vocab.json"))) },
			[]string{"vocab.json", "missing"}},
		{"missing runtime library", func(d string) { must(t, os.Remove(filepath.Join(d, provisionedFiles[0]))) },
			[]string{"libonnxruntime.so.1"}},
	}
	// One project embedded while the model was good, to search later
	// with the broken one.
	home := t.TempDir()
	good := indextest.Fixture(t)
	base := []string{"PATINA_HOME=" + home, "PATINA_SOCKET=" + noDaemonSocket(t)}
	if r := runPatina(t, base, "scrape", good, "--name", "good"); r.code != 0 {
		t.Fatalf("scrape with the good model: exit %d\n%s", r.code, r.stderr)
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := append(base, "PATINA_CACHE="+brokenCache(t, c.spoil))
			root := indextest.Fixture(t)
			name := "p" + string(rune('a'+i))
			r := runPatina(t, env, "scrape", root, "--name", name)
			if r.code != 1 || !strings.Contains(r.stdout, "scraped "+name) || !strings.Contains(r.stderr, "patina: error: embeddings not made") ||
				!strings.Contains(r.stderr, "scry of it is lexical") {
				t.Fatalf("scrape with a broken model: exit %d, want 1 after indexing the text\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("scrape's error lacks %q: %s", w, r.stderr)
				}
			}
			if n := strings.Count(strings.TrimSpace(r.stderr), "\n"); n > 2 {
				t.Errorf("scrape's error is %d lines, want a short account:\n%s", n+1, r.stderr)
			}
			// The text index works; scry says why it is lexical.
			// (From outside the project, paths are absolute.)
			r = runPatina(t, env, "scry", indextest.WordReadme, "--project", name)
			if r.code != 0 || !strings.HasPrefix(r.stdout, filepath.Join(root, "README.md")+":11: ") || !strings.Contains(r.stderr, "has no embeddings") {
				t.Errorf("scry of the text-only project: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
			// A project embedded earlier cannot be searched semantically
			// with the broken model: lexical, with the reason.
			r = runPatina(t, env, "scry", indextest.WordReadme, "--project", "good", "--mode", "semantic")
			if r.code != 0 || !strings.HasPrefix(r.stdout, filepath.Join(good, "README.md")+":11: ") || !strings.Contains(r.stderr, "semantic search of project good is unavailable") ||
				!strings.Contains(r.stdout, "[lexical #1]") || !strings.Contains(r.stderr, c.want[0]) {
				t.Errorf("semantic scry with a broken model: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
			}
		})
	}
	// Nothing changed, nothing to embed: the model is never opened, so a
	// re-scrape with a broken one succeeds and keeps the vectors.
	r := runPatina(t, append(base, "PATINA_CACHE="+brokenCache(t, cases[0].spoil)), "scrape", good)
	if r.code != 0 || !strings.Contains(r.stdout, "0 files indexed") || strings.Contains(r.stderr, "model") {
		t.Errorf("unchanged re-scrape with a broken model: exit %d, want 0 without opening it\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
	}
	if r := runPatina(t, base, "scry", indextest.WordReadme, "--project", "good", "--mode", "semantic", "--json"); r.code != 0 || !strings.Contains(r.stdout, `"mode":"semantic"`) {
		t.Errorf("semantic scry after the unchanged re-scrape: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	// --no-embed is a clean text-only scrape.
	r = runPatina(t, append(base, "PATINA_CACHE="+t.TempDir()), "scrape", indextest.Fixture(t), "--name", "plain", "--no-embed")
	if r.code != 0 || strings.Contains(r.stdout, "embedded") {
		t.Errorf("scrape --no-embed without any model: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runPatina(t, base, "scrape", "--no-embed", "--model", "use-lite"); r.code != 2 {
		t.Errorf("--no-embed with --model: exit %d, want 2", r.code)
	}
}

// A plain re-scrape keeps the model the project was embedded with; only
// --model changes it, and --no-embed drops the vectors.
func TestScrapeModelChoice(t *testing.T) {
	root := indextest.Fixture(t)
	db, err := index.Open(paths.ProjectIndex(root))
	must(t, err)
	_, err = db.Scrape(context.Background(), root, index.ScrapeOptions{Embedder: &indextest.WordEmbedder{Name: "words", ID: "w1", Dims: 8}})
	must(t, err)
	db.Close()
	for _, c := range []struct {
		choice modelChoice
		want   string
	}{
		{modelChoice{name: "use-lite"}, "words"},
		{modelChoice{name: "use-lite", given: true}, "use-lite"},
		{modelChoice{name: "other", given: true}, "other"},
	} {
		if got := c.choice.pick(root); got != c.want {
			t.Errorf("%+v.pick = %q, want %q", c.choice, got, c.want)
		}
	}
	if got := (modelChoice{name: "use-lite"}).pick(t.TempDir()); got != "use-lite" {
		t.Errorf("pick for a project without an index = %q, want the default", got)
	}

	env := []string{"PATINA_HOME=" + t.TempDir(), "PATINA_SOCKET=" + noDaemonSocket(t)}
	if r := runPatina(t, env, "scrape", root, "--name", "fx", "--model", "use-lite"); r.code != 0 || !strings.Contains(r.stdout, "embedded (use-lite)") {
		t.Fatalf("scrape --model use-lite: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r := runPatina(t, env, "scrape", root, "--no-embed")
	if r.code != 0 || !strings.Contains(r.stderr, "dropped the ") {
		t.Fatalf("scrape --no-embed of an embedded project: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := runPatina(t, env, "scry", indextest.WordReadme, "--project", "fx"); r.code != 0 || !strings.Contains(r.stderr, "has no embeddings") {
		t.Errorf("scry after --no-embed: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
