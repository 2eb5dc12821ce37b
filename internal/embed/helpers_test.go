package embed

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// skipUnavailable skips the test when something provisioned by `make models`
// (or the Debian packages the BERT graph builder needs) is missing, unless
// CI=true: CI runs `make test`, which provisions, so there it is a failure.
func skipUnavailable(t testing.TB, err error) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatalf("%v (CI=true: `make test` should have provisioned it)", err)
	}
	t.Skipf("%v: run `make models`", err)
}

// requireRuntime skips (or, in CI, fails) unless the provisioned ONNX
// Runtime is in place.
func requireRuntime(t testing.TB) {
	t.Helper()
	if _, err := VerifyRuntime(); err != nil {
		skipUnavailable(t, err)
	}
}

// defaultModel is the provisioned default model, checked.
func defaultModel(t testing.TB) *Manifest {
	t.Helper()
	requireRuntime(t)
	m, err := Find(DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Verify(); err != nil {
		skipUnavailable(t, err)
	}
	return m
}

// openDefault opens the default model for one test.
func openDefault(t testing.TB) *Embedder {
	t.Helper()
	e, err := Open(defaultModel(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.Close() })
	return e
}

// buildBERT builds testdata/make_bert_test_model.py's graph of the given
// mode into dir and returns its path and hash.
func buildBERT(t testing.TB, dir, mode string) (string, string) {
	t.Helper()
	const python = "/usr/bin/python3" // Debian's, which sees python3-onnx
	if err := exec.Command(python, "-c", "import onnx, numpy").Run(); err != nil {
		skipUnavailable(t, errors.New("building the test BERT graph needs Debian's python3-onnx and python3-numpy"))
	}
	out := filepath.Join(dir, mode+".onnx")
	cmd := exec.Command(python, "testdata/make_bert_test_model.py", out, mode)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("make_bert_test_model.py %s: %v\n%s", mode, err, b)
	}
	return out, fileSHA256(t, out)
}

func fileSHA256(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

func dot(a, b []float32) float64 {
	var s float64
	for i := range a {
		s += float64(a[i]) * float64(b[i])
	}
	return s
}

func norm2(v []float32) float64 { return math.Sqrt(dot(v, v)) }

// maxDiff is the largest element-wise difference of two vectors.
func maxDiff(a, b []float32) float64 {
	var d float64
	for i := range a {
		d = math.Max(d, math.Abs(float64(a[i])-float64(b[i])))
	}
	return d
}
