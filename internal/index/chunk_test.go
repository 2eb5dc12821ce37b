package index

import (
	"fmt"
	"strings"
	"testing"
)

func TestSplitMarkdownSections(t *testing.T) {
	md := `Preamble line.

# Top

Top text.

## Install

### Linux

apt install it
` + "```sh\n# not a heading\nmake\n```" + `

## Empty

## Usage ##

Use it.
`
	got := splitFile("docs/a.md", md)
	type want struct {
		title      string
		start, end int
	}
	wants := []want{
		{"docs/a.md", 1, 1},
		{"Top", 3, 5},
		{"Top > Install > Linux", 9, 15},
		{"Top > Usage", 19, 21},
	}
	if len(got) != len(wants) {
		t.Fatalf("got %d chunks, want %d: %+v", len(got), len(wants), got)
	}
	for i, w := range wants {
		g := got[i]
		if g.Title != w.title || g.StartLine != w.start || g.EndLine != w.end || g.Kind != KindDoc {
			t.Errorf("chunk %d = %q %d-%d %s, want %q %d-%d doc", i, g.Title, g.StartLine, g.EndLine, g.Kind, w.title, w.start, w.end)
		}
	}
	if !strings.Contains(got[2].Content, "# not a heading") {
		t.Errorf("fenced comment lost: %q", got[2].Content)
	}
}

func TestSplitBounds(t *testing.T) {
	var b strings.Builder
	b.WriteString("package big\n\nimport \"fmt\"\n\n")
	for i := range 40 {
		fmt.Fprintf(&b, "// F%d does things.\nfunc F%d() {\n", i, i)
		for j := range i % 13 * 3 {
			fmt.Fprintf(&b, "\tfmt.Println(%d, %d)\n", i, j)
		}
		b.WriteString("}\n\n")
	}
	b.WriteString(strings.Repeat("x", 10000) + "\n") // one line longer than a chunk
	b.WriteString("var tail = 1\n")
	src := b.String()
	chunks := splitFile("big.go", src)
	lines := strings.Split(strings.TrimSuffix(src, "\n"), "\n")
	covered := map[int]bool{}
	for i, c := range chunks {
		if n := c.EndLine - c.StartLine + 1; n > maxChunkLines {
			t.Errorf("chunk %d spans %d lines", i, n)
		}
		if len(c.Content) > maxChunkBytes {
			t.Errorf("chunk %d is %d bytes", i, len(c.Content))
		}
		if c.Kind != KindCode {
			t.Errorf("chunk %d kind %s", i, c.Kind)
		}
		first := strings.SplitN(c.Content, "\n", 2)[0]
		if c.StartLine < 1 || !strings.HasPrefix(lines[c.StartLine-1], first) {
			t.Errorf("chunk %d starts %q, line %d is %q", i, first, c.StartLine, lines[c.StartLine-1])
		}
		for l := c.StartLine; l <= c.EndLine; l++ {
			covered[l] = true
		}
		// Chunks start at a declaration's comment, or continue one.
		if !strings.HasPrefix(first, "// F") && !strings.HasPrefix(first, "package") &&
			!strings.HasPrefix(first, "\t") && !strings.HasPrefix(first, "x") && !strings.HasPrefix(first, "var") {
			t.Errorf("chunk %d starts mid-way: %q", i, first)
		}
		if !strings.HasPrefix(c.Title, "big.go") {
			t.Errorf("chunk %d title %q", i, c.Title)
		}
	}
	for i, l := range lines {
		if strings.ContainsFunc(l, isWordRune) && !covered[i+1] {
			t.Errorf("line %d not in any chunk: %q", i+1, l)
		}
	}
	if got := chunks[0].Title; got != "big.go: F0, F1, F2, …" && !strings.HasPrefix(got, "big.go: F0") {
		t.Errorf("first title %q", got)
	}
}

func TestSplitCodeTitles(t *testing.T) {
	src := "import os\n\n@decorator\ndef handler(event):\n    return event\n\nclass Store:\n    pass\n"
	c := splitFile("app.py", src)
	if len(c) != 1 || c[0].Title != "app.py: handler, Store" || c[0].StartLine != 1 || c[0].EndLine != 8 {
		t.Fatalf("got %+v", c)
	}
	c = splitFile("notes.txt", "just\ntext\n")
	if len(c) != 1 || c[0].Kind != KindDoc || c[0].Title != "notes.txt" {
		t.Fatalf("got %+v", c)
	}
	if c := splitFile("empty.go", ""); len(c) != 0 {
		t.Fatalf("empty file gave %+v", c)
	}
	if c := splitFile("blank.go", "\n\n  \n"); len(c) != 0 {
		t.Fatalf("blank file gave %+v", c)
	}
}

func TestLooksBinary(t *testing.T) {
	for _, tc := range []struct {
		data string
		want bool
	}{
		{"plain text\n", false},
		{"héllo wörld ✓\n", false},
		{"a\x00b", true},
		{"\xff\xfe\xfd\xfc\xfb text", true},
		{strings.Repeat("latin1 caf\xe9 ", 3), false},     // a few stray bytes are still text
		{strings.Repeat("a", binarySniff-1) + "é", false}, // rune cut at the sniff boundary
	} {
		if got := looksBinary([]byte(tc.data)); got != tc.want {
			t.Errorf("looksBinary(%q) = %v, want %v", tc.data, got, tc.want)
		}
	}
}
