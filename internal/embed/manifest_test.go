package embed

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// The built-in model's identity is stored with every vector an index
// holds, so it must not change unless the model does.
func TestEmbedModelIDStable(t *testing.T) {
	t.Setenv("PATINA_CACHE", t.TempDir())
	m, err := Find(DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	const want = "3788b216bb5c0045289d224c2ade288101201b86de914efef390a9846daf1d7d"
	if got := m.ID(); got != want {
		t.Errorf("use-lite ID %s, want %s", got, want)
	}
	// Neither where the files are, what they are called nor their order
	// matters; every other field does.
	same := *m
	same.Dir = "/elsewhere"
	same.Files = []File{{RoleVocab, "v", m.Files[1].SHA256}, {RoleONNX, "g", m.Files[0].SHA256}}
	if same.ID() != want {
		t.Error("ID depends on the directory, file names or file order")
	}
	for name, change := range map[string]func(*Manifest){
		"name":       func(m *Manifest) { m.Name = "other" },
		"family":     func(m *Manifest) { m.Family = FamilyBERT },
		"dims":       func(m *Manifest) { m.Dims = 384 },
		"max tokens": func(m *Manifest) { m.MaxTokens = 64 },
		"graph hash": func(m *Manifest) { m.Files = []File{{RoleONNX, "model.onnx", strings.Repeat("0", 64)}, m.Files[1]} },
		"tokenizer": func(m *Manifest) {
			old := tokenizerVersion[FamilyUSELite]
			tokenizerVersion[FamilyUSELite] = "spm-2"
			t.Cleanup(func() { tokenizerVersion[FamilyUSELite] = old })
		},
	} {
		c := *m
		change(&c)
		if c.ID() == want {
			t.Errorf("ID ignores the %s", name)
		}
	}
}

// Missing and altered files of the default model are one-line errors that
// name each file and its expected hash and wrap ErrUnavailable; Open
// refuses before ONNX Runtime sees anything.
func TestEmbedModelVerifyErrors(t *testing.T) {
	cache := t.TempDir()
	t.Setenv("PATINA_CACHE", cache)
	m, err := Find(DefaultModel)
	if err != nil {
		t.Fatal(err)
	}
	graph, vocab := filepath.Join(cache, "models", "use-lite", "model.onnx"), filepath.Join(cache, "models", "use-lite", "vocab.json")
	if m.Path(RoleONNX) != graph || m.Path(RoleVocab) != vocab {
		t.Fatalf("paths %s, %s", m.Path(RoleONNX), m.Path(RoleVocab))
	}

	err = m.Verify()
	want := "model use-lite: " + graph + ": missing (expected sha256 eac17d707ffe3062c3f32b574b892212065f308fcc06f46a63c67dc296a7f327); run `make models`; " +
		"model use-lite: " + vocab + ": missing (expected sha256 1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e); run `make models`"
	if err == nil || err.Error() != want {
		t.Fatalf("Verify:\n got %v\nwant %s", err, want)
	}
	var fe *FileError
	if !errors.Is(err, ErrUnavailable) || !errors.Is(err, os.ErrNotExist) || !errors.As(err, &fe) || fe.Path != graph {
		t.Errorf("Verify error does not wrap ErrUnavailable, ErrNotExist and a *FileError: %#v", err)
	}

	// Altered files: Verify names both, Open stops at the first it reads.
	os.MkdirAll(filepath.Dir(graph), 0o700)
	os.WriteFile(graph, []byte("not a model"), 0o600)
	os.WriteFile(vocab, []byte(`[["x", 0]]`), 0o600)
	graphErr := "model use-lite: " + graph + ": sha256 is 708811ccb1510c6d6c6e6379ef09be39bdbb0e7edcf44fefcca21c6228ee6d89, expected eac17d707ffe3062c3f32b574b892212065f308fcc06f46a63c67dc296a7f327; run `make models`"
	vocabErr := "model use-lite: " + vocab + ": sha256 is 43b5380793ce7e8597e12f6c936fb69691db08764d5bd0ccd05993708022b297, expected 1ad860b9720c16cd48e666d664a556b2515c04f5a26a4b53c0372427913b1b8e; run `make models`"
	if err := m.Verify(); err == nil || err.Error() != graphErr+"; "+vocabErr || !errors.Is(err, ErrUnavailable) {
		t.Errorf("Verify:\n got %v\nwant %s; %s", err, graphErr, vocabErr)
	}
	if err := openErr(m); err == nil || err.Error() != vocabErr || !errors.Is(err, ErrUnavailable) {
		t.Errorf("Open:\n got %v\nwant %s", err, vocabErr)
	}
}

func openErr(m *Manifest) error {
	e, err := Open(m)
	if err == nil {
		e.Close()
	}
	return err
}

// A missing or altered runtime library is refused with a one-line error
// wrapping ErrUnavailable, before anything is loaded from it.
func TestEmbedModelRuntimeErrors(t *testing.T) {
	m := addTestBERT(t, "tiny-bert", "good", 16) // a valid model, from a fresh home

	t.Run("override missing", func(t *testing.T) {
		t.Setenv(EnvRuntime, "/nonexistent/libonnxruntime.so.1")
		err := openErr(m)
		want := "onnx runtime: $PATINA_ORT_LIB=/nonexistent/libonnxruntime.so.1: no such file or directory"
		if !errors.Is(err, ErrUnavailable) || err.Error() != want {
			t.Errorf("got %v\nwant %s", err, want)
		}
	})

	platform := runtime.GOOS + "/" + runtime.GOARCH
	pinned, ok := runtimeSHA256[platform]
	if !ok {
		t.Skipf("no provisioned runtime for %s", platform)
	}
	cache := t.TempDir()
	t.Setenv("PATINA_CACHE", cache)
	lib := filepath.Join(cache, "onnxruntime", RuntimeVersion, runtimeLibName)

	t.Run("provisioned missing", func(t *testing.T) {
		err := openErr(m)
		want := "onnx runtime: " + lib + ": missing (expected sha256 " + pinned + "); run `make models`"
		if !errors.Is(err, ErrUnavailable) || err == nil || err.Error() != want {
			t.Errorf("got %v\nwant %s", err, want)
		}
	})
	t.Run("provisioned altered", func(t *testing.T) {
		os.MkdirAll(filepath.Dir(lib), 0o700)
		os.WriteFile(lib, []byte("not a library"), 0o600)
		err := openErr(m)
		want := "onnx runtime: " + lib + ": sha256 is "
		if !errors.Is(err, ErrUnavailable) || err == nil || !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), "expected "+pinned+"; run `make models`") {
			t.Errorf("got %v\nwant %s…, expected %s; run `make models`", err, want, pinned)
		}
	})
}

