// Package eval measures how well scry finds the place that answers a
// question: labelled query sets, the corpora they are asked over, the
// metrics and their bootstrap intervals, and the tables `make eval`
// prints. It knows nothing of the index; the runner (cmd/patina-eval)
// scrapes each corpus, asks scry each query in each system, and hands the
// ranked result paths here.
//
// # Sets and corpora
//
// Sets lists the query sets, each over a real corpus that every machine
// running `make eval` has or can fetch from its registries:
//
//   - pystdlib: the Python 3.11 standard library as Debian installs it
//     (code with docstrings; see PyStdlib for what is left out);
//   - mcpsdk: the Model Context Protocol Go SDK, a module this project
//     depends on, from the Go module cache (docs, code, examples, tests);
//   - gopls: the Go language server's module, from the module proxy
//     (user and design docs, code, many tests and test data files);
//   - patina: this repository at a pinned commit, with its git history
//     (docs, code, tests and commits);
//   - patinalog: the same corpus, asked every commit's subject (made
//     mechanically by WriteLogSet): where did this change happen?
//
// # Query files
//
// testdata/<set>.tsv holds a set's queries, one a line, four fields
// separated by tabs:
//
//	id	kind	query	expected
//	timing-safe-compare	natural	how do I compare two byte strings without leaking timing information	hmac.py,secrets.py
//	id-urlsplit	identifier	urlsplit	urllib/parse.py
//
// id is unique; kind is "natural" (a question in words, without the
// identifiers that answer it), "identifier" (a name as a developer would
// type it) or "commit" (a commit's subject, verbatim); expected is a
// comma-separated list of the places any one of which answers the query:
// paths relative to the corpus root, or "git:<40-hex hash>" for a commit.
// Lines starting with # and blank lines are ignored; the header line is
// required. ParseQueries rejects anything else and names the line; a
// Corpus checks that the expected places exist in it.
//
// # Halves
//
// Split cuts every set into a tuning half and a test half, the same way
// each time (by a hash of the query id).
// Defaults are chosen on the tuning halves; the test halves are the
// figures to quote.
//
// # Metrics
//
// A system answers each query with a Ranking: result paths, best first.
// A query's rank is the position of the first result that is one of its
// expected places (a repeated path counts at its first position only), or
// 0 when none is among the first MaxRank (10) distinct results. A result
// "git:<short hash>" is the commit whose full hash starts with it.
//
//   - R@k (recall@k, k = 1, 5, 10) is the fraction of queries with an
//     expected place among the first k distinct results.
//   - MRR@10 is the mean over queries of 1/rank, with 0 for a query whose
//     expected places are all beyond rank 10 or absent.
//
// Every figure comes with a 95% percentile bootstrap interval over queries:
// Resamples resamples of the queries with replacement, drawn from a fixed
// Seed, so the same per-query results always print the same intervals, and
// every system and metric over the same queries is resampled identically.
// PairedBootstrap does the same for the per-query difference between two
// systems, which is how to tell whether one beats another: an interval of
// the difference that excludes 0.
package eval

import (
	"bufio"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"path"
	"slices"
	"strings"
)

// Query kinds.
const (
	Natural    = "natural"    // a question in words
	Identifier = "identifier" // a name: snake_case, CamelCase or dotted
	Commit     = "commit"     // a commit's subject
)

// Kinds lists the query kinds in the order tables show them.
var Kinds = []string{Natural, Identifier, Commit}

// Query is one labelled question.
type Query struct {
	ID   string
	Kind string // Natural or Identifier
	Text string
	// Expected are the places any one of which answers the query: files
	// (slash-separated, relative to the corpus root) or commits
	// ("git:<full hash>").
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
		if !slices.Contains(Kinds, q.Kind) {
			return nil, fail("kind %q is none of %s", q.Kind, strings.Join(Kinds, ", "))
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

// checkExpected checks that p is a clean relative path or a full commit
// name.
func checkExpected(p string) error {
	if h, ok := strings.CutPrefix(p, "git:"); ok {
		if len(h) != 40 || strings.Trim(h, "0123456789abcdef") != "" {
			return fmt.Errorf("expected commit %q: want git: and a full 40-hex hash", p)
		}
		return nil
	}
	switch {
	case p == "":
		return errors.New("empty expected path (stray comma?)")
	case strings.TrimSpace(p) != p:
		return fmt.Errorf("expected path %q has surrounding spaces", p)
	case path.IsAbs(p) || strings.Contains(p, `\`):
		return fmt.Errorf("expected path %q must be slash-separated and relative to the corpus root", p)
	case path.Clean(p) != p || p == ".." || strings.HasPrefix(p, "../"):
		return fmt.Errorf("expected path %q is not clean (want %q) or leaves the corpus", p, path.Clean(p))
	}
	return nil
}

// Split cuts qs into a tuning half and a test half by a hash of each
// query's id: a query is in the same half whatever else its set holds, so
// adding queries never moves one the defaults were tuned on into the test
// half. Within each kind the halves come out about even.
func Split(qs []Query) (tune, test []Query) {
	for _, q := range qs {
		if idHash(q.ID)%2 == 0 {
			tune = append(tune, q)
		} else {
			test = append(test, q)
		}
	}
	return tune, test
}

func idHash(id string) uint64 {
	h := fnv.New64a()
	h.Write([]byte(id))
	return h.Sum64()
}
