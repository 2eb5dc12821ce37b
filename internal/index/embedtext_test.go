package index

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEmbedTextCode(t *testing.T) {
	code := `def compare_digest(a, b):
    """Return a == b without leaking timing.

    Uses a constant-time algorithm.
    """
    # walk both strings fully
    result = 0
    for x, y in zip(a, b):
        result |= x ^ y
    return result == 0
`
	got := embedText(KindCode, "lib/hmac.py", "lib/hmac.py: compare_digest", code)
	for _, want := range []string{"lib hmac. compare_digest.", "def compare_digest(a, b)", "Return a == b without leaking timing.",
		"Uses a constant-time algorithm.", "walk both strings fully"} {
		if !strings.Contains(got, want) {
			t.Errorf("embedText lacks %q:\n%s", want, got)
		}
	}
	for _, noise := range []string{"result |= x ^ y", `"""`, "return result"} {
		if strings.Contains(got, noise) {
			t.Errorf("embedText keeps code body %q:\n%s", noise, got)
		}
	}
}

func TestEmbedTextFallsBackToCode(t *testing.T) {
	code := "x = 1\ny = x + 2\n"
	if got := embedText(KindCode, "a.py", "a.py", code); !strings.HasSuffix(got, code) {
		t.Errorf("code without comments or declarations should embed as itself, got %q", got)
	}
}

func TestEmbedTextDocAndBounds(t *testing.T) {
	if got := embedText(KindDoc, "README.md", "README.md > Install", "Run make."); got != "README.md > Install\nRun make." {
		t.Errorf("doc embed text = %q", got)
	}
	long := strings.Repeat("é", maxEmbedTextBytes) // 2 bytes each
	got := embedText(KindCommit, "git:abc", "t", long)
	if len(got) > maxEmbedTextBytes || !utf8.ValidString(got) {
		t.Errorf("long text not cut to a valid %d-byte prefix: %d bytes, valid=%v", maxEmbedTextBytes, len(got), utf8.ValidString(got))
	}
}

// Docstring quotes in every position, alone or unbalanced, must not trip
// the extractor (a bare `"""` line once sliced past its end).
func TestEmbedTextDocstringEdges(t *testing.T) {
	for _, code := range []string{`"""`, `'''`, `r"""`, `r'''`, "\"\"\"\n", "'''x'''", "r'''raw'''\n", "\"\"\"open\nnever closed",
		"def f():\n    \"\"\"\n    Text.\n    \"\"\"\n", "def f():\n    '''One.''' \n"} {
		embedText(KindCode, "a.py", "a.py: f", code) // must not panic
	}
	if got := embedText(KindCode, "a.py", "a.py: f", "def f():\n    \"\"\"\n    Text.\n    \"\"\"\n"); strings.Contains(got, `"""`) || !strings.Contains(got, "Text.") {
		t.Errorf("multi-line docstring: %q", got)
	}
	if got := embedText(KindCode, "a.py", "a.py: f", "def f():\n    '''One.''' \n"); !strings.Contains(got, "One.") {
		t.Errorf("single-line ''' docstring lost: %q", got)
	}
}

func FuzzEmbedText(f *testing.F) {
	for _, s := range []string{`"""`, "r'''", "# c\ndef f(): pass", "/* x */\nfunc F() {", "\xff\xfe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, code string) {
		got := embedText(KindCode, "a.go", "a.go: F", code)
		if len(got) > maxEmbedTextBytes {
			t.Fatalf("embed text of %d bytes", len(got))
		}
	})
}
