package knowledge

import (
	"context"
	"sync"
	"time"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/index"
)

// retryFailedLoad is how long a model that failed to load is not tried
// again: a broken model costs one check per interval, not one per query,
// and a fixed one (make models) is picked up soon after.
const retryFailedLoad = 30 * time.Second

// Models loads embedding models on first use and keeps them: the daemon's
// first semantic query pays for the load, later ones find the model hot.
// A load runs to completion even when the query that started it gives up
// (its deadline passes), so the next query finds it done. It is safe for
// concurrent use; the zero value is ready.
type Models struct {
	mu     sync.Mutex
	models map[string]*modelLoad
	// retired are loaded models replaced by a newer version of the same
	// name; a query may still be using one, so they close with the pool.
	retired []*modelLoad
	closed  bool
}

type modelLoad struct {
	done chan struct{}
	e    *embed.Embedder
	err  error
	at   time.Time
}

// Model returns the loaded model name, loading it (verifying every file's
// hash first) if this is the first ask.
func (p *Models) Model(ctx context.Context, name string) (index.Embedder, error) {
	l := p.start(name)
	if l == nil {
		return nil, embed.ErrUnavailable
	}
	select {
	case <-l.done:
		if l.err != nil {
			return nil, l.err
		}
		return Embedder{l.e}, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// Preload starts loading name in the background, if it is not loaded or
// loading, and returns at once.
func (p *Models) Preload(name string) { p.start(name) }

// start returns the load of name, starting it if needed; nil once closed.
func (p *Models) start(name string) *modelLoad {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	if p.models == nil {
		p.models = map[string]*modelLoad{}
	}
	l := p.models[name]
	if l != nil {
		select {
		case <-l.done:
			switch {
			case l.err != nil && time.Since(l.at) > retryFailedLoad:
				l = nil
			case l.err == nil && replaced(name, l.e):
				// `patina model add` installed a new version under this
				// name: load it (the old one may still be in use).
				p.retired = append(p.retired, l)
				l = nil
			}
		default:
		}
	}
	if l == nil {
		l = &modelLoad{done: make(chan struct{})}
		p.models[name] = l
		go func() {
			defer close(l.done)
			l.e, l.err = LoadModel(name)
			l.at = time.Now()
		}()
	}
	return l
}

// Loaded names the models loaded so far.
func (p *Models) Loaded() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var names []string
	for name, l := range p.models {
		select {
		case <-l.done:
			if l.err == nil {
				names = append(names, name)
			}
		default:
		}
	}
	return names
}

// Close releases every loaded model, waiting for loads in progress.
func (p *Models) Close() error {
	p.mu.Lock()
	p.closed = true
	loads := append(p.retired, mapValues(p.models)...)
	p.models, p.retired = nil, nil
	p.mu.Unlock()
	var first error
	for _, l := range loads {
		<-l.done
		if l.e != nil {
			if err := l.e.Close(); err != nil && first == nil {
				first = err
			}
		}
	}
	return first
}

// replaced reports whether the installed model called name is no longer
// the one loaded (its manifest, so its identity, changed). Reading a
// manifest is cheap; the files are hashed only by the next load.
func replaced(name string, loaded *embed.Embedder) bool {
	m, err := embed.Find(name)
	return err == nil && m.ID() != loaded.Manifest().ID()
}

func mapValues(m map[string]*modelLoad) []*modelLoad {
	out := make([]*modelLoad, 0, len(m))
	for _, l := range m {
		out = append(out, l)
	}
	return out
}

// LoadModel finds the model called name and opens it: every file's
// SHA-256 is checked before ONNX Runtime sees it.
func LoadModel(name string) (*embed.Embedder, error) {
	m, err := embed.Find(name)
	if err != nil {
		return nil, err
	}
	return embed.Open(m)
}

// Embedder adapts an embed.Embedder to what the index and scry need.
type Embedder struct{ E *embed.Embedder }

// ModelName is the manifest's name.
func (e Embedder) ModelName() string { return e.E.Manifest().Name }

// ModelID is the manifest's identity.
func (e Embedder) ModelID() string { return e.E.Manifest().ID() }

// Embed embeds texts.
func (e Embedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	return e.E.Embed(ctx, texts)
}

// LazyEmbedder is an Embedder whose model is opened (its files hashed, ONNX
// Runtime started) on the first Embed, so a scrape with nothing to embed
// never pays for it. Name and identity come from the manifest alone.
type LazyEmbedder struct {
	m       *embed.Manifest
	e       *embed.Embedder
	openErr error
}

// FindModel looks the model up without opening it.
func FindModel(name string) (*LazyEmbedder, error) {
	m, err := embed.Find(name)
	if err != nil {
		return nil, err
	}
	return &LazyEmbedder{m: m}, nil
}

// ModelName is the manifest's name.
func (l *LazyEmbedder) ModelName() string { return l.m.Name }

// ModelID is the manifest's identity.
func (l *LazyEmbedder) ModelID() string { return l.m.ID() }

// Embed opens the model the first time, then embeds texts. An open that
// fails is remembered (OpenErr) and returned for every call.
func (l *LazyEmbedder) Embed(ctx context.Context, texts []string) ([][]float32, error) {
	if l.e == nil && l.openErr == nil {
		l.e, l.openErr = embed.Open(l.m)
	}
	if l.openErr != nil {
		return nil, l.openErr
	}
	return l.e.Embed(ctx, texts)
}

// Opened says whether an Embed call opened the model.
func (l *LazyEmbedder) Opened() bool { return l.e != nil }

// OpenErr is why the model could not be opened, if an Embed tried.
func (l *LazyEmbedder) OpenErr() error { return l.openErr }

// Close releases the model if it was opened.
func (l *LazyEmbedder) Close() error {
	if l.e == nil {
		return nil
	}
	return l.e.Close()
}
