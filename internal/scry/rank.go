package scry

import (
	"cmp"
	"context"
	"maps"
	"math"
	"slices"
	"strconv"

	"github.com/patina-dev/patina/internal/index"
)

// How results are ranked. A result is a place to open: a file (or a
// commit), never several chunks of one file. Each retriever's chunk list
// becomes a list of files, each file at the rank of its best chunk; the
// file lists are fused by weighted reciprocal rank; a matching commit
// also ranks the files it touched (the "history" list); and the fused
// score is scaled by a prior for the file's role under the query's
// intent, so "where is X" prefers the implementation to its tests and
// "why did X change" prefers commits and notes.

// RRFK is reciprocal rank fusion's k for a file's chunks: the order in
// which a file's matching chunks are listed (Result.Matches).
const RRFK = 60

// ModeHistory names the history list in Result.Sources.
const ModeHistory = "history"

// maxMatches caps the further chunks listed under a result.
const maxMatches = 5

// Ranking holds the parameters of file ranking. make eval chose
// DefaultRanking on its tuning half; the evaluation varies them.
type Ranking struct {
	// K is reciprocal rank fusion's k over file lists: a file at rank r
	// of a list scores weight/(K + r). A small K lets rank matter beside
	// the role priors.
	K float64
	// Weights are each list's weight by intent: "lexical", "semantic"
	// and "history".
	Weights map[Intent]map[string]float64
	// Priors scale a result's fused score by its role, by intent.
	Priors map[Intent]map[Role]float64
	// CommitK and Decay shape the history list: the r-th commit of a
	// list gives each of the n files it touched weight/(CommitK + r)/n^Decay.
	CommitK, Decay float64
	// ExpandCommits is how many of each list's best commits rank their
	// files: further down, a commit shares a word or two with the query
	// and says little about where its answer is.
	ExpandCommits int
	// MaxExpand: a commit touching more files than this ranks none.
	MaxExpand int
}

// DefaultRanking is the ranking scry uses.
var DefaultRanking = Ranking{
	K: 10,
	Weights: map[Intent]map[string]float64{
		IntentName:    {ModeLexical: 1, ModeSemantic: 0.25, ModeHistory: 0},
		IntentCode:    {ModeLexical: 1, ModeSemantic: 0.5, ModeHistory: 0.5},
		IntentUsage:   {ModeLexical: 1, ModeSemantic: 0, ModeHistory: 0.5},
		IntentHistory: {ModeLexical: 1, ModeSemantic: 0.5, ModeHistory: 1.5},
		IntentGeneral: {ModeLexical: 1, ModeSemantic: 0.5, ModeHistory: 1},
	},
	Priors: map[Intent]map[Role]float64{
		IntentName:    {RoleCode: 1, RoleTest: 0.5, RoleDoc: 0.6, RoleNote: 0.4, RoleCommit: 0.4},
		IntentCode:    {RoleCode: 1, RoleTest: 0.5, RoleDoc: 0.7, RoleNote: 0.5, RoleCommit: 0.5},
		IntentUsage:   {RoleCode: 1, RoleTest: 0.6, RoleDoc: 1.2, RoleNote: 0.5, RoleCommit: 0.4},
		IntentHistory: {RoleCode: 0.7, RoleTest: 0.4, RoleDoc: 0.8, RoleNote: 1, RoleCommit: 1},
		IntentGeneral: {RoleCode: 1, RoleTest: 0.6, RoleDoc: 0.8, RoleNote: 0.6, RoleCommit: 0.7},
	},
	CommitK:       2,
	Decay:         0.5,
	ExpandCommits: 1,
	MaxExpand:     50,
}

func (r *Ranking) weight(in Intent, list string) float64 {
	if w, ok := r.Weights[in][list]; ok {
		return w
	}
	return 1
}

func (r *Ranking) prior(in Intent, role Role) float64 {
	if p, ok := r.Priors[in][role]; ok {
		return p
	}
	return 1
}

