package index

import (
	"strings"
	"unicode"
)

// maxIdentsBytes bounds a chunk's idents column.
const maxIdentsBytes = 4096

// camelParts lists, once each, the parts of every CamelCase or camelCase
// identifier in texts, lower-cased and space-separated: "ConstantTimeCompare
// HTTPServer" gives "constant time compare http server". The full-text
// tokenizer already splits snake_case and dotted names at the punctuation,
// but keeps ThreadPoolExecutor whole, so a question that says "thread pool
// executor" could not find it without this column.
func camelParts(texts ...string) string {
	seen := map[string]bool{}
	var b strings.Builder
	for _, text := range texts {
		for _, word := range strings.FieldsFunc(text, func(r rune) bool { return !isWordRune(r) }) {
			if seen[word] {
				continue
			}
			seen[word] = true
			parts := splitCamel(word)
			if len(parts) < 2 {
				continue
			}
			for _, p := range parts {
				if b.Len()+len(p)+1 > maxIdentsBytes {
					return b.String()
				}
				if b.Len() > 0 {
					b.WriteByte(' ')
				}
				b.WriteString(strings.ToLower(p))
			}
		}
	}
	return b.String()
}

// splitCamel cuts a word at its humps: before an upper-case letter that
// follows a lower-case letter or digit ("timeCompare"), and before the last
// upper-case letter of a run that a lower-case letter follows
// ("HTTPServer" → HTTP, Server). Digits stay with what precedes them.
func splitCamel(word string) []string {
	rs := []rune(word)
	var parts []string
	start := 0
	for i := 1; i < len(rs); i++ {
		prev, cur := rs[i-1], rs[i]
		hump := unicode.IsUpper(cur) && (unicode.IsLower(prev) || unicode.IsDigit(prev))
		acronymEnd := unicode.IsUpper(prev) && unicode.IsUpper(cur) && i+1 < len(rs) && unicode.IsLower(rs[i+1])
		if hump || acronymEnd {
			parts = append(parts, string(rs[start:i]))
			start = i
		}
	}
	return append(parts, string(rs[start:]))
}
