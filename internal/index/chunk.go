package index

import (
	"path"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"
)

// Chunk bounds. A chunk never exceeds either; it is cut earlier at the
// best boundary in reach (a top-level declaration, then a blank line).
const (
	maxChunkLines = 60
	maxChunkBytes = 4096
	// minChunkLines is how far into a window a preferred cut must be
	// before it beats a later, weaker one.
	minChunkLines = maxChunkLines / 4
	// maxTitleSyms is how many declaration names a code chunk's title lists.
	maxTitleSyms = 3
)

// Chunk kinds.
const (
	KindDoc    = "doc"
	KindCode   = "code"
	KindCommit = "commit"
)

// chunk is one searchable piece of a file or one commit message. Lines are
// 1-based and inclusive.
type chunk struct {
	Kind      string
	Title     string
	StartLine int
	EndLine   int
	Content   string
	// Names are what the chunk is called, for the full-text "names"
	// field: the names a code chunk declares (see declNames), a doc
	// chunk's heading path, a commit's subject.
	Names string
	// Docs are the doc comments and docstrings of a code chunk's
	// declarations (see scanDecls).
	Docs string
	// PathWords, for a commit, are the words of the paths it touched; a
	// file's chunks get their file's (see pathField).
	PathWords string
}

// markdownExts and textExts decide a file's kind; everything else is code.
var (
	markdownExts = map[string]bool{".md": true, ".markdown": true, ".mdx": true, ".mdown": true}
	textExts     = map[string]bool{".txt": true, ".rst": true, ".adoc": true, ".asciidoc": true, ".org": true, ".text": true}
	// Extensionless prose files.
	textNames = map[string]bool{"readme": true, "license": true, "licence": true, "copying": true,
		"authors": true, "contributors": true, "changelog": true, "changes": true, "news": true,
		"notice": true, "todo": true, "history": true}
)

// splitFile cuts a file's text into chunks. rel is its slash-separated
// path relative to the project root.
func splitFile(rel, text string) []chunk {
	ext := strings.ToLower(path.Ext(rel))
	base := strings.ToLower(strings.TrimSuffix(path.Base(rel), path.Ext(rel)))
	items := toItems(text)
	switch {
	case markdownExts[ext]:
		return splitMarkdown(rel, items)
	case textExts[ext] || (ext == "" && textNames[base]):
		return pack(items, blankCuts(items), KindDoc, func(int, int) meta { return meta{title: rel} })
	default:
		return splitCode(rel, items)
	}
}

// item is one line, or one piece of a line too long for a chunk (cont
// marks a piece that continues the previous item's line).
type item struct {
	text string
	line int
	cont bool
}

func toItems(text string) []item {
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil
	}
	lines := strings.Split(text, "\n")
	items := make([]item, 0, len(lines))
	for i, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		first := true
		for len(l) > maxChunkBytes-1 {
			cut := maxChunkBytes - 1
			for cut > 0 && !utf8.RuneStart(l[cut]) {
				cut--
			}
			items = append(items, item{text: l[:cut], line: i + 1, cont: !first})
			l, first = l[cut:], false
		}
		items = append(items, item{text: l, line: i + 1, cont: !first})
	}
	return items
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// Cut priorities: cut[i] is how good it is to end a chunk just before
// item i.
const (
	cutNone  = 0
	cutBlank = 1 // item i follows a blank line
	cutDecl  = 2 // item i starts a top-level declaration (or its doc comment)
)

func blankCuts(items []item) []int {
	cuts := make([]int, len(items)+1)
	for i := 1; i < len(items); i++ {
		if isBlank(items[i-1].text) && !isBlank(items[i].text) {
			cuts[i] = cutBlank
		}
	}
	return cuts
}

// meta is what pack asks of the splitter for the chunk items[s:e].
type meta struct{ title, names, docs string }

