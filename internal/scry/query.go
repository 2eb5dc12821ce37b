package scry

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
)

// Query limits.
const (
	// MaxQueryBytes caps a query's length.
	MaxQueryBytes = 1024
	// MaxTerms caps how many distinct terms a query searches; later
	// terms are dropped with a note.
	MaxTerms = 32
)

// InputError is a problem with the request itself, which the caller should
// report as such (HTTP 400), never as a server fault. The sentinels below
// are InputErrors; match them with errors.Is, or any of them with
// errors.As(err, new(*InputError)).
type InputError struct{ msg string }

func (e *InputError) Error() string { return e.msg }

// Input errors.
var (
	ErrEmptyQuery   = &InputError{"empty query: it has no word to search for"}
	ErrQueryTooLong = &InputError{fmt.Sprintf("query too long: the limit is %d bytes", MaxQueryBytes)}
	ErrBadMode      = &InputError{"unknown mode: use lexical, semantic or hybrid"}
	ErrNoProjects   = &InputError{"no project to search"}
)

// IsInputError reports whether err is (or wraps) an InputError.
func IsInputError(err error) bool {
	var ie *InputError
	return errors.As(err, &ie)
}

// Query is a parsed query: the words to search for.
type Query struct {
	Text      string   // the query as given
	Terms     []string // distinct lower-cased words, in order
	Truncated bool     // more than MaxTerms words: the rest were dropped
	// Identifiers are the query's dotted or snake_case names
	// ("os.path.join", "compare_digest"), searched as phrases as well as
	// word by word, so that the chunks holding the exact name rank first.
	Identifiers []string
}

// ParseQuery splits text into words: runs of letters, digits and combining
// marks, the same units SQLite's unicode61 tokenizer indexes. Everything
// else (quotes, parentheses, '*', '^', '-', ':', operators' punctuation,
// control characters) separates words, so no query syntax survives:
// words like AND, OR, NOT and NEAR are searched as the words they are.
// A query over MaxQueryBytes is ErrQueryTooLong; one with no word is
// ErrEmptyQuery.
func ParseQuery(text string) (Query, error) {
	if len(text) > MaxQueryBytes {
		return Query{}, fmt.Errorf("%w (got %d)", ErrQueryTooLong, len(text))
	}
	q := Query{Text: text}
	seen := map[string]bool{}
	fields := strings.FieldsFunc(strings.ToValidUTF8(text, " "), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r)
	})
	for _, f := range fields {
		t := strings.ToLower(f)
		if !strings.ContainsFunc(t, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) {
			continue // marks alone
		}
		if seen[t] {
			continue
		}
		if len(q.Terms) == MaxTerms {
			q.Truncated = true
			break
		}
		seen[t] = true
		q.Terms = append(q.Terms, t)
	}
	if len(q.Terms) == 0 {
		return Query{}, ErrEmptyQuery
	}
	q.Identifiers = identifiers(text)
	return q, nil
}

// identifiers finds words joined by '_', '.' or "::" in text, at most
// MaxTerms of them.
func identifiers(text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, f := range strings.FieldsFunc(strings.ToValidUTF8(text, " "), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && r != '_' && r != '.' && r != ':'
	}) {
		words := strings.FieldsFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
		if len(words) < 2 || len(out) == MaxTerms {
			continue
		}
		id := strings.ToLower(strings.Join(words, " "))
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}