// Find reads a user model's manifest strictly; List names the models it
// could not read.
func TestEmbedModelFind(t *testing.T) {
	// The built-in model's name is a valid name to ask for (scrape
	// --model use-lite); only Add refuses it.
	for _, name := range []string{DefaultModel, "all-minilm-l6-v2", "bge-small-en-v1.5", "m_1"} {
		if err := ValidName(name); err != nil {
			t.Errorf("ValidName(%q): %v", name, err)
		}
	}
	home := t.TempDir()
	t.Setenv("PATINA_HOME", home)
	for name, want := range map[string]string{
		"nothing-here": "not installed",
		"../etc":       "must be lower-case",
		"Upper":        "must be lower-case",
		".hidden":      "must be lower-case",
	} {
		_, err := Find(name)
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), want) {
			t.Errorf("Find(%q): %v, want ErrUnavailable and %q", name, err, want)
		}
	}

	sum := strings.Repeat("ab", 32)
	manifests := map[string]string{
		"good":       `{"name":"good","family":"bert","dims":4,"max_tokens":16,"files":[{"role":"onnx","name":"model.onnx","sha256":"` + sum + `"},{"role":"vocab","name":"vocab.txt","sha256":"` + sum + `"}]}`,
		"escape":     `{"name":"escape","family":"bert","dims":4,"max_tokens":16,"files":[{"role":"onnx","name":"../../x","sha256":"` + sum + `"},{"role":"vocab","name":"vocab.txt","sha256":"` + sum + `"}]}`,
		"misnamed":   `{"name":"other","family":"bert","dims":4,"max_tokens":16,"files":[{"role":"onnx","name":"model.onnx","sha256":"` + sum + `"},{"role":"vocab","name":"vocab.txt","sha256":"` + sum + `"}]}`,
		"no-vocab":   `{"name":"no-vocab","family":"bert","dims":4,"max_tokens":16,"files":[{"role":"onnx","name":"model.onnx","sha256":"` + sum + `"}]}`,
		"bad-hash":   `{"name":"bad-hash","family":"bert","dims":4,"max_tokens":16,"files":[{"role":"onnx","name":"model.onnx","sha256":"xyz"},{"role":"vocab","name":"vocab.txt","sha256":"` + sum + `"}]}`,
		"extra":      `{"name":"extra","family":"bert","dims":4,"max_tokens":16,"files":[],"url":"http://x"}`,
		"not-json":   `{`,
		"zero-dims":  `{"name":"zero-dims","family":"bert","dims":0,"max_tokens":16,"files":[{"role":"onnx","name":"model.onnx","sha256":"` + sum + `"},{"role":"vocab","name":"vocab.txt","sha256":"` + sum + `"}]}`,
		"two-tokens": `{"name":"two-tokens","family":"bert","dims":4,"max_tokens":2,"files":[{"role":"onnx","name":"model.onnx","sha256":"` + sum + `"},{"role":"vocab","name":"vocab.txt","sha256":"` + sum + `"}]}`,
	}
	for name, body := range manifests {
		dir := filepath.Join(home, "models", name)
		os.MkdirAll(dir, 0o700)
		os.WriteFile(filepath.Join(dir, "manifest.json"), []byte(body), 0o600)
	}
	os.MkdirAll(filepath.Join(home, "models", ".good.add-123"), 0o700) // an add in progress
	m, err := Find("good")
	if err != nil {
		t.Fatal(err)
	}
	if m.Dir != filepath.Join(home, "models", "good") || m.Path(RoleONNX) != filepath.Join(m.Dir, "model.onnx") {
		t.Errorf("good: %+v", m)
	}
	for name := range manifests {
		if name == "good" {
			continue
		}
		if _, err := Find(name); !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), "model "+name+": ") {
			t.Errorf("Find(%q): %v", name, err)
		}
	}
	all, err := List()
	if len(all) != 2 || all[0].Name != DefaultModel || all[1].Name != "good" {
		t.Errorf("List: %v", all)
	}
	if err == nil || strings.Count(err.Error(), "; model ") != len(manifests)-2 || strings.Contains(err.Error(), "\n") {
		t.Errorf("List error: %v", err)
	}
}

// Add checks the ONNX file's hash before it writes anything, even the
// models directory.
func TestEmbedModelAddHashFirst(t *testing.T) {
	home := t.TempDir()
	t.Setenv("PATINA_HOME", home)
	f := filepath.Join(t.TempDir(), "model.onnx")
	os.WriteFile(f, []byte("graph"), 0o600)
	t.Setenv(EnvRuntime, f) // an override need only exist: no runtime is loaded here
	_, err := Add(context.Background(), AddOptions{Name: "m", ONNX: f, Vocab: "testdata/vocab.txt", SHA256: strings.Repeat("0", 64)})
	if err == nil || !strings.Contains(err.Error(), "nothing installed") {
		t.Fatalf("Add: %v", err)
	}
	if entries, _ := os.ReadDir(home); len(entries) != 0 {
		t.Errorf("home holds %v", entries)
	}
}
