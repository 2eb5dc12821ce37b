package scry

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/paths"
)

func paths_(rs []Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.Path)
	}
	return out
}

// TestResultsAreFiles: one file with many matching chunks is one result,
// its other chunks listed under it, and it does not crowd out the rest.
func TestResultsAreFiles(t *testing.T) {
	var big strings.Builder
	for i := range 150 {
		fmt.Fprintf(&big, "# Section %d\n\nThe tachyon relay, part %d.\n\n", i, i)
	}
	files := map[string]string{"big.md": big.String()}
	for i := range 8 {
		files[fmt.Sprintf("small%02d.md", i)] = "# Small\n\nOne tachyon here.\n"
	}
	src := tree(t, "files", files)
	resp, err := Search(ctx, Request{Query: "tachyon", Projects: []Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != 9 {
		t.Fatalf("%d results, want 9 files: %v", resp.Count, paths_(resp.Results))
	}
	seen := map[string]bool{}
	for _, r := range resp.Results {
		if seen[r.Path] {
			t.Errorf("%s twice", r.Path)
		}
		seen[r.Path] = true
	}
	i := slices.IndexFunc(resp.Results, func(r Result) bool { return r.Path == "big.md" })
	if i < 0 {
		t.Fatalf("big.md missing: %v", paths_(resp.Results))
	}
	big0 := resp.Results[i]
	if len(big0.Matches) != maxMatches {
		t.Errorf("big.md lists %d further chunks, want %d", len(big0.Matches), maxMatches)
	}
	for _, m := range big0.Matches {
		if m.StartLine == big0.StartLine || !strings.HasPrefix(m.ID, "files:") || !strings.HasPrefix(m.Title, "Section ") {
			t.Errorf("match %+v of %+v", m, big0)
		}
	}
	// The limit counts files.
	resp, err = Search(ctx, Request{Query: "tachyon", Projects: []Source{src}, Limit: 3})
	if err != nil || resp.Count != 3 {
		t.Errorf("limit 3: %d results %v", resp.Count, err)
	}
}

// historyProject is a git project where "ratchet" is only in a commit
// message, of the commit that added lock.go and lock_test.go.
func historyProject(t *testing.T) Source {
	t.Helper()
	root := t.TempDir()
	indextest.Git(t, root, "init", "-q")
	indextest.WriteFiles(t, root, map[string]string{"other.go": "package lock\n\nfunc Other() {}\n"})
	indextest.GitAt(t, root, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), "add", "-A")
	indextest.GitAt(t, root, time.Date(2025, 2, 1, 0, 0, 0, 0, time.UTC), "commit", "-q", "-m", "Start")
	indextest.WriteFiles(t, root, map[string]string{
		"lock.go":      "package lock\n\n// Acquire takes the mutex.\nfunc Acquire() {}\n",
		"lock_test.go": "package lock\n\nfunc TestAcquire(t *testing.T) {}\n",
	})
	indextest.GitAt(t, root, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), "add", "-A")
	indextest.GitAt(t, root, time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), "commit", "-q", "-m", "Make the mutex a ratchet so waiters never starve")
	indextest.WriteFiles(t, root, map[string]string{"other.go": "package lock\n\nfunc Other() { _ = 1 }\n"})
	indextest.GitAt(t, root, time.Date(2025, 3, 2, 0, 0, 0, 0, time.UTC), "commit", "-q", "-am", "Tidy other")
	if _, err := index.Scrape(ctx, root, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := index.OpenReadOnly(paths.ProjectIndex(root))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return Source{Name: "hist", Index: db}
}

