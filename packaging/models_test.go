package packaging

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/paths"
)

// Pinned in scripts/models.sh as VOCAB_SHA256.
const vocabSHA256 = "1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e"

// provisionedFiles are the files scripts/models.sh puts in the cache dir,
// relative to it, for this platform.
func provisionedFiles(t *testing.T) []string {
	t.Helper()
	var lib string
	switch runtime.GOOS + "/" + runtime.GOARCH {
	case "linux/amd64", "linux/arm64":
		lib = "libonnxruntime.so.1"
	case "darwin/arm64":
		lib = "libonnxruntime.1.dylib"
	default:
		t.Skipf("models.sh has no ONNX Runtime for %s/%s", runtime.GOOS, runtime.GOARCH)
	}
	return []string{
		filepath.Join("onnxruntime", "1.30.0", lib),
		filepath.Join("models", "use-lite", "model.onnx"),
		filepath.Join("models", "use-lite", "vocab.json"),
	}
}

// TestModelsScriptIdempotent checks, against a copy of the real cache made
// by `make models`, that the script leaves a correct cache alone without
// touching the network, and that it repairs a corrupted file.
func TestModelsScriptIdempotent(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("no bash")
	}
	files := provisionedFiles(t)
	real, err := paths.Cache()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		if _, err := os.Stat(filepath.Join(real, f)); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not provisioned (make models should have run first): %v", f, err)
			}
			t.Skipf("%s is not provisioned; run make models", f)
		}
	}

	// The copy: big files hard-linked where possible (the script only ever
	// renames over them), vocab.json copied because the test writes into it.
	cache := t.TempDir()
	for _, f := range files {
		dst := filepath.Join(cache, f)
		if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
			t.Fatal(err)
		}
		if filepath.Base(f) == "vocab.json" || os.Link(filepath.Join(real, f), dst) != nil {
			copyFile(t, filepath.Join(real, f), dst)
		}
	}

	// Stand-ins that record any attempt to fetch or install something.
	shims := t.TempDir()
	called := filepath.Join(shims, "called")
	for _, name := range []string{"npm", "apt-get", "sudo", "python3"} {
		script := "#!/bin/sh\necho " + name + " >>'" + called + "'\nexit 1\n"
		if err := os.WriteFile(filepath.Join(shims, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	pathEnv := os.Getenv("PATH")

	// 1. Everything in place: exit 0, no fetching, nothing changed.
	before := snapshot(t, cache, nil)
	start := time.Now()
	runModels(t, cache, shims+string(os.PathListSeparator)+pathEnv)
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("models.sh took %v with everything in place", took)
	}
	if b, err := os.ReadFile(called); err == nil {
		t.Fatalf("models.sh ran %s with everything in place", strings.Fields(string(b)))
	}
	if after := snapshot(t, cache, nil); after != before {
		t.Fatalf("models.sh changed a correct cache:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	// 2. One byte of vocab.json wrong: the script must notice and put the
	// pinned file back (fetching it with the real npm), leaving the rest
	// alone. (vocab.json itself comes back with the tarball's mtime, and the
	// lock file appears once the script has work to do.)
	skip := map[string]bool{filepath.Join("models", "use-lite", "vocab.json"): true, ".models.lock": true}
	rest := snapshot(t, cache, skip)
	vocab := filepath.Join(cache, "models", "use-lite", "vocab.json")
	b, err := os.ReadFile(vocab)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x20
	if err := os.WriteFile(vocab, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm not found; cannot check the repair")
	}
	if err := os.Remove(filepath.Join(shims, "npm")); err != nil {
		t.Fatal(err)
	}
	runModels(t, cache, shims+string(os.PathListSeparator)+pathEnv)
	if got := fileSHA256(t, vocab); got != vocabSHA256 {
		t.Fatalf("vocab.json after repair: sha256 %s, want %s", got, vocabSHA256)
	}
	if b, err := os.ReadFile(called); err == nil {
		t.Errorf("repairing vocab.json ran %s", strings.Fields(string(b)))
	}
	if after := snapshot(t, cache, skip); after != rest {
		t.Fatalf("repairing vocab.json changed other files:\nbefore:\n%s\nafter:\n%s", rest, after)
	}
}

// TestConverterRejectsUnknownOp checks that the converter names an op it
// cannot translate and leaves no output behind.
func TestConverterRejectsUnknownOp(t *testing.T) {
	python := "/usr/bin/python3"
	if runtime.GOOS != "linux" {
		python = "python3"
	}
	if exec.Command(python, "-c", "import onnx, numpy").Run() != nil {
		t.Skip("no python3 with onnx and numpy (make models installs them on Debian)")
	}
	dist := t.TempDir()
	model := `{"modelTopology": {"node": [
	  {"name": "indices", "op": "Placeholder", "attr": {"dtype": {"type": 9}}},
	  {"name": "values", "op": "Placeholder", "attr": {"dtype": {"type": 9}}},
	  {"name": "odd", "op": "Erf", "input": ["values"]}
	]}, "weightsManifest": []}`
	if err := os.WriteFile(filepath.Join(dist, "model.json"), []byte(model), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "model.onnx")
	cmd := exec.Command(python, "../contrib/models/use_lite_to_onnx.py", dist, out)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("converter succeeded on a graph with an Erf op")
	}
	if !strings.Contains(stderr.String(), "unsupported TF op Erf (node odd)") {
		t.Errorf("stderr = %q, want it to name the op and node", stderr.String())
	}
	entries, _ := os.ReadDir(filepath.Dir(out))
	if len(entries) != 0 {
		t.Errorf("converter left %v behind", entries)
	}
}

func runModels(t *testing.T, cache, pathEnv string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "bash", filepath.Join("scripts", "models.sh"))
	cmd.Env = append(os.Environ(), "PATINA_CACHE="+cache, "PATH="+pathEnv)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("models.sh: %v\n%s", err, out)
	}
}

// snapshot lists every entry under dir but those in skip (paths relative
// to dir), one a line: path, mode and, for files, modification time and
// sha256.
func snapshot(t *testing.T, dir string, skip map[string]bool) string {
	t.Helper()
	var sb strings.Builder
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if skip[rel] {
			return nil
		}
		sb.WriteString(rel + " " + info.Mode().String())
		if !d.IsDir() {
			sb.WriteString(" " + info.ModTime().UTC().Format(time.RFC3339Nano) + " " + fileSHA256(t, p))
		}
		sb.WriteString("\n")
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sb.String()
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}
