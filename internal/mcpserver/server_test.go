package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/scry"
)

// fixtureName is the registered name of the fixture project.
const fixtureName = "fixture"

// isolate gives the test its own PATINA_HOME and a socket nobody listens
// on, so scry works in-process over the test's registry only.
func isolate(t *testing.T) string {
	t.Helper()
	home := t.TempDir()
	t.Setenv("PATINA_HOME", home)
	t.Setenv("PATINA_SOCKET", filepath.Join(home, "nobody.sock"))
	t.Setenv("PATINA_MOTHER", "")
	return home
}

// registerFixture scrapes the indextest fixture and registers it as
// fixtureName; it returns the project's root.
func registerFixture(t *testing.T) string {
	t.Helper()
	root := indextest.Fixture(t)
	if _, err := index.Scrape(context.Background(), root, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	reg, err := projects.Default()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := reg.Add(root, fixtureName); err != nil {
		t.Fatal(err)
	}
	return root
}

// connect runs srv over an in-memory transport and returns a client
// session to it.
func connect(t *testing.T, srv *Server) *mcp.ClientSession {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ct, st := mcp.NewInMemoryTransports()
	done := make(chan error, 1)
	go func() { done <- srv.Run(ctx, st) }()
	c := mcp.NewClient(&mcp.Implementation{Name: "patina-test", Version: "v0"}, nil)
	cs, err := c.Connect(ctx, ct, nil)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cs.Close()
		cancel()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Error("server did not stop")
		}
		srv.Close()
	})
	return cs
}

func newSession(t *testing.T) *mcp.ClientSession {
	t.Helper()
	return connect(t, New(Options{}))
}

func call(t *testing.T, cs *mcp.ClientSession, tool string, args any) *mcp.CallToolResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("call %s %v: protocol error %v", tool, args, err)
	}
	return res
}

func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if tc, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, tc.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// structured decodes a result's structured content into out.
func structured(t *testing.T, res *mcp.CallToolResult, out any) {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool error: %s", text(res))
	}
	b, err := json.Marshal(res.StructuredContent)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("structured content %s: %v", b, err)
	}
}

