package index

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
)

// TestDeclFields: a code chunk's names field lists what it declares
// (nested methods and Go group members too, compounds split into words),
// and its docs field the comments and docstrings that document them.
func TestDeclFields(t *testing.T) {
	for _, tc := range []struct {
		file, src   string
		names, docs []string // each must be in the field
		notDocs     []string // must not be
	}{
		{"store.go", `// Copyright 2026 the authors. Licensed under the MIT licence.

// Package store keeps the records.
package store

// ErrGone means the record was deleted.
var ErrGone = errors.New("gone")

var (
	// maxRecords bounds a store.
	maxRecords = 10
	defaultTTL = time.Hour
)

// RecordStore holds records in memory.
type RecordStore struct{ m map[string]string }

// Lookup finds a record by its key.
func (s *RecordStore) Lookup(key string) string {
	// a comment inside the body
	return s.m[key]
}
`, []string{"ErrGone", "err gone", "maxRecords", "max records", "defaultTTL", "RecordStore", "record store", "Lookup"},
			[]string{"Package store keeps the records.", "means the record was deleted", "bounds a store", "holds records in memory", "finds a record by its key"},
			[]string{"Copyright", "inside the body"}},
		{"pool.py", `class ThreadPool:
    """Run calls on a fixed set of worker threads."""

    def submit_job(self, fn,
                   *args):
        """Queue fn to run on a worker."""
        pass

    # Drain the queue before stopping.
    async def shut_down(self):
        pass
`, []string{"ThreadPool", "thread pool", "submit_job", "submit job", "shut_down"},
			[]string{"Run calls on a fixed set of worker threads.", "Queue fn to run on a worker.", "Drain the queue before stopping."}, nil},
		{"server.rs", `/// Serves the API.
pub struct Server;

impl Server {
    /// Starts listening.
    pub(crate) async fn listen_on(&self) {}
}
`, []string{"Server", "listen_on"}, []string{"Serves the API.", "Starts listening."}, nil},
		{"app.ts", `/** Renders the page. */
export const renderPage = async (req) => {
};
export default class PageCache {}
`, []string{"renderPage", "render page", "PageCache"}, []string{"Renders the page."}, nil},
	} {
		chunks := splitFile(tc.file, tc.src)
		var names, docs string
		for _, c := range chunks {
			names += " " + c.Names
			docs += " " + c.Docs
		}
		for _, n := range tc.names {
			if !strings.Contains(names, n) {
				t.Errorf("%s: names %q lack %q", tc.file, names, n)
			}
		}
		for _, d := range tc.docs {
			if !strings.Contains(docs, d) {
				t.Errorf("%s: docs %q lack %q", tc.file, docs, d)
			}
		}
		for _, d := range tc.notDocs {
			if strings.Contains(docs, d) {
				t.Errorf("%s: docs %q hold %q", tc.file, docs, d)
			}
		}
	}
	// A Markdown section is named by its heading path; text before the
	// first heading, by nothing (its title is the file).
	md := splitFile("docs/a.md", "Intro.\n\n# Setup\n\n## Linux\n\nRun it.\n")
	if len(md) != 2 || md[0].Names != "" || md[1].Names != "Setup > Linux" {
		t.Errorf("markdown names: %+v", md)
	}
}

