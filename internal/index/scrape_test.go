package index

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/paths"
)

var ctx = context.Background()

func search(t *testing.T, db *DB, terms ...string) []Hit {
	t.Helper()
	hits, err := db.SearchLexical(ctx, LexicalQuery{Terms: terms, Limit: 50, MarkStart: "«", MarkEnd: "»"})
	if err != nil {
		t.Fatalf("search %q: %v", terms, err)
	}
	return hits
}

func mustScrape(t *testing.T, db *DB, root string, opts ScrapeOptions) Summary {
	t.Helper()
	sum, err := db.Scrape(ctx, root, opts)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	return sum
}

func openAt(t *testing.T, root string) *DB {
	t.Helper()
	db, err := Open(paths.ProjectIndex(root))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestScrapeFixture(t *testing.T) {
	root := indextest.Fixture(t)
	sum, err := Scrape(ctx, root, ScrapeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !sum.Git || sum.Root != root || sum.Index != paths.ProjectIndex(root) {
		t.Errorf("summary header: %+v", sum)
	}
	// README.md, docs/guide.md, main.go, util/strings.go, .gitignore.
	if sum.FilesIndexed != 5 || sum.FilesRemoved != 0 || sum.CommitsAdded != 3 || sum.Writes == 0 {
		t.Errorf("summary counts: %+v", sum)
	}
	wantSkips := map[string]int{skipSensitive: 1, skipBinary: 1, skipTooLarge: 1}
	for k, v := range wantSkips {
		if sum.Skipped[k] != v {
			t.Errorf("skipped[%s] = %d, want %d (%v)", k, sum.Skipped[k], v, sum.Skipped)
		}
	}
	if sum.FilesSeen != sum.FilesIndexed+sum.FilesSkipped {
		t.Errorf("seen %d != indexed %d + skipped %d", sum.FilesSeen, sum.FilesIndexed, sum.FilesSkipped)
	}

	db, err := OpenReadOnly(paths.ProjectIndex(root))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()

	hits := search(t, db, indextest.WordReadme)
	if len(hits) != 1 {
		t.Fatalf("readme word: %+v", hits)
	}
	h := hits[0]
	if h.Path != "README.md" || h.Kind != KindDoc || h.Title != "Patina Fixture > Install > Linux" ||
		h.StartLine != 9 || h.EndLine != 12 || !strings.Contains(h.Snippet, "«quasar»") || h.Score <= 0 {
		t.Errorf("readme hit: %+v", h)
	}

	hits = search(t, db, indextest.WordGuide)
	if len(hits) != 1 || hits[0].Path != "docs/guide.md" || hits[0].Title != "Guide > Tuning" {
		t.Errorf("guide hit: %+v", hits)
	}

	hits = search(t, db, indextest.WordCode)
	var code, commit *Hit
	for i := range hits {
		switch hits[i].Kind {
		case KindCode:
			code = &hits[i]
		case KindCommit:
			commit = &hits[i]
		}
	}
	if code == nil || code.Path != "main.go" || code.Title != "main.go: main, fluxcapacitor" ||
		code.StartLine != 1 || code.EndLine != 13 || !strings.Contains(code.Snippet, "«fluxcapacitor»") {
		t.Errorf("code hit: %+v", code)
	}
	if commit == nil || !strings.HasPrefix(commit.Title, "2024-02-02 ") || !strings.HasSuffix(commit.Title, " Add fluxcapacitor") {
		t.Errorf("commit hit for code word: %+v", commit)
	}

	hits = search(t, db, indextest.WordCommit)
	if len(hits) != 1 || hits[0].Kind != KindCommit || !strings.HasPrefix(hits[0].Path, "git:") ||
		hits[0].StartLine != 1 || hits[0].EndLine != 3 || !strings.Contains(hits[0].Snippet, "«chronosynclastic»") {
		t.Errorf("commit hit: %+v", hits)
	}
	short := strings.TrimPrefix(hits[0].Path, "git:")
	if !strings.Contains(hits[0].Title, " "+short+" ") {
		t.Errorf("commit title %q lacks short hash %s", hits[0].Title, short)
	}

	if hits := search(t, db, indextest.WordSkipped); len(hits) != 0 {
		t.Errorf("skipped files were indexed: %+v", hits)
	}
	// A Markdown comment inside a fence is not a heading.
	for _, h := range search(t, db, "zephyr") {
		if strings.Contains(h.Title, "not a heading") {
			t.Errorf("fence comment became a heading: %+v", h)
		}
	}
	// Porter stemming: "installing" finds "install".
	if hits := search(t, db, "installing"); len(hits) == 0 {
		t.Errorf("stemming: no hits for installing")
	}

	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files != 5 || st.Commits != 3 || st.Chunks != st.Docs+st.Code+st.Commits || st.Bytes == 0 {
		t.Errorf("stats: %+v", st)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
	// The index directory ignores itself, and is private.
	gi, err := os.ReadFile(filepath.Join(filepath.Dir(paths.ProjectIndex(root)), ".gitignore"))
	if err != nil || !strings.Contains(string(gi), "*") {
		t.Errorf("index dir .gitignore: %q %v", gi, err)
	}
	if out := indextest.Git(t, root, "status", "--porcelain", "--", ".patina"); out != "" {
		t.Errorf("git status shows the index: %q", out)
	}
	fi, _ := os.Stat(paths.ProjectIndex(root))
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("index mode %v", fi.Mode())
	}
}

// fileState is what "no writes" compares: the main file's bytes and mtime.
type fileState struct {
	sum   [32]byte
	mtime time.Time
}

func stateOf(t *testing.T, path string) fileState {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(path)
	return fileState{sha256.Sum256(b), fi.ModTime()}
}

// assertNoWrites scrapes root again and proves nothing was written: no
// transaction, an empty WAL, and the database file unchanged byte for byte
// after the connection closes.
func assertNoWrites(t *testing.T, root string) {
	t.Helper()
	dbPath := paths.ProjectIndex(root)
	before := stateOf(t, dbPath)
	db, err := Open(dbPath)
	if err != nil {
		t.Fatal(err)
	}
	sum := mustScrape(t, db, root, ScrapeOptions{})
	if sum.Writes != 0 || sum.FilesIndexed != 0 || sum.FilesRemoved != 0 || sum.ChunksAdded != 0 || sum.CommitsAdded != 0 {
		t.Errorf("unchanged tree: %+v", sum)
	}
	if fi, err := os.Stat(dbPath + "-wal"); err == nil && fi.Size() != 0 {
		t.Errorf("WAL grew to %d bytes on an unchanged tree", fi.Size())
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	if after := stateOf(t, dbPath); after != before {
		t.Errorf("index.db changed on an unchanged tree")
	}
}

func TestScrapeIncremental(t *testing.T) {
	root := indextest.Fixture(t)
	if _, err := Scrape(ctx, root, ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Run("unchanged", func(t *testing.T) { assertNoWrites(t, root) })

	db := openAt(t, root)
	usage := search(t, db, "zephyr", "run")
	var usageID int64
	var usageStart int
	for _, h := range usage {
		if h.Title == "Patina Fixture > Usage" {
			usageID, usageStart = h.ChunkID, h.StartLine
		}
	}
	if usageID == 0 {
		t.Fatalf("no Usage chunk: %+v", usage)
	}

	// Edit (a new first line, and a word replaced), delete, rename, commit.
	readme := strings.Replace(indextest.FixtureFiles["README.md"], "quasar", "pulsar", 1)
	indextest.WriteFiles(t, root, map[string]string{"README.md": "<!-- top -->\n" + readme})
	if err := os.Remove(filepath.Join(root, "util", "strings.go")); err != nil {
		t.Fatal(err)
	}
	indextest.Git(t, root, "mv", "docs/guide.md", "docs/manual.md")
	indextest.Commit(t, root, "Rename the guide; drop util", time.Date(2024, 4, 4, 0, 0, 0, 0, time.UTC))

	sum := mustScrape(t, db, root, ScrapeOptions{})
	if sum.FilesIndexed != 2 || sum.FilesRemoved != 2 || sum.FilesUnchanged != 2 || sum.CommitsAdded != 1 {
		t.Errorf("after edit/delete/rename: %+v", sum)
	}
	if hits := search(t, db, "quasar"); len(hits) != 0 {
		t.Errorf("old word still found: %+v", hits)
	}
	if hits := search(t, db, "pulsar"); len(hits) != 1 || hits[0].Path != "README.md" || hits[0].StartLine != 10 {
		t.Errorf("edited word: %+v", hits)
	}
	if hits := search(t, db, indextest.WordGuide); len(hits) != 1 || hits[0].Path != "docs/manual.md" {
		t.Errorf("renamed file: %+v", hits)
	}
	if hits := search(t, db, "Reverse"); len(hits) != 0 {
		t.Errorf("deleted file still found: %+v", hits)
	}
	// The untouched Usage section kept its row; only its lines moved.
	found := false
	for _, h := range search(t, db, "zephyr", "run") {
		if h.Title == "Patina Fixture > Usage" {
			found = true
			if h.ChunkID != usageID || h.StartLine != usageStart+1 {
				t.Errorf("usage chunk: id %d→%d, start %d→%d", usageID, h.ChunkID, usageStart, h.StartLine)
			}
		}
	}
	if !found {
		t.Error("usage chunk lost")
	}
	if hits := search(t, db, "drop", "util"); !slices.ContainsFunc(hits, func(h Hit) bool { return h.Kind == KindCommit }) {
		t.Errorf("new commit not indexed: %+v", hits)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
	db.Close()
	t.Run("unchanged again", func(t *testing.T) { assertNoWrites(t, root) })

	// A tracked file deleted from the work tree (not from git) leaves the
	// index, and is neither seen nor skipped.
	must(t, os.Remove(filepath.Join(root, "docs", "manual.md")))
	db = openAt(t, root)
	sum = mustScrape(t, db, root, ScrapeOptions{})
	if sum.FilesRemoved != 1 || sum.Skipped[skipUnreadable] != 0 || sum.FilesSeen != sum.FilesUnchanged+sum.FilesSkipped {
		t.Errorf("deleted, still in git: %+v", sum)
	}
	db.Close()

	// A file that becomes binary, or too large, leaves the index.
	indextest.WriteFiles(t, root, map[string]string{"main.go": "\x00binary now"})
	db = openAt(t, root)
	sum = mustScrape(t, db, root, ScrapeOptions{})
	if sum.FilesRemoved != 1 || sum.Skipped[skipBinary] != 2 {
		t.Errorf("file turned binary: %+v", sum)
	}
	if hits := search(t, db, "fluxcapacitor"); slices.ContainsFunc(hits, func(h Hit) bool { return h.Kind == KindCode }) {
		t.Errorf("binary file still indexed: %+v", hits)
	}
}

// TestScrapeTouched: a file whose mtime changes but whose content does not
// is not re-split; its stat is refreshed once, then nothing is written.
func TestScrapeTouched(t *testing.T) {
	root := t.TempDir()
	indextest.WriteFiles(t, root, map[string]string{"a.md": "# A\n\nalpha\n", "b.go": "package b\n"})
	if err := indextest.Age(root, time.Hour); err != nil {
		t.Fatal(err)
	}
	db := openAt(t, root)
	mustScrape(t, db, root, ScrapeOptions{})
	old := time.Now().Add(-30 * time.Minute)
	if err := os.Chtimes(filepath.Join(root, "a.md"), old, old); err != nil {
		t.Fatal(err)
	}
	sum := mustScrape(t, db, root, ScrapeOptions{})
	if sum.FilesIndexed != 0 || sum.FilesUnchanged != 2 || sum.ChunksAdded != 0 || sum.Writes != 1 {
		t.Errorf("touched: %+v", sum)
	}
	db.Close()
	assertNoWrites(t, root)
}

// TestScrapeSameSizeEdit: an edit that keeps the size, made right after a
// scrape (same coarse mtime tick, even), is still seen.
func TestScrapeSameSizeEdit(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "a.txt")
	if err := os.WriteFile(p, []byte("alpha\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	fi, _ := os.Stat(p)
	db := openAt(t, root)
	mustScrape(t, db, root, ScrapeOptions{})
	if err := os.WriteFile(p, []byte("gamma\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(p, fi.ModTime(), fi.ModTime()) // same size, same mtime
	sum := mustScrape(t, db, root, ScrapeOptions{})
	if sum.FilesIndexed != 1 || len(search(t, db, "gamma")) != 1 {
		t.Errorf("same-size edit missed: %+v", sum)
	}
}

func TestScrapeWalk(t *testing.T) {
	root, err := filepath.EvalSymlinks(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	outside := t.TempDir()
	indextest.WriteFiles(t, outside, map[string]string{"secret.md": "outsideword\n"})
	indextest.WriteFiles(t, root, map[string]string{
		"README.md":              "# Walk\n\nwalkword\n",
		"src/app.py":             "def walkfn():\n    return 1\n",
		".gitignore":             "*.tmp\n/generated/\n",
		"src/.gitignore":         "local.py\n",
		"src/local.py":           "ignoredword = 1\n",
		"x.tmp":                  "ignoredword\n",
		"generated/out.txt":      "ignoredword\n",
		".hidden/notes.md":       "ignoredword\n",
		"node_modules/m/i.js":    "ignoredword\n",
		"target/debug/x.rs":      "ignoredword\n",
		".patina/secrets.toml":   "ignoredword\n",
		"keys/server.pem":        "ignoredword\n",
		".env.production":        "ignoredword\n",
		".env.example":           "API_KEY=examplevalue\n",
		"dist/bundle.js":         "ignoredword\n",
		"package-lock.json":      `{"ignoredword": 1}`,
		"docs/deep/nested/x.txt": "nestedword\n",
	})
	must(t, os.Symlink(filepath.Join(outside, "secret.md"), filepath.Join(root, "escape.md")))
	must(t, os.Symlink(outside, filepath.Join(root, "escapedir")))
	must(t, os.Symlink("README.md", filepath.Join(root, "alias.md")))
	must(t, os.Symlink("missing", filepath.Join(root, "dangling.md")))
	must(t, syscall.Mkfifo(filepath.Join(root, "fifo.txt"), 0o644))

	db := openAt(t, root)
	sum := mustScrape(t, db, root, ScrapeOptions{NoGit: true})
	if sum.Git {
		t.Error("walk scrape says git")
	}
	if hits := search(t, db, "ignoredword"); len(hits) != 0 {
		t.Errorf("ignored files indexed: %+v", hits)
	}
	if hits := search(t, db, "outsideword"); len(hits) != 0 {
		t.Errorf("symlink outside the root followed: %+v", hits)
	}
	for _, w := range []string{"walkword", "walkfn", "nestedword", "examplevalue"} {
		if len(search(t, db, w)) == 0 {
			t.Errorf("%s not indexed", w)
		}
	}
	var paths []string
	for _, h := range search(t, db, "walkword") {
		paths = append(paths, h.Path)
	}
	slices.Sort(paths)
	if !slices.Equal(paths, []string{"README.md", "alias.md"}) {
		t.Errorf("walkword in %v", paths)
	}
	if sum.Skipped[skipSymlinkOut] != 2 || sum.Skipped[skipNotRegular] != 1 || sum.Skipped[skipUnreadable] != 1 ||
		sum.Skipped[skipSensitive] != 2 || sum.Skipped[skipGenerated] != 1 {
		t.Errorf("skips: %v", sum.Skipped)
	}
}

func TestScrapeGitSubdirAndUntracked(t *testing.T) {
	root := indextest.Fixture(t)
	indextest.WriteFiles(t, root, map[string]string{"docs/untracked.md": "# New\n\nuntrackedword\n"})
	sub := filepath.Join(root, "docs")
	db, err := Open(filepath.Join(t.TempDir(), "sub.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	sum := mustScrape(t, db, sub, ScrapeOptions{})
	// docs/guide.md and the untracked docs/untracked.md, as paths below docs/.
	if sum.FilesIndexed != 2 {
		t.Errorf("subdir: %+v", sum)
	}
	if hits := search(t, db, "untrackedword"); len(hits) != 1 || hits[0].Path != "untracked.md" {
		t.Errorf("untracked file: %+v", hits)
	}
	// Only the commit that touched docs/ is indexed.
	if sum.CommitsAdded != 1 {
		t.Errorf("subdir commits = %d, want 1", sum.CommitsAdded)
	}
}

func TestScrapeCommitWindow(t *testing.T) {
	root := indextest.Fixture(t)
	db := openAt(t, root)
	if sum := mustScrape(t, db, root, ScrapeOptions{MaxCommits: -1}); sum.CommitsAdded != 0 {
		t.Errorf("MaxCommits -1 indexed %d commits", sum.CommitsAdded)
	}
	if sum := mustScrape(t, db, root, ScrapeOptions{MaxCommits: 2}); sum.CommitsAdded != 2 {
		t.Errorf("MaxCommits 2: %+v", sum)
	}
	// Rewriting history drops the commits no longer reachable.
	indextest.GitAt(t, root, time.Date(2024, 5, 5, 0, 0, 0, 0, time.UTC), "commit", "-q", "--amend", "-m", "Rewritten")
	sum := mustScrape(t, db, root, ScrapeOptions{MaxCommits: 2})
	if sum.CommitsAdded != 1 || sum.CommitsRemoved != 1 {
		t.Errorf("after amend: %+v", sum)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}

func TestScrapeCancelBetweenBatches(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{}
	for i := range 50 {
		files[filepath.Join("d", string(rune('a'+i%26))+strings.Repeat("x", i/26)+".md")] = "# T\n\nbatchword\n"
	}
	indextest.WriteFiles(t, root, files)
	db := openAt(t, root)
	c, cancel := context.WithCancel(ctx)
	defer cancel()
	sum, err := db.Scrape(c, root, ScrapeOptions{BatchSize: 10, Progress: func(p Progress) {
		if p.Phase == "files" && p.Done == 20 {
			cancel()
		}
	}})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v", err)
	}
	if sum.Writes != 2 || sum.FilesIndexed != 20 {
		t.Errorf("cancelled scrape: %+v", sum)
	}
	if n := len(search(t, db, "batchword")); n != 20 {
		t.Errorf("%d chunks after cancel, want the 20 committed", n)
	}
	sum = mustScrape(t, db, root, ScrapeOptions{})
	if sum.FilesIndexed != 30 || sum.FilesUnchanged != 20 {
		t.Errorf("resumed: %+v", sum)
	}
}

func TestScrapeProgress(t *testing.T) {
	root := t.TempDir()
	files := map[string]string{}
	for i := range 25 {
		files[string(rune('a'+i))+".md"] = "# T\n\nword\n"
	}
	indextest.WriteFiles(t, root, files)
	var got []Progress
	db := openAt(t, root)
	mustScrape(t, db, root, ScrapeOptions{BatchSize: 10, Progress: func(p Progress) { got = append(got, p) }})
	want := []Progress{{"files", 0, 25, 0}, {"files", 10, 25, 10}, {"files", 20, 25, 20}, {"files", 25, 25, 25}}
	if !slices.Equal(got, want) {
		t.Errorf("progress %+v, want %+v", got, want)
	}
}

func TestOpen(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "we?ird #dir %41")
	p := filepath.Join(dir, "index.db")
	if _, err := OpenReadOnly(p); !errors.Is(err, ErrNoIndex) {
		t.Errorf("read-only open of a missing index: %v", err)
	}
	db, err := Open(p)
	if err != nil {
		t.Fatal(err)
	}
	if db.Path() != p {
		t.Errorf("path %q", db.Path())
	}
	var mode string
	db.sql.QueryRow(`PRAGMA journal_mode`).Scan(&mode)
	if mode != "wal" {
		t.Errorf("journal_mode %q", mode)
	}
	if v, _ := db.userVersion(ctx); v != SchemaVersion {
		t.Errorf("user_version %d", v)
	}
	db.Close()
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("index not at the escaped path: %v", err)
	}
	if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
		t.Errorf("dir mode %v", fi.Mode())
	}
	// Reopening a current index writes nothing.
	before := stateOf(t, p)
	db, err = Open(p)
	must(t, err)
	db.Close()
	if stateOf(t, p) != before {
		t.Error("Open of a current index wrote to it")
	}
	ro, err := OpenReadOnly(p)
	must(t, err)
	if _, err := ro.Scrape(ctx, t.TempDir(), ScrapeOptions{}); err == nil {
		t.Error("scrape through a read-only handle")
	}
	ro.Close()

	// A newer schema is refused, read-write and read-only.
	db, _ = Open(p)
	db.sql.Exec(`PRAGMA user_version = 99`)
	db.Close()
	if _, err := Open(p); !errors.Is(err, ErrSchema) {
		t.Errorf("open newer schema: %v", err)
	}
	var se *SchemaError
	if _, err := OpenReadOnly(p); !errors.Is(err, ErrSchema) || !errors.As(err, &se) || !se.Newer() || !strings.Contains(err.Error(), "newer than this patina") {
		t.Errorf("read-only open newer schema: %v", err)
	}
	// Garbage is an error, not a panic.
	bad := filepath.Join(t.TempDir(), "bad.db")
	os.WriteFile(bad, bytes.Repeat([]byte("not a database "), 100), 0o600)
	if db, err := Open(bad); err == nil {
		db.Close()
		t.Error("opened garbage")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestScrapeExclusive(t *testing.T) {
	root := t.TempDir()
	indextest.WriteFiles(t, root, map[string]string{"a.md": "# A\n\nalpha\n", "b.md": "# B\n\nbeta\n"})
	db := openAt(t, root)
	var inner error
	mustScrape(t, db, root, ScrapeOptions{BatchSize: 1, Progress: func(p Progress) {
		if p.Done == 1 {
			_, inner = db.Scrape(ctx, root, ScrapeOptions{})
		}
	}})
	if !errors.Is(inner, ErrScrapeRunning) {
		t.Errorf("concurrent scrape: %v", inner)
	}
	// Released afterwards.
	mustScrape(t, db, root, ScrapeOptions{})
}

// TestScrapeRefusesSymlinkedIndex: neither Scrape nor Open writes an
// index through a symlinked .patina, .patina/local or index.db. Scrape
// refuses the first two; a symlink at index.db it removes (the link, not
// its target) and builds a real index in its place.
func TestScrapeRefusesSymlinkedIndex(t *testing.T) {
	victim := t.TempDir()
	indextest.WriteFiles(t, victim, map[string]string{"a.md": "# A\n\nvictimword\n"})
	if _, err := Scrape(ctx, victim, ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	victimIndex := paths.ProjectIndex(victim)
	before := stateOf(t, victimIndex)
	for _, tc := range []struct{ name, link, target string }{
		{"dot-patina", ".patina", paths.ProjectDir(victim)},
		{"local", ".patina/local", filepath.Dir(victimIndex)},
		{"index", ".patina/local/index.db", victimIndex},
	} {
		t.Run(tc.name, func(t *testing.T) {
			root := t.TempDir()
			indextest.WriteFiles(t, root, map[string]string{"b.md": "# B\n\nattackerword\n"})
			link := filepath.Join(root, filepath.FromSlash(tc.link))
			must(t, os.MkdirAll(filepath.Dir(link), 0o700))
			must(t, os.Symlink(tc.target, link))
			if tc.name != "dot-patina" {
				db, err := Open(paths.ProjectIndex(root))
				if err == nil {
					db.Close()
				}
				if err == nil || !strings.Contains(err.Error(), "symlink") {
					t.Errorf("open through a symlink: %v", err)
				}
			}
			sum, err := Scrape(ctx, root, ScrapeOptions{})
			if tc.name == "index" {
				if fi, lerr := os.Lstat(link); err != nil || !sum.Rebuilt || lerr != nil || !fi.Mode().IsRegular() {
					t.Errorf("scrape over a symlinked index.db: %+v %v", sum, err)
				}
			} else if !errors.Is(err, paths.ErrIndexSymlink) || !strings.Contains(err.Error(), "symlink") {
				t.Errorf("scrape through a symlink: %v", err)
			}
			if stateOf(t, victimIndex) != before {
				t.Fatal("the other project's index was written")
			}
		})
	}
}

// TestGitGetsNoCredentials: git runs without $PATINA_IDENTITY and
// $PATINA_MOTHER_TOKEN (a repository's hooks and config can run programs).
func TestGitGetsNoCredentials(t *testing.T) {
	root := indextest.Fixture(t)
	realGit, err := exec.LookPath("git")
	must(t, err)
	bin := t.TempDir()
	envs := filepath.Join(t.TempDir(), "git-env")
	script := "#!/bin/sh\n# stand-in git: record the environment, run the real one\nenv >> '" + envs + "'\nexec '" + realGit + "' \"$@\"\n"
	must(t, os.WriteFile(filepath.Join(bin, "git"), []byte(script), 0o755))
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("PATINA_IDENTITY", "AGE-SECRET-KEY-1MUSTNOTREACHGIT")
	t.Setenv("PATINA_MOTHER_TOKEN", "token-must-not-reach-git")
	sum, err := Scrape(ctx, root, ScrapeOptions{})
	if err != nil || !sum.Git || sum.CommitsAdded == 0 {
		t.Fatalf("scrape: %+v %v", sum, err)
	}
	data, err := os.ReadFile(envs)
	if err != nil || !strings.Contains(string(data), "PATH=") {
		t.Fatalf("the stand-in git did not run: %v", err)
	}
	for _, name := range []string{"PATINA_IDENTITY=", "PATINA_MOTHER_TOKEN="} {
		if strings.Contains(string(data), name) {
			t.Errorf("git saw %s", name)
		}
	}
}
