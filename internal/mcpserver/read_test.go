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

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/projects"
)

// canary is written into every file read must refuse; no byte of a
// refused read's reply may hold it.
const canary = "PATINA-CANARY-7f3a9c"

// privateKey is a file the content check finds, holding canary.
const privateKey = "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA" + canary + "\n-----END OPENSSH PRIVATE KEY-----\n"

// numbered is n lines "line 1" .. "line n", each padded to width bytes.
func numbered(n, width int) string {
	var b strings.Builder
	for i := 1; i <= n; i++ {
		l := fmt.Sprintf("line %d ", i)
		b.WriteString(l + strings.Repeat("x", max(0, width-len(l))) + "\n")
	}
	return b.String()
}

// readFixture is the fixture project with files for every read rule,
// scraped and registered as fixtureName, then changed the ways a scrape
// has not seen yet. It returns the root and a directory outside it.
func readFixture(t *testing.T) (root, outside string) {
	t.Helper()
	root = indextest.Fixture(t)
	outside, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	indextest.WriteFiles(t, outside, map[string]string{"secret.md": canary + "\n", "page.md": canary + "\n"})
	indextest.WriteFiles(t, root, map[string]string{
		"long.txt":               numbered(1000, 0),
		"wide.md":                numbered(300, 400), // 120 KB in 300 lines
		"oneline.txt":            strings.Repeat("y", 100<<10) + "\nshort\n",
		"empty.go":               "",
		"id_rsa":                 canary + "\n",
		"config/.env.production": "TOKEN=" + canary + "\n",
		"notes/key.txt":          "deploy key:\n" + privateKey,
		"later-key.md":           "# Notes\n\nharmless for now\n",
		"later-bin.md":           "# Data\n\nharmless for now\n",
		"docs/link.md":           "# Link\n\nharmless for now\n",
		"sub/page.md":            "# Page\n\nharmless for now\n",
	})
	if err := os.Symlink(filepath.Join(outside, "secret.md"), filepath.Join(root, "out.md")); err != nil {
		t.Fatal(err)
	}
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
	// What changed since the scrape: a key pasted in, text turned binary,
	// a file and a directory swapped for symlinks out of the project.
	indextest.WriteFiles(t, root, map[string]string{
		"later-key.md": "# Notes\n\n" + privateKey,
		"later-bin.md": "\x00\x01" + canary,
	})
	for _, swap := range [][2]string{{"docs/link.md", filepath.Join(outside, "secret.md")}, {"sub", outside}} {
		if err := os.RemoveAll(filepath.Join(root, swap[0])); err != nil {
			t.Fatal(err)
		}
		if err := os.Symlink(swap[1], filepath.Join(root, swap[0])); err != nil {
			t.Fatal(err)
		}
	}
	return root, outside
}

// readTool calls read and returns the decoded output.
func readTool(t *testing.T, cs *mcp.ClientSession, args map[string]any) (ReadOutput, *mcp.CallToolResult) {
	t.Helper()
	res := call(t, cs, "read", args)
	var out ReadOutput
	structured(t, res, &out)
	return out, res
}

// replyBytes is every byte of a reply: its text and its structured content.
func replyBytes(res *mcp.CallToolResult) string {
	b, _ := json.Marshal(res.StructuredContent)
	return text(res) + "\n" + string(b)
}

func fileLines(t *testing.T, root, rel string, from, to int) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(root, rel))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	return strings.Join(lines[from-1:to], "\n")
}

