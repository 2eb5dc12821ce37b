package scry

import (
	"cmp"
	"slices"
	"strconv"

	"github.com/patina-dev/patina/internal/index"
)

// RRFK is reciprocal rank fusion's k: a result's score is the sum, over
// the ranked lists it appears in, of weight/(RRFK + rank), rank counted
// from 1, weight the list's retriever's (1 when unlisted).
const RRFK = 60

// ranked is one retriever's hits from one project, best first.
type ranked struct {
	src       int // index of the source in the request
	project   string
	retriever string
	hits      []index.Hit
}

type fused struct {
	Result
	raw float64 // the best raw retriever score, to break ties
}

// fuse merges ranked lists by reciprocal rank fusion. Lists from different
// retrievers over the same project combine a chunk's evidence; lists from
// different projects interleave by rank, the raw score (BM25) deciding
// between equal ranks. The first list to mention a chunk supplies its
// fields (lists are ordered lexical first, for its marked snippet).
func fuse(lists []ranked, limit int, weights map[string]float64) []Result {
	type key struct {
		src int
		id  int64
	}
	byKey := map[key]*fused{}
	var all []*fused
	for _, l := range lists {
		for i, h := range l.hits {
			k := key{l.src, h.ChunkID}
			f := byKey[k]
			if f == nil {
				f = &fused{Result: resultOf(l.project, h), raw: h.Score}
				byKey[k] = f
				all = append(all, f)
			}
			w, ok := weights[l.retriever]
			if !ok {
				w = 1
			}
			f.Score += w / float64(RRFK+i+1)
			f.raw = max(f.raw, h.Score)
			if !slices.Contains(f.Sources, l.retriever) {
				f.Sources = append(f.Sources, l.retriever)
				f.Ranks[l.retriever] = i + 1
			}
		}
	}
	slices.SortStableFunc(all, func(a, b *fused) int {
		return cmp.Or(
			cmp.Compare(b.Score, a.Score),
			cmp.Compare(b.raw, a.raw),
			cmp.Compare(a.Project, b.Project),
			cmp.Compare(a.chunkID, b.chunkID),
		)
	})
	out := make([]Result, 0, min(limit, len(all)))
	for _, f := range all[:min(limit, len(all))] {
		out = append(out, f.Result)
	}
	return out
}

func resultOf(project string, h index.Hit) Result {
	id := strconv.FormatInt(h.ChunkID, 10)
	if project != "" {
		id = project + ":" + id
	}
	return Result{
		ID:        id,
		Project:   project,
		Path:      h.Path,
		Kind:      h.Kind,
		Title:     h.Title,
		StartLine: h.StartLine,
		EndLine:   h.EndLine,
		Snippet:   h.Snippet,
		Ranks:     map[string]int{},
		chunkID:   h.ChunkID,
	}
}