// pack cuts items into bounded chunks, preferring the strongest cut in the
// back three quarters of each window, then any cut, then a hard cut at the
// bound. Leading and trailing blank lines are dropped from every chunk.
func pack(items []item, cuts []int, kind string, describe func(s, e int) meta) []chunk {
	var out []chunk
	n := len(items)
	s := 0
	for {
		for s < n && isBlank(items[s].text) {
			s++
		}
		if s >= n {
			return out
		}
		e, size := s, 0
		for e < n && e-s < maxChunkLines && size+len(items[e].text)+1 <= maxChunkBytes {
			size += len(items[e].text) + 1
			e++
		}
		if e == s {
			e = s + 1 // cannot happen: toItems bounds every item
		}
		if e < n {
			e = bestCut(cuts, s, e)
		}
		last := e - 1
		for last > s && isBlank(items[last].text) {
			last--
		}
		content := joinItems(items[s : last+1])
		// A chunk with no word in it (a lone "}" after a hard cut) can
		// never match a query; it is dropped.
		if strings.ContainsFunc(content, isWordRune) {
			m := describe(s, e)
			out = append(out, chunk{
				Kind:      kind,
				Title:     m.title,
				StartLine: items[s].line,
				EndLine:   items[last].line,
				Content:   content,
				Names:     m.names,
				Docs:      m.docs,
			})
		}
		s = e
	}
}

// bestCut picks where to end the window items[s:e] (e exclusive, e < n).
func bestCut(cuts []int, s, e int) int {
	for _, span := range [][2]int{{s + minChunkLines, e}, {s, e}} {
		for prio := cutDecl; prio > cutNone; prio-- {
			for c := e; c > span[0] && c > s; c-- {
				if cuts[c] >= prio {
					return c
				}
			}
		}
	}
	return e
}

func joinItems(items []item) string {
	var b strings.Builder
	for i, it := range items {
		if i > 0 && !it.cont {
			b.WriteByte('\n')
		}
		b.WriteString(it.text)
	}
	return b.String()
}

// --- Markdown ---

// The splitters' regexps are compiled on first use, as decls.go's are:
// package initialisation runs in every command, and most never chunk.
var (
	atxHeading = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^ {0,3}(#{1,6})(?:[ \t]+(.*?))?[ \t]*$`) })
	closingATX = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`[ \t]+#+$`) })
	fenceOpen  = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile("^ {0,3}(`{3,}|~{3,})") })
)

// splitMarkdown cuts a Markdown file into its heading sections (ATX
// headings outside fenced code), each titled with its heading path
// ("Install > Linux"); a long section is cut further at blank lines. Text
// before the first heading is titled with the file path. A section holding
// nothing but its heading is dropped.
func splitMarkdown(rel string, items []item) []chunk {
	type section struct {
		title  string
		s, e   int
		hasTxt bool
	}
	var (
		secs    []section
		stack   []string // heading texts by level-1
		fence   string
		cur     = section{title: rel}
		inFence bool
	)
	for i, it := range items {
		if it.cont {
			continue
		}
		t := it.text
		if inFence {
			if m := fenceOpen().FindStringSubmatch(t); m != nil && m[1][0] == fence[0] && len(m[1]) >= len(fence) &&
				isBlank(strings.TrimLeft(strings.TrimSpace(t), string(fence[0]))) {
				inFence = false
			}
			cur.hasTxt = true
			continue
		}
		if m := fenceOpen().FindStringSubmatch(t); m != nil {
			inFence, fence = true, m[1]
			cur.hasTxt = true
			continue
		}
		m := atxHeading().FindStringSubmatch(t)
		if m == nil {
			if !isBlank(t) {
				cur.hasTxt = true
			}
			continue
		}
		cur.e = i
		secs = append(secs, cur)
		level := len(m[1])
		text := strings.TrimSpace(closingATX().ReplaceAllString(m[2], ""))
		if len(stack) >= level {
			stack = stack[:level-1]
		}
		for len(stack) < level-1 {
			stack = append(stack, "")
		}
		stack = append(stack, text)
		cur = section{title: headingPath(stack, rel), s: i}
	}
	cur.e = len(items)
	secs = append(secs, cur)

	var out []chunk
	for _, sec := range secs {
		if !sec.hasTxt || sec.s >= sec.e {
			continue
		}
		part := items[sec.s:sec.e]
		title := sec.title
		m := meta{title: title}
		if title != rel {
			m.names = title
		}
		out = append(out, pack(part, blankCuts(part), KindDoc, func(int, int) meta { return m })...)
	}
	return out
}

