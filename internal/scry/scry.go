// Package scry answers queries over one or more project indexes.
//
// Search parses the query into plain words (ParseQuery: no query syntax
// survives, stopwords are dropped, the intent is read off the words), asks
// each retriever the mode selects for each project's best chunks, and
// ranks the files those chunks are in (see rank.go): one result per file,
// commits ranking the files they touched, roles weighed by intent. Lexical
// is SQLite FTS5 and BM25 over weighted fields; Semantic embeds the query
// with the model that embedded the project and ranks by cosine
// similarity. A project that cannot be searched semantically is searched
// lexically, and Response.Notes says why.
package scry

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/patina-dev/patina/internal/index"
)

// Modes.
const (
	ModeLexical  = "lexical"
	ModeSemantic = "semantic"
	ModeHybrid   = "hybrid"
)

// Result limits.
const (
	DefaultLimit = 10
	MaxLimit     = 1000
)

// Source is one project to search: its registered name, its root
// directory and its open index.
type Source struct {
	Name  string
	Root  string // canonical; "" when not known (tests)
	Index *index.DB
}

// Request is a search.
type Request struct {
	Query    string   // the user's text, searched as plain words
	Projects []Source // the projects to search (at least one)
	// Limit is how many results to return: 0 means DefaultLimit, and
	// anything else is clamped to 1..MaxLimit.
	Limit int
	// Mode is "lexical", "semantic", "hybrid", or "" for the best
	// available (hybrid when a semantic retriever is set, else lexical).
	Mode string
	// Kind and PathPrefix filter the results inside retrieval, so Limit
	// counts files that pass (see ParseFilter): Kind is code, doc or
	// commit (several separated by commas), PathPrefix a file or
	// directory relative to each project's root, which keeps the files
	// at or under it and the commits that touched one.
	Kind       string
	PathPrefix string
}

