package knowledge

import (
	"context"
	"errors"
	"os"
	"sync"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/scry"
)

// Where an answer came from.
const (
	ViaDaemon    = "daemon"
	ViaInProcess = "in-process"
)

// Asker sends scry requests the way every client should: to the daemon
// (the local socket, which socket activation starts on demand, or a
// --mother URL), and, only when the local daemon does not answer, to the
// same engine in-process. A remote mother that does not answer is an error:
// silently searching this machine instead would answer a different question.
type Asker struct {
	// Mother is a --mother URL; "" means $PATINA_MOTHER, then the local socket.
	Mother string

	mu      sync.Mutex
	engine  *Engine // in-process fallback, opened on first need
	target  string  // the daemon last asked, for messages
	version string  // the version it answered with, "" if none
}

// Scry answers req and says how it was reached. Over the local socket or
// in-process, a request naming no project searches the project holding the
// current directory.
func (a *Asker) Scry(ctx context.Context, req Request) (scry.Response, string, error) {
	if client.IsLocal(a.Mother) && req.Project == "" && !req.AllProjects && req.Cwd == "" {
		req.Cwd = cwd()
	}
	var resp scry.Response
	via, err := a.ask(ctx, "/api/scry", req, &resp, func(e *Engine) (err error) {
		resp, err = e.Scry(ctx, req)
		return err
	})
	return resp, via, err
}

// Related answers req (the files that change together with a file) the
// way Scry does.
func (a *Asker) Related(ctx context.Context, req RelatedRequest) (scry.RelatedResponse, string, error) {
	if client.IsLocal(a.Mother) && req.Project == "" && req.Cwd == "" {
		req.Cwd = cwd()
	}
	var resp scry.RelatedResponse
	via, err := a.ask(ctx, "/api/related", req, &resp, func(e *Engine) (err error) {
		resp, err = e.Related(ctx, req)
		return err
	})
	return resp, via, err
}

func cwd() string {
	wd, _ := os.Getwd()
	return wd
}

// ask posts body to the daemon, decoding its answer into out; when the
// local daemon does not answer, inProcess runs the same request on an
// in-process engine.
func (a *Asker) ask(ctx context.Context, path string, body, out any, inProcess func(*Engine) error) (string, error) {
	c, err := client.Open(a.Mother)
	if err != nil {
		return "", err
	}
	err = c.Post(ctx, path, body, out)
	a.mu.Lock()
	a.target, a.version = c.Target, c.DaemonVersion()
	a.mu.Unlock()
	if err == nil {
		return ViaDaemon, nil
	}
	if !client.IsLocal(a.Mother) || !errors.Is(err, client.ErrUnreachable) {
		return "", err
	}
	eng, err := a.inProcess()
	if err != nil {
		return "", err
	}
	return ViaInProcess, inProcess(eng)
}

// Target names the daemon the last Scry asked (a socket path, tcp://… or
// ssh://…), whether or not it answered.
func (a *Asker) Target() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.target
}

// DaemonVersion is the version the daemon last answered with ("" when
// none answered); compare it with buildinfo.Version to warn about skew.
func (a *Asker) DaemonVersion() string {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.version
}

func (a *Asker) inProcess() (*Engine, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.engine == nil {
		e, err := NewEngine()
		if err != nil {
			return nil, err
		}
		a.engine = e
	}
	return a.engine, nil
}

// Close releases the in-process engine, if one was opened.
func (a *Asker) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.engine != nil {
		return a.engine.Close()
	}
	return nil
}
