package index

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
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
	// in their names field (the declarations a code chunk holds) rank
	// first, by BM25 among themselves; the rest follow. So the
	// definition of a name outranks the many places that use it.
	Phrases []string
	// All requires every term to match (AND); by default any term does
	// (OR) and BM25 ranks chunks matching more of them higher.
	All bool
	// Limit caps the hits (default 10).
	Limit int
	// Filter keeps only the chunks it passes, before Limit counts them.
	Filter Filter
	// ColumnWeights, if set, replace DefaultColumnWeights, one per
	// full-text column (names, content, pathwords, idents, docs): the
	// evaluation compares weightings with them.
	ColumnWeights []float64
	// MarkStart and MarkEnd surround matched terms in Hit.Snippet.
	MarkStart, MarkEnd string
	// NoSnippets leaves Hit.Snippet empty: a caller that keeps only a
	// few of many hits asks Snippets for those.
	NoSnippets bool
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

// Columns of the full-text table, in order, and the BM25 weight each has
// by default. make eval chose the weights on its tuning halves: a word in
// the file's path, or inside an identifier of the chunk (split CamelCase),
// counts five times a word of its text; names (declarations, heading,
// commit subject) and doc comments as much as the text. Higher weights for
// names helped one-word queries little (declarations already rank first
// for those: see Phrases) and hurt questions, whose words name many
// declarations in tests.
var (
	Columns              = []string{"names", "content", "pathwords", "idents", "docs"}
	DefaultColumnWeights = []float64{1, 1, 5, 5, 1}
)

// SearchLexical ranks chunks by BM25 over the weighted columns against
// q's terms. The query runs with ctx: cancelling it interrupts
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
	tokens := snippetTokens(q.SnippetTokens)
	var hits []Hit
	if phrases := ftsMatch(q.Phrases, false); phrases != "" {
		exact, err := db.searchFTS(ctx, "("+match+") AND names : ("+phrases+")", q, tokens, limit)
		if err != nil {
			return nil, err
		}
		hits = exact
	}
	rest, err := db.searchFTS(ctx, match, q, tokens, limit)
	if err != nil {
		return nil, err
	}
	first := make(map[int64]bool, len(hits))
	for _, h := range hits {
		first[h.ChunkID] = true
	}
	for _, h := range rest {
		if len(hits) == limit {
			break
		}
		if !first[h.ChunkID] {
			hits = append(hits, h)
		}
	}
	return hits, nil
}

