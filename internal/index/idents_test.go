package index

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestSplitCamel(t *testing.T) {
	for word, want := range map[string][]string{
		"ConstantTimeCompare": {"Constant", "Time", "Compare"},
		"HTTPServer":          {"HTTP", "Server"},
		"urlParse":            {"url", "Parse"},
		"getHTTP2Conn":        {"get", "HTTP2", "Conn"},
		"sha256Sum":           {"sha256", "Sum"},
		"plain":               {"plain"},
		"ABC":                 {"ABC"},
		"ÉtéFini":             {"Été", "Fini"},
	} {
		if got := splitCamel(word); !slices.Equal(got, want) {
			t.Errorf("splitCamel(%q) = %q, want %q", word, got, want)
		}
	}
}

func TestCamelParts(t *testing.T) {
	got := camelParts("class ThreadPoolExecutor(Executor):", "pool = ThreadPoolExecutor(); read_file os.path")
	if want := "thread pool executor"; got != want {
		t.Errorf("camelParts = %q, want %q (each identifier once, snake_case and single words left to the tokenizer)", got, want)
	}
	if got := camelParts("no humps here, snake_case_only"); got != "" {
		t.Errorf("camelParts of plain text = %q, want empty", got)
	}
}

// A question in words finds the chunk that only names them in CamelCase,
// through the idents column; the column's weight can be overridden.
func TestIdentsColumnSearch(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "pool.py"), []byte("x = ThreadPoolExecutor(max_workers=4)\n"), 0o600)
	os.WriteFile(filepath.Join(root, "other.py"), []byte("y = run_threads()\n"), 0o600)
	db, err := Open(filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx := context.Background()
	if _, err := db.Scrape(ctx, root, ScrapeOptions{NoGit: true}); err != nil {
		t.Fatal(err)
	}
	hits, err := db.SearchLexical(ctx, LexicalQuery{Terms: []string{"pool", "executor"}})
	if err != nil || len(hits) != 1 || hits[0].Path != "pool.py" {
		t.Fatalf("pool executor: %+v, %v; want pool.py through its split identifier", hits, err)
	}
	base := hits[0].Score
	hits, err = db.SearchLexical(ctx, LexicalQuery{Terms: []string{"pool", "executor"}, ColumnWeights: []float64{1, 1, 5, 50, 1}})
	if err != nil || len(hits) != 1 || hits[0].Score <= base {
		t.Fatalf("idents weighted 10x: %+v, %v; want a score above %v", hits, err, base)
	}
	if _, err := db.SearchLexical(ctx, LexicalQuery{Terms: []string{"pool"}, ColumnWeights: []float64{1}}); err == nil {
		t.Fatal("one column weight for five columns accepted")
	}
}
