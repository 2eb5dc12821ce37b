package embed

import (
	"context"
	"math"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// A graph keeping its weights in a file beside it is refused with a clear
// message, even run from the directory holding that file (where some ORT
// versions would have read it).
func TestEmbedRefusesExternalData(t *testing.T) {
	requireRuntime(t)
	t.Setenv("PATINA_HOME", t.TempDir())
	dir := t.TempDir()
	graph, sum := buildBERT(t, dir, "external")
	if _, err := os.Stat(graph + ".data"); err != nil {
		t.Fatalf("the builder wrote no external data file: %v", err)
	}
	b, err := os.ReadFile(graph)
	if err != nil {
		t.Fatal(err)
	}
	if ext, err := refersToExternalData(b); !ext || err != nil {
		t.Fatalf("refersToExternalData(external graph) = %v, %v", ext, err)
	}
	testdata, _ := filepath.Abs("testdata")
	wd, _ := os.Getwd()
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	defer os.Chdir(wd)
	_, err = Add(context.Background(), AddOptions{
		Name: "ext", Family: FamilyBERT, ONNX: graph, Vocab: filepath.Join(testdata, "vocab.txt"), SHA256: sum, MaxTokens: 16,
	})
	if err == nil || !strings.Contains(err.Error(), "external data") {
		t.Fatalf("model add of an external-data graph: %v", err)
	}
	if _, err := Find("ext"); err == nil {
		t.Fatal("the refused model was installed")
	}
}

func TestRefersToExternalData(t *testing.T) {
	good, _ := buildBERT(t, t.TempDir(), "good")
	b, err := os.ReadFile(good)
	if err != nil {
		t.Fatal(err)
	}
	if ext, err := refersToExternalData(b); ext || err != nil {
		t.Fatalf("self-contained graph: %v, %v", ext, err)
	}
	if m, err := Find(DefaultModel); err == nil {
		if use, err := os.ReadFile(m.Path(RoleONNX)); err == nil {
			if ext, err := refersToExternalData(use); ext || err != nil {
				t.Fatalf("the default model: %v, %v", ext, err)
			}
		}
	}
	// Truncated or garbage bytes are an error, never a panic or a pass.
	for _, bad := range [][]byte{b[:len(b)/2], {0xff, 0xff, 0xff}, {0x0b}, []byte("not protobuf at all, just text")} {
		if _, err := refersToExternalData(bad); err == nil {
			t.Errorf("refersToExternalData(%q…) accepted malformed input", bad[:min(8, len(bad))])
		}
	}
}

func FuzzRefersToExternalData(f *testing.F) {
	f.Add([]byte{0x3a, 0x02, 0x2a, 0x00})
	f.Add([]byte{0x3a, 0x04, 0x2a, 0x02, 0x70, 0x01})
	f.Fuzz(func(t *testing.T, b []byte) {
		refersToExternalData(b) // must not panic or recurse without bound
	})
}

func TestNormalizeRefusesUnusableVectors(t *testing.T) {
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, v := range [][]float32{{0, 0, 0}, {1, nan, 0}, {inf, 1, 0}, {}} {
		if normalize(v) {
			t.Errorf("normalize(%v) accepted an unusable vector", v)
		}
	}
	v := []float32{3, 4}
	if !normalize(v) || math.Abs(float64(v[0])-0.6) > 1e-6 || math.Abs(float64(v[1])-0.8) > 1e-6 {
		t.Errorf("normalize([3 4]) = %v", v)
	}
}

// A FIFO where a model file should be is refused at once: opening it
// would block until someone wrote to it.
func TestHashFileRefusesFIFO(t *testing.T) {
	p := filepath.Join(t.TempDir(), "model.onnx")
	if err := syscall.Mkfifo(p, 0o600); err != nil {
		t.Skip(err)
	}
	done := make(chan error, 1)
	go func() { _, _, err := hashFile(p, true); done <- err }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "not a regular file") {
			t.Fatalf("hashFile(FIFO) = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("hashFile blocked on a FIFO")
	}
}

// An add killed part-way leaves a hidden temporary copy; the next add
// removes it once it is a day old, and leaves a fresh one (an add that may
// still be running) alone.
func TestSweepStaleAdds(t *testing.T) {
	root := t.TempDir()
	old := filepath.Join(root, ".big.add-123")
	fresh := filepath.Join(root, ".big.add-456")
	model := filepath.Join(root, "keep")
	for _, d := range []string{old, fresh, model} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			t.Fatal(err)
		}
	}
	long := time.Now().Add(-48 * time.Hour)
	os.Chtimes(old, long, long)
	os.Chtimes(model, long, long)
	sweepStaleAdds(root)
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Error("a two-day-old temporary copy was kept")
	}
	for _, d := range []string{fresh, model} {
		if _, err := os.Stat(d); err != nil {
			t.Errorf("%s was removed", filepath.Base(d))
		}
	}
}