func TestToolsListedWithSchemas(t *testing.T) {
	isolate(t)
	cs := newSession(t)
	res, err := cs.ListTools(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*mcp.Tool{}
	for _, tool := range res.Tools {
		byName[tool.Name] = tool
		if len(tool.Description) < 100 {
			t.Errorf("%s: description too thin for an agent to act on: %q", tool.Name, tool.Description)
		}
		if tool.OutputSchema == nil {
			t.Errorf("%s: no output schema", tool.Name)
		}
		if tool.Annotations == nil || !tool.Annotations.ReadOnlyHint {
			t.Errorf("%s: not annotated read-only", tool.Name)
		}
	}
	var names []string
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	if want := []string{"mother_status", "projects", "read", "related", "scry"}; !slices.Equal(names, want) {
		t.Fatalf("tools %v, want %v", names, want)
	}

	var in jsonschema.Schema
	b, _ := json.Marshal(byName["scry"].InputSchema)
	if err := json.Unmarshal(b, &in); err != nil {
		t.Fatal(err)
	}
	if in.Type != "object" || !slices.Equal(in.Required, []string{"query"}) {
		t.Errorf("scry input schema: type %q required %v, want object requiring only query", in.Type, in.Required)
	}
	for _, p := range []string{"query", "project", "all_projects", "limit", "mode", "kind", "path_prefix", "cursor"} {
		if in.Properties[p] == nil || in.Properties[p].Description == "" {
			t.Errorf("scry input schema: property %q missing or undescribed", p)
		}
	}
	var read jsonschema.Schema
	b, _ = json.Marshal(byName["read"].InputSchema)
	if err := json.Unmarshal(b, &read); err != nil {
		t.Fatal(err)
	}
	if len(read.Required) != 0 || read.Properties["start_line"].Type != "integer" || read.Properties["start_line"].Minimum == nil {
		t.Errorf("read input schema: required %v, start_line %+v", read.Required, read.Properties["start_line"])
	}
	for _, p := range []string{"id", "project", "path", "start_line", "end_line", "cursor"} {
		if read.Properties[p] == nil || read.Properties[p].Description == "" {
			t.Errorf("read input schema: property %q missing or undescribed", p)
		}
	}
	for _, want := range []string{"400 lines", "64 KiB", ".env", "symlink", "scry again"} {
		if !strings.Contains(byName["read"].Description, want) {
			t.Errorf("read's description does not say %q", want)
		}
	}
	if d := byName["scry"].Description; !strings.Contains(d, "32 KiB") || !strings.Contains(d, "next_cursor") || !strings.Contains(d, "read") {
		t.Errorf("scry's description does not tell of the cap, the cursor and read: %s", d)
	}
	if got := in.Properties["limit"].Type; got != "integer" {
		t.Errorf("limit type %q, want integer", got)
	}
	if got := in.Properties["mode"].Enum; len(got) != 3 {
		t.Errorf("mode enum %v, want the three modes", got)
	}
	// Nothing secret is asked for or offered: no tool mentions a secret-ish
	// parameter.
	for name, tool := range byName {
		b, _ := json.Marshal(tool.InputSchema)
		for _, bad := range []string{"secret", "token", "identity", "password", "vault"} {
			if strings.Contains(strings.ToLower(string(b)), bad) {
				t.Errorf("%s input schema mentions %q: %s", name, bad, b)
			}
		}
	}
}

func TestScryFindsFixture(t *testing.T) {
	isolate(t)
	registerFixture(t)
	cs := newSession(t)

	res := call(t, cs, "scry", map[string]any{"query": indextest.WordReadme, "project": fixtureName})
	var out ScryOutput
	structured(t, res, &out)
	if out.Count == 0 || len(out.Results) != out.Count {
		t.Fatalf("count %d, %d results: %s", out.Count, len(out.Results), text(res))
	}
	r := out.Results[0]
	if r.Path != "README.md" || r.StartLine != 9 || r.EndLine != 12 || r.Kind != "doc" ||
		r.Title != "Patina Fixture > Install > Linux" || !slices.Equal(r.Sources, []string{"lexical"}) ||
		!strings.Contains(r.Snippet, scry.MarkStart+indextest.WordReadme+scry.MarkEnd) || r.Project != fixtureName {
		t.Errorf("first result %+v", r)
	}
	// The fixture was scraped without embeddings: hybrid (the default)
	// falls back to lexical and says why.
	if out.Via != "in-process" || out.Mode != scry.ModeLexical || !out.Degraded || !strings.Contains(strings.Join(out.Notes, "\n"), "has no embeddings") {
		t.Errorf("via %q mode %q degraded %v notes %q, want in-process lexical with a note", out.Via, out.Mode, out.Degraded, out.Notes)
	}
	if txt := text(res); !strings.Contains(txt, "README.md:9-12") || !strings.Contains(txt, "«quasar»") {
		t.Errorf("text rendering lacks the location or the snippet:\n%s", txt)
	}

	// Other landmarks, federated, and a degraded mode with its note.
	res = call(t, cs, "scry", map[string]any{"query": indextest.WordCode, "all_projects": true, "mode": "hybrid", "limit": 3})
	structured(t, res, &out)
	found := slices.ContainsFunc(out.Results, func(r ScryResult) bool { return r.Path == "main.go" })
	if !found || !out.Degraded || len(out.Notes) == 0 || !strings.Contains(text(res), "has no embeddings") {
		t.Errorf("fluxcapacitor, hybrid over all projects: %+v", out)
	}
	res = call(t, cs, "scry", map[string]any{"query": "nothingmatchesthis", "project": fixtureName})
	structured(t, res, &out)
	if out.Count != 0 || out.Results == nil || !strings.HasPrefix(text(res), "no results") {
		t.Errorf("no match: %+v %q", out, text(res))
	}
}

func TestScryDefaultsToTheWorkingDirectorysProject(t *testing.T) {
	isolate(t)
	root := registerFixture(t)
	t.Chdir(filepath.Join(root, "docs"))
	cs := newSession(t)
	var out ScryOutput
	structured(t, call(t, cs, "scry", map[string]any{"query": indextest.WordGuide}), &out)
	if out.Count == 0 || out.Results[0].Path != "docs/guide.md" {
		t.Errorf("scry from inside the project: %+v", out)
	}
}

// TestRelated: the files that changed together with one, from the
// fixture's history; bad paths are tool errors naming the argument.
func TestRelated(t *testing.T) {
	isolate(t)
	registerFixture(t)
	cs := newSession(t)
	var out RelatedOutput
	structured(t, call(t, cs, "related", map[string]any{"path": "main.go", "project": fixtureName}), &out)
	// One commit added main.go and util/strings.go together.
	if out.Path != "main.go" || out.Commits != 1 || out.Count != 1 || len(out.Results) != 1 ||
		out.Results[0].Path != "util/strings.go" || out.Results[0].Commits != 1 || out.Results[0].Share != 1 ||
		out.Results[0].LastSubject != "Add fluxcapacitor" || len(out.Results[0].LastCommit) != 40 || out.Results[0].LastDate != "2024-02-02" {
		t.Errorf("related main.go: %+v", out)
	}
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"path": "", "project": fixtureName}, "path is empty"},
		{map[string]any{"path": "../../etc/passwd", "project": fixtureName}, "inside the project"},
		{map[string]any{"path": "/etc/passwd", "project": fixtureName}, "inside the project"},
		{map[string]any{"path": "nosuch.go", "project": fixtureName}, "not a file indexed in project fixture"},
		{map[string]any{"path": ".env", "project": fixtureName}, "not a file indexed"},
		{map[string]any{"path": "main.go", "project": "nosuch"}, `unknown project "nosuch"`},
	} {
		res := call(t, cs, "related", c.args)
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%v: IsError %v, message %q; want an error containing %q", c.args, res.IsError, text(res), c.want)
		}
	}
}

