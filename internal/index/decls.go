package index

import (
	"regexp"
	"strings"
	"sync"
)

// The full-text index gives a code chunk two fields beyond its text:
// "names", what it declares, and "docs", what its doc comments say. A
// question names what it looks for in words ("where are vault recipients
// parsed"); those words are far likelier to be a declaration's name or its
// documentation than any one line of its body.

// maxFieldBytes bounds a chunk's names and docs fields.
const maxFieldBytes = 4096

// memberDecl matches a declaration at any indentation (methods in a class
// or impl block included), in the languages the splitter knows; group 1 is
// its name.
var memberDecl = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*(?:(?:pub(?:\([^)]*\))?|export|default|async|static|public|private|protected|internal|final|abstract|unsafe|extern|override|virtual|inline|sealed|open|suspend)\s+)*` +
		`(?:func\s+(?:\([^)]*\)\s*)?|fn\s+|def\s+|function\*?\s+|class\s+|struct\s+|enum\s+|trait\s+|interface\s+|type\s+|mod\s+|module\s+|record\s+|union\s+|macro_rules!\s*|fun\s+|sub\s+)` +
		`([A-Za-z_$][\w$]*)`)
})

// arrowDecl matches a JavaScript function bound to a name:
// "export const handler = async (req) => …", "const f = function (…".
var arrowDecl = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^\s*(?:export\s+)?(?:const|let|var)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:async\s*)?(?:\([^)]*\)\s*=>|[A-Za-z_$][\w$]*\s*=>|function\b)`)
})

// goGroupStart opens a Go declaration group ("var (", "const (", "type (");
// goGroupMember is a name declared in one, at one tab's indentation.
var (
	goGroupStart  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:var|const|type)\s*\($`) })
	goGroupMember = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^\t([A-Za-z_]\w*)\b`) })
	goSingle      = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?:var|const)\s+([A-Za-z_]\w*)\b`) })
	// packageDecl is a Go, Java or Kotlin package clause, whose comment
	// is the package's documentation.
	packageDecl = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^package\s+[\w.]+`) })
)

// declSet is where a file's declarations are: names[i] is the name
// declared at item i ("" for none), docs[i] the doc comment or docstring
// that belongs to it.
type declSet struct {
	names []string
	docs  []string
}

// scanDecls finds every declaration in a code file and its documentation:
// the comment lines directly above it (no blank line between), or a
// docstring on the lines directly below it (Python).
func scanDecls(items []item) declSet {
	d := declSet{names: make([]string, len(items)), docs: make([]string, len(items))}
	inGroup := false
	for i, it := range items {
		if it.cont {
			continue
		}
		t := it.text
		var name string
		switch {
		case inGroup && strings.HasPrefix(t, ")"):
			inGroup = false
			continue
		case inGroup:
			if m := goGroupMember().FindStringSubmatch(t); m != nil {
				name = m[1]
			}
		case goGroupStart().MatchString(t):
			inGroup = true
		default:
			if m := memberDecl().FindStringSubmatch(t); m != nil {
				name = m[1]
			} else if m := arrowDecl().FindStringSubmatch(t); m != nil {
				name = m[1]
			} else if m := goSingle().FindStringSubmatch(t); m != nil {
				name = m[1]
			} else if packageDecl().MatchString(t) {
				d.docs[i] = commentAbove(items, i)
				continue
			}
		}
		if name == "" {
			continue
		}
		d.names[i] = name
		doc := commentAbove(items, i)
		if doc == "" {
			doc = docstringBelow(items, i)
		}
		d.docs[i] = doc
	}
	return d
}