// searchFTS runs one FTS5 query, best BM25 first.
func (db *DB) searchFTS(ctx context.Context, match string, q LexicalQuery, tokens, limit int) ([]Hit, error) {
	weights := q.ColumnWeights
	if len(weights) == 0 {
		weights = DefaultColumnWeights
	}
	if len(weights) != len(Columns) {
		return nil, fmt.Errorf("index: %d column weights, want %d (%s)", len(weights), len(Columns), strings.Join(Columns, ", "))
	}
	ws := make([]string, len(weights))
	for i, w := range weights {
		ws[i] = strconv.FormatFloat(w, 'g', -1, 64)
	}
	// FTS5's per-query override of the rank function.
	where := `chunks_fts MATCH ? AND rank MATCH ?`
	args := []any{match, "bm25(" + strings.Join(ws, ", ") + ")"}
	if !q.Filter.IsZero() {
		cond, fargs := q.Filter.where()
		where += ` AND rowid IN (SELECT id FROM chunks WHERE ` + cond + `)`
		args = append(args, fargs...)
	}
	if TestHookSlowSearch.Load() {
		where += slowClause
	}
	snip := `''`
	if !q.NoSnippets {
		snip = `snippet(chunks_fts, 1, ?, ?, '…', ?)`
		args = append([]any{q.MarkStart, q.MarkEnd, tokens}, args...)
	}
	rows, err := db.sql.QueryContext(ctx, `
		SELECT c.id, c.path, c.kind, c.title, c.start_line, c.end_line, f.snip, f.rank
		FROM (SELECT rowid, `+snip+` AS snip, rank
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

// SnippetQuery asks Snippets for excerpts of chosen chunks.
type SnippetQuery struct {
	IDs []int64
	// Terms, when given, pick each excerpt around the words matched in
	// the chunk's text, between MarkStart and MarkEnd; a chunk whose
	// text matches none (found by its names, path or meaning) gets its
	// first Chars characters.
	Terms              []string
	MarkStart, MarkEnd string
	Tokens             int // excerpt length around matches (default 24, max 64)
	Chars              int // length of a plain excerpt (default 240)
}

// Snippets returns an excerpt of each chunk in q.IDs that still exists.
func (db *DB) Snippets(ctx context.Context, q SnippetQuery) (map[int64]string, error) {
	out := make(map[int64]string, len(q.IDs))
	if len(q.IDs) == 0 {
		return out, nil
	}
	tokens := snippetTokens(q.Tokens)
	chars := q.Chars
	if chars <= 0 {
		chars = 240
	}
	ids := anys(q.IDs)
	if match := ftsMatch(q.Terms, false); match != "" {
		// Matched in the text column only, so the excerpt shows them.
		args := append([]any{q.MarkStart, q.MarkEnd, tokens, "content : (" + match + ")"}, ids...)
		err := scanTexts(out)(db.sql.QueryContext(ctx, `SELECT rowid, snippet(chunks_fts, 1, ?, ?, '…', ?)
			FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid IN (`+placeholders(len(ids))+`)`, args...))
		if err != nil {
			return nil, searchErr(ctx, db, err)
		}
	}
	if rest := missing(out, q.IDs); len(rest) > 0 {
		err := scanTexts(out)(db.sql.QueryContext(ctx, `SELECT id, substr(content, 1, ?) FROM chunks WHERE id IN (`+placeholders(len(rest))+`)`,
			append([]any{chars}, rest...)...))
		if err != nil {
			return nil, searchErr(ctx, db, err)
		}
	}
	return out, nil
}

// Marked returns the whole text of each chunk in q.IDs that still exists,
// every word of it that matches one of q.Terms (as the full-text index
// matches them: folded and stemmed) between q.MarkStart and q.MarkEnd. A
// chunk whose text matches none comes as it is. Lines of the text are the
// chunk's lines, from its StartLine. (q.Tokens and q.Chars do not apply.)
func (db *DB) Marked(ctx context.Context, q SnippetQuery) (map[int64]string, error) {
	out := make(map[int64]string, len(q.IDs))
	if len(q.IDs) == 0 {
		return out, nil
	}
	ids := anys(q.IDs)
	if match := ftsMatch(q.Terms, false); match != "" {
		args := append([]any{q.MarkStart, q.MarkEnd, "content : (" + match + ")"}, ids...)
		err := scanTexts(out)(db.sql.QueryContext(ctx, `SELECT rowid, highlight(chunks_fts, 1, ?, ?)
			FROM chunks_fts WHERE chunks_fts MATCH ? AND rowid IN (`+placeholders(len(ids))+`)`, args...))
		if err != nil {
			return nil, searchErr(ctx, db, err)
		}
	}
	if rest := missing(out, q.IDs); len(rest) > 0 {
		err := scanTexts(out)(db.sql.QueryContext(ctx, `SELECT id, content FROM chunks WHERE id IN (`+placeholders(len(rest))+`)`, rest...))
		if err != nil {
			return nil, searchErr(ctx, db, err)
		}
	}
	return out, nil
}

func anys(ids []int64) []any {
	out := make([]any, len(ids))
	for i, id := range ids {
		out[i] = id
	}
	return out
}

// missing are the ids that have no text in out yet.
func missing(out map[int64]string, ids []int64) []any {
	var rest []any
	for _, id := range ids {
		if _, ok := out[id]; !ok {
			rest = append(rest, id)
		}
	}
	return rest
}

// scanTexts reads a query's (id, text) rows into out.
func scanTexts(out map[int64]string) func(*sql.Rows, error) error {
	return func(rows *sql.Rows, err error) error {
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var s string
			if err := rows.Scan(&id, &s); err != nil {
				return err
			}
			out[id] = s
		}
		return rows.Err()
	}
}

// snippetTokens is an excerpt's length around matches: n tokens, 24 by
// default, at most 64.
func snippetTokens(n int) int {
	if n <= 0 {
		return 24
	}
	return min(n, 64)
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