func TestBadInputIsAToolErrorAndTheSessionGoesOn(t *testing.T) {
	isolate(t)
	registerFixture(t)
	cs := newSession(t)
	cases := []struct {
		name string
		args any
		want string
	}{
		{"missing query", map[string]any{}, `missing properties: ["query"]`},
		{"no arguments at all", nil, `missing properties: ["query"]`},
		{"empty query", map[string]any{"query": ""}, "query is empty"},
		{"blank query", map[string]any{"query": " \t\n"}, "query is empty"},
		{"punctuation only", map[string]any{"query": "*** ()", "project": fixtureName}, "empty query"},
		{"query too long", map[string]any{"query": strings.Repeat("a ", 600), "project": fixtureName}, "query too long"},
		{"query of wrong type", map[string]any{"query": 5}, "/properties/query"},
		{"query as array", map[string]any{"query": []string{"quasar"}}, "/properties/query"},
		{"limit as string", map[string]any{"query": "quasar", "limit": "ten"}, "/properties/limit"},
		{"fractional limit", map[string]any{"query": "quasar", "limit": 2.5}, "/properties/limit"},
		{"all_projects as string", map[string]any{"query": "quasar", "all_projects": "yes"}, "/properties/all_projects"},
		{"unknown mode", map[string]any{"query": "quasar", "mode": "fuzzy"}, "/properties/mode"},
		{"unknown argument", map[string]any{"query": "quasar", "secret": "x"}, "secret"},
		{"unknown project", map[string]any{"query": "quasar", "project": "nosuch"}, `unknown project "nosuch"`},
		{"path as project", map[string]any{"query": "quasar", "project": "../../etc"}, "invalid project name"},
		{"project and all_projects", map[string]any{"query": "quasar", "project": fixtureName, "all_projects": true}, "not both"},
		{"no project outside any", map[string]any{"query": "quasar"}, "no registered project"},
	}
	for _, c := range cases {
		res := call(t, cs, "scry", c.args)
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s: IsError %v, message %q; want an error containing %q", c.name, res.IsError, text(res), c.want)
		}
	}

	// An unknown tool is a protocol error, and the session survives it.
	_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "read_vault", Arguments: map[string]any{}})
	if err == nil || !strings.Contains(err.Error(), `unknown tool "read_vault"`) {
		t.Errorf("unknown tool: %v", err)
	}

	// Enormous and tiny limits are clamped, not refused.
	for _, limit := range []any{1e30, 5000, -3, 1000} {
		res := call(t, cs, "scry", map[string]any{"query": "quasar", "project": fixtureName, "limit": limit})
		var out ScryOutput
		structured(t, res, &out)
		if out.Count < 1 || out.Count > scry.MaxLimit {
			t.Errorf("limit %v: count %d", limit, out.Count)
		}
	}
	var out ScryOutput
	structured(t, call(t, cs, "scry", map[string]any{"query": "fixture zephyr guide", "project": fixtureName, "limit": -1}), &out)
	if out.Count != 1 {
		t.Errorf("limit -1 is clamped to 1: got %d results", out.Count)
	}
}

