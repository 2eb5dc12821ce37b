package index

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
)

// ReadIndexable refuses exactly what a scrape would skip, by the scrape's
// own rules, and never returns a byte of what it refuses.
func TestReadIndexable(t *testing.T) {
	root := indextest.Fixture(t)
	outside := t.TempDir()
	key, _ := openSSHKey(t)
	indextest.WriteFiles(t, outside, map[string]string{"secret.md": "outside canary\n", "guide.md": "outside canary\n"})
	indextest.WriteFiles(t, root, map[string]string{
		"notes/key.txt":     "deploy key:\n" + key,
		"ok/inside.md":      "inside\n",
		"config/id_rsa":     "forbiddenword\n",
		".env.local":        "forbiddenword\n",
		".env.example":      "TOKEN=\n",
		"package-lock.json": "{}\n",
	})
	must(t, os.Symlink(filepath.Join(outside, "secret.md"), filepath.Join(root, "out.md")))
	must(t, os.Symlink(outside, filepath.Join(root, "outdir")))
	must(t, os.Symlink("ok/inside.md", filepath.Join(root, "in.md")))
	must(t, os.Symlink(".env", filepath.Join(root, "env.md")))
	must(t, syscall.Mkfifo(filepath.Join(root, "pipe.md"), 0o600))

	for rel, want := range map[string]string{
		"README.md":            "",
		"in.md":                "", // a link that stays inside
		".env.example":         "",
		".env":                 skipSensitive,
		".env.local":           skipSensitive,
		"config/id_rsa":        skipSensitive,
		"env.md":               skipSensitive, // a link to a sensitive name
		"vendor/lib/lib.go":    skipDirName,
		".git/config":          skipDirName,
		"package-lock.json":    skipGenerated,
		"blob.bin":             skipBinary,
		"big.txt":              skipTooLarge,
		"notes/key.txt":        skipKeyContent,
		"out.md":               skipSymlinkOut,
		"outdir/guide.md":      skipSymlinkOut, // through a directory link
		"../x":                 skipSymlinkOut,
		"docs/../README.md":    skipSymlinkOut, // not clean
		"/etc/passwd":          skipSymlinkOut,
		"docs":                 skipNotRegular,
		"pipe.md":              skipNotRegular, // opening it would block
		filepath.Base(outside): "notexist",
	} {
		data, err := ReadIndexable(root, rel)
		var ne *NotIndexableError
		switch {
		case want == "" && err != nil:
			t.Errorf("%s: %v", rel, err)
		case want == "notexist" && !errors.Is(err, os.ErrNotExist):
			t.Errorf("%s: %v, want not exist", rel, err)
		case want != "" && want != "notexist" && (!errors.As(err, &ne) || ne.Reason != want):
			t.Errorf("%s: %v, want reason %s", rel, err, want)
		}
		if want != "" && (data != nil || strings.Contains(errText(err), "forbiddenword") || strings.Contains(errText(err), "canary")) {
			t.Errorf("%s: refused but returned %q, %v", rel, data, err)
		}
	}
	if data, _ := ReadIndexable(root, "in.md"); string(data) != "inside\n" {
		t.Errorf("in.md: %q", data)
	}
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func TestChunkAtFileHashAndCommits(t *testing.T) {
	root := indextest.Fixture(t)
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "index.db"))
	must(t, err)
	defer db.Close()
	_, err = db.Scrape(ctx, root, ScrapeOptions{})
	must(t, err)

	hits, err := db.SearchLexical(ctx, LexicalQuery{Terms: []string{indextest.WordReadme}})
	must(t, err)
	h, err := db.ChunkAt(ctx, hits[0].ChunkID)
	if err != nil || h.Path != "README.md" || h.StartLine != 9 || h.EndLine != 12 || h.Kind != KindDoc {
		t.Errorf("ChunkAt: %+v %v", h, err)
	}
	if _, err := db.ChunkAt(ctx, 1<<40); !errors.Is(err, ErrNoChunk) {
		t.Errorf("ChunkAt of no chunk: %v", err)
	}
	if hash, err := db.FileHash(ctx, "README.md"); err != nil || len(hash) != 64 {
		t.Errorf("FileHash: %q %v", hash, err)
	}
	if _, err := db.FileHash(ctx, ".env"); !errors.Is(err, ErrNotIndexed) {
		t.Errorf("FileHash .env: %v", err)
	}

	hits, err = db.SearchLexical(ctx, LexicalQuery{Terms: []string{indextest.WordCommit}})
	must(t, err)
	c, err := db.CommitOfChunk(ctx, hits[0].ChunkID)
	if err != nil || len(c.Hash) != 40 || c.Message != indextest.FixtureCommits[1] || !c.Date.Equal(indextest.FixtureDates[1]) ||
		strings.Join(c.Files, ",") != "main.go,util/strings.go" || c.FilesChanged != 2 {
		t.Fatalf("CommitOfChunk: %+v %v", c, err)
	}
	if byPrefix, err := db.CommitByPrefix(ctx, c.Hash[:7]); err != nil || byPrefix.Hash != c.Hash {
		t.Errorf("CommitByPrefix: %+v %v", byPrefix, err)
	}
	for _, p := range []string{"", "zz", "%", c.Hash + "0"} {
		if _, err := db.CommitByPrefix(ctx, p); !errors.Is(err, ErrNoCommit) {
			t.Errorf("CommitByPrefix(%q): %v", p, err)
		}
	}
	// The third commit added vendor/ and node_modules/ files too: only
	// the names a scrape would index are listed, all are counted.
	hits, err = db.SearchLexical(ctx, LexicalQuery{Terms: []string{"guide"}, Limit: 50})
	must(t, err)
	for _, h := range hits {
		if h.Kind != KindCommit {
			continue
		}
		c, err := db.CommitOfChunk(ctx, h.ChunkID)
		must(t, err)
		if strings.Join(c.Files, ",") != "big.txt,blob.bin,docs/guide.md" || c.FilesChanged != 6 || !c.Date.Equal(indextest.FixtureDates[2].Truncate(time.Second)) {
			t.Errorf("third commit: %+v", c)
		}
	}
}

// A commit message a key was pasted into is indexed (scrape keeps
// messages whole) but never read back.
func TestCommitWithAKeyIsNotRead(t *testing.T) {
	root := indextest.Fixture(t)
	key, body := openSSHKey(t)
	indextest.WriteFiles(t, root, map[string]string{"x.md": "x\n"})
	indextest.Commit(t, root, "Rotate the deploy key\n\n"+key, time.Date(2024, 4, 4, 0, 0, 0, 0, time.UTC))
	ctx := context.Background()
	db, err := Open(filepath.Join(t.TempDir(), "index.db"))
	must(t, err)
	defer db.Close()
	_, err = db.Scrape(ctx, root, ScrapeOptions{})
	must(t, err)
	head := strings.TrimSpace(indextest.Git(t, root, "rev-parse", "HEAD"))
	c, err := db.CommitByPrefix(ctx, head)
	var ne *NotIndexableError
	if !errors.As(err, &ne) || ne.Reason != skipKeyContent || strings.Contains(err.Error(), body) || c.Message != "" {
		t.Errorf("commit with a key: %+v %v", c, err)
	}
}
