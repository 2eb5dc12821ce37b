package scry

import (
	"context"

	"github.com/patina-dev/patina/internal/index"
)

// Retriever finds the chunks of one project's index that best match a
// query, best first. Lexical is the full-text retriever; a semantic
// (embedding) retriever implements the same interface, and Search fuses
// whatever retrievers a mode selects.
type Retriever interface {
	// Name is the retriever's name in Result.Sources ("lexical",
	// "semantic").
	Name() string
	// Retrieve returns at most limit hits from src, best first. It must
	// honour ctx: a cancelled search returns ctx.Err() promptly.
	Retrieve(ctx context.Context, src Source, q Query, limit int) ([]index.Hit, error)
}

// Lexical is the FTS5/BM25 retriever. A chunk matches when it contains any
// of the query's words (OR); chunks holding more of them, rarer ones, or
// holding them in the title rank higher.
type Lexical struct {
	// NoPhrases leaves identifiers in the query to word-by-word
	// matching, and ColumnWeights overrides the index's BM25 column
	// weights (see index.LexicalQuery): both only for the evaluation.
	NoPhrases     bool
	ColumnWeights []float64
}

var _ Retriever = Lexical{}

// Name is "lexical".
func (Lexical) Name() string { return ModeLexical }

// Retrieve runs an FTS5 query whose words are bound as quoted strings.
func (l Lexical) Retrieve(ctx context.Context, src Source, q Query, limit int) ([]index.Hit, error) {
	phrases := q.Identifiers
	if l.NoPhrases {
		phrases = nil
	}
	return src.Index.SearchLexical(ctx, index.LexicalQuery{
		Terms:         q.Terms,
		Phrases:       phrases,
		ColumnWeights: l.ColumnWeights,
		Limit:         limit,
		Filter:        q.Filter,
		NoSnippets:    true, // Search asks for the kept results' excerpts
	})
}