func TestLimitClamps(t *testing.T) {
	cases := map[string]Limit{"0": 0, "1": 1, "7": 7, "1000": 1000, "1001": 1000, "1e30": 1000, "1e400": 1000, "-1": 1, "-1e30": 1, "3.0": 3}
	for in, want := range cases {
		var l Limit
		if err := json.Unmarshal([]byte(in), &l); err != nil || l != want {
			t.Errorf("%s: %d, %v; want %d", in, l, err, want)
		}
	}
	for _, in := range []string{"2.5", `"ten"`, "true", "null"} {
		var l Limit
		if err := json.Unmarshal([]byte(in), &l); err == nil && in != "null" {
			t.Errorf("%s: accepted as %d", in, l)
		}
	}
}

func TestProjectsTool(t *testing.T) {
	home := isolate(t)
	registerFixture(t)
	gone := filepath.Join(home, "gone")
	if err := os.Mkdir(gone, 0o700); err != nil {
		t.Fatal(err)
	}
	reg, _ := projects.Default()
	if _, _, err := reg.Add(gone, "gone"); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	cs := newSession(t)
	res := call(t, cs, "projects", nil)
	var out ProjectsOutput
	structured(t, res, &out)
	if out.Count != 2 || len(out.Projects) != 2 {
		t.Fatalf("projects: %+v", out)
	}
	p := out.Projects[0]
	if p.Name != fixtureName || p.Status != "ok" || p.Problem != "" || p.Chunks == 0 || p.Files == 0 || p.Commits == 0 ||
		p.EmbeddingModel != "none" || p.LastScrape == "" {
		t.Errorf("fixture: %+v", p)
	}
	if ts, err := time.Parse(time.RFC3339, p.LastScrape); err != nil || time.Since(ts) > time.Hour {
		t.Errorf("last_scrape %q: %v", p.LastScrape, err)
	}
	if g := out.Projects[1]; g.Name != "gone" || g.Status != "missing" || g.Problem == "" || g.Chunks != 0 {
		t.Errorf("gone: %+v", g)
	}
	if txt := text(res); !strings.Contains(txt, "fixture") || !strings.Contains(txt, "gone  ") || !strings.Contains(txt, "missing") {
		t.Errorf("text:\n%s", txt)
	}
	// Arguments are refused: the tool takes none.
	if res := call(t, cs, "projects", map[string]any{"path": "/etc"}); !res.IsError {
		t.Errorf("projects accepted an argument: %s", text(res))
	}
}

