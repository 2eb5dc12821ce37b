package scry

import (
	"context"
	"fmt"
	"strings"

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
		return nil, err
	}
	if name == "" {
		return nil, &UnavailableError{fmt.Sprintf("project %s has no embeddings (scrape it without --no-embed)", src.label())}
	}
	m, err := s.Models.Model(ctx, name)
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &UnavailableError{fmt.Sprintf("semantic search of project %s is unavailable: %v", src.label(), err)}
	}
	if index.VectorID(m.ModelID()) != id {
		return nil, &UnavailableError{fmt.Sprintf("project %s was embedded by another version of model %s: re-run patina scrape", src.label(), name)}
	}
	vecs, err := m.Embed(ctx, []string{strings.TrimSpace(q.Text)})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, &UnavailableError{fmt.Sprintf("semantic search of project %s failed: embedding the query: %v", src.label(), err)}
	}
	return src.Index.SearchSemantic(ctx, index.SemanticQuery{ModelID: id, Vector: vecs[0], Limit: limit})
}

func (s Source) label() string {
	if s.Name == "" {
		return "(unnamed)"
	}
	return s.Name
}
