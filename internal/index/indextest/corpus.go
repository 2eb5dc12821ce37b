package indextest

import (
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// CorpusOptions shape a generated corpus.
type CorpusOptions struct {
	Files    int    // number of files (default 10,000)
	Sections int    // Markdown sections, or Go functions, per file (default 3)
	Seed     uint64 // same seed, same corpus
}

// Corpus describes a generated corpus.
type Corpus struct {
	Root  string
	Files int
	// Queries are search strings of one to three vocabulary words of
	// middling frequency: each matches some, not most, chunks.
	Queries []string
}

// vocabulary size and word shape.
const vocabSize = 5000

// WriteCorpus writes a deterministic corpus of small files under root:
// three Markdown files for every Go file, spread over nested directories,
// with words drawn from a Zipf distribution over a synthetic vocabulary.
// Every file's mtime is set an hour back (see Age). A file of Sections
// sections splits into Sections chunks, so Files*Sections is about the
// chunk count.
func WriteCorpus(root string, o CorpusOptions) (Corpus, error) {
	if o.Files <= 0 {
		o.Files = 10000
	}
	if o.Sections <= 0 {
		o.Sections = 3
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x9e3779b97f4a7c15))
	vocab := makeVocab(rng)
	zipf := rand.NewZipf(rng, 1.1, 2, vocabSize-1)
	word := func() string { return vocab[zipf.Uint64()] }
	sentence := func(n int) string {
		ws := make([]string, n)
		for i := range ws {
			ws[i] = word()
		}
		return strings.Join(ws, " ")
	}
	for i := range o.Files {
		dir := filepath.Join(root, fmt.Sprintf("d%02d", i%50), fmt.Sprintf("s%02d", (i/50)%20))
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return Corpus{}, err
		}
		var b strings.Builder
		var name string
		if i%4 == 3 {
			name = fmt.Sprintf("f%05d.go", i)
			fmt.Fprintf(&b, "package p%d\n", i%50)
			for s := range o.Sections {
				fmt.Fprintf(&b, "\n// %s\nfunc %s%d() string {\n\treturn %q\n}\n", sentence(8), vocab[zipf.Uint64()], s, sentence(6))
			}
		} else {
			name = fmt.Sprintf("f%05d.md", i)
			for s := range o.Sections {
				fmt.Fprintf(&b, "# %s %d\n\n%s.\n%s.\n\n", sentence(3), s, sentence(12), sentence(12))
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(b.String()), 0o644); err != nil {
			return Corpus{}, err
		}
	}
	if err := Age(root, time.Hour); err != nil {
		return Corpus{}, err
	}
	c := Corpus{Root: root, Files: o.Files}
	// Ranks 50..500 of a Zipf(1.1) vocabulary: present, not ubiquitous.
	for i := range 50 {
		q := vocab[50+(i*37)%450]
		if i%3 >= 1 {
			q += " " + vocab[60+(i*53)%440]
		}
		if i%3 == 2 {
			q += " " + vocab[70+(i*71)%430]
		}
		c.Queries = append(c.Queries, q)
	}
	return c, nil
}

// makeVocab makes vocabSize distinct pronounceable words.
func makeVocab(rng *rand.Rand) []string {
	cons := "bcdfghjklmnprstvz"
	vows := "aeiou"
	seen := map[string]bool{}
	var words []string
	for len(words) < vocabSize {
		var b strings.Builder
		for range 2 + rng.IntN(3) {
			b.WriteByte(cons[rng.IntN(len(cons))])
			b.WriteByte(vows[rng.IntN(len(vows))])
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}
