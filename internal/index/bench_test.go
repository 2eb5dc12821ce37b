package index

import (
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/index/indextest"
)

// benchFiles is the size of the scrape benchmarks' corpus.
const benchFiles = 10000

func benchCorpus(b *testing.B) indextest.Corpus {
	b.Helper()
	if testing.Short() {
		b.Skip("generates a 10,000-file corpus")
	}
	c, err := indextest.WriteCorpus(b.TempDir(), indextest.CorpusOptions{Files: benchFiles, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	return c
}

// BenchmarkScrape is a full scrape of 10,000 small files (walk mode, a
// fresh index each time). Reports files/s and chunks/s.
func BenchmarkScrape(b *testing.B) {
	c := benchCorpus(b)
	dir := b.TempDir()
	var files, chunks int
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		db, err := Open(filepath.Join(dir, fmt.Sprintf("index%d.db", i)))
		if err != nil {
			b.Fatal(err)
		}
		sum, err := db.Scrape(ctx, c.Root, ScrapeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
		files += sum.FilesIndexed
		chunks += sum.ChunksAdded
	}
	secs := b.Elapsed().Seconds()
	b.ReportMetric(float64(files)/secs, "files/s")
	b.ReportMetric(float64(chunks)/secs, "chunks/s")
}

// BenchmarkScrapeUnchanged re-scrapes the unchanged 10,000-file corpus.
// Reports files/s and the ratio of its time to one full scrape measured in
// the same run (unchanged/full).
func BenchmarkScrapeUnchanged(b *testing.B) {
	c := benchCorpus(b)
	db, err := Open(filepath.Join(b.TempDir(), "index.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	start := time.Now()
	if _, err := db.Scrape(ctx, c.Root, ScrapeOptions{}); err != nil {
		b.Fatal(err)
	}
	full := time.Since(start)
	n := 0
	b.ResetTimer()
	for b.Loop() {
		sum, err := db.Scrape(ctx, c.Root, ScrapeOptions{})
		if err != nil {
			b.Fatal(err)
		}
		if sum.Writes != 0 {
			b.Fatalf("unchanged re-scrape wrote: %+v", sum)
		}
		n++
	}
	per := b.Elapsed() / time.Duration(n)
	b.ReportMetric(float64(benchFiles)/per.Seconds(), "files/s")
	b.ReportMetric(float64(full.Milliseconds()), "full-ms")
	b.ReportMetric(per.Seconds()/full.Seconds(), "unchanged/full")
}
