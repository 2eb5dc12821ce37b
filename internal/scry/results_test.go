package scry

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
)

// TestMatchLine: a result names the line of its best chunk holding the
// most query words, and an excerpt of numbered lines around it; a chunk
// whose text holds none of them matches at its first line.
func TestMatchLine(t *testing.T) {
	src := tree(t, "ml", map[string]string{
		"a.go": "package a\n\n// Engine runs things.\nfunc Engine() {\n\tstart()\n\t// the flux goes here, into the flux capacitor\n\tflux()\n\tstop()\n\tdone()\n}\n",
		"b.md": "# Zebra\n\nStripes, and no word of the query.\n",
	})
	s := &Searcher{Lexical: Lexical{}, Semantic: findsWord{"zebra"}}
	resp, err := s.Search(ctx, Request{Query: "flux capacitor", Projects: []Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Result{}
	for _, r := range resp.Results {
		got[r.Path] = r
	}
	a := got["a.go"]
	if a.MatchLine != 6 || len(a.Excerpt) == 0 || len(a.Excerpt) > ExcerptLines {
		t.Fatalf("a.go: match line %d, excerpt %+v; want line 6 and up to %d lines", a.MatchLine, a.Excerpt, ExcerptLines)
	}
	var numbers []int
	for _, l := range a.Excerpt {
		numbers = append(numbers, l.Line)
		if l.Line == 6 && l.Text != "\t// the "+MarkStart+"flux"+MarkEnd+" goes here, into the "+MarkStart+"flux"+MarkEnd+" "+MarkStart+"capacitor"+MarkEnd {
			t.Errorf("match line text %q", l.Text)
		}
	}
	if !slices.Equal(numbers, []int{5, 6, 7, 8}) {
		t.Errorf("excerpt lines %v, want 5-8 (one before the match, two after)", numbers)
	}
	b := got["b.md"]
	if !slices.Equal(b.Sources, []string{ModeSemantic}) || b.MatchLine != b.StartLine || b.MatchLine != 1 ||
		len(b.Excerpt) == 0 || b.Excerpt[0].Text != "# Zebra" || strings.Contains(b.Excerpt[0].Text, MarkStart) {
		t.Errorf("b.md, found by meaning only: %+v", b)
	}

	// A commit matches at a line of its message.
	resp, err = Search(ctx, Request{Query: indextest.WordCommit, Projects: []Source{fixture(t)}})
	if err != nil || resp.Count == 0 {
		t.Fatal(resp, err)
	}
	if c := resp.Results[0]; c.Kind != "commit" || c.MatchLine != 3 || c.Excerpt[len(c.Excerpt)-1].Line != 3 {
		t.Errorf("commit: %+v", c)
	}
}

// findsWord is a stand-in semantic retriever that finds the chunks
// holding word, whatever the query.
type findsWord struct{ word string }

func (findsWord) Name() string { return ModeSemantic }
func (f findsWord) Retrieve(ctx context.Context, src Source, q Query, limit int) ([]index.Hit, error) {
	w := parsed(f.word)
	w.Filter = q.Filter
	hits, err := Lexical{}.Retrieve(ctx, src, w, limit)
	for i := range hits {
		hits[i].Score = 0.9 // a cosine above the floor
	}
	return hits, err
}

func TestExcerptHelpers(t *testing.T) {
	m := func(w string) string { return MarkStart + w + MarkEnd }
	for _, tc := range []struct{ in, want string }{
		{"the " + m("ones") + " " + m("on") + " the shelf", "the " + m("ones") + " on the shelf"},
		{m("The") + " cat", "The cat"},
		{m("what") + " " + m("is"), m("what") + " is"}, // "what" is a term below
		{"no marks", "no marks"},
		{"unclosed " + MarkStart + "on", "unclosed " + MarkStart + "on"},
	} {
		if got := unmarkStopwords(tc.in, []string{"ones", "what"}); got != tc.want {
			t.Errorf("unmarkStopwords(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	long := strings.Repeat("x", 300) + m("word") + strings.Repeat("y", 300)
	if got := clip(long, 100); len(got) > 100+2*len("…") || !strings.Contains(got, m("word")) ||
		!strings.HasPrefix(got, "…") || !strings.HasSuffix(got, "…") {
		t.Errorf("clip kept %q", got)
	}
	// A cut never leaves a mark open.
	open := strings.Repeat("x", 95) + m("word")
	if got := clip(open, 100); strings.Count(got, MarkStart) != strings.Count(got, MarkEnd) {
		t.Errorf("clip left a mark open: %q", got)
	}
	if got := clip("short", 100); got != "short" {
		t.Errorf("clip(short) = %q", got)
	}
}

// TestStemmedStopwordsNotMarked: "ones" is stemmed as "on" is, yet "on"
// is not highlighted.
func TestStemmedStopwordsNotMarked(t *testing.T) {
	src := tree(t, "stem", map[string]string{"a.md": "# A\n\nKeep the ones on the left.\n"})
	resp, err := Search(ctx, Request{Query: "ones left", Projects: []Source{src}})
	if err != nil || resp.Count != 1 {
		t.Fatal(resp, err)
	}
	r := resp.Results[0]
	for _, s := range []string{r.Snippet, r.Excerpt[len(r.Excerpt)-1].Text} {
		if !strings.Contains(s, MarkStart+"ones"+MarkEnd) || strings.Contains(s, MarkStart+"on"+MarkEnd) {
			t.Errorf("marks in %q", s)
		}
	}
	// A question of nothing but stopwords and framing words searches the
	// framing words.
	if q := mustParse(t, "how does it work"); !slices.Equal(q.Terms, []string{"work"}) {
		t.Errorf("terms %q", q.Terms)
	}
}

// filterTree: "widget" in code and docs, inside src/ and beside it.
func filterTree(t *testing.T) Source {
	return tree(t, "f", map[string]string{
		"src/a.go":    "package src\n\n// widget maker\nfunc A() {}\n",
		"src/b.md":    "# B\n\nA widget.\n",
		"srcgen/c.go": "package srcgen\n\n// widget too\nfunc C() {}\n",
		"docs/d.md":   "# D\n\nWidget docs.\n",
	})
}

func TestFilters(t *testing.T) {
	src := filterTree(t)
	for _, tc := range []struct {
		kind, prefix string
		want         []string
	}{
		{"", "", []string{"docs/d.md", "src/a.go", "src/b.md", "srcgen/c.go"}},
		{"code", "", []string{"src/a.go", "srcgen/c.go"}},
		{"doc", "", []string{"docs/d.md", "src/b.md"}},
		{" Code , doc ", "", []string{"docs/d.md", "src/a.go", "src/b.md", "srcgen/c.go"}},
		{"commit", "", nil},
		{"", "src", []string{"src/a.go", "src/b.md"}}, // not srcgen/
		{"", "./src//", []string{"src/a.go", "src/b.md"}},
		{"", "src/a.go", []string{"src/a.go"}},
		{"", ".", []string{"docs/d.md", "src/a.go", "src/b.md", "srcgen/c.go"}},
		{"doc", "src", []string{"src/b.md"}},
		{"", "nosuch", nil},
	} {
		resp, err := Search(ctx, Request{Query: "widget", Projects: []Source{src}, Kind: tc.kind, PathPrefix: tc.prefix})
		if err != nil {
			t.Errorf("kind %q path %q: %v", tc.kind, tc.prefix, err)
			continue
		}
		got := paths_(resp.Results)
		sort.Strings(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("kind %q path %q: %v, want %v", tc.kind, tc.prefix, got, tc.want)
		}
	}
	for _, tc := range []struct{ kind, prefix, want string }{
		{"file", "", `kind "file"`},
		{"code,tests", "", `kind "tests"`},
		{"", "../x", "path_prefix"},
		{"", "src/../..", "path_prefix"},
		{"", "/etc", "path_prefix must be relative"},
		{"", strings.Repeat("a/", MaxPathPrefixBytes), "path_prefix too long"},
	} {
		_, err := Search(ctx, Request{Query: "widget", Projects: []Source{src}, Kind: tc.kind, PathPrefix: tc.prefix})
		if !IsInputError(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("kind %q path %.20q: %v, want an input error saying %q", tc.kind, tc.prefix, err, tc.want)
		}
	}
}

// TestFiltersCountInRetrieval: the limit counts files that pass the
// filter, however many better chunks it drops, in both retrievers.
func TestFiltersCountInRetrieval(t *testing.T) {
	files := map[string]string{}
	for i := range 150 {
		files[fmt.Sprintf("docs/n%03d.md", i)] = "# Widget\n\nWidget widget widget.\n"
	}
	for i := range 3 {
		files[fmt.Sprintf("code/c%d.go", i)] = "package code\n\n// widget, once, among many other words of a longer comment here\nfunc F() {}\n"
	}
	e := &indextest.WordEmbedder{Name: "words", ID: "w1", Dims: 64}
	src := embeddedTree(t, "many", e, files)
	s := NewHybridSearcher(models{e: e})
	// Unfiltered, each retriever ranks the code after more chunks than a
	// search for 3 results fetches.
	for _, r := range []Retriever{s.Lexical, s.Semantic} {
		hits, err := r.Retrieve(ctx, src, mustParse(t, "widget"), 100)
		if err != nil || slices.ContainsFunc(hits, func(h index.Hit) bool { return strings.HasPrefix(h.Path, "code/") }) {
			t.Fatalf("%s: code among the first 100 chunks (%v)", r.Name(), err)
		}
	}
	for _, mode := range []string{ModeLexical, ModeSemantic, ModeHybrid} {
		resp, err := s.Search(ctx, Request{Query: "widget", Projects: []Source{src}, Mode: mode, Kind: "code", Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		if got := paths_(resp.Results); len(got) != 3 || slices.ContainsFunc(got, func(p string) bool { return !strings.HasPrefix(p, "code/") }) {
			t.Errorf("%s, kind code, limit 3: %v", mode, got)
		}
		resp, err = s.Search(ctx, Request{Query: "widget", Projects: []Source{src}, Mode: mode, PathPrefix: "code", Limit: 2})
		if err != nil || resp.Count != 2 || !strings.HasPrefix(resp.Results[1].Path, "code/") {
			t.Errorf("%s, path code, limit 2: %v %v", mode, paths_(resp.Results), err)
		}
	}
}

// TestPathPrefixKeepsCommitsThatTouchedIt: a path keeps the commits that
// touched a file under it, and the history list ranks only files under
// it.
func TestPathPrefixKeepsCommitsThatTouchedIt(t *testing.T) {
	src := historyProject(t)
	for _, tc := range []struct {
		query, kind, prefix string
		want                []string // paths, commits as "git:"
	}{
		{"ratchet", "commit", "lock.go", []string{"git:"}},
		{"ratchet", "commit", "other.go", nil},
		{"tidy", "commit", "other.go", []string{"git:"}},
		{"mutex ratchet waiters starve", "", "lock_test.go", []string{"git:", "lock_test.go"}},
		{"mutex ratchet waiters starve", "code", "", []string{"lock.go"}},
	} {
		resp, err := Search(ctx, Request{Query: tc.query, Projects: []Source{src}, Kind: tc.kind, PathPrefix: tc.prefix})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range resp.Results {
			p := r.Path
			if strings.HasPrefix(p, "git:") {
				p = "git:"
			}
			got = append(got, p)
		}
		sort.Strings(got)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%q kind %q path %q: %v, want %v", tc.query, tc.kind, tc.prefix, got, tc.want)
		}
	}
}

// TestSemanticFloor: in hybrid mode, a query no chunk holds a word of,
// and nothing comes near in meaning, has no results and a note; semantic
// mode still lists nearest neighbours.
func TestSemanticFloor(t *testing.T) {
	e := &indextest.WordEmbedder{Name: "words", ID: "w1", Dims: 64}
	src := embeddedTree(t, "p", e, semanticFiles)
	s := NewHybridSearcher(models{e: e})
	resp, err := s.Search(ctx, Request{Query: "qzxvbnmwy", Projects: []Source{src}})
	if err != nil || resp.Mode != ModeHybrid || resp.Count != 0 || len(resp.Notes) != 1 || !strings.Contains(resp.Notes[0], "near it in meaning") {
		t.Errorf("nonsense in hybrid mode: %+v %v", resp, err)
	}
	if resp, err := s.Search(ctx, Request{Query: "qzxvbnmwy", Projects: []Source{src}, Mode: ModeSemantic}); err != nil || resp.Count == 0 {
		t.Errorf("nonsense in semantic mode: %+v %v", resp, err)
	}
	if resp, err := s.Search(ctx, Request{Query: "vault", Projects: []Source{src}}); err != nil || resp.Count == 0 || len(resp.Notes) != 0 {
		t.Errorf("a word the project holds: %+v %v", resp, err)
	}
	// Close in meaning with no word in common: shown.
	close := &Searcher{Lexical: Lexical{}, Semantic: findsWord{"vault"}}
	if resp, err := close.Search(ctx, Request{Query: "qzxvbnmwy", Projects: []Source{src}}); err != nil || resp.Count == 0 {
		t.Errorf("a semantic hit above the floor: %+v %v", resp, err)
	}
}

// TestProjectRoots: a response says where each project with a result lies.
func TestProjectRoots(t *testing.T) {
	a := filterTree(t)
	a.Root = "/projects/a"
	b := tree(t, "b", map[string]string{"x.md": "# X\n\nNothing here.\n"})
	b.Root = "/projects/b"
	resp, err := Search(ctx, Request{Query: "widget", Projects: []Source{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.Projects) != 1 || resp.Projects["f"].Root != "/projects/a" {
		t.Errorf("projects %+v", resp.Projects)
	}
}
