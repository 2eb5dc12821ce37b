package index

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"unicode"
)

// Hit is one chunk that matched a search.
type Hit struct {
	ChunkID   int64
	Path      string
	Kind      string
	Title     string
	StartLine int
	EndLine   int
	Snippet   string  // an excerpt of the content; from SearchLexical, matched terms between the markers
	Score     float64 // BM25 relevance, higher is better (comparable within one index)
}

// LexicalQuery is a full-text search over the index.
type LexicalQuery struct {
	// Terms are searched as plain text. Each is quoted as an FTS5 string,
	// so operators, column filters, quotes and parentheses in them are
	// inert; it is the tokenizer that splits and folds them.
	Terms []string
	// Phrases are names a query asks for, as runs of words ("rmtree",
	// "compare digest"). Chunks that match the terms and hold one of them
	// in their title (which names the declarations a code chunk holds)
	// rank first, by BM25 among themselves; the rest follow. So the
	// definition of a name outranks the many places that use it.
	Phrases []string
	// All requires every term to match (AND); by default any term does
	// (OR) and BM25 ranks chunks matching more of them higher.
	All bool
	// Limit caps the hits (default 10).
	Limit int
	// ColumnWeights, if set, replace the index's BM25 weights for the
	// columns title, content, path and idents (3, 1, 1, 0.25): the
	// evaluation compares weightings with them.
	ColumnWeights []float64
	// MarkStart and MarkEnd surround matched terms in Hit.Snippet.
	MarkStart, MarkEnd string
	// SnippetTokens is the snippet's length in tokens (default 24, max 64).
	SnippetTokens int
}

// ErrNoTerms means a LexicalQuery had no term with a letter or digit in it.
var ErrNoTerms = errors.New("index: no searchable terms")

// TestHookSlowSearch makes SearchLexical spin inside SQLite (a recursive
// CTE of ten billion steps) until its context is cancelled. It exists so
// tests can prove that cancelling the context interrupts a running query.
var TestHookSlowSearch atomic.Bool

const slowClause = ` AND (WITH RECURSIVE spin(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM spin WHERE n < 10000000000) SELECT count(*) FROM spin) > 0`

// SearchLexical ranks chunks by BM25 (title weighted 3, content and path
// 1) against q's terms. The query runs with ctx: cancelling it interrupts
// SQLite (sqlite3_interrupt) and SearchLexical returns ctx.Err().
func (db *DB) SearchLexical(ctx context.Context, q LexicalQuery) ([]Hit, error) {
	match := ftsMatch(q.Terms, q.All)
	if match == "" {
		return nil, ErrNoTerms
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 10
	}
	tokens := q.SnippetTokens
	if tokens <= 0 {
		tokens = 24
	}
	tokens = min(tokens, 64)
	var hits []Hit
	if phrases := ftsMatch(q.Phrases, false); phrases != "" {
		exact, err := db.searchFTS(ctx, "("+match+") AND title : ("+phrases+")", q, tokens, limit)
		if err != nil {
			return nil, err
		}
		hits = exact
	}
	rest, err := db.searchFTS(ctx, match, q, tokens, limit)
	if err != nil {
		return nil, err
	}
	for _, h := range rest {
		if len(hits) == limit {
			break
		}
		if !slices.ContainsFunc(hits, func(e Hit) bool { return e.ChunkID == h.ChunkID }) {
			hits = append(hits, h)
		}
	}
	return hits, nil
}

// searchFTS runs one FTS5 query, best BM25 first.
func (db *DB) searchFTS(ctx context.Context, match string, q LexicalQuery, tokens, limit int) ([]Hit, error) {
	where := `chunks_fts MATCH ?`
	args := []any{q.MarkStart, q.MarkEnd, tokens, match}
	if len(q.ColumnWeights) > 0 {
		if len(q.ColumnWeights) != 4 {
			return nil, fmt.Errorf("index: %d column weights, want 4 (title, content, path, idents)", len(q.ColumnWeights))
		}
		// FTS5's per-query override of the rank function.
		where += ` AND rank MATCH ?`
		args = append(args, fmt.Sprintf("bm25(%g, %g, %g, %g)", q.ColumnWeights[0], q.ColumnWeights[1], q.ColumnWeights[2], q.ColumnWeights[3]))
	}
	if TestHookSlowSearch.Load() {
		where += slowClause
	}
	rows, err := db.sql.QueryContext(ctx, `
		SELECT c.id, c.path, c.kind, c.title, c.start_line, c.end_line, f.snip, f.rank
		FROM (SELECT rowid, snippet(chunks_fts, 1, ?, ?, '…', ?) AS snip, rank
		      FROM chunks_fts WHERE `+where+` ORDER BY rank LIMIT ?) AS f
		JOIN chunks c ON c.id = f.rowid
		ORDER BY f.rank`,
		append(args, limit)...)
	if err != nil {
		return nil, searchErr(ctx, db, err)
	}
	defer rows.Close()
	hits := []Hit{}
	for rows.Next() {
		var h Hit
		var rank float64
		if err := rows.Scan(&h.ChunkID, &h.Path, &h.Kind, &h.Title, &h.StartLine, &h.EndLine, &h.Snippet, &rank); err != nil {
			return nil, searchErr(ctx, db, err)
		}
		h.Score = -rank // FTS5's bm25() is negative, lower is better
		hits = append(hits, h)
	}
	if err := rows.Err(); err != nil {
		return nil, searchErr(ctx, db, err)
	}
	return hits, nil
}

func searchErr(ctx context.Context, db *DB, err error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return fmt.Errorf("index: search %s: %w", db.path, err)
}

// ftsMatch builds an FTS5 MATCH expression that searches each term as a
// quoted string ("" inside doubles a quote). Control characters become
// spaces (FTS5 ends a string at a NUL byte), and terms without a letter or
// digit are dropped: they could match nothing.
func ftsMatch(terms []string, all bool) string {
	var parts []string
	for _, t := range terms {
		t = strings.Map(func(r rune) rune {
			if unicode.IsControl(r) {
				return ' '
			}
			return r
		}, strings.ToValidUTF8(t, " "))
		if !strings.ContainsFunc(t, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
			continue
		}
		parts = append(parts, `"`+strings.ReplaceAll(t, `"`, `""`)+`"`)
	}
	op := " OR "
	if all {
		op = " AND "
	}
	return strings.Join(parts, op)
}