func headingPath(stack []string, rel string) string {
	var parts []string
	for _, h := range stack {
		if h != "" {
			parts = append(parts, h)
		}
	}
	if len(parts) == 0 {
		return rel
	}
	return strings.Join(parts, " > ")
}

// --- code ---

// declStart matches a top-level declaration in the common languages (Go,
// Python, JS/TS, Rust, Ruby, Java-ish); group 1 is its name when it has one.
var declStart = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(?:` +
		`func\s+(?:\([^)]*\)\s*)?|` +
		`type\s+|` +
		`(?:var|const)\s+(?:\(|)|` +
		`(?:export\s+)?(?:default\s+)?(?:async\s+)?function\*?\s*|` +
		`(?:export\s+)?(?:default\s+)?(?:abstract\s+)?(?:public\s+|final\s+)*(?:class|interface|enum|record)\s+|` +
		`(?:async\s+)?def\s+|` +
		`(?:pub(?:\([^)]*\))?\s+)?(?:async\s+)?(?:unsafe\s+)?(?:fn|struct|enum|trait|impl(?:<[^>]*>)?|mod|union)\s+|` +
		`module\s+` +
		`)([A-Za-z_$][\w$]*)?`)
})

// leadIn matches lines that belong to the declaration below them: comments,
// doc comments, decorators and attributes.
var leadIn = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^(?://|#|/\*|\*|\s+\*|@|--|;)`) })

// splitCode cuts source into bounded chunks, preferring to end a chunk just
// before a top-level declaration (with its leading comment) or after a
// blank line. Titles are "path: Name, Name" when declarations are in reach;
// names and docs list every declaration inside the chunk, nested ones
// (methods) included, and their doc comments (see scanDecls).
func splitCode(rel string, items []item) []chunk {
	cuts := blankCuts(items)
	syms := make([]string, len(items)) // top-level symbol declared at item i, if any
	for i, it := range items {
		if it.cont || it.text == "" || it.text[0] == ' ' || it.text[0] == '\t' {
			continue
		}
		m := declStart().FindStringSubmatch(it.text)
		if m == nil {
			continue
		}
		syms[i] = m[1]
		if syms[i] == "" {
			syms[i] = "\x00" // a declaration without a name: a cut, no title
		}
		c := i
		for c > 0 && !items[c-1].cont && items[c-1].text != "" && leadIn().MatchString(items[c-1].text) &&
			!declStart().MatchString(items[c-1].text) {
			c--
		}
		cuts[c] = cutDecl
	}
	decls := scanDecls(items)
	// The title names the chunk's declarations (up to maxTitleSyms), or
	// else the declaration it continues.
	title := func(s, e int) string {
		var names []string
		more := false
		for i := s; i < e; i++ {
			if syms[i] == "" || syms[i] == "\x00" {
				continue
			}
			if len(names) == maxTitleSyms {
				more = true
				break
			}
			names = append(names, syms[i])
		}
		if len(names) == 0 {
			for i := s - 1; i >= 0; i-- {
				if syms[i] != "" {
					if syms[i] != "\x00" {
						names = append(names, syms[i])
					}
					break
				}
			}
		}
		if len(names) == 0 {
			return rel
		}
		t := rel + ": " + strings.Join(names, ", ")
		if more {
			t += ", …"
		}
		return t
	}
	return pack(items, cuts, KindCode, func(s, e int) meta {
		names, docs := decls.within(s, e)
		if names == "" {
			// A chunk that continues a declaration is named after it.
			names = strings.TrimPrefix(strings.TrimPrefix(title(s, e), rel), ": ")
		}
		return meta{title: title(s, e), names: names, docs: docs}
	})
}
