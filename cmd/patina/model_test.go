package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/paths"
)

const (
	useLiteGraphSHA = "eac17d707ffe3062c3f32b574b892212065f308fcc06f46a63c67dc296a7f327"
	useLiteVocabSHA = "1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e"
)

// provisionedCache is the cache `make models` filled, for tests that need
// the real ONNX Runtime. It skips when that is missing, unless CI=true:
// CI runs `make test`, which provisions, so there it is a failure.
func provisionedCache(t *testing.T) string {
	t.Helper()
	cache, err := paths.Cache()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := embed.VerifyRuntime(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true: `make test` should have provisioned it)", err)
		}
		t.Skipf("%v: run `make models`", err)
	}
	return cache
}

// testBERT builds internal/embed's tiny BERT-shaped graph (mode: good or
// bad-inputs) into dir and returns its path and hash.
func testBERT(t *testing.T, dir, mode string) (string, string) {
	t.Helper()
	const python = "/usr/bin/python3" // Debian's, which sees python3-onnx
	if err := exec.Command(python, "-c", "import onnx, numpy").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("building the test BERT graph needs Debian's python3-onnx and python3-numpy")
		}
		t.Skip("building the test BERT graph needs Debian's python3-onnx and python3-numpy: run `make models`")
	}
	out := filepath.Join(dir, mode+".onnx")
	if b, err := exec.Command(python, "../../internal/embed/testdata/make_bert_test_model.py", out, mode).CombinedOutput(); err != nil {
		t.Fatalf("make_bert_test_model.py: %v\n%s", err, b)
	}
	return out, sha256File(t, out)
}

