package embed

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// testWordPiece is the made-up vocabulary in testdata/vocab.txt: [PAD] 0,
// [UNK] 1, [CLS] 2, [SEP] 3, then the = 5, cafe 6, un 7, ##aff 8,
// ##able 9, "," 10, "!" 11, hello 12, world 13, "." 14, ##s 15, dog 16,
// naive 17, "?" 18, "'" 19, 中 20, a 21, ##b 22, ##c 23, resume 24, ##d 25,
// run 26, ##ning 27, "-" 28, x 29, ##x 30.
func testWordPiece(t *testing.T, maxTokens int) *wordPiece {
	t.Helper()
	b, err := os.ReadFile("testdata/vocab.txt")
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWordPiece(b, maxTokens)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// The tokenizer also matched Hugging Face's tokenizers.js (BertNormalizer,
// BertPreTokenizer, WordPiece) id for id on 3,000 lines of this repository
// and odd Unicode, over a 1,600-token vocabulary made from them.
func TestEmbedWordPiece(t *testing.T) {
	w := testWordPiece(t, 512)
	cases := []struct {
		name, text string
		ids        []int64 // without [CLS] 2 … [SEP] 3
	}{
		{"empty", "", nil},
		{"blank", " \t\n ", nil},
		{"punctuation split", "Hello, world!", []int64{12, 10, 13, 11}},
		{"subwords", "Unaffable dogs.", []int64{7, 8, 9, 16, 15, 14}},
		{"accents stripped, lower-cased", "naïve CAFÉ Résumé", []int64{17, 6, 24}},
		{"combining accent stripped", "cafe\u0301", []int64{6}},
		{"unknown word", "frobnicate the dog", []int64{1, 5, 16}},
		// WordPiece covers all of a word or none of it.
		{"partly known word is unknown", "dogz dogx", []int64{1, 16, 30}},
		{"apostrophe splits", "dog's", []int64{16, 19, 1}},
		{"hyphen splits", "running-dog", []int64{26, 27, 28, 16}},
		{"longest match first", "ABC", []int64{21, 22, 23}},
		{"CJK one by one", "中文", []int64{20, 1}},
		{"tabs and newlines are spaces", "a\tthe\ndog", []int64{21, 5, 16}},
		{"format characters dropped", "a\u200bb", []int64{21, 22}},
		{"control characters dropped", "d\x00o\x07g", []int64{16}},
		{"100 characters is a word", strings.Repeat("x", 100), append([]int64{29}, slices.Repeat([]int64{30}, 99)...)},
		{"101 characters is unknown", strings.Repeat("x", 101) + " dog", []int64{1, 16}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			want := append(append([]int64{2}, c.ids...), 3)
			if got := w.encode(c.text); !slices.Equal(got, want) {
				t.Errorf("%q: %v, want %v", c.text, got, want)
			}
		})
	}
}

// Truncation keeps [CLS], the first max-2 tokens and [SEP], also when the
// cut falls inside a word's pieces; a huge text is not read to its end.
func TestEmbedWordPieceTruncation(t *testing.T) {
	w := testWordPiece(t, 6)
	cases := map[string][]int64{
		"the dog the dog the dog":   {2, 5, 16, 5, 16, 3},
		"the dog unaffable":         {2, 5, 16, 7, 8, 3},
		"hello":                     {2, 12, 3},
		strings.Repeat("a ", 1<<20): {2, 21, 21, 21, 21, 3},
	}
	for text, want := range cases {
		if got := w.encode(text); !slices.Equal(got, want) {
			t.Errorf("%.30q: %v, want %v", text, got, want)
		}
	}
	if testing.AllocsPerRun(1, func() { w.encode(strings.Repeat("a ", 1<<20)) }) > 100 {
		t.Error("a huge text was read to its end")
	}
}

func TestEmbedWordPieceVocab(t *testing.T) {
	if _, err := newWordPiece([]byte("[PAD]\n[CLS]\n[SEP]\n"), 8); err == nil || !strings.Contains(err.Error(), "[UNK]") {
		t.Errorf("vocab without [UNK]: %v", err)
	}
	w, err := newWordPiece([]byte("[UNK]\r\n[CLS]\r\n[SEP]\r\nhi\r\n"), 8)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.encode("hi"); !slices.Equal(got, []int64{1, 3, 2}) {
		t.Errorf("CRLF vocab: %v", got)
	}
}