// ranked is one list from one project, best first: a retriever's chunks,
// or the history list's files (one hit each, standing for the file).
type ranked struct {
	src       int // index of the source in the request
	project   string
	retriever string
	hits      []index.Hit
	// via, for the history list, are the matching commits that touched
	// each file ("git:<short hash>"), best first; strength scales each
	// file's contribution by how well its best commit matched, 1 for a
	// commit first in the lexical list (see expand).
	via      map[string][]string
	strength map[string]float64
}

// expand builds a project's history list from the commits in its other
// lists. Nil when no commit matched.
func expand(ctx context.Context, src Source, srcIdx int, lists []ranked, rk *Ranking, q Query, limit int) (*ranked, error) {
	in := q.Intent
	if rk.weight(in, ModeHistory) == 0 || !q.Filter.HoldsKind(index.KindCode) && !q.Filter.HoldsKind(index.KindDoc) {
		return nil, nil // no history list, or it would rank files the filter drops
	}
	ev := map[int64]float64{}
	name := map[int64]string{}
	for _, l := range lists {
		w := rk.weight(in, l.retriever)
		if w == 0 {
			continue
		}
		r := 0
		for _, h := range l.hits {
			if h.Kind != "commit" {
				continue
			}
			if r++; r > rk.ExpandCommits {
				break
			}
			ev[h.ChunkID] += w / (rk.CommitK + float64(r))
			name[h.ChunkID] = h.Path
		}
	}
	if len(ev) == 0 {
		return nil, nil
	}
	ids := make([]int64, 0, len(ev))
	for id := range ev {
		ids = append(ids, id)
	}
	touched, err := src.Index.TouchedBy(ctx, ids)
	if err != nil {
		return nil, err
	}
	// Commits best first, so each file's via list is too.
	slices.SortFunc(ids, func(a, b int64) int { return cmp.Or(cmp.Compare(ev[b], ev[a]), cmp.Compare(a, b)) })
	// The strongest evidence a commit can have: first in the lexical
	// list. A file's place in the history list is a rank like any other,
	// so its contribution is scaled by how near its best commit came to
	// that, or one weak semantic match would count as a strong one.
	top := rk.weight(in, ModeLexical) / (rk.CommitK + 1)
	score := map[string]float64{}
	strength := map[string]float64{}
	via := map[string][]string{}
	for _, id := range ids {
		t := touched[id]
		if t.FilesChanged == 0 || t.FilesChanged > rk.MaxExpand {
			continue
		}
		share := ev[id] / math.Pow(float64(t.FilesChanged), rk.Decay)
		for _, p := range t.Files {
			if !q.Filter.HoldsPath(p) {
				continue
			}
			score[p] += share
			if top > 0 {
				strength[p] = max(strength[p], min(1, ev[id]/top))
			}
			if len(via[p]) < 3 {
				via[p] = append(via[p], name[id])
			}
		}
	}
	if len(score) == 0 {
		return nil, nil
	}
	paths := make([]string, 0, len(score))
	for p := range score {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, func(a, b string) int { return cmp.Or(cmp.Compare(score[b], score[a]), cmp.Compare(a, b)) })
	paths = paths[:min(len(paths), limit)]
	heads, err := src.Index.FileHeads(ctx, paths)
	if err != nil {
		return nil, err
	}
	l := &ranked{src: srcIdx, project: src.Name, retriever: ModeHistory, via: via, strength: strength}
	for _, p := range paths {
		if h, ok := heads[p]; ok && q.Filter.HoldsKind(h.Kind) {
			h.Score = score[p]
			l.hits = append(l.hits, h)
		}
	}
	return l, nil
}

// group is one result in the making: a file (or commit) of one project.
type group struct {
	src     int
	project string
	path    string
	kind    string
	score   float64
	raw     float64 // the best raw retriever score, to break ties
	sources []string
	ranks   map[string]int
	commits []string
	chunks  map[int64]*chunkEv
	head    *index.Hit // the file as a whole, from the history list
}

// chunkEv is the evidence for one chunk of a group.
type chunkEv struct {
	hit   index.Hit
	score float64
}