func sha256File(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// lines is s split into lines, without the final newline.
func lines(s string) []string {
	s = strings.TrimSuffix(s, "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

func TestModelCLIUsage(t *testing.T) {
	sum := strings.Repeat("a", 64)
	add := func(extra ...string) []string {
		return append([]string{"model", "add", "--name", "m", "--onnx", "g.onnx", "--vocab", "v.txt", "--sha256", sum}, extra...)
	}
	cases := []struct {
		args []string
		code int
		want string // in stderr (code 2) or stdout (code 0)
	}{
		{[]string{"model"}, 0, "commands:"},
		{[]string{"model", "frob"}, 2, `unknown command "frob" for "patina model"`},
		{[]string{"model", "list", "extra"}, 2, "model list takes no arguments"},
		{[]string{"model", "list", "--bogus"}, 2, "unknown flag: --bogus"},
		{[]string{"model", "add"}, 2, "model add needs --name"},
		{[]string{"model", "add", "--name", "m", "--onnx", "g.onnx"}, 2, "needs --onnx FILE and --vocab FILE"},
		{[]string{"model", "add", "--name", "m", "--onnx", "g.onnx", "--vocab", "v.txt"}, 2, "needs --sha256 HASH"},
		{[]string{"model", "add", "--name", "m", "--onnx", "g.onnx", "--vocab", "v.txt", "--sha256", "abc"}, 2, `--sha256: "abc" is not 64 hex digits`},
		{add("--vocab-sha256", "xyz"), 2, "--vocab-sha256"},
		{add("--family", "gpt"), 2, `--family: "gpt" is not bert or use-lite`},
		{add("--dims", "-1"), 2, "--dims"},
		{add("--max-tokens", "x"), 2, "invalid argument"},
		{add("extra"), 2, "takes no arguments"},
		{[]string{"model", "add", "--name", "use-lite", "--onnx", "g", "--vocab", "v", "--sha256", sum}, 2, "built-in model's name"},
		{[]string{"model", "add", "--name", "../x", "--onnx", "g", "--vocab", "v", "--sha256", sum}, 2, "--name: model name"},
		{[]string{"model", "verify", "Bad/Name"}, 2, "must be lower-case"},
		{[]string{"model", "list", "--help"}, 0, "Exit status: 0 listed"},
		{[]string{"model", "add", "--help"}, 0, "Exit status: 0 added; 1 refused"},
		{[]string{"model", "verify", "--help"}, 0, "Exit status: 0 every file is intact"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, "_"), func(t *testing.T) {
			r := runPatina(t, []string{"PATINA_CACHE=" + t.TempDir()}, c.args...)
			if r.code != c.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", r.code, c.code, r.stdout, r.stderr)
			}
			out := r.stdout
			if c.code == 2 {
				out = r.stderr
				if n := len(lines(out)); n != 1 {
					t.Errorf("usage error is %d lines, want one: %q", n, out)
				}
			}
			if !strings.Contains(out, c.want) {
				t.Errorf("output %q does not contain %q", out, c.want)
			}
		})
	}
}

// Nothing provisioned: verify names each missing file with its expected
// hash, one error line each, and exits 1; list shows the states and
// exits 0.
func TestModelVerifyUnprovisioned(t *testing.T) {
	cache := t.TempDir()
	env := []string{"PATINA_CACHE=" + cache, "PATINA_HOME=" + t.TempDir()}
	dir := filepath.Join(cache, "models", "use-lite")

	r := runPatina(t, env, "model", "verify")
	if r.code != 1 || r.stdout != "" {
		t.Fatalf("verify: exit %d, stdout %q, want 1 and nothing", r.code, r.stdout)
	}
	got := lines(r.stderr)
	want := []string{
		"patina: error: model use-lite: " + dir + "/model.onnx: missing (expected sha256 " + useLiteGraphSHA + "); run `make models`",
		"patina: error: model use-lite: " + dir + "/vocab.json: missing (expected sha256 " + useLiteVocabSHA + "); run `make models`",
		"patina: error: onnx runtime: " + filepath.Join(cache, "onnxruntime", embed.RuntimeVersion),
	}
	if len(got) != len(want) {
		t.Fatalf("verify stderr:\n%s\nwant %d lines", r.stderr, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(got[i], want[i]) {
			t.Errorf("line %d:\n got %s\nwant %s…", i, got[i], want[i])
		}
	}

	r = runPatina(t, env, "model", "list", "--json")
	if r.code != 0 {
		t.Fatalf("list: exit %d: %s", r.code, r.stderr)
	}
	var list struct {
		Models []struct {
			Name, State string
			Default     bool
		}
		Runtime struct{ State string }
	}
	if err := json.Unmarshal([]byte(r.stdout), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Models) != 1 || list.Models[0].Name != "use-lite" || !list.Models[0].Default || list.Models[0].State != "missing" || list.Runtime.State != "missing" {
		t.Errorf("list: %+v", list)
	}
	if r = runPatina(t, env, "model", "list"); r.code != 0 || !strings.Contains(r.stdout, "use-lite (default)  use-lite  512   128         built-in  missing") {
		t.Errorf("list: exit %d\n%s", r.code, r.stdout)
	}
}

// An altered default model file: verify names it with both hashes; list
// says "altered".
func TestModelVerifyTampered(t *testing.T) {
	cache := t.TempDir()
	dir := filepath.Join(cache, "models", "use-lite")
	os.MkdirAll(dir, 0o700)
	os.WriteFile(filepath.Join(dir, "model.onnx"), []byte("not a model"), 0o600)
	env := []string{"PATINA_CACHE=" + cache, "PATINA_HOME=" + t.TempDir()}
	r := runPatina(t, env, "model", "verify", "use-lite")
	want := "patina: error: model use-lite: " + dir + "/model.onnx: sha256 is 708811ccb1510c6d6c6e6379ef09be39bdbb0e7edcf44fefcca21c6228ee6d89, expected " + useLiteGraphSHA + "; run `make models`\n"
	if r.code != 1 || !strings.HasPrefix(r.stderr, want) {
		t.Errorf("verify: exit %d\n got %s\nwant %s…", r.code, r.stderr, want)
	}
	if r = runPatina(t, env, "model", "list"); r.code != 0 || !strings.Contains(r.stdout, "built-in  altered") {
		t.Errorf("list: exit %d\n%s", r.code, r.stdout)
	}
}

// A BERT model through the CLI: a wrong hash writes nothing, a good model
// is added, listed and verified, a name is not taken twice, a graph that
// is not BERT-shaped is refused, and an altered file is reported.
func TestModelAddListVerify(t *testing.T) {
	cache := provisionedCache(t)
	home := t.TempDir()
	env := []string{"PATINA_CACHE=" + cache, "PATINA_HOME=" + home}
	graph, sum := testBERT(t, t.TempDir(), "good")
	bad, badSum := testBERT(t, t.TempDir(), "bad-inputs")
	vocab, _ := filepath.Abs("../../internal/embed/testdata/vocab.txt")
	add := func(name, graph, sum string) result {
		return runPatina(t, env, "model", "add", "--name", name, "--onnx", graph, "--vocab", vocab, "--sha256", sum)
	}

	r := add("tiny", graph, badSum)
	if r.code != 1 || len(lines(r.stderr)) != 1 || !strings.Contains(r.stderr, "sha256 is "+sum+", expected "+badSum+"; nothing installed") {
		t.Errorf("wrong hash: exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(home, "models")); !os.IsNotExist(err) {
		t.Errorf("a refused add wrote the models directory: %v", err)
	}

	r = add("tiny", graph, strings.ToUpper(sum)) // hex in either case
	dir := filepath.Join(home, "models", "tiny")
	if r.code != 0 || r.stdout != "added tiny (bert, 4 dims, 256 tokens) in "+dir+"\n" {
		t.Fatalf("add: exit %d\nstdout %q\nstderr %q", r.code, r.stdout, r.stderr)
	}
	if r = add("tiny", graph, sum); r.code != 1 || !strings.Contains(r.stderr, "model already installed") || !strings.Contains(r.stderr, "patina: hint: pick another --name") {
		t.Errorf("add again: exit %d, stderr %q", r.code, r.stderr)
	}
	r = add("broken", bad, badSum)
	if r.code != 1 || r.stderr != "patina: error: model broken refused: "+bad+": unexpected input \"x\" (a BERT graph takes input_ids, attention_mask and optionally token_type_ids)\n" {
		t.Errorf("not BERT: exit %d, stderr %q", r.code, r.stderr)
	}

	r = runPatina(t, env, "model", "list")
	if r.code != 0 || !strings.Contains(r.stdout, "\ntiny                bert      4     256         added     ok\n") {
		t.Errorf("list: exit %d\n%s", r.code, r.stdout)
	}
	r = runPatina(t, env, "model", "verify")
	if want := "use-lite: ok (2 files)\ntiny: ok (2 files)\nonnx runtime " + embed.RuntimeVersion + ": ok ("; r.code != 0 || !strings.HasPrefix(r.stdout, want) || r.stderr != "" {
		t.Errorf("verify: exit %d\nstdout %q, want %q…\nstderr %q", r.code, r.stdout, want, r.stderr)
	}

	os.WriteFile(filepath.Join(dir, "vocab.txt"), []byte("[UNK]\n"), 0o600)
	r = runPatina(t, env, "model", "verify", "tiny", "nosuch")
	got := lines(r.stderr)
	if r.code != 1 || len(got) != 2 ||
		!strings.HasPrefix(got[0], "patina: error: model nosuch: not installed") ||
		!strings.HasPrefix(got[1], "patina: error: model tiny: "+dir+"/vocab.txt: sha256 is ") ||
		!strings.Contains(got[1], ", expected "+sha256File(t, vocab)+"; add it again with `patina model add --name tiny …`") {
		t.Errorf("verify altered: exit %d\nstderr %s", r.code, r.stderr)
	}
	if r = runPatina(t, env, "model", "list"); r.code != 0 || !strings.Contains(r.stdout, "added     altered") {
		t.Errorf("list altered: exit %d\n%s", r.code, r.stdout)
	}
}

// Without the runtime library, add refuses before writing anything and
// says how to get it; verify names it.
func TestModelMissingRuntime(t *testing.T) {
	home := t.TempDir()
	f := filepath.Join(t.TempDir(), "model.onnx")
	os.WriteFile(f, []byte("graph"), 0o600)
	env := []string{"PATINA_CACHE=" + t.TempDir(), "PATINA_HOME=" + home, "PATINA_ORT_LIB=/nonexistent/libonnxruntime.so.1"}
	r := runPatina(t, env, "model", "add", "--name", "m", "--onnx", f, "--vocab", f, "--sha256", sha256File(t, f))
	want := "patina: error: onnx runtime: $PATINA_ORT_LIB=/nonexistent/libonnxruntime.so.1: no such file or directory\n" +
		"patina: hint: `make models` provisions ONNX Runtime; `patina model verify` checks it\n"
	if r.code != 1 || r.stderr != want {
		t.Errorf("add: exit %d\n got %q\nwant %q", r.code, r.stderr, want)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("home holds %v", entries)
	}
	r = runPatina(t, env, "model", "verify")
	if r.code != 1 || !strings.Contains(r.stderr, "patina: error: onnx runtime: $PATINA_ORT_LIB=/nonexistent/libonnxruntime.so.1: no such file or directory\n") {
		t.Errorf("verify: exit %d\n%s", r.code, r.stderr)
	}
}