func TestReadByIDAndByPath(t *testing.T) {
	isolate(t)
	root, _ := readFixture(t)
	cs := newSession(t)

	var found ScryOutput
	structured(t, call(t, cs, "scry", map[string]any{"query": indextest.WordReadme, "project": fixtureName}), &found)
	hit := found.Results[0]
	if !strings.Contains(text(call(t, cs, "scry", map[string]any{"query": indextest.WordReadme, "project": fixtureName})), "id "+hit.ID) {
		t.Errorf("scry's text does not give the id %s to read", hit.ID)
	}
	out, res := readTool(t, cs, map[string]any{"id": hit.ID})
	if out.Project != fixtureName || out.Path != "README.md" || out.Kind != "file" || out.StartLine != 9 || out.EndLine != 12 ||
		out.Text != fileLines(t, root, "README.md", 9, 12) || out.TotalLines != 19 || out.NextCursor != "" || out.Via != "in-process" {
		t.Errorf("read %s: %+v", hit.ID, out)
	}
	if txt := text(res); !strings.HasPrefix(txt, "fixture:README.md lines 9-12 of 19") || !strings.Contains(txt, "     9\t### Linux\n    10\t\n    11\tUse apt to install the quasar package.") {
		t.Errorf("text:\n%s", txt)
	}

	// A path and a range, a range past the end (clamped), the whole of a
	// small file, an empty file.
	out, _ = readTool(t, cs, map[string]any{"project": fixtureName, "path": "main.go", "start_line": 5, "end_line": 8})
	if out.StartLine != 5 || out.EndLine != 8 || out.Text != fileLines(t, root, "main.go", 5, 8) {
		t.Errorf("main.go 5-8: %+v", out)
	}
	out, _ = readTool(t, cs, map[string]any{"project": fixtureName, "path": "./docs//guide.md", "start_line": 5, "end_line": 500})
	if out.Path != "docs/guide.md" || out.StartLine != 5 || out.EndLine != 7 || out.TotalLines != 7 || out.NextCursor != "" {
		t.Errorf("guide 5-500: %+v", out)
	}
	out, _ = readTool(t, cs, map[string]any{"project": fixtureName, "path": "util/strings.go"})
	if out.StartLine != 1 || out.EndLine != 10 || out.Text+"\n" != indextest.FixtureFiles["util/strings.go"] {
		t.Errorf("whole util/strings.go: %+v", out)
	}
	out, _ = readTool(t, cs, map[string]any{"project": fixtureName, "path": "empty.go"})
	if out.TotalLines != 0 || out.Text != "" || out.EndLine != 0 {
		t.Errorf("empty file: %+v", out)
	}

	// From inside the project, no project named.
	t.Chdir(filepath.Join(root, "docs"))
	cs = newSession(t)
	if out, _ := readTool(t, cs, map[string]any{"path": "README.md", "start_line": 1, "end_line": 1}); out.Text != "# Patina Fixture" {
		t.Errorf("read from the project's directory: %+v", out)
	}
}