// fuse ranks the files (and commits) in lists: see the top of this file.
// The results' snippets are the best chunks' as the lists had them;
// Search replaces them with excerpts around the query's words.
func fuse(lists []ranked, limit int, rk *Ranking, in Intent) []Result {
	type key struct {
		src  int
		path string
	}
	groups := map[key]*group{}
	var all []*group
	for _, l := range lists {
		w := rk.weight(in, l.retriever)
		if w == 0 {
			continue // a list weighed at nothing found nothing
		}
		rankOf := map[string]int{}
		for i, h := range l.hits {
			k := key{l.src, h.Path}
			g := groups[k]
			if g == nil {
				g = &group{src: l.src, project: l.project, path: h.Path, kind: h.Kind, ranks: map[string]int{}, chunks: map[int64]*chunkEv{}}
				groups[k] = g
				all = append(all, g)
			}
			if _, seen := rankOf[h.Path]; !seen {
				r := len(rankOf) + 1
				rankOf[h.Path] = r
				c := w / (rk.K + float64(r))
				if l.strength != nil {
					c *= l.strength[h.Path]
				}
				g.score += c
				g.sources = append(g.sources, l.retriever)
				g.ranks[l.retriever] = r
			}
			g.raw = max(g.raw, h.Score)
			if l.retriever == ModeHistory {
				hh := h
				g.head = &hh
				g.commits = l.via[h.Path]
				continue
			}
			c := g.chunks[h.ChunkID]
			if c == nil {
				c = &chunkEv{hit: h}
				g.chunks[h.ChunkID] = c
			}
			c.score += w / float64(RRFK+i+1)
		}
	}
	for _, g := range all {
		g.score *= rk.prior(in, RoleOf(g.path, g.kind))
	}
	slices.SortStableFunc(all, func(a, b *group) int {
		return cmp.Or(
			cmp.Compare(b.score, a.score),
			cmp.Compare(b.raw, a.raw),
			cmp.Compare(a.project, b.project),
			cmp.Compare(a.path, b.path),
		)
	})
	out := make([]Result, 0, min(limit, len(all)))
	for _, g := range all[:min(limit, len(all))] {
		out = append(out, g.result())
	}
	return out
}

// result is the group as the API shows it: its best chunk, the others
// listed under it.
func (g *group) result() Result {
	cs := make([]*chunkEv, 0, len(g.chunks))
	for _, c := range g.chunks {
		cs = append(cs, c)
	}
	slices.SortFunc(cs, func(a, b *chunkEv) int {
		return cmp.Or(cmp.Compare(b.score, a.score), cmp.Compare(a.hit.StartLine, b.hit.StartLine), cmp.Compare(a.hit.ChunkID, b.hit.ChunkID))
	})
	var best index.Hit
	switch {
	case len(cs) > 0:
		best = cs[0].hit
	case g.head != nil:
		best = *g.head
		best.Snippet = ""
	}
	r := resultOf(g.project, best)
	r.Score = g.score
	r.Sources = g.sources
	r.Ranks = g.ranks
	r.Commits = g.commits
	for _, c := range cs[min(1, len(cs)):min(len(cs), 1+maxMatches)] {
		r.Matches = append(r.Matches, Match{ID: chunkRef(g.project, c.hit.ChunkID), Title: c.hit.Title, StartLine: c.hit.StartLine, EndLine: c.hit.EndLine})
	}
	return r
}

func chunkRef(project string, id int64) string {
	s := strconv.FormatInt(id, 10)
	if project != "" {
		s = project + ":" + s
	}
	return s
}

func resultOf(project string, h index.Hit) Result {
	return Result{
		ID:        chunkRef(project, h.ChunkID),
		Project:   project,
		Path:      h.Path,
		Kind:      h.Kind,
		Title:     h.Title,
		StartLine: h.StartLine,
		EndLine:   h.EndLine,
		Snippet:   h.Snippet,
		chunkID:   h.ChunkID,
	}
}

// Clone is a deep copy of r, to change without touching r.
func (r *Ranking) Clone() *Ranking {
	c := *r
	c.Weights = map[Intent]map[string]float64{}
	for in, m := range r.Weights {
		c.Weights[in] = maps.Clone(m)
	}
	c.Priors = map[Intent]map[Role]float64{}
	for in, m := range r.Priors {
		c.Priors[in] = maps.Clone(m)
	}
	return &c
}