func TestProjectsToolEmptyRegistry(t *testing.T) {
	isolate(t)
	cs := newSession(t)
	var out ProjectsOutput
	structured(t, call(t, cs, "projects", map[string]any{}), &out)
	if out.Count != 0 || out.Projects == nil || len(out.Notes) == 0 || !strings.Contains(out.Notes[0], "patina scrape") {
		t.Errorf("empty registry: %+v", out)
	}
}

func TestMotherStatusWhenNobodyAnswers(t *testing.T) {
	home := isolate(t)
	cs := newSession(t)
	res := call(t, cs, "mother_status", nil)
	var out StatusOutput
	structured(t, res, &out)
	if out.Answering || out.Target != filepath.Join(home, "nobody.sock") || out.Problem == "" ||
		!strings.Contains(out.Fallback, "in-process") || out.ServerVersion == "" {
		t.Errorf("status: %+v", out)
	}
	if !strings.Contains(text(res), "not answering") {
		t.Errorf("text: %s", text(res))
	}
}

// A panicking handler is a protocol error for that call only.
func TestPanicInAToolEndsOnlyThatCall(t *testing.T) {
	isolate(t)
	srv := New(Options{})
	mcp.AddTool(srv.MCP(), &mcp.Tool{Name: "boom", Description: "panics"}, func(context.Context, *mcp.CallToolRequest, struct{}) (*mcp.CallToolResult, struct{}, error) {
		panic("boom")
	})
	cs := connect(t, srv)
	_, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "boom"})
	if err == nil || !strings.Contains(err.Error(), "internal error") {
		t.Errorf("panic: %v", err)
	}
	if res := call(t, cs, "mother_status", nil); res.IsError {
		t.Errorf("after a panic: %s", text(res))
	}
}

// A remote mother that does not answer is an error, never a silent local
// search (knowledge.Asker's rule, kept by the tool).
func TestRemoteMotherDownIsAToolError(t *testing.T) {
	isolate(t)
	registerFixture(t)
	cs := connect(t, New(Options{Mother: "unix:///nonexistent/patina.sock"}))
	if res := call(t, cs, "scry", map[string]any{"query": "quasar", "project": fixtureName}); res.IsError {
		// unix:// counts as local: it falls back.
		t.Errorf("unix:// mother down: %s", text(res))
	}
	cs = connect(t, New(Options{Mother: "tcp://127.0.0.1:1"}))
	t.Setenv("PATINA_MOTHER_TOKEN", "x")
	res := call(t, cs, "scry", map[string]any{"query": "quasar", "project": fixtureName})
	if !res.IsError || !strings.Contains(text(res), "not answering") {
		t.Errorf("tcp mother down: IsError %v %q", res.IsError, text(res))
	}
}

// Engine errors are worded for the CLI; the tools name their own
// arguments instead.
func TestErrorsNameArgumentsNotFlags(t *testing.T) {
	isolate(t)
	registerFixture(t)
	cs := newSession(t) // its working directory is in no registered project
	for _, c := range []struct {
		tool string
		args map[string]any
		want []string
	}{
		{"scry", map[string]any{"query": "quasar"}, []string{"project or all_projects"}},
		{"scry", map[string]any{"query": "quasar", "project": "nosuch"}, []string{`unknown project "nosuch"`, "the projects tool"}},
		{"related", map[string]any{"path": "main.go"}, []string{"give project"}},
		{"related", map[string]any{"path": "main.go", "project": "nosuch"}, []string{"the projects tool"}},
		{"read", map[string]any{"path": "main.go"}, []string{"give project"}},
		{"read", map[string]any{"id": "nosuch:3"}, []string{"the projects tool"}},
	} {
		res := call(t, cs, c.tool, c.args)
		msg := text(res)
		for _, w := range c.want {
			if !res.IsError || !strings.Contains(msg, w) {
				t.Errorf("%s %v: %q; want an error saying %q", c.tool, c.args, msg, w)
			}
		}
		for _, flag := range []string{"--project", "--all-projects", "patina projects list"} {
			if strings.Contains(msg, flag) {
				t.Errorf("%s %v: %q names %s", c.tool, c.args, msg, flag)
			}
		}
		if c.tool != "scry" && strings.Contains(msg, "all_projects") {
			t.Errorf("%s %v: %q offers all_projects, which %s does not take", c.tool, c.args, msg, c.tool)
		}
	}
	if got := argWords("scry", "no project: name one (--project), use --all-projects, or run inside a registered project"); got != "no project: name one (the project argument), set all_projects, or run inside a registered project" {
		t.Errorf("argWords: %q", got)
	}
}

