package index

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/paths"
)

// TestDamagedIndex spoils a scraped index each way the probe did: Verify
// and OpenReadOnly name it damaged (and why, in fixed words), and Scrape
// says so, moves it aside (a symlink: removes only the link) and rebuilds
// it from the files, searchable again; the next scrape writes nothing.
func TestDamagedIndex(t *testing.T) {
	for _, d := range indextest.Damages {
		t.Run(d.Name, func(t *testing.T) {
			root := indextest.Fixture(t)
			if _, err := Scrape(ctx, root, ScrapeOptions{}); err != nil {
				t.Fatal(err)
			}
			path := paths.ProjectIndex(root)
			d.Spoil(t, path)
			var target fileState
			if d.Name == "symlink" {
				target = stateOf(t, indextest.Target(path))
			}

			checkDamaged(t, "Verify", Verify(ctx, path), path, d.Reason)
			db, err := OpenReadOnly(path)
			if err == nil {
				db.Close()
			}
			checkDamaged(t, "OpenReadOnly", err, path, d.Reason)

			var told *DamagedError
			sum, err := Scrape(ctx, root, ScrapeOptions{Damaged: func(e *DamagedError) { told = e }})
			if err != nil {
				t.Fatalf("scrape: %v", err)
			}
			checkDamaged(t, "Damaged callback", told, path, d.Reason)
			if !sum.Rebuilt || sum.Damaged != told.Reason || sum.Index != path || sum.FilesIndexed != len(indextest.FixtureFiles) {
				t.Errorf("summary: %+v", sum)
			}
			switch d.Name {
			case "symlink":
				if sum.SetAside != "" || stateOf(t, indextest.Target(path)) != target {
					t.Errorf("the symlink's target was moved or written: set aside %q", sum.SetAside)
				}
			case "directory":
				if b, err := os.ReadFile(filepath.Join(sum.SetAside, indextest.DirKeep)); err != nil || string(b) != "keep me\n" {
					t.Errorf("the directory was not kept aside whole: %q %v", b, err)
				}
			default:
				if fi, err := os.Lstat(sum.SetAside); err != nil || !fi.Mode().IsRegular() || !strings.HasPrefix(sum.SetAside, path+".damaged-") {
					t.Errorf("the damaged file was not kept aside: %q %v", sum.SetAside, err)
				}
			}
			checkRebuilt(t, root)
			if again, err := Scrape(ctx, root, ScrapeOptions{}); err != nil || again.Rebuilt || again.Writes != 0 {
				t.Errorf("scrape after the repair: %+v %v", again, err)
			}
		})
	}
}

func checkDamaged(t *testing.T, what string, err error, path, reason string) {
	t.Helper()
	var de *DamagedError
	if !errors.Is(err, ErrDamaged) || !errors.As(err, &de) || de.Path != path || reason != "" && de.Reason != reason {
		t.Fatalf("%s: %v, want the index damaged (%s)", what, err, reason)
	}
	if want := "index " + path + " is damaged (" + de.Reason + ")"; de.Error() != want {
		t.Errorf("%s: message %q, want %q", what, de.Error(), want)
	}
}

