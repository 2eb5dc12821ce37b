package embed

import (
	"context"
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// unit is v scaled to length 1.
func unit(v ...float64) []float32 {
	var s float64
	for _, x := range v {
		s += x * x
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x / math.Sqrt(s))
	}
	return out
}

// addTestBERT installs testdata/make_bert_test_model.py's graph (mode) with
// testdata/vocab.txt as a user model in a fresh home.
func addTestBERT(t *testing.T, name, mode string, maxTokens int) *Manifest {
	t.Helper()
	requireRuntime(t)
	t.Setenv("PATINA_HOME", t.TempDir())
	graph, sum := buildBERT(t, t.TempDir(), mode)
	m, err := Add(context.Background(), AddOptions{
		Name: name, Family: FamilyBERT, ONNX: graph, Vocab: "testdata/vocab.txt", SHA256: sum, MaxTokens: maxTokens,
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// The test graph's last_hidden_state is word_emb[id] + type_emb[0], with
// word_emb[i] = [i, 10-i, i%2, 1] and type_emb[0] = [0.5, 0, 0, 0]: the
// pooled vector of ids x1…xn is [mean(x)+0.5, 10-mean(x), mean(x%2), 1],
// normalised. The padding id 0 would pull every mean towards [0, 10, 0, 1]
// if the pooler counted it.
func TestEmbedBERTPooling(t *testing.T) {
	m := addTestBERT(t, "tiny-bert", "good", 16)
	if m.Dims != 4 {
		t.Fatalf("learned dims %d, want 4", m.Dims)
	}
	e, err := Open(m)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	cases := []struct {
		text string
		want []float32
	}{
		// [CLS] [SEP] = 2, 3: mean 2.5, parity mean 0.5.
		{"", unit(3, 7.5, 0.5, 1)},
		// [CLS] hello [SEP] = 2, 12, 3: mean 17/3, parity mean 1/3.
		{"Hello", unit(17.0/3+0.5, 10-17.0/3, 1.0/3, 1)},
		// [CLS] un ##aff ##able dog ##s . [SEP] = 2, 7, 8, 9, 16, 15, 14, 3:
		// mean 74/8, parity mean 4/8.
		{"Unaffable dogs.", unit(74.0/8+0.5, 10-74.0/8, 4.0/8, 1)},
		// [CLS] naive cafe [UNK] [SEP] = 2, 17, 6, 1, 3: mean 29/5,
		// parity mean 3/5.
		{"Naïve café zzz", unit(29.0/5+0.5, 10-29.0/5, 3.0/5, 1)},
		// Truncated to 16: [CLS], 14 × the (5), [SEP]: mean 75/16, parity
		// mean 15/16.
		{strings.Repeat("the ", 100), unit(75.0/16+0.5, 10-75.0/16, 15.0/16, 1)},
	}
	texts := make([]string, len(cases))
	for i, c := range cases {
		texts[i] = c.text
	}
	batch, err := e.Embed(context.Background(), texts) // padded to 16
	if err != nil {
		t.Fatal(err)
	}
	for i, c := range cases {
		one, err := e.Embed(context.Background(), []string{c.text})
		if err != nil {
			t.Fatal(err)
		}
		if d := maxDiff(one[0], c.want); d > 1e-6 {
			t.Errorf("%.20q alone: %v, want %v", c.text, one[0], c.want)
		}
		if d := maxDiff(batch[i], c.want); d > 1e-6 {
			t.Errorf("%.20q in a batch: %v, want %v", c.text, batch[i], c.want)
		}
	}
}

// A graph that pools by itself ([batch, dims] output) is used as it is.
func TestEmbedBERTPooledOutput(t *testing.T) {
	m := addTestBERT(t, "tiny-pooled", "pooled", 16)
	e, err := Open(m)
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	v, err := e.Embed(context.Background(), []string{"Hello"})
	if err != nil {
		t.Fatal(err)
	}
	if want := unit(17.0/3+0.5, 10-17.0/3, 1.0/3, 1); maxDiff(v[0], want) > 1e-6 {
		t.Errorf("%v, want %v", v[0], want)
	}
}

// Add installs the files 0600 in a 0700 directory with a manifest that
// pins both hashes, and Find and List see the model.
func TestEmbedAddInstalls(t *testing.T) {
	m := addTestBERT(t, "tiny-bert", "good", 0)
	root, _ := filepath.Abs(os.Getenv("PATINA_HOME"))
	dir := filepath.Join(root, "models", "tiny-bert")
	if m.Dir != dir || m.MaxTokens != DefaultBERTMaxTokens || m.Family != FamilyBERT {
		t.Errorf("manifest %+v", m)
	}
	mode := func(p string) os.FileMode {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		return st.Mode().Perm()
	}
	if mode(dir) != 0o700 {
		t.Errorf("dir mode %o", mode(dir))
	}
	for _, f := range []string{"model.onnx", "vocab.txt", "manifest.json"} {
		if p := filepath.Join(dir, f); mode(p) != 0o600 {
			t.Errorf("%s mode %o", f, mode(p))
		}
	}
	if got := m.Files[1].SHA256; got != fileSHA256(t, "testdata/vocab.txt") {
		t.Errorf("vocab hash %s", got)
	}
	found, err := Find("tiny-bert")
	if err != nil {
		t.Fatal(err)
	}
	if found.ID() != m.ID() || found.Dir != dir || found.Dims != 4 {
		t.Errorf("Find: %+v, want %+v", found, m)
	}
	if err := found.Verify(); err != nil {
		t.Error(err)
	}
	all, err := List()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 2 || all[0].Name != DefaultModel || all[1].Name != "tiny-bert" {
		t.Errorf("List: %v", all)
	}
	entries, _ := os.ReadDir(filepath.Dir(dir))
	if len(entries) != 1 {
		t.Errorf("models dir holds %d entries, want the model alone", len(entries))
	}
	if _, err := Add(context.Background(), AddOptions{Name: "tiny-bert", ONNX: "x", Vocab: "y", SHA256: m.Files[0].SHA256}); !errors.Is(err, ErrExists) {
		t.Errorf("adding again: %v", err)
	}
}

// Add refuses, before writing anything, a wrong hash, a bad name, a graph
// that is not BERT-shaped, dims that do not match, and a missing file.
func TestEmbedAddRefuses(t *testing.T) {
	requireRuntime(t)
	home := t.TempDir()
	t.Setenv("PATINA_HOME", home)
	dir := t.TempDir()
	good, goodSum := buildBERT(t, dir, "good")
	bad, badSum := buildBERT(t, dir, "bad-inputs")
	vocab := "testdata/vocab.txt"
	cases := []struct {
		name string
		o    AddOptions
		want string
	}{
		{"wrong hash", AddOptions{Name: "m", ONNX: good, Vocab: vocab, SHA256: badSum}, "sha256 is " + goodSum + ", expected " + badSum},
		{"wrong vocab hash", AddOptions{Name: "m", ONNX: good, Vocab: vocab, SHA256: goodSum, VocabSHA256: badSum}, "expected " + badSum},
		{"malformed hash", AddOptions{Name: "m", ONNX: good, Vocab: vocab, SHA256: "abc"}, "not 64 hex digits"},
		{"built-in name", AddOptions{Name: DefaultModel, ONNX: good, Vocab: vocab, SHA256: goodSum}, "built-in"},
		{"path in name", AddOptions{Name: "../x", ONNX: good, Vocab: vocab, SHA256: goodSum}, "must be lower-case"},
		{"not BERT", AddOptions{Name: "m", ONNX: bad, Vocab: vocab, SHA256: badSum}, "model m refused: " + bad + `: unexpected input "x"`},
		{"wrong dims", AddOptions{Name: "m", ONNX: good, Vocab: vocab, SHA256: goodSum, Dims: 384}, "384"},
		{"no vocab", AddOptions{Name: "m", ONNX: good, Vocab: filepath.Join(dir, "nope.txt"), SHA256: goodSum}, "nope.txt"},
		{"vocab without [UNK]", AddOptions{Name: "m", ONNX: good, Vocab: good, SHA256: goodSum}, "model m refused: " + good + ": vocab.txt has no [UNK] token"},
		{"unknown family", AddOptions{Name: "m", Family: "gpt", ONNX: good, Vocab: vocab, SHA256: goodSum}, "unknown family"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Add(context.Background(), c.o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want one containing %q", err, c.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("error spans lines: %q", err)
			}
			if errors.Is(err, ErrUnavailable) {
				t.Errorf("a refused model is not a missing runtime: %v wraps ErrUnavailable", err)
			}
			entries, _ := os.ReadDir(filepath.Join(home, "models"))
			if len(entries) != 0 {
				t.Errorf("left behind %v", entries)
			}
		})
	}
}

// A user model's file changed after it was added is refused at Open with
// a one-line error naming the file and the expected hash.
func TestEmbedBERTTampered(t *testing.T) {
	m := addTestBERT(t, "tiny-bert", "good", 16)
	vocab := m.Path(RoleVocab)
	if err := os.WriteFile(vocab, []byte("[UNK]\n[CLS]\n[SEP]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Open(m)
	if !errors.Is(err, ErrUnavailable) {
		t.Fatalf("Open: %v, want ErrUnavailable", err)
	}
	want := "model tiny-bert: " + vocab + ": sha256 is "
	if msg := err.Error(); !strings.HasPrefix(msg, want) || !strings.Contains(msg, "expected "+m.Files[1].SHA256) || strings.Contains(msg, "\n") {
		t.Errorf("error %q", msg)
	}
}

// A graph that fixes its sequence length gets every batch padded to it
// (and gives the same vectors as the dynamic graph); one whose length is
// below --max-tokens, or that fixes its batch size, is refused at add.
func TestEmbedBERTFixedAxes(t *testing.T) {
	fixed := addTestBERT(t, "fixed-seq", "fixed-seq", 16)
	dynamic := addTestBERT(t, "dynamic", "good", 16)
	texts := []string{"hello", "the quick brown fox jumps over the lazy dog again and again and again"}
	var got [2][][]float32
	for i, m := range []*Manifest{fixed, dynamic} {
		e, err := Open(m)
		if err != nil {
			t.Fatal(err)
		}
		got[i], err = e.Embed(context.Background(), texts)
		if err == nil {
			// Alone, "hello" is far shorter than the fixed length.
			_, err = e.Embed(context.Background(), texts[:1])
		}
		e.Close()
		if err != nil {
			t.Fatalf("%s: %v", m.Name, err)
		}
	}
	for r := range texts {
		for d := range got[0][r] {
			if diff := got[0][r][d] - got[1][r][d]; diff > 1e-6 || diff < -1e-6 {
				t.Fatalf("text %d: fixed-length graph %v, dynamic %v", r, got[0][r], got[1][r])
			}
		}
	}
	requireRuntime(t)
	t.Setenv("PATINA_HOME", t.TempDir())
	for mode, want := range map[string]string{"fixed-seq": "exactly 16 tokens", "fixed-batch": "fixed batch size"} {
		graph, sum := buildBERT(t, t.TempDir(), mode)
		_, err := Add(context.Background(), AddOptions{Name: "x" + mode, Family: FamilyBERT, ONNX: graph, Vocab: "testdata/vocab.txt", SHA256: sum, MaxTokens: 32})
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("add %s with max tokens 32: %v, want an error saying %q", mode, err, want)
		}
	}
}