// A project scraped with embeddings names its model.
func TestProjectsToolNamesTheEmbeddingModel(t *testing.T) {
	isolate(t)
	root := indextest.Fixture(t)
	if _, err := index.Scrape(context.Background(), root, index.ScrapeOptions{Embedder: &indextest.WordEmbedder{Name: "words-8", ID: "w8", Dims: 8}}); err != nil {
		t.Fatal(err)
	}
	reg, _ := projects.Default()
	if _, _, err := reg.Add(root, "embedded"); err != nil {
		t.Fatal(err)
	}
	registerFixture(t)
	cs := newSession(t)
	res := call(t, cs, "projects", nil)
	var out ProjectsOutput
	structured(t, res, &out)
	models := map[string]string{}
	for _, p := range out.Projects {
		models[p.Name] = p.EmbeddingModel
	}
	if models["embedded"] != "words-8" || models[fixtureName] != "none" {
		t.Errorf("embedding models %v, want embedded: words-8, fixture: none", models)
	}
	if !strings.Contains(text(res), "embedding model words-8") {
		t.Errorf("text:\n%s", text(res))
	}
}

// bulkProject registers n files that all hold word, each with a long
// title and snippet, as project "bulk".
func bulkProject(t *testing.T, n int, word string) {
	t.Helper()
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	files := map[string]string{}
	for i := range n {
		files[fmt.Sprintf("notes/section-%04d.md", i)] = fmt.Sprintf("# A long heading for section %d of the bulk notes\n\n%s %s\n", i, word, strings.Repeat("filler words about nothing ", 12))
	}
	indextest.WriteFiles(t, root, files)
	if _, err := index.Scrape(context.Background(), root, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	reg, _ := projects.Default()
	if _, _, err := reg.Add(root, "bulk"); err != nil {
		t.Fatal(err)
	}
}

// limit 1000 comes in replies of at most 32 KiB each, text and structured
// alike, the cursor of each reaching the next until every result is seen
// once.
func TestScryReplyCapAndCursor(t *testing.T) {
	isolate(t)
	const n = 400
	bulkProject(t, n, "omnipresent")
	cs := newSession(t)
	args := map[string]any{"query": "omnipresent", "project": "bulk", "limit": 1000, "mode": "lexical"}
	seen := map[string]bool{}
	pages := 0
	for {
		res := call(t, cs, "scry", args)
		var out ScryOutput
		structured(t, res, &out)
		js, _ := json.Marshal(res.StructuredContent)
		pages++
		if len(text(res)) > 32<<10 || len(js) > 32<<10 {
			t.Fatalf("page %d: %d bytes of text, %d of JSON", pages, len(text(res)), len(js))
		}
		if out.Total != n || out.Count != len(out.Results) || out.Count == 0 || out.Offset != len(seen) {
			t.Fatalf("page %d: total %d count %d offset %d after %d seen", pages, out.Total, out.Count, out.Offset, len(seen))
		}
		for _, r := range out.Results {
			if seen[r.ID] {
				t.Errorf("page %d: %s again", pages, r.ID)
			}
			seen[r.ID] = true
		}
		if out.NextCursor == "" {
			break
		}
		if txt := text(res); !strings.Contains(txt, fmt.Sprintf("results %d-%d of %d", out.Offset+1, out.Offset+out.Count, n)) ||
			!strings.Contains(txt, `cursor "`+out.NextCursor+`"`) {
			t.Errorf("page %d text does not say where it is and how to go on:\n%.300s", pages, txt)
		}
		args["cursor"] = out.NextCursor
	}
	if len(seen) != n || pages < 3 {
		t.Errorf("%d results in %d pages, want %d in several", len(seen), pages, n)
	}

	// A cursor with other arguments, or a made-up one, is refused.
	var first ScryOutput
	structured(t, call(t, cs, "scry", map[string]any{"query": "omnipresent", "project": "bulk", "limit": 1000}), &first)
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"query": "omnipresent", "project": "bulk", "limit": 999, "cursor": first.NextCursor}, "other arguments"},
		{map[string]any{"query": "filler", "project": "bulk", "limit": 1000, "cursor": first.NextCursor}, "other arguments"},
		{map[string]any{"query": "omnipresent", "project": "bulk", "limit": 1000, "cursor": "eyJvIjo1fQ"}, "not one scry returned"},
		{map[string]any{"query": "omnipresent", "project": "bulk", "limit": 1000, "cursor": "!!"}, "not one scry returned"},
	} {
		res := call(t, cs, "scry", c.args)
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%v: %v %q; want an error saying %q", c.args, res.IsError, text(res), c.want)
		}
	}
	// A search that fits has no cursor.
	var small ScryOutput
	structured(t, call(t, cs, "scry", map[string]any{"query": "omnipresent", "project": "bulk", "limit": 5}), &small)
	if small.Count != 5 || small.Total != 5 || small.NextCursor != "" {
		t.Errorf("limit 5: %+v", small)
	}
}