// A long read comes in bounded parts, each cursor picking up where the
// last stopped, until the whole range is read.
func TestReadBoundsAndCursor(t *testing.T) {
	isolate(t)
	root, _ := readFixture(t)
	cs := newSession(t)
	for _, c := range []struct {
		path   string
		args   map[string]any
		parts  []int // end line of each part
		from   int
		to     int
		within func(ReadOutput) bool
	}{
		{"long.txt", nil, []int{400, 800, 1000}, 1, 1000, func(o ReadOutput) bool { return o.EndLine-o.StartLine+1 <= 400 }},
		{"long.txt", map[string]any{"start_line": 350, "end_line": 760}, []int{749, 760}, 350, 760, nil},
		{"wide.md", nil, nil, 1, 300, func(o ReadOutput) bool { return len(o.Text) <= 64<<10 }},
	} {
		args := map[string]any{"project": fixtureName, "path": c.path}
		for k, v := range c.args {
			args[k] = v
		}
		var got []string
		var ends []int
		next := c.from
		for part := 0; ; part++ {
			out, res := readTool(t, cs, args)
			if out.StartLine != next || (c.within != nil && !c.within(out)) || len(out.Text) > 64<<10 || out.EndLine-out.StartLine >= 400 {
				t.Fatalf("%s part %d: lines %d-%d, %d bytes", c.path, part, out.StartLine, out.EndLine, len(out.Text))
			}
			got, ends, next = append(got, out.Text), append(ends, out.EndLine), out.EndLine+1
			if out.NextCursor == "" {
				break
			}
			if !strings.Contains(text(res), `more: call read with cursor "`+out.NextCursor+`"`) {
				t.Errorf("%s: the text does not hand out the cursor:\n%.200s", c.path, text(res)[len(text(res))-200:])
			}
			args = map[string]any{"cursor": out.NextCursor}
		}
		if strings.Join(got, "\n") != fileLines(t, root, c.path, c.from, c.to) {
			t.Errorf("%s: the parts do not make up lines %d-%d", c.path, c.from, c.to)
		}
		if c.parts != nil && !slices.Equal(ends, c.parts) {
			t.Errorf("%s: parts ending at %v, want %v", c.path, ends, c.parts)
		}
		if c.path == "wide.md" && len(ends) < 2 {
			t.Errorf("wide.md: 120 KB in one part")
		}
	}

	// A line longer than the byte bound is cut, and the read goes on.
	out, _ := readTool(t, cs, map[string]any{"project": fixtureName, "path": "oneline.txt"})
	if out.StartLine != 1 || out.EndLine != 1 || len(out.Text) != 64<<10 || out.NextCursor == "" || !strings.Contains(strings.Join(out.Notes, " "), "cut") {
		t.Errorf("a 100 KiB line: lines %d-%d, %d bytes, notes %q", out.StartLine, out.EndLine, len(out.Text), out.Notes)
	}
	if next, _ := readTool(t, cs, map[string]any{"cursor": out.NextCursor}); next.StartLine != 2 || next.Text != "short" {
		t.Errorf("after the long line: %+v", next)
	}

	// A cursor is checked like a fresh read: the file changed since, a
	// forged one, one with other arguments.
	first, _ := readTool(t, cs, map[string]any{"project": fixtureName, "path": "long.txt"})
	indextest.WriteFiles(t, root, map[string]string{"long.txt": "changed\n" + numbered(1000, 0)})
	for _, c := range []struct {
		args map[string]any
		want string
	}{
		{map[string]any{"cursor": first.NextCursor}, "long.txt changed since"},
		{map[string]any{"cursor": "bm9wZQ"}, "cursor is not one a read returned"},
		{map[string]any{"cursor": first.NextCursor, "start_line": 3}, "cursor is not one a read returned"},
		{map[string]any{"cursor": first.NextCursor, "project": "other"}, "cursor is not one a read returned"},
		{map[string]any{"cursor": first.NextCursor, "path": "long.txt"}, "give one of id"},
	} {
		res := call(t, cs, "read", c.args)
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%v: %v %q, want an error saying %q", c.args, res.IsError, text(res), c.want)
		}
	}
}