func TestPathField(t *testing.T) {
	for in, want := range map[string]string{
		"internal/index/search.go":          "internal index search",
		"mcp/ServerSession.java":            "mcp serversession server session",
		"cmd/patina-eval/main.go":           "cmd patina eval main",
		"src/index/index.rs":                "src index",
		"streamable_server.go":              "streamable server",
		"README":                            "readme",
		".gitignore":                        "gitignore",
		"docs/HTTPServer.md":                "docs httpserver http server",
		"a/b.tar.gz":                        "a b tar",
		"layer/sessions/20260203-164327.md": "layer sessions 20260203 164327",
	} {
		if got := pathField(in); got != want {
			t.Errorf("pathField(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestSearchFields: a word only in a chunk's path, names or docs field
// finds it, and the weights decide between fields.
func TestSearchFields(t *testing.T) {
	root := t.TempDir()
	indextest.WriteFiles(t, root, map[string]string{
		"internal/recipients/parse.go": "package recipients\n\nfunc a() {}\n",
		"other.go":                     "package other\n\n// QuillFeather is documented here.\nfunc Render() {}\n",
		"names.go":                     "package names\n\nfunc NebulaCounter() {}\n",
		"body.go":                      "package body\n\nfunc x() { nebula := 1; counter := nebula }\n",
	})
	db := openAt(t, root)
	mustScrape(t, db, root, ScrapeOptions{NoGit: true})
	if hits := search(t, db, "recipients"); len(hits) != 1 || hits[0].Path != "internal/recipients/parse.go" {
		t.Errorf("path words: %+v", hits)
	}
	if hits := search(t, db, "quillfeather"); len(hits) != 1 || hits[0].Path != "other.go" {
		t.Errorf("docs: %+v", hits)
	}
	// "nebula counter" is a name in names.go and two words of a body in
	// body.go: the names field counts more.
	if hits := search(t, db, "nebula", "counter"); len(hits) != 2 || hits[0].Path != "names.go" {
		t.Errorf("names above body: %+v", hits)
	}
	// With the names field weighed at nothing, the body wins.
	hits, err := db.SearchLexical(ctx, LexicalQuery{Terms: []string{"nebula", "counter"}, ColumnWeights: []float64{0, 1, 1.5, 0, 1}})
	if err != nil || len(hits) != 2 || hits[0].Path != "body.go" {
		t.Errorf("names weighed 0: %+v %v", hits, err)
	}
}

// historyRepo is a repository whose commits touch files in known
// combinations: a.go and b.go change together three times, a.go and c.go
// once, and one commit touches every file (a sweep, over the co-change
// cap when there are more files than MaxCoChangeFiles).
func historyRepo(t *testing.T) string {
	t.Helper()
	root := t.TempDir()
	indextest.Git(t, root, "init", "-q")
	day := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	commit := func(msg string, files ...string) {
		for _, f := range files {
			indextest.WriteFiles(t, root, map[string]string{f: fmt.Sprintf("package p // %s %s\n", f, msg)})
		}
		indextest.GitAt(t, root, day, "add", "-A")
		indextest.GitAt(t, root, day, "commit", "-q", "-m", msg)
		day = day.Add(24 * time.Hour)
	}
	commit("start the parser", "a.go", "b.go")
	commit("teach the parser comments", "a.go", "b.go")
	commit("parser errors name the line", "a.go", "b.go", "docs/parser.md")
	commit("lexer shares the buffer", "a.go", "c.go")
	commit("rename the old helper", "old.go")
	commit("keys for the deploy", "deploy/id_ed25519", "deploy/notes.md")
	indextest.GitAt(t, root, day, "mv", "old.go", "new.go")
	indextest.GitAt(t, root, day, "commit", "-q", "-m", "move old helper to new")
	var sweep []string
	for i := range MaxCoChangeFiles + 1 {
		sweep = append(sweep, fmt.Sprintf("gen/f%02d.go", i))
	}
	commit("regenerate everything", append(sweep, "a.go", "b.go")...)
	return root
}

func TestCommitFiles(t *testing.T) {
	root := historyRepo(t)
	db := openAt(t, root)
	sum := mustScrape(t, db, root, ScrapeOptions{})
	if sum.CommitsAdded != 8 {
		t.Fatalf("commits: %+v", sum)
	}
	// The commit found by its subject, and the files it touched.
	hits := search(t, db, "lexer", "shares", "buffer")
	if len(hits) == 0 || hits[0].Kind != KindCommit {
		t.Fatalf("commit search: %+v", hits)
	}
	touched, err := db.TouchedBy(ctx, []int64{hits[0].ChunkID})
	if err != nil {
		t.Fatal(err)
	}
	if got := touched[hits[0].ChunkID]; !slices.Equal(got.Files, []string{"a.go", "c.go"}) || got.FilesChanged != 2 {
		t.Errorf("touched: %+v", got)
	}
	// A rename touches both names; only the file still there is listed.
	hits = search(t, db, "move", "helper")
	touched, err = db.TouchedBy(ctx, []int64{hits[0].ChunkID})
	if got := touched[hits[0].ChunkID]; err != nil || !slices.Equal(got.Files, []string{"new.go"}) || got.FilesChanged != 2 {
		t.Errorf("rename: %+v %v", got, err)
	}
	// A commit's path words are those of the files it touched.
	if hits := search(t, db, "docs"); !slices.ContainsFunc(hits, func(h Hit) bool { return h.Kind == KindCommit && strings.Contains(h.Title, "errors name the line") }) {
		t.Errorf("commit by a touched file's path: %+v", hits)
	}
	// A file scrape refuses lends the commit no words.
	if hits := search(t, db, "ed25519"); len(hits) != 0 {
		t.Errorf("a refused file's name found: %+v", hits)
	}
	if hits := search(t, db, "deploy"); len(hits) == 0 {
		t.Errorf("the commit by its other file's path: %+v", hits)
	}
	// Non-commits are left out.
	code := search(t, db, "package")
	if touched, err := db.TouchedBy(ctx, []int64{code[0].ChunkID}); err != nil || len(touched) != 0 {
		t.Errorf("touched by a file chunk: %+v %v", touched, err)
	}
	heads, err := db.FileHeads(ctx, []string{"a.go", "docs/parser.md", "gone.go"})
	if err != nil || len(heads) != 2 || heads["a.go"].Path != "a.go" || heads["docs/parser.md"].StartLine != 1 {
		t.Errorf("heads: %+v %v", heads, err)
	}
}

func TestCoChanged(t *testing.T) {
	root := historyRepo(t)
	db := openAt(t, root)
	mustScrape(t, db, root, ScrapeOptions{})
	cc, total, err := db.CoChanged(ctx, "a.go", 10)
	if err != nil {
		t.Fatal(err)
	}
	// The sweep is over the cap: four commits count, b.go in three.
	if total != 4 || len(cc) != 3 {
		t.Fatalf("a.go: %d commits, %+v", total, cc)
	}
	if cc[0].Path != "b.go" || cc[0].Commits != 3 || cc[0].Share != 0.75 || cc[0].Last.Subject != "parser errors name the line" {
		t.Errorf("first: %+v", cc[0])
	}
	// c.go and docs/parser.md each once: the newer shared commit first.
	if cc[1].Path != "c.go" || cc[1].Commits != 1 || cc[2].Path != "docs/parser.md" || len(cc[1].Last.Hash) != 40 {
		t.Errorf("rest: %+v", cc[1:])
	}
	if cc, _, err := db.CoChanged(ctx, "a.go", 1); err != nil || len(cc) != 1 || cc[0].Path != "b.go" {
		t.Errorf("limit 1: %+v %v", cc, err)
	}
	// No history worth the name: a file only the sweep touched.
	if cc, total, err := db.CoChanged(ctx, "gen/f00.go", 10); err != nil || total != 0 || len(cc) != 0 {
		t.Errorf("sweep only: %+v %d %v", cc, total, err)
	}
	if _, _, err := db.CoChanged(ctx, "missing.go", 10); !errors.Is(err, ErrNotIndexed) {
		t.Errorf("missing file: %v", err)
	}
	// A scrape of a subdirectory records paths relative to it.
	sub := openAt(t, root+"/docs")
	mustScrape(t, sub, root+"/docs", ScrapeOptions{})
	if cc, total, err := sub.CoChanged(ctx, "parser.md", 10); err != nil || total != 1 || len(cc) != 0 {
		t.Errorf("subdir: %+v %d %v", cc, total, err)
	}
}

func TestParseLog(t *testing.T) {
	out := "\x01" + strings.Repeat("a", 40) + "\x00aaaaaaa\x001700000000\x00subject\n\nbody\n\x00\na.go\x00dir/b c.go\x00" +
		"\x01" + strings.Repeat("b", 40) + "\x00bbbbbbb\x001700000001\x00merge\n\x00"
	cs, err := parseLog(out)
	if err != nil || len(cs) != 2 {
		t.Fatalf("%+v %v", cs, err)
	}
	if cs[0].message != "subject\n\nbody" || !slices.Equal(cs[0].files, []string{"a.go", "dir/b c.go"}) || cs[0].filesChanged != 2 {
		t.Errorf("first: %+v", cs[0])
	}
	if cs[1].message != "merge" || len(cs[1].files) != 0 {
		t.Errorf("second: %+v", cs[1])
	}
	// A path may start with \x01; only \x01, a full hash and a NUL start
	// a commit.
	odd := "\x01" + strings.Repeat("c", 40) + "\x00ccccccc\x001700000002\x00odd\x00\n\x01weird.txt\x00b.go\x00"
	if cs, err := parseLog(odd); err != nil || len(cs) != 1 || !slices.Equal(cs[0].files, []string{"\x01weird.txt", "b.go"}) {
		t.Errorf("a path starting with \\x01: %+v %v", cs, err)
	}
	for _, bad := range []string{"x", "\x01h\x00s", "\x01h\x00s\x00notadate\x00m\x00", "\x01" + strings.Repeat("a", 40) + "\x00s\x00notadate\x00m\x00"} {
		if _, err := parseLog(bad); err == nil {
			t.Errorf("parseLog(%q): no error", bad)
		}
	}
}

// TestCoChangedLastFollowsHistory: the newest shared commit is the last
// one in history, whatever its author date says.
func TestCoChangedLastFollowsHistory(t *testing.T) {
	root := t.TempDir()
	indextest.Git(t, root, "init", "-q")
	for i, at := range []time.Time{
		time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC),
		time.Date(2025, 1, 1, 23, 0, 0, 0, time.UTC), // backdated
	} {
		indextest.WriteFiles(t, root, map[string]string{"a.go": fmt.Sprint("package a // ", i), "b.go": fmt.Sprint("package b // ", i)})
		indextest.GitAt(t, root, at, "add", "-A")
		indextest.GitAt(t, root, at, "commit", "-q", "-m", []string{"one", "two", "three"}[i])
	}
	db := openAt(t, root)
	mustScrape(t, db, root, ScrapeOptions{})
	cc, total, err := db.CoChanged(ctx, "a.go", 10)
	if err != nil || total != 3 || len(cc) != 1 || cc[0].Commits != 3 || cc[0].Last.Subject != "three" {
		t.Errorf("%+v %d %v; want b.go, 3 commits, last \"three\"", cc, total, err)
	}
}