// Results give the line to look at and their project's root; kind and
// path_prefix narrow the search.
func TestScryMatchLineRootsAndFilters(t *testing.T) {
	isolate(t)
	root := registerFixture(t)
	cs := newSession(t)
	res := call(t, cs, "scry", map[string]any{"query": indextest.WordReadme, "project": fixtureName})
	var out ScryOutput
	structured(t, res, &out)
	r := out.Results[0]
	if r.MatchLine != 11 || len(r.Excerpt) == 0 || !slices.ContainsFunc(r.Excerpt, func(l Line) bool { return l.Line == 11 && strings.Contains(l.Text, "«quasar»") }) ||
		out.Projects[fixtureName].Root != root || len(out.Projects) != 1 {
		t.Errorf("match line %d, excerpt %v, projects %v", r.MatchLine, r.Excerpt, out.Projects)
	}
	if txt := text(res); !strings.Contains(txt, "project fixture at "+root) || !strings.Contains(txt, "README.md:9-12 (line 11)") ||
		!strings.Contains(txt, "      11  Use apt to install the «quasar» package.") {
		t.Errorf("text:\n%s", txt)
	}

	for _, c := range []struct {
		args map[string]any
		ok   func(ScryResult) bool
	}{
		{map[string]any{"query": "fluxcapacitor", "kind": "commit"}, func(r ScryResult) bool { return r.Kind == "commit" }},
		{map[string]any{"query": "fluxcapacitor", "kind": "code"}, func(r ScryResult) bool { return r.Kind == "code" }},
		{map[string]any{"query": "guide tuning readme", "path_prefix": "docs"}, func(r ScryResult) bool { return strings.HasPrefix(r.Path, "docs/") || r.Kind == "commit" }}, // and the commits touching it
	} {
		c.args["project"] = fixtureName
		var out ScryOutput
		structured(t, call(t, cs, "scry", c.args), &out)
		if out.Count == 0 || slices.ContainsFunc(out.Results, func(r ScryResult) bool { return !c.ok(r) }) {
			t.Errorf("%v: %+v", c.args, out.Results)
		}
	}
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"query": "quasar", "project": fixtureName, "kind": "image"}, "kind"},
		{map[string]any{"query": "quasar", "project": fixtureName, "path_prefix": "../x"}, "path_prefix"},
	} {
		if res := call(t, cs, "scry", c.args); !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%v: %v %q", c.args, res.IsError, text(res))
		}
	}
}
