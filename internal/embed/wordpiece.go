package embed

import (
	"bytes"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// wordPiece is the uncased BERT tokenizer (BertTokenizer with
// do_lower_case): a basic tokenizer and then greedy longest-match-first
// WordPiece over vocab.txt (one token a line, the line number its id).
//
// The basic tokenizer drops NUL, U+FFFD and control and format characters
// (Cc, Cf; tab, newline and carriage return are spaces), splits on
// whitespace, puts each CJK ideograph on its own, lower-cases, strips
// accents (NFD, then no Mn) and makes each punctuation character a token.
// A word longer than maxWordRunes, or one WordPiece cannot cover, is
// [UNK]. The ids are [CLS] tokens… [SEP], at most maxTokens in all.
type wordPiece struct {
	vocab              map[string]int64
	unk, cls, sep, pad int64
	maxTokens          int
}

// maxWordRunes is BERT's max_input_chars_per_word.
const maxWordRunes = 100

func newWordPiece(vocabTxt []byte, maxTokens int) (*wordPiece, error) {
	w := &wordPiece{vocab: map[string]int64{}, maxTokens: maxTokens}
	lines := bytes.Split(vocabTxt, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1] // the final newline ends a line, it does not start one
	}
	for i, l := range lines {
		w.vocab[string(bytes.TrimRight(l, "\r"))] = int64(i) // a repeated token keeps its last id, as in BERT
	}
	for _, s := range []struct {
		tok string
		id  *int64
	}{{"[UNK]", &w.unk}, {"[CLS]", &w.cls}, {"[SEP]", &w.sep}} {
		id, ok := w.vocab[s.tok]
		if !ok {
			return nil, fmt.Errorf("vocab.txt has no %s token", s.tok)
		}
		*s.id = id
	}
	w.pad = w.vocab["[PAD]"] // 0 when absent, as in BERT vocabularies
	return w, nil
}

// encode returns [CLS] ids… [SEP], truncated to maxTokens. It stops
// reading the text once the ids are full, so a huge text costs no more
// than a long one.
func (w *wordPiece) encode(text string) []int64 {
	budget := w.maxTokens - 2
	ids := make([]int64, 1, min(w.maxTokens, 64))
	ids[0] = w.cls
	w.basic(text, func(tok string) bool {
		ids = w.pieces(tok, ids)
		return len(ids)-1 < budget
	})
	if len(ids)-1 > budget {
		ids = ids[:1+budget]
	}
	return append(ids, w.sep)
}

// basic feeds each basic token of text to emit, until emit returns false.
func (w *wordPiece) basic(text string, emit func(string) bool) {
	var word strings.Builder
	runes, overlong := 0, false
	flush := func() bool {
		if runes == 0 {
			return true
		}
		tok := word.String()
		if overlong {
			tok = "" // pieces makes it [UNK]
		}
		word.Reset()
		runes, overlong = 0, false
		return emit(tok)
	}
	var nfd []byte
	for _, r := range text {
		switch {
		case r == 0 || r == unicode.ReplacementChar || isControl(r):
			continue
		case isWhitespace(r):
			if !flush() {
				return
			}
			continue
		case isCJK(r):
			if !flush() || !emit(string(r)) {
				return
			}
			continue
		}
		r = unicode.ToLower(r)
		if r < utf8.RuneSelf {
			nfd = append(nfd[:0], byte(r))
		} else {
			nfd = norm.NFD.AppendString(nfd[:0], string(r))
		}
		for _, d := range string(nfd) {
			switch {
			case unicode.Is(unicode.Mn, d):
			case isPunct(d):
				if !flush() || !emit(string(d)) {
					return
				}
			case runes >= maxWordRunes:
				overlong = true
				runes++
			default:
				word.WriteRune(d)
				runes++
			}
		}
	}
	flush()
}

// pieces appends the WordPiece ids of one basic token; "" (an overlong
// word) is [UNK].
func (w *wordPiece) pieces(tok string, ids []int64) []int64 {
	if tok == "" {
		return append(ids, w.unk)
	}
	// Rune boundaries, so pieces are cut between characters.
	bounds := make([]int, 0, len(tok)+1)
	for i := range tok {
		bounds = append(bounds, i)
	}
	bounds = append(bounds, len(tok))
	n := len(ids)
	for start := 0; start < len(bounds)-1; {
		end := len(bounds) - 1
		for ; end > start; end-- {
			sub := tok[bounds[start]:bounds[end]]
			if start > 0 {
				sub = "##" + sub
			}
			if id, ok := w.vocab[sub]; ok {
				ids = append(ids, id)
				break
			}
		}
		if end == start { // nothing matched: the whole word is unknown
			return append(ids[:n], w.unk)
		}
		start = end
	}
	return ids
}

// isControl is BERT's _is_control: Cc and Cf, except tab, newline and
// carriage return (which are whitespace).
func isControl(r rune) bool {
	if r == '\t' || r == '\n' || r == '\r' {
		return false
	}
	return unicode.In(r, unicode.Cc, unicode.Cf)
}

// isWhitespace is what BERT splits on: space, tab, newline, carriage
// return, and the space, line and paragraph separators (Zs, Zl, Zp).
func isWhitespace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\r':
		return true
	}
	return unicode.In(r, unicode.Zs, unicode.Zl, unicode.Zp)
}

// isPunct is BERT's _is_punctuation: every non-alphanumeric printable
// ASCII character, and Unicode punctuation (P*).
func isPunct(r rune) bool {
	if (r >= 33 && r <= 47) || (r >= 58 && r <= 64) || (r >= 91 && r <= 96) || (r >= 123 && r <= 126) {
		return true
	}
	return unicode.IsPunct(r)
}

// isCJK is BERT's _is_chinese_char: the CJK Unified Ideographs blocks and
// their extensions and compatibility blocks.
func isCJK(r rune) bool {
	return (r >= 0x4E00 && r <= 0x9FFF) || (r >= 0x3400 && r <= 0x4DBF) ||
		(r >= 0x20000 && r <= 0x2A6DF) || (r >= 0x2A700 && r <= 0x2B73F) ||
		(r >= 0x2B740 && r <= 0x2B81F) || (r >= 0x2B820 && r <= 0x2CEAF) ||
		(r >= 0xF900 && r <= 0xFAFF) || (r >= 0x2F800 && r <= 0x2FA1F)
}
