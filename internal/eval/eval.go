// Package eval measures how well scry finds the file that answers a
// question: a labelled query set, the corpus it is asked over, the metrics
// and their bootstrap intervals, and the tables `make eval` prints. It is
// pure Go and knows nothing of the index; the runner scrapes the corpus,
// asks scry each query in each mode, and hands the ranked file paths here.
//
// # Corpus
//
// The corpus is the Python 3.11 standard library as Debian installs it
// (DefaultCorpusRoot, /usr/lib/python3.11): source with docstrings that no
// one here wrote and that every Debian 12 machine with python3 has. Only
// regular .py files count; see InCorpus for the directories left out and
// why. CopyCorpus copies exactly those files into a fresh directory, so the
// scraper, which walks a directory, indexes exactly the corpus.
//
// # Query set
//
// testdata/pystdlib.tsv holds the queries, one a line, four fields
// separated by tabs:
//
//	id	kind	query	expected
//	timing-safe-compare	natural	how do I compare two byte strings without leaking timing information	hmac.py,secrets.py
//	id-urlsplit	identifier	urlsplit	urllib/parse.py
//
// id is unique; kind is "natural" (a question in words, without the
// identifiers that answer it) or "identifier" (a name as a developer would
// type it: snake_case, CamelCase or dotted); expected is a comma-separated
// list of .py paths relative to the corpus root, each inside the corpus.
// Lines starting with # and blank lines are ignored; the header line is
// required. LoadQueries rejects anything else and names the line.
//
// # Metrics
//
// A system answers each query with a Ranking: result file paths, best
// first. A file may appear several times (scry returns chunks); only its
// first appearance counts, so rank k means the k-th distinct file. A
// query's rank is the rank of the first of its expected files, or 0 when
// none is among the first MaxRank (10) distinct files.
//
//   - R@k (recall@k, k = 1, 5, 10) is the fraction of queries with at least
//     one expected file among the first k distinct files. With several
//     expected files it is not the fraction of them that were found: one is
//     enough.
//   - MRR@10 is the mean over queries of 1/rank, with 0 for a query whose
//     expected files are all beyond rank 10 or absent.
//
// Every figure comes with a 95% percentile bootstrap interval over queries:
// Resamples resamples of the queries with replacement, drawn from a fixed
// Seed, so the same per-query results always print the same intervals, and
// every system and metric over the same queries is resampled identically.
// PairedBootstrap does the same for the per-query difference between two
// systems, which is how to tell whether hybrid beats lexical: an interval
// of the difference that excludes 0.
package eval

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"
)

// Query kinds.
const (
	Natural    = "natural"    // a question in words
	Identifier = "identifier" // a name: snake_case, CamelCase or dotted
)

// Kinds lists the query kinds in the order tables show them.
var Kinds = []string{Natural, Identifier}

// Query is one labelled question.
type Query struct {
	ID   string
	Kind string // Natural or Identifier
	Text string
	// Expected are the files (slash-separated, relative to the corpus
	// root) any one of which answers the query.
	Expected []string
}

// header is the required first line of a query file.
const header = "id\tkind\tquery\texpected"

// LoadQueries reads a query file in the format described in the package
// documentation.
func LoadQueries(file string) ([]Query, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseQueries(f, file)
}

// ParseQueries parses a query file read from r; name prefixes errors, which
// also give the line number.
func ParseQueries(r io.Reader, name string) ([]Query, error) {
	var (
		qs      []Query
		seen    = map[string]int{} // id -> line
		sawHead bool
		lineNo  int
	)
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		lineNo++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fail := func(format string, args ...any) error {
			return fmt.Errorf("%s:%d: %s", name, lineNo, fmt.Sprintf(format, args...))
		}
		if !sawHead {
			if line != header {
				return nil, fail("want the header line %q, got %q", header, line)
			}
			sawHead = true
			continue
		}
		fields := strings.Split(line, "\t")
		if len(fields) != 4 {
			return nil, fail("want 4 tab-separated fields (id, kind, query, expected), got %d", len(fields))
		}
		q := Query{ID: fields[0], Kind: fields[1], Text: fields[2]}
		for i, f := range fields[:3] {
			if f == "" || strings.TrimSpace(f) != f {
				return nil, fail("field %d (%s) is empty or has surrounding spaces: %q", i+1, strings.Fields(header)[i], f)
			}
		}
		if strings.ContainsAny(q.ID, " ,") {
			return nil, fail("id %q contains a space or comma", q.ID)
		}
		if prev, dup := seen[q.ID]; dup {
			return nil, fail("id %q already used on line %d", q.ID, prev)
		}
		seen[q.ID] = lineNo
		if q.Kind != Natural && q.Kind != Identifier {
			return nil, fail("kind %q is neither %q nor %q", q.Kind, Natural, Identifier)
		}
		if fields[3] == "" {
			return nil, fail("query %s has no expected file", q.ID)
		}
		for _, p := range strings.Split(fields[3], ",") {
			if err := checkExpected(p); err != nil {
				return nil, fail("query %s: %v", q.ID, err)
			}
			for _, prev := range q.Expected {
				if prev == p {
					return nil, fail("query %s lists %s twice", q.ID, p)
				}
			}
			q.Expected = append(q.Expected, p)
		}
		qs = append(qs, q)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s:%d: %w", name, lineNo+1, err)
	}
	if len(qs) == 0 {
		return nil, fmt.Errorf("%s: no queries", name)
	}
	return qs, nil
}

// checkExpected checks that p is a clean relative path of a corpus file.
func checkExpected(p string) error {
	switch {
	case p == "":
		return errors.New("empty expected path (stray comma?)")
	case strings.TrimSpace(p) != p:
		return fmt.Errorf("expected path %q has surrounding spaces", p)
	case path.IsAbs(p) || strings.Contains(p, `\`):
		return fmt.Errorf("expected path %q must be slash-separated and relative to the corpus root", p)
	case path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("expected path %q is not clean (want %q) or leaves the corpus", p, path.Clean(p))
	case !InCorpus(p):
		return fmt.Errorf("expected path %q is not in the corpus (not a .py file, or under an excluded directory)", p)
	}
	return nil
}