// TestCommitsRankTheirFiles: a commit that matches ranks the files it
// touched, which say so (history, the commit), the implementation above
// its test.
func TestCommitsRankTheirFiles(t *testing.T) {
	src := historyProject(t)
	resp, err := Search(ctx, Request{Query: "mutex ratchet waiters starve", Projects: []Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	got := paths_(resp.Results)
	li, ti := slices.Index(got, "lock.go"), slices.Index(got, "lock_test.go")
	if li < 0 || ti < 0 || li > ti || slices.Contains(got, "other.go") {
		t.Fatalf("results %v: want lock.go above lock_test.go, other.go absent", got)
	}
	lock := resp.Results[li]
	if !slices.Contains(lock.Sources, ModeHistory) || len(lock.Commits) != 1 || !strings.HasPrefix(lock.Commits[0], "git:") {
		t.Errorf("lock.go: %+v", lock)
	}
	test := resp.Results[ti]
	if !slices.Equal(test.Sources, []string{ModeHistory}) || test.Snippet == "" || test.Path != "lock_test.go" {
		t.Errorf("lock_test.go, found through the commit only: %+v", test)
	}
	// Without the history list, the test file is not found at all.
	rk := DefaultRanking.Clone()
	for in := range rk.Weights {
		rk.Weights[in][ModeHistory] = 0
	}
	resp, err = (&Searcher{Lexical: Lexical{}, Ranking: rk}).Search(ctx, Request{Query: "mutex ratchet waiters starve", Projects: []Source{src}})
	if err != nil || slices.Contains(paths_(resp.Results), "lock_test.go") {
		t.Errorf("no history: %v %v", paths_(resp.Results), err)
	}
}

// TestIntentPriors: the same evidence ranks the implementation first for a
// question about how something works, and the commit higher for one about
// why it changed (beside the files it touched, which the history list
// ranks for both).
func TestIntentPriors(t *testing.T) {
	src := historyProject(t)
	ratio := map[Intent]float64{} // the commit's score over lock.go's
	for _, tc := range []struct {
		q      string
		intent Intent
	}{
		{"how does the mutex ratchet work", IntentCode},
		{"why is the mutex a ratchet", IntentHistory},
	} {
		q := mustParse(t, tc.q)
		if q.Intent != tc.intent {
			t.Errorf("%q: intent %s, want %s", tc.q, q.Intent, tc.intent)
		}
		resp, err := Search(ctx, Request{Query: tc.q, Projects: []Source{src}})
		if err != nil || resp.Count == 0 {
			t.Fatalf("%q: %+v %v", tc.q, resp, err)
		}
		got := paths_(resp.Results)
		c := slices.IndexFunc(got, func(p string) bool { return strings.HasPrefix(p, "git:") })
		if got[0] != "lock.go" || c < 0 || slices.Index(got, "lock_test.go") < slices.Index(got, "lock.go") {
			t.Fatalf("%q: %v; want lock.go first, above its test, and the commit", tc.q, got)
		}
		ratio[tc.intent] = resp.Results[c].Score / resp.Results[0].Score
	}
	if ratio[IntentHistory] <= ratio[IntentCode] {
		t.Errorf("the commit scores %.2f of lock.go for why, %.2f for how: want more for why", ratio[IntentHistory], ratio[IntentCode])
	}
}

// TestStopwordsNeitherSearchedNorMarked: "the" and "how" match nothing and
// are never highlighted.
func TestStopwordsNeitherSearchedNorMarked(t *testing.T) {
	src := tree(t, "stop", map[string]string{
		"a.md": "# A\n\nThe flux is how the engine works.\n",
		"b.md": "# B\n\nThe cat sat on the mat, and how.\n",
	})
	resp, err := Search(ctx, Request{Query: "how does the flux work", Projects: []Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	if got := paths_(resp.Results); !slices.Equal(got, []string{"a.md"}) {
		t.Fatalf("results %v, want a.md only", got)
	}
	if s := resp.Results[0].Snippet; !strings.Contains(s, MarkStart+"flux"+MarkEnd) || strings.Contains(s, MarkStart+"The"+MarkEnd) ||
		strings.Contains(s, MarkStart+"how"+MarkEnd) {
		t.Errorf("snippet %q", s)
	}
}

func TestIntentOf(t *testing.T) {
	for q, want := range map[string]Intent{
		"SearchLexical":             IntentName,
		"os.path.join":              IntentName,
		"how does the daemon start": IntentCode,
		"where are secrets wiped when the entry expires": IntentCode,
		"which code parses the vault":                    IntentCode,
		"what stops a browser from reaching the daemon":  IntentCode,
		"is the socket checked?":                         IntentCode,
		"why does the daemon exit when idle":             IntentHistory,
		"when did we switch to WAL":                      IntentHistory,
		"who wrote the tokenizer":                        IntentHistory,
		"what was the reason for the cap":                IntentHistory,
		"which commit fixed the race":                    IntentHistory,
		"history of the retrieval module":                IntentHistory,
		"socket activation":                              IntentGeneral,
		"scry: build the fallback list afresh":           IntentGeneral,
		"embed: pad every batch to a fixed length":       IntentGeneral,
	} {
		q := mustParse(t, q)
		if q.Intent != want {
			t.Errorf("IntentOf(%q) = %s, want %s", q.Text, q.Intent, want)
		}
	}
}

func TestRoleOf(t *testing.T) {
	for _, tc := range []struct {
		path, kind string
		want       Role
	}{
		{"service/serve.go", "code", RoleCode},
		{"service/serve_test.go", "code", RoleTest},
		{"tests/integration.rs", "code", RoleTest},
		{"pkg/testdata/x.json", "code", RoleTest},
		{"src/__tests__/app.js", "code", RoleTest},
		{"src/app.test.ts", "code", RoleTest},
		{"src/app.spec.js", "code", RoleTest},
		{"test_parser.py", "code", RoleTest},
		{"lib/parser_spec.rb", "code", RoleTest},
		{"src/main/java/ParserTest.java", "code", RoleTest},
		{"src/main/java/Contest.java", "code", RoleCode},
		{"testing/testing.go", "code", RoleCode},
		{"latest.go", "code", RoleCode},
		{"README.md", "doc", RoleDoc},
		{"docs/spec/design.md", "doc", RoleDoc},
		{"internal/test/marker/testdata/rename/basic.txt", "doc", RoleTest},
		{"tests/fixtures/README.md", "doc", RoleTest},
		{"layer/sessions/20260203-164327.md", "doc", RoleNote},
		{"notes/ideas.md", "doc", RoleNote},
		{"2024-05-01-retro.md", "doc", RoleNote},
		{"CHANGELOG.md", "doc", RoleNote},
		{"docs/20-minute-guide.md", "doc", RoleDoc},
		{"git:abc1234", "commit", RoleCommit},
	} {
		if got := RoleOf(tc.path, tc.kind); got != tc.want {
			t.Errorf("RoleOf(%q, %s) = %s, want %s", tc.path, tc.kind, got, tc.want)
		}
	}
}

// commitOnly is a stand-in semantic retriever that finds one chunk: the
// commit whose message holds word.
type commitOnly struct{ word string }

func (commitOnly) Name() string { return ModeSemantic }
func (c commitOnly) Retrieve(ctx context.Context, src Source, q Query, limit int) ([]index.Hit, error) {
	hits, err := Lexical{}.Retrieve(ctx, src, parsed(c.word), limit)
	var out []index.Hit
	for _, h := range hits {
		if h.Kind == "commit" {
			out = append(out, h)
		}
	}
	return out, err
}

func parsed(text string) Query {
	q, err := ParseQuery(text)
	if err != nil {
		panic(err)
	}
	return q
}

// TestWeakCommitsWeighLittle: the files of a commit that only a weakly
// weighted list found rank below a file the lexical list found itself.
func TestWeakCommitsWeighLittle(t *testing.T) {
	src := fixture(t)
	s := &Searcher{Lexical: Lexical{}, Semantic: commitOnly{indextest.WordCode}}
	resp, err := s.Search(ctx, Request{Query: "install quasar", Projects: []Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	got := paths_(resp.Results)
	if len(got) < 2 || got[0] != "README.md" || !slices.Contains(got, "main.go") {
		t.Errorf("results %v: want README.md (the lexical match) above main.go (a weak commit's file)", got)
	}
}

// TestOneListAloneCounts: a mode of one retriever answers even when the
// intent weighs that retriever at nothing beside others; in hybrid the
// retriever is not asked.
func TestOneListAloneCounts(t *testing.T) {
	e := &indextest.WordEmbedder{Name: "words", ID: "w1", Dims: 64}
	src := embeddedTree(t, "p", e, semanticFiles)
	q := "how do I rotate the vault key"
	if in := mustParse(t, q).Intent; DefaultRanking.Weights[in][ModeSemantic] != 0 {
		t.Skipf("the %s intent weighs the semantic list above 0 now", in)
	}
	s := NewHybridSearcher(models{e: e})
	resp, err := s.Search(ctx, Request{Query: q, Projects: []Source{src}, Mode: ModeSemantic})
	if err != nil || resp.Count == 0 || resp.Mode != ModeSemantic {
		t.Errorf("semantic: %+v %v", resp, err)
	}
	resp, err = s.Search(ctx, Request{Query: q, Projects: []Source{src}})
	if err != nil || resp.Count == 0 || slices.ContainsFunc(resp.Results, func(r Result) bool { return slices.Contains(r.Sources, ModeSemantic) }) {
		t.Errorf("hybrid: %+v %v", resp, err)
	}
}
