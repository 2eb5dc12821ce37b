package knowledge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/paths"
)

func requireModel(t *testing.T) {
	t.Helper()
	m, err := embed.Find(embed.DefaultModel)
	if err == nil {
		err = m.Verify()
	}
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true: make test provisions the model)", err)
		}
		t.Skipf("%v: run make models", err)
	}
}

// The pool loads a model once, however many queries ask at the same time,
// and hands every later ask the same hot model.
func TestModelsLoadOnceAndKeep(t *testing.T) {
	requireModel(t)
	var p Models
	defer p.Close()
	ctx := context.Background()
	got := make([]Embedder, 8)
	var wg sync.WaitGroup
	for i := range got {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e, err := p.Model(ctx, embed.DefaultModel)
			if err != nil {
				t.Error(err)
				return
			}
			got[i] = e.(Embedder)
		}()
	}
	wg.Wait()
	for _, e := range got[1:] {
		if e.E != got[0].E {
			t.Fatal("concurrent first asks loaded the model more than once")
		}
	}
	if names := p.Loaded(); len(names) != 1 || names[0] != embed.DefaultModel {
		t.Fatalf("Loaded() = %q", names)
	}
	start := time.Now()
	e, err := p.Model(ctx, embed.DefaultModel)
	if err != nil || e.(Embedder).E != got[0].E {
		t.Fatalf("later ask: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("a hot model took %v to hand out", d)
	}
	v, err := e.Embed(ctx, []string{"hello"})
	if err != nil || len(v) != 1 || len(v[0]) != 512 {
		t.Fatalf("embedding with the pooled model: %d vectors, %v", len(v), err)
	}
}

// A model that cannot load fails every ask with the same clear error, is
// not retried on every query, and a caller whose context ends stops
// waiting while the load itself goes on.
func TestModelsFailureAndCancel(t *testing.T) {
	var p Models
	defer p.Close()
	_, err := p.Model(context.Background(), "no-such-model")
	if err == nil || !errors.Is(err, embed.ErrUnavailable) && !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("unknown model: %v", err)
	}
	p.mu.Lock()
	first := p.models["no-such-model"]
	p.mu.Unlock()
	if _, err2 := p.Model(context.Background(), "no-such-model"); err2 == nil || err2.Error() != err.Error() {
		t.Fatalf("second ask: %v, want the cached %v", err2, err)
	}
	p.mu.Lock()
	again := p.models["no-such-model"]
	p.mu.Unlock()
	if again != first {
		t.Fatal("a failed load was retried at once")
	}

	requireModel(t)
	var q Models
	defer q.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := q.Model(ctx, embed.DefaultModel); !errors.Is(err, context.Canceled) {
		// The load may win the race with an already-cancelled context
		// only if it finished first, which it cannot have: it just began.
		t.Fatalf("cancelled ask: %v, want context.Canceled", err)
	}
	if _, err := q.Model(context.Background(), embed.DefaultModel); err != nil {
		t.Fatalf("the load a cancelled ask started: %v", err)
	}
}

// A model replaced under the same name (patina model add after removing
// the old one) is loaded afresh on the next ask; the old one stays open
// for queries that still hold it, and closes with the pool.
func TestModelsReloadReplacedModel(t *testing.T) {
	requireModel(t)
	const python = "/usr/bin/python3"
	if err := exec.Command(python, "-c", "import onnx, numpy").Run(); err != nil {
		t.Skip("needs Debian's python3-onnx to build a test model")
	}
	home := t.TempDir()
	t.Setenv("PATINA_HOME", home)
	graph := filepath.Join(t.TempDir(), "tiny.onnx")
	if out, err := exec.Command(python, "../embed/testdata/make_bert_test_model.py", graph, "good").CombinedOutput(); err != nil {
		t.Fatalf("building the test graph: %v\n%s", err, out)
	}
	b, err := os.ReadFile(graph)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	add := func(maxTokens int) {
		t.Helper()
		if _, err := embed.Add(context.Background(), embed.AddOptions{Name: "tiny", Family: embed.FamilyBERT, ONNX: graph,
			Vocab: "../embed/testdata/vocab.txt", SHA256: hex.EncodeToString(sum[:]), MaxTokens: maxTokens}); err != nil {
			t.Fatal(err)
		}
	}
	add(16)
	var p Models
	defer p.Close()
	first, err := p.Model(context.Background(), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := p.Model(context.Background(), "tiny"); again.(Embedder).E != first.(Embedder).E {
		t.Fatal("an unchanged model was reloaded")
	}
	dir, _ := paths.Models()
	if err := os.RemoveAll(filepath.Join(dir, "tiny")); err != nil {
		t.Fatal(err)
	}
	add(32)
	second, err := p.Model(context.Background(), "tiny")
	if err != nil {
		t.Fatal(err)
	}
	if second.(Embedder).E == first.(Embedder).E || second.ModelID() == first.ModelID() {
		t.Fatal("the replaced model was not reloaded")
	}
	if _, err := first.Embed(context.Background(), []string{"still usable"}); err != nil {
		t.Fatalf("the retired model was closed under a query holding it: %v", err)
	}
}
