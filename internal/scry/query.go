package scry

import (
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/patina-dev/patina/internal/index"
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
	Text string // the query as given
	// Words are its distinct lower-cased words, in order; Terms are
	// those searched for: Words without stopwords (see IsStopword) and,
	// in a question, without the words that frame it; failing that,
	// without stopwords only ("how does it work" searches "work"); or
	// all of them when nothing else is left.
	Words     []string
	Terms     []string
	Truncated bool // more than MaxTerms words: the rest were dropped
	// Intent is what kind of answer the query asks for (see IntentOf).
	Intent Intent
	// Identifiers, for a query that is one name (LooksLikeIdentifier),
	// hold the name's last part as words ("shutil.rmtree" → "rmtree");
	// chunks declaring it rank first. make eval measured this above
	// plain BM25 and above ranking every exact use of the name first.
	Identifiers []string
	// Filter narrows the search to some chunks (Request.Kind and
	// PathPrefix); every retriever applies it.
	Filter index.Filter
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
		if len(q.Words) == MaxTerms {
			q.Truncated = true
			break
		}
		seen[t] = true
		q.Words = append(q.Words, t)
	}
	if len(q.Words) == 0 {
		return Query{}, ErrEmptyQuery
	}
	q.Intent = IntentOf(text, q.Words)
	for _, w := range q.Words {
		if !IsStopword(w) && !(q.Intent.question() && isScaffold(w)) {
			q.Terms = append(q.Terms, w)
		}
	}
	if len(q.Terms) == 0 {
		for _, w := range q.Words {
			if !IsStopword(w) {
				q.Terms = append(q.Terms, w)
			}
		}
	}
	if len(q.Terms) == 0 {
		q.Terms = q.Words
	}
	q.Identifiers = declared(text)
	return q, nil
}

// declared is, for a query that is one name (LooksLikeIdentifier), the
// name's last part as words: "shutil.rmtree" → "rmtree", "compare_digest"
// → "compare digest", "urlsplit" → "urlsplit". A chunk that declares it
// has it in its title.
func declared(text string) []string {
	if !LooksLikeIdentifier(text) {
		return nil
	}
	f := strings.TrimSpace(text)
	f = f[strings.LastIndexAny(f, ".:")+1:]
	words := strings.FieldsFunc(f, func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) })
	if len(words) == 0 {
		return nil
	}
	return []string{strings.ToLower(strings.Join(words, " "))}
}
