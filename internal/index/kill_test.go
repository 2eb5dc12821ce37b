package index

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/index/indextest"
)

const (
	childEnvRoot  = "PATINA_TEST_SCRAPE_CHILD_ROOT"
	childEnvIndex = "PATINA_TEST_SCRAPE_CHILD_INDEX"
	childBatch    = 50
)

// TestScrapeChild is the child half of TestScrapeKilled: run directly it
// does nothing. It scrapes, printing a line after every committed batch.
func TestScrapeChild(t *testing.T) {
	root, idx := os.Getenv(childEnvRoot), os.Getenv(childEnvIndex)
	if root == "" {
		t.Skip("helper process for TestScrapeKilled")
	}
	db, err := Open(idx)
	if err != nil {
		fmt.Println("error:", err)
		os.Exit(1)
	}
	db.Scrape(ctx, root, ScrapeOptions{BatchSize: childBatch, Progress: func(p Progress) {
		fmt.Printf("progress %d/%d\n", p.Done, p.Total)
	}})
	fmt.Println("finished")
	os.Exit(0)
}

// TestScrapeKilled kills a scrape with SIGKILL part-way through a large
// tree, then proves the index is sound and searchable, and that the next
// scrape finishes the job, keeping what was committed.
func TestScrapeKilled(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 3,000-file tree")
	}
	const files = 3000
	root := t.TempDir()
	corpus, err := indextest.WriteCorpus(root, indextest.CorpusOptions{Files: files, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	idx := t.TempDir() + "/index.db"

	cmd := exec.Command(os.Args[0], "-test.run=^TestScrapeChild$")
	cmd.Env = append(os.Environ(), childEnvRoot+"="+root, childEnvIndex+"="+idx)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	batches := 0
	for sc.Scan() {
		line := sc.Text()
		if strings.HasPrefix(line, "progress ") && !strings.HasPrefix(line, "progress 0/") {
			batches++
		}
		if line == "finished" || strings.HasPrefix(line, "error") {
			t.Fatalf("child ended before it was killed: %s", line)
		}
		if batches == 5 {
			break
		}
	}
	if err := cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	go func() {
		for sc.Scan() { // drain, so the child never blocks on a full pipe
		}
	}()
	cmd.Wait()
	if batches < 5 {
		t.Fatalf("child printed %d batches", batches)
	}

	db, err := Open(idx)
	if err != nil {
		t.Fatalf("open after kill: %v", err)
	}
	defer db.Close()
	if err := db.Check(ctx); err != nil {
		t.Fatalf("index after kill: %v", err)
	}
	st, err := db.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.Files < 5*childBatch || st.Files >= files || st.Files%childBatch != 0 {
		t.Errorf("after kill the index holds %d files: want whole batches, at least 5, not all", st.Files)
	}
	hits := 0
	for _, q := range corpus.Queries[:10] {
		hs, err := db.SearchLexical(ctx, LexicalQuery{Terms: strings.Fields(q)})
		if err != nil {
			t.Fatalf("search after kill: %v", err)
		}
		hits += len(hs)
	}
	if hits == 0 {
		t.Error("no search hits after kill")
	}

	sum := mustScrape(t, db, root, ScrapeOptions{})
	if sum.FilesUnchanged != st.Files || sum.FilesIndexed != files-st.Files {
		t.Errorf("resumed scrape: %+v (had %d files)", sum, st.Files)
	}
	if st2, _ := db.Stats(ctx); st2.Files != files {
		t.Errorf("after resume: %d files, want %d", st2.Files, files)
	}
	if err := db.Check(ctx); err != nil {
		t.Error(err)
	}
}
