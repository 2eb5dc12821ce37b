package scry

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/patina-dev/patina/internal/index"
)

// Models hands out loaded embedding models by name. The daemon keeps the
// ones it has loaded; the CLI loads on demand.
type Models interface {
	Model(ctx context.Context, name string) (index.Embedder, error)
}

// UnavailableError means semantic search cannot run on a project (no
// embeddings, no model, a model that fails its checks); Search then falls
// back to lexical for that project and says why in a note.
type UnavailableError struct{ Reason string }

func (e *UnavailableError) Error() string { return e.Reason }

// Semantic is the embedding retriever: the query is embedded by the model
// that embedded the project, and chunks rank by cosine similarity.
type Semantic struct {
	Models Models
}

var _ Retriever = Semantic{}

// Name is "semantic".
func (Semantic) Name() string { return ModeSemantic }

// Retrieve embeds q.Text with the project's model and searches its vectors.
func (s Semantic) Retrieve(ctx context.Context, src Source, q Query, limit int) ([]index.Hit, error) {
	name, id, err := src.Index.EmbeddingModel(ctx)
	if err != nil {
		return nil, s.unavailable(ctx, src, err)
	}
	if name == "" {
		return nil, &UnavailableError{fmt.Sprintf("project %s has no embeddings (scrape it without --no-embed)", src.label())}
	}
	// A model loading for the first time gets half the time left: if it
	// is not ready by then this query is answered lexically (and the load
	// goes on for the next one) rather than not at all.
	lctx := ctx
	if dl, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		lctx, cancel = context.WithDeadline(ctx, dl.Add(-time.Until(dl)/2))
		defer cancel()
	}
	m, err := s.Models.Model(lctx, name)
	if err != nil {
		if ctx.Err() == nil && lctx.Err() != nil {
			return nil, &UnavailableError{fmt.Sprintf("model %s is still loading; project %s was searched lexically this time", name, src.label())}
		}
		return nil, s.unavailable(ctx, src, err)
	}
	if index.VectorID(m.ModelID()) != id {
		return nil, &UnavailableError{fmt.Sprintf("project %s was embedded by another version of model %s: re-run patina scrape", src.label(), name)}
	}
	vecs, err := m.Embed(ctx, []string{strings.TrimSpace(q.Text)})
	if err != nil {
		return nil, s.unavailable(ctx, src, fmt.Errorf("embedding the query: %w", err))
	}
	hits, err := src.Index.SearchSemantic(ctx, index.SemanticQuery{ModelID: id, Vector: vecs[0], Limit: limit, Filter: q.Filter})
	if err != nil {
		return nil, s.unavailable(ctx, src, err)
	}
	return hits, nil
}

// SemanticFloor is the cosine similarity the best semantic hit of a
// project must reach for its semantic hits to be shown when no chunk of
// the project holds any of the query's words (hybrid mode: the lexical
// list is empty). Nearest neighbours always exist, so without it a
// nonsense word would get ten unrelated results. Calibrated for use-lite
// on the evaluation corpora: the best cosine of random letter strings,
// misspellings and off-topic words there reaches 0.68 (median 0.48);
// every labelled query has lexical hits, so the floor never touches
// them. Semantic mode, asked for nearest neighbours, has no floor.
const SemanticFloor = 0.7

// farFromAll reports whether a project's lists found nothing worth
// showing: its lexical list is empty and its semantic hits all fall
// under SemanticFloor.
func farFromAll(lists []ranked) bool {
	lexical, semantic := false, false
	for _, l := range lists {
		switch l.retriever {
		case ModeLexical:
			if len(l.hits) > 0 {
				return false
			}
			lexical = true
		case ModeSemantic:
			for _, h := range l.hits {
				if h.Score >= SemanticFloor {
					return false
				}
			}
			semantic = len(l.hits) > 0
		}
	}
	return lexical && semantic
}

// unavailable turns any failure of the semantic side into a lexical
// fallback for the project, except the caller's own cancellation.
func (Semantic) unavailable(ctx context.Context, src Source, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return &UnavailableError{fmt.Sprintf("semantic search of project %s is unavailable: %v", src.label(), err)}
}

func (s Source) label() string {
	if s.Name == "" {
		return "(unnamed)"
	}
	return s.Name
}