// Result is one place found: a file, or a commit. Its best chunk gives
// the line range, title, snippet, match line and excerpt; Matches lists
// the file's other matching chunks. Score is the fused score,
// comparable within one response; Sources names the lists that found
// the file (lexical, semantic, history) and Ranks at which rank (from 1)
// each had it.
type Result struct {
	ID        string `json:"id"` // "<project>:<chunk id>" of the best chunk, stable until the chunk changes
	Project   string `json:"project,omitempty"`
	Path      string `json:"path"` // relative to the project root; "git:<hash>" for commits
	Kind      string `json:"kind"` // doc, code or commit
	Title     string `json:"title"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
	Snippet   string `json:"snippet"` // query words between MarkStart and MarkEnd
	// MatchLine is the line of the best chunk that holds the most query
	// words (the first such), or its first non-blank line when it holds
	// none; for a commit, a line of its message. Excerpt is up to
	// ExcerptLines lines around it.
	MatchLine int            `json:"match_line"`
	Excerpt   []Line         `json:"excerpt,omitempty"`
	Score     float64        `json:"score"`
	Sources   []string       `json:"sources"`
	Ranks     map[string]int `json:"ranks"`
	// Matches are the file's other matching chunks, best first (at most
	// five).
	Matches []Match `json:"matches,omitempty"`
	// Commits are matching commits that touched the file, best first
	// ("git:<hash>", at most three): why the history list has it.
	Commits []string `json:"commits,omitempty"`

	chunkID int64
}

// Match is a further matching chunk of a result's file.
type Match struct {
	ID        string `json:"id"`
	Title     string `json:"title"`
	StartLine int    `json:"start_line"`
	EndLine   int    `json:"end_line"`
}

// Response is the answer to a Request; its JSON is the API's.
type Response struct {
	Results []Result `json:"results"`
	Count   int      `json:"count"`
	// Mode is the mode actually used; Degraded is set when it is not the
	// one asked for, and Notes say why (and anything else worth knowing,
	// such as a project that could not be searched).
	Mode     string   `json:"mode"`
	Degraded bool     `json:"degraded,omitempty"`
	Notes    []string `json:"notes,omitempty"`
	// Projects says, once for each project with a result, where it
	// lies, so a caller can open a result's file. Left out where the
	// roots are unknown (and over TCP: see service/scry.go).
	Projects map[string]ProjectInfo `json:"projects,omitempty"`
}

// ProjectInfo is what a response says about a project.
type ProjectInfo struct {
	Root string `json:"root"` // its directory, absolute and canonical
}

// Searcher holds the retrievers. The zero value has none; use NewSearcher.
type Searcher struct {
	Lexical  Retriever
	Semantic Retriever // nil until an embedding model is available
	// Parallel caps how many projects are searched at once (default
	// GOMAXPROCS).
	Parallel int
	// Ranking, if set, replaces DefaultRanking (the evaluation varies
	// it).
	Ranking *Ranking
}

func (s *Searcher) ranking() *Ranking {
	if s.Ranking != nil {
		return s.Ranking
	}
	return &DefaultRanking
}

// LooksLikeIdentifier reports whether a query is a single name such as
// compare_digest, os.path.join, ThreadPoolExecutor or urlsplit: one
// whitespace-free word. A model of sentences knows little of such names,
// while full-text search finds them exactly.
func LooksLikeIdentifier(text string) bool {
	f := strings.Fields(text)
	return len(f) == 1
}

// NewSearcher is a Searcher with the lexical retriever only.
func NewSearcher() *Searcher { return &Searcher{Lexical: Lexical{}} }

// NewHybridSearcher is a Searcher with both retrievers, the semantic one
// loading models from m.
func NewHybridSearcher(m Models) *Searcher {
	return &Searcher{Lexical: Lexical{}, Semantic: Semantic{Models: m}}
}

// Search runs req with a lexical-only Searcher.
func Search(ctx context.Context, req Request) (Response, error) {
	return NewSearcher().Search(ctx, req)
}

// Search runs req. Bad input is an *InputError (see ErrEmptyQuery and its
// siblings). Every index query runs under ctx: cancelling it interrupts
// SQLite, and Search returns ctx.Err() once every project's query has
// stopped. When several projects are searched, one that fails is skipped
// with a note; if all fail, the first error is returned. A project's
// failure is a *ProjectError (with an *index.DamagedError inside when its
// index is damaged).
func (s *Searcher) Search(ctx context.Context, req Request) (Response, error) {
	mode, retrievers, notes, err := s.pick(req.Mode)
	if err != nil {
		return Response{}, err
	}
	q, err := ParseQuery(req.Query)
	if err != nil {
		return Response{}, err
	}
	if q.Filter, err = ParseFilter(req.Kind, req.PathPrefix); err != nil {
		return Response{}, err
	}
	if q.Truncated {
		notes = append(notes, fmt.Sprintf("only the first %d distinct words were searched", MaxTerms))
	}
	if len(req.Projects) == 0 {
		return Response{}, ErrNoProjects
	}
	limit := clampLimit(req.Limit)
	// Results are files: a file often has several matching chunks, and
	// fusion needs more than the top few of each list.
	fetch := min(max(100, 3*limit), 3000)
	rk := s.ranking()
	switch {
	case len(retrievers) == 1 && rk.weight(q.Intent, retrievers[0].Name()) == 0:
		// The weights weigh lists against each other; one list alone
		// counts whatever its weight beside others would be.
		rk = rk.Clone()
		if rk.Weights[q.Intent] == nil {
			rk.Weights[q.Intent] = map[string]float64{}
		}
		rk.Weights[q.Intent][retrievers[0].Name()] = 1
	case len(retrievers) > 1:
		// A retriever weighed at nothing for this intent is not asked.
		var rs []Retriever
		for _, r := range retrievers {
			if rk.weight(q.Intent, r.Name()) > 0 || r.Name() == ModeLexical {
				rs = append(rs, r)
			}
		}
		retrievers = rs
	}

	// One goroutine per project, at most Parallel at a time; each runs
	// the retrievers in turn. All have finished when Wait returns.
	lists := make([][]ranked, len(req.Projects))
	errs := make([]error, len(req.Projects))
	fallbacks := make([]string, len(req.Projects)) // why a project was searched lexically only
	floored := make([]bool, len(req.Projects))     // semantic hits dropped: nothing matched (see SemanticFloor)
	sem := make(chan struct{}, s.parallel())
	var wg sync.WaitGroup
	for i, src := range req.Projects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			l, fallback, err := s.retrieveAll(ctx, retrievers, src, i, q, fetch, limit)
			if err != nil {
				errs[i] = failedOn(src, err)
				return
			}
			if farFromAll(l) {
				l, floored[i] = nil, true
			}
			lists[i], fallbacks[i] = l, fallback
			h, err := expand(ctx, src, i, lists[i], rk, q, fetch)
			if err != nil {
				errs[i] = failedOn(src, err)
				return
			}
			if h != nil {
				lists[i] = append(lists[i], *h)
			}
		}()
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}

	var all []ranked
	var firstErr error
	failed, fellBack := 0, 0
	for i, err := range errs {
		if fallbacks[i] != "" && err == nil {
			fellBack++
			notes = append(notes, fallbacks[i]+"; its results are lexical only")
		}
		if err != nil {
			failed++
			firstErr = cmpErr(firstErr, err)
			cause := err
			if pe, ok := err.(*ProjectError); ok {
				cause = pe.Err // the note names the project already
			}
			notes = append(notes, fmt.Sprintf("project %s not searched: %v", req.Projects[i].Name, cause))
			continue
		}
		all = append(all, lists[i]...)
	}
	if failed == len(req.Projects) {
		return Response{}, firstErr
	}
	if fellBack > 0 && fellBack == len(req.Projects)-failed {
		mode = ModeLexical // no project was searched semantically
	}
	res := fuse(all, limit, rk, q.Intent)
	if len(res) == 0 && slices.Contains(floored, true) {
		notes = append(notes, fmt.Sprintf("no indexed text holds the query's words, and none comes near it in meaning (cosine similarity under %.2f)", SemanticFloor))
	}
	if err := snippets(ctx, req.Projects, res, q); err != nil {
		if ctx.Err() != nil {
			return Response{}, ctx.Err()
		}
		// The results stand without their excerpts.
		notes = append(notes, fmt.Sprintf("excerpts unavailable: %v", err))
	}
	return Response{Results: res, Count: len(res), Mode: mode, Degraded: fellBack > 0 || mode != wanted(req.Mode, mode), Notes: notes,
		Projects: roots(req.Projects, res)}, nil
}

// roots are the results' projects' roots, where known.
func roots(srcs []Source, res []Result) map[string]ProjectInfo {
	var m map[string]ProjectInfo
	for _, src := range srcs {
		if src.Root == "" || !slices.ContainsFunc(res, func(r Result) bool { return r.Project == src.Name }) {
			continue
		}
		if m == nil {
			m = map[string]ProjectInfo{}
		}
		m[src.Name] = ProjectInfo{Root: src.Root}
	}
	return m
}

// retrieveAll runs the retrievers on one project at once (they wait on
// different things: SQLite, the model, the vector scan) and returns their
// lists in the retrievers' order. A semantic retriever that cannot run on
// the project is replaced by lexical search, if that is not running
// already, and fallback says why.
func (s *Searcher) retrieveAll(ctx context.Context, rs []Retriever, src Source, srcIdx int, q Query, fetch, limit int) (lists []ranked, fallback string, err error) {
	type answer struct {
		hits []index.Hit
		err  error
	}
	answers := make([]answer, len(rs))
	var wg sync.WaitGroup
	for j, r := range rs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			answers[j].hits, answers[j].err = retrieveFiles(ctx, r, src, q, fetch, limit)
		}()
	}
	wg.Wait()
	for j, a := range answers {
		var unavailable *UnavailableError
		switch {
		case errors.As(a.err, &unavailable):
			// Lexical search always works: fall back to it for this
			// project, and say why.
			fallback = unavailable.Reason
			if len(rs) == 1 {
				hits, err := retrieveFiles(ctx, s.Lexical, src, q, fetch, limit)
				if err != nil {
					return nil, "", err
				}
				lists = append(lists, ranked{src: srcIdx, project: src.Name, retriever: s.Lexical.Name(), hits: hits})
			}
		case a.err != nil:
			return nil, "", a.err
		default:
			lists = append(lists, ranked{src: srcIdx, project: src.Name, retriever: rs[j].Name(), hits: a.hits})
		}
	}
	return lists, fallback, ctx.Err()
}

// maxFetch caps the chunks one retriever is asked for.
const maxFetch = 20000

// retrieveFiles asks r for n chunks, and for four times as many while
// they are too few files to fill limit and more chunks are to be had:
// one file with many matching chunks must not crowd out the rest.
func retrieveFiles(ctx context.Context, r Retriever, src Source, q Query, n, limit int) ([]index.Hit, error) {
	for {
		hits, err := r.Retrieve(ctx, src, q, n)
		if err != nil || len(hits) < n || n >= maxFetch {
			return hits, err
		}
		files := map[string]bool{}
		for _, h := range hits {
			files[h.Path] = true
		}
		if len(files) >= limit {
			return hits, nil
		}
		n = min(4*n, maxFetch)
	}
}

// snippets replaces each result's snippet with an excerpt of its best
// chunk around the query's words, and sets its match line and excerpt
// lines (see excerpt.go). Stopwords are never marked, unless the query is
// nothing but stopwords.
func snippets(ctx context.Context, srcs []Source, res []Result, q Query) error {
	byProject := map[string][]int{}
	for i, r := range res {
		byProject[r.Project] = append(byProject[r.Project], i)
	}
	for _, src := range srcs {
		idx := byProject[src.Name]
		if len(idx) == 0 {
			continue
		}
		ids := make([]int64, len(idx))
		for j, i := range idx {
			ids[j] = res[i].chunkID
		}
		sq := index.SnippetQuery{IDs: ids, Terms: q.Terms, MarkStart: MarkStart, MarkEnd: MarkEnd}
		snips, err := src.Index.Snippets(ctx, sq)
		if err != nil {
			return fmt.Errorf("project %s: %w", src.label(), err)
		}
		texts, err := src.Index.Marked(ctx, sq)
		if err != nil {
			return fmt.Errorf("project %s: %w", src.label(), err)
		}
		for _, i := range idx {
			id := res[i].chunkID
			res[i].Snippet = unmarkStopwords(snips[id], q.Terms)
			if t, ok := texts[id]; ok {
				locate(&res[i], unmarkStopwords(t, q.Terms))
			}
		}
	}
	return nil
}

func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// wanted is the mode the caller asked for ("" asks for whatever is best).
func wanted(asked, used string) string {
	if asked = strings.ToLower(strings.TrimSpace(asked)); asked == "" {
		return used
	}
	return asked
}

// pick chooses the retrievers for a mode, degrading to lexical when the
// semantic retriever is missing.
func (s *Searcher) pick(mode string) (used string, rs []Retriever, notes []string, err error) {
	if s.Lexical == nil {
		return "", nil, nil, errors.New("scry: searcher has no lexical retriever")
	}
	const noModel = "semantic search is unavailable (no embedding model loaded); results are lexical only"
	switch strings.ToLower(strings.TrimSpace(mode)) {
	case "":
		if s.Semantic != nil {
			return ModeHybrid, []Retriever{s.Lexical, s.Semantic}, nil, nil
		}
		return ModeLexical, []Retriever{s.Lexical}, nil, nil
	case ModeLexical:
		return ModeLexical, []Retriever{s.Lexical}, nil, nil
	case ModeSemantic:
		if s.Semantic == nil {
			return ModeLexical, []Retriever{s.Lexical}, []string{noModel}, nil
		}
		return ModeSemantic, []Retriever{s.Semantic}, nil, nil
	case ModeHybrid:
		if s.Semantic == nil {
			return ModeLexical, []Retriever{s.Lexical}, []string{noModel}, nil
		}
		return ModeHybrid, []Retriever{s.Lexical, s.Semantic}, nil, nil
	}
	return "", nil, nil, fmt.Errorf("%w (got %q)", ErrBadMode, mode)
}

func (s *Searcher) parallel() int {
	if s.Parallel > 0 {
		return s.Parallel
	}
	return runtime.GOMAXPROCS(0)
}

// clampLimit: 0 is DefaultLimit; otherwise clamped to 1..MaxLimit.
func clampLimit(n int) int {
	switch {
	case n == 0:
		return DefaultLimit
	case n < 1:
		return 1
	case n > MaxLimit:
		return MaxLimit
	}
	return n
}