// Everything read must refuse, it refuses with a reason and without a
// byte of the file.
func TestReadRefusals(t *testing.T) {
	isolate(t)
	root, outside := readFixture(t)
	cs := newSession(t)
	p := func(path string) map[string]any { return map[string]any{"project": fixtureName, "path": path} }
	for _, c := range []struct {
		name string
		args map[string]any
		want string
	}{
		{".env", p(".env"), "credentials"},
		{".env.production", p("config/.env.production"), "credentials"},
		{"id_rsa", p("id_rsa"), "credentials"},
		{"a file holding a private key (never indexed)", p("notes/key.txt"), "not a file indexed"},
		{"a key pasted in since the scrape", p("later-key.md"), "private key"},
		{"a binary (never indexed)", p("blob.bin"), "not a file indexed"},
		{"a file turned binary since", p("later-bin.md"), "binary"},
		{"over 1 MiB", p("big.txt"), "not a file indexed"},
		{"gitignored", p("ignored.txt"), "not a file indexed"},
		{"vendored", p("vendor/lib/lib.go"), "never indexes"},
		{"in .git", p(".git/config"), "never indexes"},
		{"the index itself", p(".patina/local/index.db"), "never indexes"},
		{"..", p("../../etc/passwd"), "must not contain .."},
		{".. inside", p("docs/../README.md"), "must not contain .."},
		{"absolute", p("/etc/passwd"), "not absolute"},
		{"absolute inside the project", p(filepath.Join(root, "README.md")), "not absolute"},
		{"absolute outside", p(filepath.Join(outside, "secret.md")), "not absolute"},
		{"a symlink out (never indexed)", p("out.md"), "not a file indexed"},
		{"a file swapped for a symlink out", p("docs/link.md"), "outside the project"},
		{"a directory swapped for a symlink out", p("sub/page.md"), "outside the project"},
		{"the root", p("."), "project root"},
		{"a directory", p("docs"), "not a file indexed"},
		{"unregistered project", map[string]any{"project": "nosuch", "path": "README.md"}, `unknown project "nosuch"`},
		{"unregistered project by id", map[string]any{"id": "nosuch:1"}, `unknown project "nosuch"`},
		{"a path for a project name", map[string]any{"project": "../..", "path": "README.md"}, "invalid project name"},
		{"not an id", map[string]any{"id": "fixture:README.md"}, "not a scry result id"},
		{"id and path", map[string]any{"id": "fixture:1", "path": "README.md"}, "give one of id"},
		{"id and lines", map[string]any{"id": "fixture:1", "start_line": 2}, "an id reads its chunk's lines"},
		{"id of another project", map[string]any{"id": "fixture:1", "project": "other"}, "is in project fixture, not other"},
		{"nothing", map[string]any{}, "give one of id"},
		{"no project outside any", map[string]any{"path": "README.md"}, "give project"},
		{"lines reversed", map[string]any{"project": fixtureName, "path": "main.go", "start_line": 5, "end_line": 3}, "end_line is before start_line"},
		{"line 0", map[string]any{"project": fixtureName, "path": "main.go", "start_line": 0}, "start_line"},
		{"past the end", map[string]any{"project": fixtureName, "path": "main.go", "start_line": 99}, "past the end of main.go (13 lines)"},
		{"not a commit", p("git:xyz!"), "is not a commit"},
		{"no such commit", p("git:0000000"), "no indexed commit git:0000000"},
	} {
		res := call(t, cs, "read", c.args)
		all := replyBytes(res)
		if !res.IsError || !strings.Contains(text(res), c.want) {
			t.Errorf("%s: IsError %v, %q; want an error saying %q", c.name, res.IsError, text(res), c.want)
		}
		for _, secret := range []string{canary, indextest.WordSkipped, "PRIVATE KEY", "harmless"} {
			if strings.Contains(all, secret) {
				t.Errorf("%s: the reply holds %q: %s", c.name, secret, all)
			}
		}
		if strings.Contains(all, root) || strings.Contains(all, outside) {
			t.Errorf("%s: the reply names a directory: %s", c.name, all)
		}
	}
}