// within is the names and docs fields of the chunk items[s:e]: each name
// as written and, when it is a compound, its parts ("SearchLexical search
// lexical", "compare_digest compare digest"), so the words of a question
// meet them.
func (d declSet) within(s, e int) (names, docs string) {
	var nb, db strings.Builder
	seen := map[string]bool{}
	add := func(b *strings.Builder, w string) {
		if b.Len()+len(w)+1 > maxFieldBytes {
			return
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	for i := s; i < e && i < len(d.names); i++ {
		if n := d.names[i]; n != "" && !seen[n] {
			seen[n] = true
			add(&nb, n)
			if parts := nameParts(n); len(parts) > 1 {
				add(&nb, strings.Join(parts, " "))
			}
		}
		if doc := d.docs[i]; doc != "" {
			add(&db, doc)
		}
	}
	return nb.String(), db.String()
}

// nameParts splits an identifier into its words, lower-cased: at
// underscores, dashes and dots, then at CamelCase humps ("HTTPServer" →
// http, server; "compare_digest" → compare, digest).
func nameParts(name string) []string {
	var parts []string
	for _, w := range strings.FieldsFunc(name, func(r rune) bool { return !isWordRune(r) || r == '_' }) {
		for _, p := range splitCamel(w) {
			parts = append(parts, strings.ToLower(p))
		}
	}
	return parts
}

// commentAbove is the comment block directly above item i, without its
// comment markers: line comments (//, #, --, ;) and block comments (/* */,
// /** */), decorators and attributes skipped.
func commentAbove(items []item, i int) string {
	var lines []string
	for j := i - 1; j >= 0; j-- {
		if items[j].cont {
			continue
		}
		t := strings.TrimSpace(items[j].text)
		if t == "" {
			break
		}
		if strings.HasPrefix(t, "@") || strings.HasPrefix(t, "#[") || strings.HasPrefix(t, "#!") {
			continue // decorator, Rust attribute, shebang
		}
		c, ok := commentText(t)
		if !ok {
			break
		}
		lines = append(lines, c)
	}
	for l, r := 0, len(lines)-1; l < r; l, r = l+1, r-1 {
		lines[l], lines[r] = lines[r], lines[l]
	}
	return strings.TrimSpace(strings.Join(lines, " "))
}

// commentText strips a trimmed comment line's markers; ok is false for a
// line that is not a comment.
func commentText(t string) (string, bool) {
	for _, p := range []string{"///", "//!", "//", "/**", "/*", "*/", "*", "--", "#", ";;", ";"} {
		if strings.HasPrefix(t, p) {
			t = strings.TrimPrefix(t, p)
			t = strings.TrimSuffix(strings.TrimSpace(t), "*/")
			return strings.TrimSpace(t), true
		}
	}
	return "", false
}

// maxDocstringLines bounds how far docstringBelow reads.
const maxDocstringLines = 30

// docstringBelow is a Python docstring opening on the first non-blank line
// after the declaration at item i (or after its continuation lines, for
// a signature spread over several).
func docstringBelow(items []item, i int) string {
	j := i + 1
	for j < len(items) && j < i+8 && !strings.HasSuffix(strings.TrimSpace(items[j-1].text), ":") {
		j++ // a multi-line signature: find the line ending in ':'
	}
	for j < len(items) && isBlank(items[j].text) {
		j++
	}
	if j >= len(items) {
		return ""
	}
	t := strings.TrimSpace(items[j].text)
	t = strings.TrimLeft(t, "rRbBuU")
	if !strings.HasPrefix(t, `"""`) && !strings.HasPrefix(t, `'''`) {
		return ""
	}
	q := t[:3]
	t = t[3:]
	var lines []string
	for k := j; k < len(items) && k < j+maxDocstringLines; k++ {
		if k > j {
			t = strings.TrimSpace(items[k].text)
		}
		if end := strings.Index(t, q); end >= 0 {
			lines = append(lines, strings.TrimSpace(t[:end]))
			break
		}
		lines = append(lines, t)
	}
	return strings.TrimSpace(strings.Join(lines, " "))
}

// pathField is the words of a file's path for the "pathwords" field: its
// directories' and its name's, without the extension, split at
// punctuation and CamelCase humps ("internal/index/SearchTest.go" →
// "internal index searchtest search test"). A question often names the
// component it is about, and projects name directories and files after
// their components.
func pathField(rel string) string { return pathsField([]string{rel}) }

// pathsField is pathField over several paths, each word once.
func pathsField(paths []string) string {
	var b strings.Builder
	seen := map[string]bool{}
	add := func(w string) {
		if seen[w] || b.Len()+len(w)+1 > maxFieldBytes {
			return
		}
		seen[w] = true
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(w)
	}
	for _, rel := range paths {
		rel = strings.TrimSuffix(rel, pathExt(rel))
		for _, w := range strings.FieldsFunc(rel, func(r rune) bool { return !isWordRune(r) }) {
			add(strings.ToLower(w))
			if parts := splitCamel(w); len(parts) > 1 {
				for _, p := range parts {
					add(strings.ToLower(p))
				}
			}
		}
	}
	return b.String()
}

// pathExt is the extension of a slash path's last element ("" for a dot
// file such as .gitignore).
func pathExt(rel string) string {
	base := rel[strings.LastIndexByte(rel, '/')+1:]
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		return base[i:]
	}
	return ""
}
