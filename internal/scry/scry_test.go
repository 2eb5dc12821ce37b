package scry

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/paths"
)

var ctx = context.Background()

// scraped scrapes root into its own index and opens it read-only, the way
// the daemon does.
func scraped(t testing.TB, root string) *index.DB {
	t.Helper()
	if _, err := index.Scrape(ctx, root, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	db, err := index.OpenReadOnly(paths.ProjectIndex(root))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func fixture(t testing.TB) Source {
	return Source{Name: "fixture", Index: scraped(t, indextest.Fixture(t))}
}

// tree writes files into a new directory (no git) and scrapes it.
func tree(t testing.TB, name string, files map[string]string) Source {
	t.Helper()
	root := t.TempDir()
	indextest.WriteFiles(t, root, files)
	return Source{Name: name, Index: scraped(t, root)}
}

func TestSearchFixture(t *testing.T) {
	src := fixture(t)
	resp, err := Search(ctx, Request{Query: "quasar", Projects: []Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != 1 || len(resp.Results) != 1 || resp.Mode != ModeLexical || resp.Degraded || len(resp.Notes) != 0 {
		t.Fatalf("response: %+v", resp)
	}
	r := resp.Results[0]
	if r.Project != "fixture" || !strings.HasPrefix(r.ID, "fixture:") || r.Path != "README.md" || r.Kind != "doc" ||
		r.Title != "Patina Fixture > Install > Linux" || r.StartLine != 9 || r.EndLine != 12 ||
		!strings.Contains(r.Snippet, MarkStart+"quasar"+MarkEnd) || r.Score <= 0 || !slices.Equal(r.Sources, []string{"lexical"}) {
		t.Errorf("result: %+v", r)
	}

	// Code and commits, and their kinds.
	resp, err = Search(ctx, Request{Query: "fluxcapacitor gigawatts", Projects: []Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]Result{}
	for _, r := range resp.Results {
		if _, ok := kinds[r.Kind]; !ok {
			kinds[r.Kind] = r // the best of each kind
		}
	}
	if c := kinds["code"]; c.Path != "main.go" || c.StartLine != 1 || c.EndLine != 13 || !slices.Contains(c.Sources, ModeLexical) {
		t.Errorf("code result: %+v", c)
	}
	if c := kinds["commit"]; !strings.HasPrefix(c.Path, "git:") || !strings.HasPrefix(c.Title, "2024-02-02 ") {
		t.Errorf("commit result: %+v", c)
	}
	// The code chunk names both words, so it ranks above the commit.
	if resp.Results[0].Kind != "code" {
		t.Errorf("ranking: %+v", resp.Results)
	}
	if _, err := Search(ctx, Request{Query: indextest.WordSkipped, Projects: []Source{src}}); err != nil {
		t.Fatal(err)
	}
}

func TestResponseJSON(t *testing.T) {
	src := fixture(t)
	resp, err := Search(ctx, Request{Query: "quasar", Projects: []Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	if m["count"] != 1.0 || m["mode"] != "lexical" {
		t.Errorf("json: %s", b)
	}
	res := m["results"].([]any)[0].(map[string]any)
	for _, k := range []string{"id", "project", "path", "kind", "title", "start_line", "end_line", "snippet", "match_line", "excerpt", "score", "sources", "ranks"} {
		if _, ok := res[k]; !ok {
			t.Errorf("result lacks %q: %s", k, b)
		}
	}
	if len(res) != 13 {
		t.Errorf("result has extra keys: %s", b)
	}
	if !strings.Contains(string(b), "«quasar»") {
		t.Errorf("markers escaped in JSON: %s", b)
	}
	// No results is an empty list, not null.
	resp, _ = Search(ctx, Request{Query: "nothingmatchesthis", Projects: []Source{src}})
	if b, _ := json.Marshal(resp); !strings.Contains(string(b), `"results":[]`) || !strings.Contains(string(b), `"count":0`) {
		t.Errorf("empty response: %s", b)
	}
}

func TestLimit(t *testing.T) {
	files := map[string]string{}
	for i := range 30 {
		files[fmt.Sprintf("n%02d.md", i)] = "# Note\n\ncommonword here\n"
	}
	src := tree(t, "many", files)
	for _, tc := range []struct{ limit, want int }{{0, DefaultLimit}, {-5, 1}, {1, 1}, {25, 25}, {5000, 30}} {
		resp, err := Search(ctx, Request{Query: "commonword", Projects: []Source{src}, Limit: tc.limit})
		if err != nil || resp.Count != tc.want || len(resp.Results) != tc.want {
			t.Errorf("limit %d: %d results, %v; want %d", tc.limit, resp.Count, err, tc.want)
		}
	}
	for _, tc := range [][2]int{{0, 10}, {-1, 1}, {1, 1}, {1000, 1000}, {1001, 1000}, {1 << 40, 1000}} {
		if got := clampLimit(tc[0]); got != tc[1] {
			t.Errorf("clampLimit(%d) = %d", tc[0], got)
		}
	}
}

func TestMultiProject(t *testing.T) {
	a := fixture(t)
	files := map[string]string{"notes.md": "# Notes\n\nquasar quasar quasar, and more quasar.\n"}
	for i := range 20 { // so that quasar is rare here too (BM25's IDF)
		files[fmt.Sprintf("misc%d.md", i)] = "# Misc\n\nnothing relevant\n"
	}
	b := tree(t, "other", files)
	resp, err := Search(ctx, Request{Query: "quasar", Projects: []Source{a, b}})
	if err != nil {
		t.Fatal(err)
	}
	if resp.Count != 2 {
		t.Fatalf("results: %+v", resp.Results)
	}
	// Each project's best is rank 1 in its list: equal RRF scores, and
	// the higher BM25 (the note that says quasar four times) goes first.
	if resp.Results[0].Project != "other" || resp.Results[1].Project != "fixture" ||
		resp.Results[0].Score != resp.Results[1].Score || resp.Results[0].ID == resp.Results[1].ID {
		t.Errorf("merge: %+v", resp.Results)
	}
	// Unnamed sources do not collide even though chunk ids do.
	a.Name, b.Name = "", ""
	resp, err = Search(ctx, Request{Query: "quasar", Projects: []Source{a, b}})
	if err != nil || resp.Count != 2 {
		t.Errorf("unnamed sources: %+v %v", resp, err)
	}
}

func TestFailingProject(t *testing.T) {
	good := fixture(t)
	closedDB, err := index.Open(filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	closedDB.Close()
	bad := Source{Name: "broken", Index: closedDB}
	resp, err := Search(ctx, Request{Query: "quasar", Projects: []Source{good, bad}})
	if err != nil || resp.Count != 1 || len(resp.Notes) != 1 || !strings.Contains(resp.Notes[0], "broken") {
		t.Errorf("one failing project: %+v %v", resp, err)
	}
	if _, err := Search(ctx, Request{Query: "quasar", Projects: []Source{bad}}); err == nil || IsInputError(err) {
		t.Errorf("only a failing project: %v", err)
	}
	if _, err := Search(ctx, Request{Query: "quasar"}); !errors.Is(err, ErrNoProjects) {
		t.Errorf("no projects: %v", err)
	}
}

func TestModes(t *testing.T) {
	src := fixture(t)
	lex, err := Search(ctx, Request{Query: "quasar install", Projects: []Source{src}, Mode: "lexical"})
	if err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"semantic", "hybrid", "HYBRID "} {
		resp, err := Search(ctx, Request{Query: "quasar install", Projects: []Source{src}, Mode: mode})
		if err != nil || resp.Mode != ModeLexical || !resp.Degraded || len(resp.Notes) == 0 ||
			!strings.Contains(resp.Notes[0], "lexical") || resp.Count != lex.Count {
			t.Errorf("mode %q: %+v %v", mode, resp, err)
		}
	}
	if resp, err := Search(ctx, Request{Query: "quasar", Projects: []Source{src}}); err != nil || resp.Degraded || resp.Mode != ModeLexical {
		t.Errorf("default mode: %+v %v", resp, err)
	}
	if _, err := Search(ctx, Request{Query: "quasar", Projects: []Source{src}, Mode: "fuzzy"}); !errors.Is(err, ErrBadMode) || !IsInputError(err) {
		t.Errorf("bad mode: %v", err)
	}
}

// reversed is a stand-in semantic retriever: the lexical hits for the
// query, in reverse order, with different scores.
type reversed struct{}

func (reversed) Name() string { return ModeSemantic }
func (reversed) Retrieve(ctx context.Context, src Source, q Query, limit int) ([]index.Hit, error) {
	hits, err := Lexical{}.Retrieve(ctx, src, q, limit)
	slices.Reverse(hits)
	for i := range hits {
		hits[i].Snippet = "" // a semantic retriever has no marked snippet
		hits[i].Score = float64(len(hits) - i)
	}
	return hits, err
}

// TestHybridFusion: a second retriever slots in, and weighted RRF over
// file lists combines them: a file at rank r of a list scores
// weight/(K + r), times its role's prior.
func TestHybridFusion(t *testing.T) {
	src := fixture(t)
	rk := DefaultRanking.Clone()
	rk.Weights[IntentGeneral] = map[string]float64{ModeLexical: 1, ModeSemantic: 0.5, ModeHistory: 0}
	s := &Searcher{Lexical: Lexical{}, Semantic: reversed{}, Ranking: rk}
	q := "quasar fluxcapacitor wobbulator"
	if in := IntentOf(q, strings.Fields(q)); in != IntentGeneral {
		t.Fatalf("intent %s", in)
	}
	lex, err := s.Search(ctx, Request{Query: q, Projects: []Source{src}, Mode: "lexical"})
	if err != nil {
		t.Fatal(err)
	}
	hyb, err := s.Search(ctx, Request{Query: q, Projects: []Source{src}})
	if err != nil {
		t.Fatal(err)
	}
	if hyb.Mode != ModeHybrid || hyb.Degraded || hyb.Count != lex.Count || lex.Count < 2 {
		t.Fatalf("hybrid: %+v (lexical %d)", hyb, lex.Count)
	}
	// The files in the order the reversed retriever has them: by their
	// last chunk in the lexical chunk list.
	hits, err := Lexical{}.Retrieve(ctx, src, mustParse(t, q), 100)
	if err != nil {
		t.Fatal(err)
	}
	semRank, lexRank := map[string]int{}, map[string]int{}
	for _, h := range hits {
		if _, ok := lexRank[h.Path]; !ok {
			lexRank[h.Path] = len(lexRank) + 1
		}
	}
	for i := len(hits) - 1; i >= 0; i-- {
		if _, ok := semRank[hits[i].Path]; !ok {
			semRank[hits[i].Path] = len(semRank) + 1
		}
	}
	for _, r := range hyb.Results {
		if !slices.Equal(r.Sources, []string{"lexical", "semantic"}) {
			t.Errorf("sources %v", r.Sources)
		}
		if !strings.Contains(r.Snippet, MarkStart) {
			t.Errorf("snippet lost its marks: %q", r.Snippet)
		}
		l, m := lexRank[r.Path], semRank[r.Path]
		if r.Ranks[ModeLexical] != l || r.Ranks[ModeSemantic] != m {
			t.Errorf("%s: ranks %v, want lexical %d semantic %d", r.Path, r.Ranks, l, m)
		}
		want := (1/(rk.K+float64(l)) + 0.5/(rk.K+float64(m))) * rk.Priors[IntentGeneral][RoleOf(r.Path, r.Kind)]
		if diff := r.Score - want; diff > 1e-12 || diff < -1e-12 {
			t.Errorf("%s: score %v, want %v", r.Path, r.Score, want)
		}
	}
	sem, err := s.Search(ctx, Request{Query: q, Projects: []Source{src}, Mode: "semantic"})
	if err != nil || sem.Mode != ModeSemantic || sem.Count == 0 {
		t.Fatalf("semantic only: %+v %v", sem, err)
	}
	for _, r := range sem.Results {
		if semRank[r.Path] == 1 && r.Ranks[ModeSemantic] != 1 {
			t.Errorf("semantic only: %+v", sem)
		}
	}
}

func mustParse(t *testing.T, text string) Query {
	t.Helper()
	q, err := ParseQuery(text)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// TestHostileQueries: FTS5 syntax, SQL and junk in a query are searched as
// plain text or refused as bad input, never an SQL or FTS error.
func TestHostileQueries(t *testing.T) {
	src := fixture(t)
	queries := []string{
		`"`, `"unbalanced`, `unbalanced"`, `""`, `"quasar"`, `NEAR(a b)`, `NEAR(quasar install, 2)`, `NEAR`,
		`a*`, `quas*`, `*quasar*`, `*`, `-foo`, `-quasar`, `+quasar`, `title:x`, `content:quasar`, `path:README`,
		`{title content}: quasar`, `{a b}`, `a:b:c`, `col:`, `(((`, `)`, `((quasar)`, `AND`, `OR OR`, `NOT`,
		`quasar NOT install`, `quasar AND`, `OR quasar OR`, `^a`, `^quasar`, `'; DROP TABLE chunks; --`,
		`"; DELETE FROM files; --`, `' OR '1'='1`, `日本語 テスト`, `zero​width`, "e\u0301te", `🙂🙂`,
		"\x00", "quasar\x00install", "\xff\xfe\xfd", "quasar\xffinstall", strings.Repeat("a", 10<<10),
		strings.Repeat("x", MaxQueryBytes), strings.Repeat("w ", 500), `!@#$%^&*()`, `\`, `\"quasar\"`, `'`,
		`--`, `;`, `..`, `[]`, `<>`, "\t\n\r", " ", "", `%`, `_`, `quasar%`, `$1`, `?`, `:1`, `@x`,
	}
	if len(queries) < 20 {
		t.Fatal("too few hostile queries")
	}
	for _, q := range queries {
		resp, err := Search(ctx, Request{Query: q, Projects: []Source{src}, Limit: 5})
		switch {
		case err == nil:
			if resp.Count != len(resp.Results) || resp.Results == nil {
				t.Errorf("%q: malformed response %+v", q, resp)
			}
			if strings.Contains(strings.ToLower(q), "quasar") && len(q) < MaxQueryBytes &&
				!slices.ContainsFunc(resp.Results, func(r Result) bool { return r.Path == "README.md" }) {
				t.Errorf("%q: quasar not found as text: %+v", q, resp.Results)
			}
		case IsInputError(err):
			// A clean refusal; say which.
			if !errors.Is(err, ErrEmptyQuery) && !errors.Is(err, ErrQueryTooLong) {
				t.Errorf("%q: unexpected input error %v", q, err)
			}
		default:
			t.Errorf("%q: internal error %v", q, err)
		}
	}
	// The index is intact after all that.
	st, err := src.Index.Stats(ctx)
	if err != nil || st.Chunks == 0 || st.Files != 5 {
		t.Errorf("index after hostile queries: %+v %v", st, err)
	}
	// Specific outcomes.
	for q, want := range map[string]error{
		"":                          ErrEmptyQuery,
		`"*()`:                      ErrEmptyQuery,
		"\x00":                      ErrEmptyQuery,
		strings.Repeat("a", 10<<10): ErrQueryTooLong,
	} {
		if _, err := Search(ctx, Request{Query: q, Projects: []Source{src}}); !errors.Is(err, want) {
			t.Errorf("%q: %v, want %v", q, err, want)
		}
	}
	var many strings.Builder
	for i := range MaxTerms + 5 {
		fmt.Fprintf(&many, "w%d ", i)
	}
	resp, _ := Search(ctx, Request{Query: many.String(), Projects: []Source{src}})
	if len(resp.Notes) == 0 {
		t.Errorf("a truncated query says nothing")
	}
}

// TestHostileTermsInIndex: the index quotes whatever terms it is given,
// even ones ParseQuery would never produce.
func TestHostileTermsInIndex(t *testing.T) {
	src := fixture(t)
	for _, terms := range [][]string{
		{`"`}, {`a" OR "b`}, {`NEAR(a b)`}, {`quasar"`, `*`}, {"qu\x00asar"}, {`title:quasar`},
		{`"quasar" OR "install"`}, {"\xff"}, {`)`, `(`}, {`quasar`, ``, ` `},
	} {
		_, err := src.Index.SearchLexical(ctx, index.LexicalQuery{Terms: terms})
		if err != nil && !errors.Is(err, index.ErrNoTerms) {
			t.Errorf("%q: %v", terms, err)
		}
	}
}

func TestParseQuery(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want []string
	}{
		{"Hello, World!", []string{"hello", "world"}},
		{`title:x AND "y"`, []string{"title", "x", "y"}}, // "and" is a stopword
		{"the and of", []string{"the", "and", "of"}},     // nothing else: searched as it is
		{"how does the vault work", []string{"vault"}},   // a question's scaffold goes too
		{"snake_case kebab-case CamelCase", []string{"snake", "case", "kebab", "camelcase"}},
		{"dup DUP Dup", []string{"dup"}},
		{"naïve café 日本語", []string{"naïve", "café", "日本語"}},
		{"v1.2.3", []string{"v1", "2", "3"}},
	} {
		q, err := ParseQuery(tc.in)
		if err != nil || !slices.Equal(q.Terms, tc.want) || q.Text != tc.in {
			t.Errorf("ParseQuery(%q) = %q, %v; want %q", tc.in, q.Terms, err, tc.want)
		}
	}
	q, err := ParseQuery(strings.Repeat("x ", 10) + strings.Repeat("b c d e f g h j k l m n o p q r u v w x y z aa bb cc dd ee ff gg hh ii jj kk ", 1))
	if err != nil || len(q.Terms) != MaxTerms || !q.Truncated {
		t.Errorf("truncation: %d terms, %v, %v", len(q.Terms), q.Truncated, err)
	}
}

func TestHighlight(t *testing.T) {
	s := "the «quick» brown «fox»"
	if got := Highlight(s, "\x1b[1m", "\x1b[0m"); got != "the \x1b[1mquick\x1b[0m brown \x1b[1mfox\x1b[0m" {
		t.Errorf("Highlight: %q", got)
	}
	if got := Highlight(s, "", ""); got != "the quick brown fox" {
		t.Errorf("strip: %q", got)
	}
}

// TestCancel: a query that would spin in SQLite for minutes returns
// promptly with the context's error when the context is cancelled or its
// deadline passes, the index stays usable, and no goroutine is left.
func TestCancel(t *testing.T) {
	a := fixture(t)
	b := tree(t, "b", map[string]string{"x.md": "# X\n\nquasar\n"})
	srcs := []Source{a, b}
	req := Request{Query: "quasar", Projects: srcs}
	if _, err := Search(ctx, req); err != nil { // warm the connection pools
		t.Fatal(err)
	}
	base := runtime.NumGoroutine()

	index.TestHookSlowSearch.Store(true)
	defer index.TestHookSlowSearch.Store(false)
	for _, tc := range []struct {
		name string
		ctx  func() (context.Context, context.CancelFunc)
		want error
	}{
		{"cancel", func() (context.Context, context.CancelFunc) { return context.WithCancel(ctx) }, context.Canceled},
		{"deadline", func() (context.Context, context.CancelFunc) {
			return context.WithTimeout(ctx, 300*time.Millisecond)
		}, context.DeadlineExceeded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, cancel := tc.ctx()
			defer cancel()
			type outcome struct {
				resp Response
				err  error
			}
			done := make(chan outcome, 1)
			go func() {
				resp, err := Search(c, req)
				done <- outcome{resp, err}
			}()
			select {
			case o := <-done:
				t.Fatalf("slow query returned early: %+v %v", o.resp, o.err)
			case <-time.After(200 * time.Millisecond):
			}
			if tc.name == "cancel" {
				cancel()
			}
			start := time.Now()
			select {
			case o := <-done:
				if !errors.Is(o.err, tc.want) {
					t.Errorf("err = %v, want %v", o.err, tc.want)
				}
				if d := time.Since(start); d > 2*time.Second {
					t.Errorf("took %v to stop", d)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("query not interrupted")
			}
		})
	}
	index.TestHookSlowSearch.Store(false)

	if resp, err := Search(ctx, req); err != nil || resp.Count != 2 {
		t.Errorf("after cancellation: %+v %v", resp, err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for runtime.NumGoroutine() > base && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > base {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines, baseline %d:\n%s", n, base, buf[:runtime.Stack(buf, true)])
	}
}
