package embed

import (
	"slices"
	"strings"
	"testing"
)

// defaultSPM is the default model's tokenizer, from the provisioned
// vocab.json (checked against its pinned hash).
func defaultSPM(t *testing.T, maxTokens int) *spm {
	t.Helper()
	m, err := Find(DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	vocab, err := m.read(RoleVocab)
	if err != nil {
		skipUnavailable(t, err)
	}
	tok, err := newSPM(vocab, maxTokens)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// The ids are the TF.js tokenizer's (tfjs-models universal-sentence-encoder
// 1.3.3, run under node on the same vocab.json); the pieces are those ids
// looked up in vocab.json, to read by eye. The Go port also matched the
// JavaScript on 3,000 lines of this repository's Markdown and Go.
func TestEmbedSPMTokens(t *testing.T) {
	tok := defaultSPM(t, 1000)
	cases := []struct {
		text   string
		ids    []int64
		pieces string // space-separated; "�" is the unknown id 0
	}{
		{"Hello world.", []int64{341, 4125, 311, 6}, "▁H ello ▁world ."},
		{"how do I rotate the vault key", []int64{140, 64, 16, 4475, 321, 9, 2385, 2482, 1173},
			"▁how ▁do ▁I ▁rot ate ▁the ▁va ult ▁key"},
		// Every space is a "▁", the leading one included.
		{"  double  spaces ", []int64{30, 30, 1991, 30, 1016, 7, 30}, "▁ ▁ ▁double ▁ ▁space s ▁"},
		// "ï" has no piece: unknown. NFKC composes "é", which has one.
		{"naïve café résumé", []int64{1216, 0, 105, 976, 209, 1133, 1067, 1133, 7, 400, 1133},
			"▁na � ve ▁ca f é ▁r é s um é"},
		// A run of unknown characters is one unknown id.
		{"東京 tokyo 🙂 emoji", []int64{30, 0, 10, 4022, 102, 30, 0, 299, 451, 2501}, "▁ � ▁to ky o ▁ � ▁e mo ji"},
		// NFKC: the "ﬁ" ligature and full-width letters become ASCII.
		{"ﬁve ｆｕｌｌ width", []int64{821, 650, 7916}, "▁five ▁full ▁width"},
		{"It's 3:15pm, isn't it?", []int64{75, 13, 7, 216, 57, 1681, 3912, 8, 541, 13, 17, 21, 54},
			"▁It ' s ▁3 : 15 pm , ▁isn ' t ▁it ?"},
	}
	vocab := spmPieces(t)
	for _, c := range cases {
		got := tok.encode(c.text)
		if !slices.Equal(got, c.ids) {
			t.Errorf("%q: ids %v, want %v", c.text, got, c.ids)
		}
		var pieces []string
		for _, id := range c.ids {
			pieces = append(pieces, vocab[id])
		}
		if p := strings.Join(pieces, " "); p != c.pieces {
			t.Errorf("%q: pieces %q, want %q", c.text, p, c.pieces)
		}
	}
}

// spmPieces is vocab.json's pieces by id.
func spmPieces(t *testing.T) []string {
	tok := defaultSPM(t, 1)
	pieces := make([]string, len(tok.stepLen))
	pieces[0] = "�"
	var walk func(n *spmNode, prefix []rune)
	walk = func(n *spmNode, prefix []rune) {
		if n.id >= 0 {
			pieces[n.id] = string(prefix)
		}
		for r, c := range n.next {
			walk(c, append(prefix, r))
		}
	}
	walk(tok.root, nil)
	return pieces
}

// An empty text is one unknown id (the graph needs a token per row); a
// long one is cut to maxTokens.
func TestEmbedSPMEmptyAndTruncated(t *testing.T) {
	tok := defaultSPM(t, 8)
	if got := tok.encode(""); !slices.Equal(got, []int64{0}) {
		t.Errorf("empty text: %v, want [0]", got)
	}
	long := strings.Repeat("how do I rotate the vault key ", 10)
	full := defaultSPM(t, 1000).encode(long)
	if got := tok.encode(long); !slices.Equal(got, full[:8]) {
		t.Errorf("truncated: %v, want the first 8 of %v", got, full)
	}
}

// A huge text is cut before tokenising, at a space, without changing the
// first maxTokens ids.
func TestEmbedSPMCutKeepsPrefix(t *testing.T) {
	tok := defaultSPM(t, 16)
	words := strings.Fields("the vault key rotates every ninety days, re-encrypting each secret to the new recipient")
	var b strings.Builder
	for i := 0; b.Len() < 100_000; i++ {
		b.WriteString(words[i%len(words)])
		b.WriteByte(' ')
	}
	text := b.String()
	cut := tok.cut(text)
	if len(cut) >= len(text) || len(cut) > 2*17*tok.maxPiece*4 {
		t.Fatalf("cut kept %d of %d bytes", len(cut), len(text))
	}
	all := tok.tokenize(text)
	if got := tok.encode(text); !slices.Equal(got, all[:16]) {
		t.Errorf("ids of the cut text %v, want %v", got, all[:16])
	}
}