func TestReadCommit(t *testing.T) {
	isolate(t)
	root := registerFixture(t)
	cs := newSession(t)
	var found ScryOutput
	structured(t, call(t, cs, "scry", map[string]any{"query": indextest.WordCommit, "project": fixtureName}), &found)
	i := slices.IndexFunc(found.Results, func(r ScryResult) bool { return r.Kind == "commit" })
	if i < 0 {
		t.Fatalf("no commit found: %+v", found)
	}
	hit := found.Results[i]
	out, res := readTool(t, cs, map[string]any{"id": hit.ID})
	c := out.Commit
	if out.Kind != "commit" || out.Path != hit.Path || c == nil || len(c.Hash) != 40 || c.Message != indextest.FixtureCommits[1] ||
		c.Date != "2024-02-02T10:00:00Z" || !slices.Equal(c.Files, []string{"main.go", "util/strings.go"}) || c.FilesChanged != 2 {
		t.Fatalf("read %s: %+v %+v", hit.ID, out, c)
	}
	if txt := text(res); !strings.Contains(txt, c.Hash) || !strings.Contains(txt, "2024-02-02") || !strings.Contains(txt, "  util/strings.go\n") ||
		!strings.Contains(txt, indextest.WordCommit) {
		t.Errorf("text:\n%s", txt)
	}
	// By path, with the hash scry gives or any unique prefix of it.
	for _, p := range []string{hit.Path, "git:" + c.Hash, "git:" + strings.ToUpper(c.Hash[:6])} {
		if byPath, _ := readTool(t, cs, map[string]any{"project": fixtureName, "path": p}); byPath.Commit == nil || byPath.Commit.Hash != c.Hash {
			t.Errorf("read %s: %+v", p, byPath)
		}
	}
	// The last commit added .env and vendored files too: counted, never
	// named.
	head := strings.TrimSpace(indextest.Git(t, root, "rev-parse", "HEAD"))
	out, res = readTool(t, cs, map[string]any{"project": fixtureName, "path": "git:" + head[:10]})
	if c := out.Commit; c == nil || !slices.Equal(c.Files, []string{"big.txt", "blob.bin", "docs/guide.md"}) || c.FilesChanged != 6 ||
		strings.Contains(replyBytes(res), ".env") || strings.Contains(replyBytes(res), "vendor/") {
		t.Errorf("last commit: %+v %s", c, replyBytes(res))
	}
}

// An id is good until its chunk changes: then read says to scry again.
func TestReadStaleID(t *testing.T) {
	isolate(t)
	root := registerFixture(t)
	cs := newSession(t)
	var found ScryOutput
	structured(t, call(t, cs, "scry", map[string]any{"query": indextest.WordCode, "project": fixtureName}), &found)
	hit := found.Results[0]
	if hit.Path != "main.go" {
		t.Fatalf("fluxcapacitor: %+v", hit)
	}
	changed := strings.Replace(indextest.FixtureFiles["main.go"], "1.21 gigawatts", "2.42 gigawatts", 1)
	indextest.WriteFiles(t, root, map[string]string{"main.go": changed})
	res := call(t, cs, "read", map[string]any{"id": hit.ID})
	if !res.IsError || !strings.Contains(text(res), "main.go has changed since it was indexed") || !strings.Contains(text(res), "scry again") {
		t.Errorf("file changed, not re-indexed: %v %q", res.IsError, text(res))
	}
	if _, err := index.Scrape(context.Background(), root, index.ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	res = call(t, cs, "read", map[string]any{"id": hit.ID})
	if !res.IsError || !strings.Contains(text(res), "is out of date") || !strings.Contains(text(res), "scry again for current ids") {
		t.Errorf("chunk re-indexed: %v %q", res.IsError, text(res))
	}
	structured(t, call(t, cs, "scry", map[string]any{"query": indextest.WordCode, "project": fixtureName}), &found)
	if out, _ := readTool(t, cs, map[string]any{"id": found.Results[0].ID}); !strings.Contains(out.Text, "2.42 gigawatts") {
		t.Errorf("a fresh id: %+v", out)
	}
}

// A file the system will not open is named, with the system's reason,
// and not where the project lies.
func TestReadUnreadableFile(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads any file")
	}
	isolate(t)
	root := registerFixture(t)
	if err := os.Chmod(filepath.Join(root, "main.go"), 0); err != nil {
		t.Fatal(err)
	}
	cs := newSession(t)
	res := call(t, cs, "read", map[string]any{"project": fixtureName, "path": "main.go"})
	if !res.IsError || text(res) != "main.go cannot be read: permission denied" {
		t.Errorf("unreadable: %v %q", res.IsError, text(res))
	}
}
