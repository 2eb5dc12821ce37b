package index

import (
	"path"
	"regexp"
	"strings"
	"sync"
)

// maxEmbedTextBytes bounds the text handed to the model for one chunk; the
// model truncates to its own token limit too, but there is no point in
// tokenising text it will drop.
const maxEmbedTextBytes = 2048

// signature matches lines that declare something, in the languages the
// splitter knows: what a question about the code is most likely to name.
var signature = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*(?:export\s+|pub(?:\([a-z]+\))?\s+|public\s+|private\s+|protected\s+|static\s+|async\s+|abstract\s+|final\s+)*` +
		`(?:def|class|func|fn|function|type|interface|struct|enum|trait|impl|module|package|var|const|let|sub)\b`)
})

// commentStart matches a line that is (the start of) a comment, after
// indentation.
var commentStart = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\s*(?://+|#+|/\*+|\*+/?|--|;+|%+)\s?`) })

// embedText is what the model sees for a chunk. Prose and commit messages
// are themselves. Code is its path words, title, comments, docstrings and
// declaration lines: embeddings of raw code answered natural-language
// questions little better than BM25 did, while a chunk's documentation and
// signatures say what it is for. Code with neither falls back to its text.
func embedText(kind, file, title, content string) string {
	var b strings.Builder
	switch kind {
	case KindCode:
		b.WriteString(pathWords(file))
		if t, ok := strings.CutPrefix(title, file+": "); ok {
			b.WriteString(". ")
			b.WriteString(t)
		}
		b.WriteString(".\n")
		head := b.Len()
		codeGist(&b, content)
		if b.Len() == head {
			b.WriteString(content)
		}
	case KindDoc:
		if title != file {
			b.WriteString(title)
			b.WriteString("\n")
		}
		b.WriteString(content)
	default:
		b.WriteString(content)
	}
	return truncateUTF8(b.String(), maxEmbedTextBytes)
}

// codeGist writes the comment, docstring and declaration lines of code,
// without comment markers or indentation.
func codeGist(b *strings.Builder, code string) {
	inDoc := "" // the quote that closes the docstring we are in
	for _, line := range strings.Split(code, "\n") {
		t := strings.TrimSpace(line)
		switch {
		case inDoc != "":
			end := strings.Contains(t, inDoc)
			t = strings.TrimSpace(strings.Replace(t, inDoc, "", 1))
			if end {
				inDoc = ""
			}
		case strings.HasPrefix(t, `"""`) || strings.HasPrefix(t, `'''`) ||
			strings.HasPrefix(t, `r"""`) || strings.HasPrefix(t, `r'''`):
			t = strings.TrimPrefix(t, "r")
			q := t[:3] // """ or '''
			t = t[3:]
			if i := strings.Index(t, q); i >= 0 {
				t = t[:i]
			} else {
				inDoc = q
			}
			t = strings.TrimSpace(t)
		case commentStart().MatchString(line) && !strings.HasPrefix(t, "#!") && !strings.HasPrefix(t, "#include"):
			t = strings.TrimSpace(commentStart().ReplaceAllString(line, ""))
		case signature().MatchString(line):
			t = strings.TrimSuffix(strings.TrimSuffix(t, "{"), ":")
		default:
			continue
		}
		if t == "" {
			continue
		}
		b.WriteString(t)
		b.WriteByte('\n')
		if b.Len() >= maxEmbedTextBytes {
			return
		}
	}
}

// pathWords turns "concurrent/futures/thread.py" into "concurrent futures thread".
func pathWords(file string) string {
	file = strings.TrimSuffix(file, path.Ext(file))
	return strings.Join(strings.FieldsFunc(file, func(r rune) bool { return !isWordRune(r) }), " ")
}

// truncateUTF8 cuts s to at most n bytes without splitting a character.
func truncateUTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}
