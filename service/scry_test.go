package service

// POST /api/scry on a real daemon (real unix socket, real TCP listener)
// over real indexes: the indextest fixture and a "bulk" project of 1,200
// chunks that all hold one word. Hostile queries and bad fields must get a
// 200 or a clean 400, never a 500; a slow query is cut off at the deadline
// (504) and a flood beyond the gate turned away (503), leaking nothing.

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/scry"
)

// bulkFiles is how many files of the bulk project hold bulkWord; the
// first holds it in many sections (results are files, so its chunks
// must not crowd out the rest).
const (
	bulkFiles = 1200
	bulkWord  = "omnipresent"
)

type scryFixture struct {
	fixture, bulk string
	reg           *projects.Registry
}

// newScryFixture indexes and registers the two projects.
func newScryFixture(t *testing.T) scryFixture {
	t.Helper()
	f := scryFixture{fixture: indextest.Fixture(t)}
	bulk, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	f.bulk = bulk
	files := map[string]string{}
	for i := range bulkFiles {
		var b strings.Builder
		for s := range 1 + 199*max(0, 1-i) {
			fmt.Fprintf(&b, "# Part %d-%d\n\nAn %s word, section %d.\n\n", i, s, bulkWord, s)
		}
		files[fmt.Sprintf("doc%04d.md", i)] = b.String()
	}
	indextest.WriteFiles(t, bulk, files)
	for _, root := range []string{f.fixture, f.bulk} {
		if _, err := index.Scrape(context.Background(), root, index.ScrapeOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	f.reg = projects.New(filepath.Join(t.TempDir(), "projects.toml"))
	for name, root := range map[string]string{"fixture": f.fixture, "bulk": f.bulk} {
		if _, _, err := f.reg.Add(root, name); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

func startScryServer(t *testing.T, f scryFixture, cfg Config, withTCP bool) *testServer {
	t.Helper()
	engine := knowledge.NewEngineFor(f.reg)
	t.Cleanup(func() { engine.Close() })
	return startTestServerWith(t, cfg, withTCP, func(s *Server) { RegisterScry(s, engine) })
}

// postScry POSTs body raw to /api/scry.
func postScry(t *testing.T, c *http.Client, base, token, body string) (int, http.Header, string) {
	t.Helper()
	return post(t, c, base+"/api/scry", token, body)
}

func post(t *testing.T, c *http.Client, url, token, body string) (int, http.Header, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("POST %s %.60q: %v", url, body, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header, string(b)
}

// checkScryAnswer checks a response is a well-formed scry answer or a
// clean JSON error, and decodes the answer.
func checkScryAnswer(t *testing.T, name string, status int, h http.Header, body string) scry.Response {
	t.Helper()
	if h.Get("Content-Type") != "application/json" {
		t.Errorf("%s: Content-Type %q", name, h.Get("Content-Type"))
	}
	var resp scry.Response
	switch status {
	case 200:
		dec := json.NewDecoder(strings.NewReader(body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&resp); err != nil || resp.Results == nil || resp.Count != len(resp.Results) || resp.Mode == "" {
			t.Errorf("%s: malformed answer (%v): %.300s", name, err, body)
		}
	case 400:
		var e map[string]string
		if err := json.Unmarshal([]byte(body), &e); err != nil || len(e) != 1 || e["error"] == "" || strings.Contains(e["error"], "internal") {
			t.Errorf("%s: 400 body %q is not a clean {\"error\"}", name, body)
		}
	default:
		t.Errorf("%s: status %d, want 200 or 400: %.300s", name, status, body)
	}
	return resp
}

func TestScryHostileQueries(t *testing.T) {
	f := newScryFixture(t)
	ts := startScryServer(t, f, Config{}, true)
	c := ts.unixClient()
	cases := []struct {
		name, query string
		status      int
		hit         string // a path that must be among the results
	}{
		{"plain", `quasar`, 200, "README.md"},
		{"leading quote", `"quasar`, 200, "README.md"},
		{"trailing quote", `quasar"`, 200, "README.md"},
		{"balanced quotes", `"quasar package"`, 200, "README.md"},
		{"only quotes", `""""`, 400, ""},
		{"single quotes", `'quasar'`, 200, "README.md"},
		{"NEAR group", `NEAR(quasar wobbulator)`, 200, "README.md"},
		{"NEAR slash", `quasar NEAR/2 package`, 200, "README.md"},
		{"prefix star", `quas*`, 200, ""},
		{"only star", `*`, 400, ""},
		{"star word", `quasar*`, 200, "README.md"},
		{"minus prefix", `-quasar`, 200, "README.md"},
		{"NOT operator", `wobbulator NOT quasar`, 200, "README.md"},
		{"AND OR", `quasar AND OR wobbulator`, 200, "docs/guide.md"},
		{"column filter", `title:quasar`, 200, "README.md"},
		{"column filters", `content:quasar OR path:README`, 200, "README.md"},
		{"column set", `{title content}: quasar`, 200, "README.md"},
		{"negated column", `-title:quasar`, 200, "README.md"},
		{"unbalanced open", `((quasar`, 200, "README.md"},
		{"unbalanced close", `quasar))`, 200, "README.md"},
		{"caret", `^quasar`, 200, "README.md"},
		{"plus", `quasar + wobbulator`, 200, "docs/guide.md"},
		{"sql injection", `'; DROP TABLE chunks; --`, 200, ""},
		{"sql comment", `quasar /* */ --`, 200, "README.md"},
		{"NUL", "quasar\x00wobbulator", 200, "README.md"},
		{"control chars", "\x01\x02quasar\x1b[31m", 200, "README.md"},
		{"only punctuation", `!@#$%^&*()[]{}<>?/\|~`, 400, ""},
		{"backslash", `\`, 400, ""},
		{"whitespace", " \t\n ", 400, ""},
		{"10 KiB", strings.Repeat("quasar ", 10<<10/7+1), 400, ""},
		{"at the limit", strings.Repeat("q", scry.MaxQueryBytes), 200, ""},
		{"one over the limit", strings.Repeat("q", scry.MaxQueryBytes+1), 400, ""},
		{"many terms", "quasar " + manyWords(100), 200, "README.md"},
		{"unicode", `Québec naïve 東京 🙂 quasar`, 200, "README.md"},
		{"fullwidth", `ｑｕａｓａｒ`, 200, ""},
		{"combining marks", "qua\u0301sar", 200, ""},
		{"rtl override", "\u202equasar\u202c", 200, "README.md"},
		{"zero width", "qua\u200bsar", 200, ""},
		{"invalid utf-8", "quasar \xff\xfe", 200, "README.md"},
		{"operators as words", `AND OR NOT NEAR`, 200, ""},
		{"like wildcards", `% _`, 400, ""},
		{"fts5 rank option", `rank: bm25(10.0)`, 200, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body, _ := json.Marshal(map[string]any{"query": tc.query, "project": "fixture", "limit": 50})
			if tc.name == "invalid utf-8" {
				body = []byte(`{"query":"quasar ` + "\xff\xfe" + `","project":"fixture","limit":50}`)
			}
			status, h, b := postScry(t, c, "http://patina", "", string(body))
			resp := checkScryAnswer(t, tc.name, status, h, b)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", status, tc.status, b)
			}
			if tc.hit != "" && !hasPath(resp, tc.hit) {
				t.Errorf("%s not among the results: %.500s", tc.hit, b)
			}
		})
	}
	// The index survived all of it.
	status, h, b := postScry(t, c, "http://patina", "", `{"query":"quasar","project":"fixture"}`)
	if resp := checkScryAnswer(t, "after", status, h, b); status != 200 || !hasPath(resp, "README.md") {
		t.Fatalf("after the hostile queries: %d %s", status, b)
	}
	if st := ts.srv.Stats(); st.GateInUse != 0 || st.InFlight != 0 {
		t.Errorf("after the hostile queries: %+v", st)
	}
	if strings.Contains(ts.logs.String(), "status=500") {
		t.Errorf("a 500 was logged:\n%s", ts.logs)
	}
}

func manyWords(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = fmt.Sprintf("word%d", i)
	}
	return strings.Join(ws, " ")
}

// errorOf is the message of a JSON error body.
func errorOf(body string) string {
	var e struct{ Error string }
	json.Unmarshal([]byte(body), &e)
	return e.Error
}

func hasPath(resp scry.Response, path string) bool {
	for _, r := range resp.Results {
		if r.Path == path {
			return true
		}
	}
	return false
}

func TestScryBadFields(t *testing.T) {
	f := newScryFixture(t)
	ts := startScryServer(t, f, Config{}, true)
	c := ts.unixClient()
	docs := filepath.Join(f.fixture, "docs")
	cases := []struct {
		name, body string
		status     int
		want       string // in the error, or a check name for 200
		count      int    // for 200: results expected (-1: any)
	}{
		{"limit string", `{"query":"quasar","project":"fixture","limit":"x"}`, 400, `field "limit"`, 0},
		{"limit 1e400", `{"query":"quasar","project":"fixture","limit":1e400}`, 400, `field "limit"`, 0},
		{"limit fraction", `{"query":"quasar","project":"fixture","limit":1.5}`, 400, `field "limit"`, 0},
		{"limit huge int", `{"query":"quasar","project":"fixture","limit":99999999999999999999}`, 400, `field "limit"`, 0},
		{"limit null", `{"query":"quasar","project":"fixture","limit":null}`, 200, "", 1},
		{"limit -5 clamped to 1", `{"query":"zephyr","project":"fixture","limit":-5}`, 200, "", 1},
		{"limit 0 is the default", `{"query":"` + bulkWord + `","project":"bulk","limit":0}`, 200, "", scry.DefaultLimit},
		{"limit absent is the default", `{"query":"` + bulkWord + `","project":"bulk"}`, 200, "", scry.DefaultLimit},
		{"limit 5000 clamped to 1000", `{"query":"` + bulkWord + `","project":"bulk","limit":5000}`, 200, "", scry.MaxLimit},
		{"limit 1000", `{"query":"` + bulkWord + `","project":"bulk","limit":1000}`, 200, "", scry.MaxLimit},
		{"unknown field", `{"query":"quasar","project":"fixture","evil":1}`, 400, `unknown field "evil"`, 0},
		{"project traversal", `{"query":"quasar","project":"../../etc"}`, 400, "invalid project name", 0},
		{"project absolute path", `{"query":"quasar","project":"/etc"}`, 400, "invalid project name", 0},
		{"project NUL", `{"query":"quasar","project":"fixture\u0000"}`, 400, "invalid project name", 0},
		{"project unknown", `{"query":"quasar","project":"nosuch"}`, 400, `unknown project "nosuch"`, 0},
		{"project number", `{"query":"quasar","project":5}`, 400, `field "project"`, 0},
		{"all_projects string", `{"query":"quasar","all_projects":"yes"}`, 400, `field "all_projects"`, 0},
		{"project and all_projects", `{"query":"quasar","project":"fixture","all_projects":true}`, 400, "not both", 0},
		{"all_projects", `{"query":"quasar ` + bulkWord + `","all_projects":true,"limit":1000}`, 200, "both projects", scry.MaxLimit},
		{"mode unknown", `{"query":"quasar","project":"fixture","mode":"fuzzy"}`, 400, "unknown mode", 0},
		{"mode semantic degrades", `{"query":"quasar","project":"fixture","mode":"semantic"}`, 200, "degraded", -1},
		{"mode lexical", `{"query":"quasar","project":"fixture","mode":"lexical"}`, 200, "", 1},
		{"query missing", `{"project":"fixture"}`, 400, "empty query", 0},
		{"query null", `{"query":null,"project":"fixture"}`, 400, "empty query", 0},
		{"query number", `{"query":42,"project":"fixture"}`, 400, `field "query"`, 0},
		{"query array", `{"query":["quasar"],"project":"fixture"}`, 400, `field "query"`, 0},
		{"array body", `[{"query":"quasar"}]`, 400, "", 0},
		{"empty body", ``, 400, "request body is empty", 0},
		{"not JSON", `query=quasar`, 400, "malformed JSON", 0},
		{"truncated", `{"query":"quasar"`, 400, "malformed JSON", 0},
		{"trailing data", `{"query":"quasar","project":"fixture"}{"x":1}`, 400, "trailing data", 0},
		{"duplicate keys", `{"query":"zzz","query":"quasar","project":"fixture"}`, 200, "", 1},
		{"no project, no cwd", `{"query":"quasar"}`, 400, "no project", 0},
		{"cwd inside the project", `{"query":"quasar","cwd":"` + docs + `"}`, 200, "", 1},
		{"cwd outside every project", `{"query":"quasar","cwd":"/etc"}`, 400, "in no registered project", 0},
		{"cwd relative", `{"query":"quasar","cwd":"../.."}`, 400, "absolute", 0},
		{"cwd missing dir", `{"query":"quasar","cwd":"/no/such/dir"}`, 400, "not an existing directory", 0},
		{"cwd a file", `{"query":"quasar","cwd":"` + filepath.Join(f.fixture, "README.md") + `"}`, 400, "not an existing directory", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, h, b := postScry(t, c, "http://patina", "", tc.body)
			resp := checkScryAnswer(t, tc.name, status, h, b)
			if status != tc.status {
				t.Fatalf("status %d, want %d: %.300s", status, tc.status, b)
			}
			switch {
			case status == 400 && !strings.Contains(errorOf(b), tc.want):
				t.Errorf("error %s does not say %q", b, tc.want)
			case tc.want == "both projects" && (!hasPath(resp, "README.md") || !hasPath(resp, "doc0000.md")):
				t.Errorf("all_projects: %.500s", b)
			case status == 200 && tc.count >= 0 && resp.Count != tc.count:
				t.Errorf("%d results, want %d", resp.Count, tc.count)
			case tc.want == "degraded" && (!resp.Degraded || resp.Mode != scry.ModeLexical || len(resp.Notes) == 0):
				t.Errorf("semantic without a model: %s", b)
			}
		})
	}

	// Over TCP: the token is required, and cwd means nothing.
	tc := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + ts.tcp
	if status, _, b := postScry(t, tc, base, "", `{"query":"quasar","project":"fixture"}`); status != 401 || strings.Contains(b, "README") {
		t.Errorf("TCP without the token: %d %s", status, b)
	}
	if status, _, b := postScry(t, tc, base, "wrong", `{"query":"quasar","project":"fixture"}`); status != 401 {
		t.Errorf("TCP with a wrong token: %d %s", status, b)
	}
	if status, _, b := postScry(t, tc, base, ts.token, `{"query":"quasar","project":"fixture"}`); status != 200 || !strings.Contains(b, "README.md") {
		t.Errorf("TCP with the token: %d %s", status, b)
	}
	if status, _, b := postScry(t, tc, base, ts.token, `{"query":"quasar","cwd":"`+docs+`"}`); status != 400 || !strings.Contains(b, "no project") {
		t.Errorf("TCP with cwd: %d %s", status, b)
	}
}

// TestScryFiltersAndRoots: kind and path_prefix narrow the results (a bad
// one is a 400 naming the field); every result has its match line and an
// excerpt; the answer gives the project's root over the unix socket and
// leaves it out over TCP.
func TestScryFiltersAndRoots(t *testing.T) {
	f := newScryFixture(t)
	ts := startScryServer(t, f, Config{}, true)
	c := ts.unixClient()
	for _, tc := range []struct {
		body string
		want []string // the paths, in order
	}{
		{`{"query":"fluxcapacitor","project":"fixture","kind":"code"}`, []string{"main.go"}},
		{`{"query":"fluxcapacitor","project":"fixture","kind":"commit"}`, []string{"git:"}},
		{`{"query":"install quasar wobbulator","project":"fixture","path_prefix":"docs"}`, []string{"docs/guide.md"}},
		{`{"query":"install quasar wobbulator","project":"fixture","path_prefix":"docs/../README.md","kind":"doc"}`, []string{"README.md"}},
		{`{"query":"quasar","project":"fixture","path_prefix":"docs\u0000"}`, nil},
	} {
		status, h, b := postScry(t, c, "http://patina", "", tc.body)
		resp := checkScryAnswer(t, tc.body, status, h, b)
		var got []string
		for _, r := range resp.Results {
			p := r.Path
			if strings.HasPrefix(p, "git:") {
				p = "git:"
			}
			got = append(got, p)
			if r.MatchLine < r.StartLine || r.MatchLine > r.EndLine || len(r.Excerpt) == 0 {
				t.Errorf("%s: %s at line %d of %d-%d, excerpt %v", tc.body, r.Path, r.MatchLine, r.StartLine, r.EndLine, r.Excerpt)
			}
		}
		if status != 200 || strings.Join(got, " ") != strings.Join(tc.want, " ") {
			t.Errorf("%s: %d %v, want %v", tc.body, status, got, tc.want)
		}
		if len(got) > 0 && (len(resp.Projects) != 1 || resp.Projects["fixture"].Root != f.fixture) {
			t.Errorf("%s: projects %+v, want fixture's root", tc.body, resp.Projects)
		}
	}
	status, _, b := postScry(t, c, "http://patina", "", `{"query":"quasar","project":"fixture"}`)
	if want := `"projects":{"fixture":{"root":` + mustJSON(t, f.fixture) + `}}`; status != 200 || !strings.Contains(b, want) || !strings.Contains(b, `"match_line":11`) {
		t.Errorf("over the socket: %d %s, want %s and match_line 11", status, b, want)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"query":"quasar","project":"fixture","kind":"tests"}`, `kind "tests"`},
		{`{"query":"quasar","project":"fixture","kind":5}`, `field "kind"`},
		{`{"query":"quasar","project":"fixture","path_prefix":"../etc"}`, "path_prefix"},
		{`{"query":"quasar","project":"fixture","path_prefix":"/etc"}`, "path_prefix must be relative to the project root"},
		{`{"query":"quasar","project":"fixture","path_prefix":["docs"]}`, `field "path_prefix"`},
	} {
		if status, _, b := postScry(t, c, "http://patina", "", tc.body); status != 400 || !strings.Contains(errorOf(b), tc.want) {
			t.Errorf("%s: %d %s; want 400 saying %q", tc.body, status, b, tc.want)
		}
	}
	tc := &http.Client{Timeout: 10 * time.Second}
	status, h, b := postScry(t, tc, "http://"+ts.tcp, ts.token, `{"query":"quasar","project":"fixture","kind":"doc"}`)
	resp := checkScryAnswer(t, "tcp", status, h, b)
	if status != 200 || resp.Count != 1 || resp.Results[0].MatchLine != 11 || strings.Contains(b, `"projects"`) || strings.Contains(b, f.fixture) {
		t.Errorf("over TCP: %d %s, want a result and no root", status, b)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestRelatedEndpoint: POST /api/related lists the files that changed
// together with one; a bad path or body is a 400 that says why; over TCP
// it needs the token and cwd means nothing.
func TestRelatedEndpoint(t *testing.T) {
	f := newScryFixture(t)
	ts := startScryServer(t, f, Config{}, true)
	c := ts.unixClient()
	status, h, b := post(t, c, "http://patina/api/related", "", `{"path":"main.go","project":"fixture"}`)
	var resp scry.RelatedResponse
	if err := json.Unmarshal([]byte(b), &resp); status != 200 || err != nil || h.Get("Content-Type") != "application/json" ||
		resp.Count != 1 || resp.Results[0].Path != "util/strings.go" || resp.Commits != 1 || resp.Path != "main.go" {
		t.Fatalf("related main.go: %d %v %s", status, err, b)
	}
	// From inside the project, by absolute path.
	body := fmt.Sprintf(`{"path":%q,"cwd":%q}`, filepath.Join(f.fixture, "util", "strings.go"), filepath.Join(f.fixture, "docs"))
	if status, _, b := post(t, c, "http://patina/api/related", "", body); status != 200 || !strings.Contains(b, `"path":"main.go"`) {
		t.Errorf("related by absolute path: %d %s", status, b)
	}
	for _, tc := range []struct{ body, want string }{
		{`{"project":"fixture"}`, "path is required"},
		{`{"path":"../x","project":"fixture"}`, "inside the project"},
		{`{"path":"/etc/passwd","project":"fixture"}`, "inside the project"},
		{`{"path":"nosuch.go","project":"fixture"}`, "not a file indexed in project fixture"},
		{`{"path":"main.go","project":"nosuch"}`, `unknown project "nosuch"`},
		{`{"path":"main.go"}`, "no project"},
		{`{"path":"main.go","project":"fixture","all_projects":true}`, `unknown field "all_projects"`},
		{`{"path":5,"project":"fixture"}`, `field "path"`},
	} {
		if status, _, b := post(t, c, "http://patina/api/related", "", tc.body); status != 400 || !strings.Contains(errorOf(b), tc.want) {
			t.Errorf("%s: %d %s; want 400 saying %q", tc.body, status, b, tc.want)
		}
	}
	tc := &http.Client{Timeout: 10 * time.Second}
	base := "http://" + ts.tcp + "/api/related"
	if status, _, b := post(t, tc, base, "", `{"path":"main.go","project":"fixture"}`); status != 401 || strings.Contains(b, "strings.go") {
		t.Errorf("TCP without the token: %d %s", status, b)
	}
	if status, _, b := post(t, tc, base, ts.token, `{"path":"main.go","project":"fixture"}`); status != 200 || !strings.Contains(b, "util/strings.go") {
		t.Errorf("TCP with the token: %d %s", status, b)
	}
	if status, _, b := post(t, tc, base, ts.token, `{"path":"main.go","cwd":"`+f.fixture+`"}`); status != 400 || !strings.Contains(b, "no project") {
		t.Errorf("TCP with cwd: %d %s", status, b)
	}
	// An absolute path, inside the project or not, is refused alike.
	for _, p := range []string{filepath.Join(f.fixture, "main.go"), "/etc/passwd"} {
		body := fmt.Sprintf(`{"path":%q,"project":"fixture"}`, p)
		if status, _, b := post(t, tc, base, ts.token, body); status != 400 || !strings.Contains(b, "relative to the project root over TCP") {
			t.Errorf("TCP with absolute path %s: %d %s", p, status, b)
		}
	}
}

// slowSearches makes every lexical search spin in SQLite until cancelled.
func slowSearches(t *testing.T) {
	index.TestHookSlowSearch.Store(true)
	t.Cleanup(func() { index.TestHookSlowSearch.Store(false) })
}

func TestScryDeadlineGives504AndLeaksNothing(t *testing.T) {
	f := newScryFixture(t)
	ts := startScryServer(t, f, Config{QueryTimeout: 150 * time.Millisecond}, false)
	c := ts.unixClient()
	// Warm up: the index is opened and the connection pooled.
	if status, _, b := postScry(t, c, "http://patina", "", `{"query":"quasar","project":"fixture"}`); status != 200 {
		t.Fatalf("warm-up: %d %s", status, b)
	}
	base := runtime.NumGoroutine()
	slowSearches(t)
	for i := range 5 {
		body := `{"query":"quasar","project":"fixture"}`
		if i%2 == 1 {
			body = `{"query":"quasar ` + bulkWord + `","all_projects":true}`
		}
		start := time.Now()
		status, h, b := postScry(t, c, "http://patina", "", body)
		if status != http.StatusGatewayTimeout || h.Get("Content-Type") != "application/json" || !strings.Contains(b, `"error"`) {
			t.Fatalf("slow query %d: %d %s, want 504 JSON", i, status, b)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("slow query %d took %v to be cut off", i, d)
		}
	}
	if !waitFor(func() bool { return runtime.NumGoroutine() <= base+2 }) {
		buf := make([]byte, 1<<20)
		t.Fatalf("goroutines: %d, baseline %d\n%s", runtime.NumGoroutine(), base, buf[:runtime.Stack(buf, true)])
	}
	if st := ts.srv.Stats(); st.GateInUse != 0 || st.InFlight != 0 {
		t.Fatalf("after timeouts: %+v", st)
	}
	// The same daemon answers once searches are quick again.
	index.TestHookSlowSearch.Store(false)
	if status, _, b := postScry(t, c, "http://patina", "", `{"query":"quasar","project":"fixture"}`); status != 200 {
		t.Fatalf("after the timeouts: %d %s", status, b)
	}
}

func TestScryFloodGets503WhileHealthAnswers(t *testing.T) {
	f := newScryFixture(t)
	ts := startScryServer(t, f, Config{Gate: 1, GateWait: 50 * time.Millisecond, QueryTimeout: 2 * time.Second}, false)
	c := ts.unixClient()
	if status, _, b := postScry(t, c, "http://patina", "", `{"query":"quasar","project":"fixture"}`); status != 200 {
		t.Fatalf("warm-up: %d %s", status, b)
	}
	c.CloseIdleConnections()
	base := runtime.NumGoroutine()
	slowSearches(t)

	// One slow query takes the only slot until its deadline.
	var wg sync.WaitGroup
	blocker := make(chan int, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		status, _, _ := postScry(t, c, "http://patina", "", `{"query":"quasar","project":"fixture"}`)
		blocker <- status
	}()
	if !waitFor(func() bool { return ts.srv.Stats().GateInUse == 1 }) {
		t.Fatal("the slow query never took the slot")
	}
	// A flood, in parallel: every one is turned away with Retry-After.
	const flood = 8
	statuses := make(chan [2]string, flood)
	for range flood {
		wg.Add(1)
		go func() {
			defer wg.Done()
			status, h, _ := postScry(t, c, "http://patina", "", `{"query":"quasar","project":"fixture"}`)
			statuses <- [2]string{fmt.Sprint(status), h.Get("Retry-After")}
		}()
	}
	for range flood {
		s := <-statuses
		if s[0] != "503" || s[1] == "" {
			t.Errorf("flood request: %s (Retry-After %q), want 503 with Retry-After", s[0], s[1])
		}
		if status, _, _ := get(t, c, "http://patina/health"); status != 200 {
			t.Fatalf("/health during the flood: %d", status)
		}
	}
	if status := <-blocker; status != http.StatusGatewayTimeout {
		t.Errorf("the slow query: %d, want 504", status)
	}
	wg.Wait()
	index.TestHookSlowSearch.Store(false)
	if status, _, b := postScry(t, c, "http://patina", "", `{"query":"quasar","project":"fixture"}`); status != 200 {
		t.Fatalf("after the flood: %d %s", status, b)
	}
	if !waitFor(func() bool { st := ts.srv.Stats(); return st.GateInUse == 0 && st.InFlight == 0 }) {
		t.Fatalf("slots not back to baseline: %+v", ts.srv.Stats())
	}
	c.CloseIdleConnections()
	if !waitFor(func() bool { return runtime.NumGoroutine() <= base+2 }) {
		t.Fatalf("goroutines: %d, baseline %d", runtime.NumGoroutine(), base)
	}
}