// checkRebuilt: the index at root is sound, searchable, has the -wal and
// -shm a read-only reader needs, and no rebuild left a file behind.
func checkRebuilt(t *testing.T, root string) {
	t.Helper()
	path := paths.ProjectIndex(root)
	if err := Verify(ctx, path); err != nil {
		t.Fatalf("after the rebuild: %v", err)
	}
	for _, p := range []string{path + "-wal", path + "-shm"} {
		if fi, err := os.Lstat(p); err != nil || !fi.Mode().IsRegular() {
			t.Errorf("%s: %v", p, err)
		}
	}
	db, err := OpenReadOnly(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if hits := search(t, db, "wobbulator"); len(hits) == 0 {
		t.Error("the rebuilt index finds nothing")
	}
	entries, _ := os.ReadDir(filepath.Dir(path))
	for _, e := range entries {
		if strings.Contains(e.Name(), rebuildInfix) {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestRebuild: --rebuild of a sound index replaces it with a new file
// (nothing set aside); an interrupted rebuild leaves the old index as it
// was; a killed one's leftovers go at the next scrape.
func TestRebuild(t *testing.T) {
	root := indextest.Fixture(t)
	if _, err := Scrape(ctx, root, ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	path := paths.ProjectIndex(root)
	before := stateOf(t, path)
	old, _ := os.Stat(path)

	cctx, cancel := context.WithCancel(ctx)
	_, err := Scrape(cctx, root, ScrapeOptions{Rebuild: true, BatchSize: 1, Progress: func(Progress) { cancel() }})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("interrupted rebuild: %v", err)
	}
	if stateOf(t, path) != before {
		t.Error("an interrupted rebuild changed the index")
	}
	checkRebuilt(t, root)

	left := path + rebuildInfix + "123"
	for _, p := range []string{left, left + "-wal", left + "-shm"} {
		must(t, os.WriteFile(p, []byte("stale"), 0o600))
	}
	sum, err := Scrape(ctx, root, ScrapeOptions{Rebuild: true})
	if err != nil || !sum.Rebuilt || sum.Damaged != "" || sum.SetAside != "" || sum.FilesIndexed != len(indextest.FixtureFiles) {
		t.Fatalf("rebuild: %+v %v", sum, err)
	}
	if now, _ := os.Stat(path); os.SameFile(old, now) {
		t.Error("the rebuild wrote into the old file, not a new one")
	}
	checkRebuilt(t, root)
}

func TestIsSQLiteError(t *testing.T) {
	db, err := Open(filepath.Join(t.TempDir(), "index.db"))
	must(t, err)
	defer db.Close()
	_, err = db.sql.Exec(`SELECT * FROM no_such_table`)
	if !IsSQLiteError(fmt.Errorf("wrapped: %w", err)) || IsSQLiteError(errors.New("no such table")) {
		t.Errorf("IsSQLiteError(%v) wrong", err)
	}
	if db.Diagnose(err) != err {
		t.Errorf("a missing table is not damage: %v", db.Diagnose(err))
	}
}

// A scrape that ends well stamps the index; the next skips quick_check
// only while the file matches the stamp. Pages spoiled in the middle of
// the file (size unchanged, header sound) after the stamp are still found
// before the scrape writes.
func TestVerifiedStamp(t *testing.T) {
	root := indextest.Fixture(t)
	if _, err := Scrape(ctx, root, ScrapeOptions{}); err != nil {
		t.Fatal(err)
	}
	path := paths.ProjectIndex(root)
	if !unchangedSinceVerified(path) {
		t.Fatal("a clean scrape left no stamp the index matches")
	}
	fi, err := os.Stat(path)
	must(t, err)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	must(t, err)
	junk := bytes.Repeat([]byte{0xA5}, 4096)
	for off := int64(4096); off+4096 <= fi.Size(); off += 8192 {
		_, err = f.WriteAt(junk, off)
		must(t, err)
	}
	must(t, f.Close())
	// Another second, so a coarse clock still moves the mtime.
	must(t, os.Chtimes(path, time.Now(), fi.ModTime().Add(time.Second)))
	if unchangedSinceVerified(path) {
		t.Fatal("an index written since its stamp still matches it")
	}
	var told *DamagedError
	sum, err := Scrape(ctx, root, ScrapeOptions{Damaged: func(d *DamagedError) { told = d }})
	if err != nil || told == nil || !sum.Rebuilt {
		t.Fatalf("scrape of an index spoiled after its stamp: damaged %v, %+v, %v", told, sum, err)
	}
	if !unchangedSinceVerified(path) {
		t.Fatal("the rebuild left no stamp")
	}
}
