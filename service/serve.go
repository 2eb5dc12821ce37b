package service

import (
	"context"
	"errors"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
)

var pid = os.Getpid()

type infoKey struct{}

// Serve serves on the listeners until ctx is cancelled (SIGTERM/SIGINT) or,
// when socket-activated, the daemon has been idle for IdleTimeout. Then it
// stops accepting, lets in-flight requests finish within DrainTimeout, and
// returns. Inherited sockets are closed but never unlinked; a standalone
// socket is removed by its own listener.
func (s *Server) Serve(ctx context.Context, listeners []Listener) error {
	if len(listeners) == 0 {
		return errors.New("no listeners to serve on")
	}
	for _, l := range listeners {
		if l.Network {
			// A bad token file fails start-up, not every request.
			if err := s.loadTokens(); err != nil {
				return err
			}
			warnIfExposed(s.log, l)
		}
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.ConnIdleTimeout,
		// net/http reads up to MaxHeaderBytes+4096 before giving up; this
		// makes the whole request head capped at MaxHeaderBytes.
		MaxHeaderBytes: MaxHeaderBytes - 4096,
		// "OPTIONS *" would otherwise get net/http's bare 200 with none of
		// the daemon's headers; routed, it is an ordinary JSON 404.
		DisableGeneralOptionsHandler: true,
		ConnContext: func(ctx context.Context, c net.Conn) context.Context {
			tc, ok := c.(*conn)
			if !ok {
				return ctx
			}
			ctx = context.WithValue(ctx, infoKey{}, tc.info)
			return withPeer(ctx, peerOf(tc.Conn, tc.info))
		},
	}
	srv.ErrorLog = slogErrorLog(s.log)

	errc := make(chan error, len(listeners))
	var wg sync.WaitGroup
	for _, l := range listeners {
		tl := &trackedListener{Listener: l.Listener, info: infoFor(l), log: s.log}
		s.log.Info("listening", "listener", l.Name, "addr", l.Addr().String(), "network", l.Network, "activation", s.cfg.Activation)
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := srv.Serve(tl); err != nil && !errors.Is(err, http.ErrServerClosed) {
				errc <- err
			}
		}()
	}
	// Tell systemd we are serving (a no-op without NOTIFY_SOCKET).
	daemon.SdNotify(false, daemon.SdNotifyReady)

	idle := make(<-chan time.Time)
	if s.cfg.Activation != "standalone" && s.cfg.IdleTimeout > 0 {
		t := time.NewTicker(idleCheckEvery(s.cfg.IdleTimeout))
		defer t.Stop()
		idle = t.C
	}
	var serveErr error
loop:
	for {
		select {
		case <-ctx.Done():
			s.log.Info("shutting down", "reason", "signal")
			break loop
		case serveErr = <-errc:
			s.log.Error("listener failed", "err", serveErr)
			break loop
		case <-idle:
			if s.idleFor() >= s.cfg.IdleTimeout {
				s.log.Info("shutting down", "reason", "idle", "idle_timeout", s.cfg.IdleTimeout.String())
				break loop
			}
		}
	}
	daemon.SdNotify(false, daemon.SdNotifyStopping)
	drainCtx, cancel := context.WithTimeout(context.Background(), s.cfg.DrainTimeout)
	defer cancel()
	if err := srv.Shutdown(drainCtx); err != nil {
		s.log.Warn("drain timed out: closing remaining connections", "err", err)
		srv.Close()
	}
	wg.Wait()
	s.mu.Lock()
	hooks := s.onShutdown
	s.mu.Unlock()
	for _, f := range hooks {
		f()
	}
	return serveErr
}

// idleFor is how long the daemon has had nothing to do; zero while a
// request is in flight or a blocker (e.g. a live secret) holds it.
func (s *Server) idleFor() time.Duration {
	if s.inflight.Load() > 0 {
		return 0
	}
	s.mu.Lock()
	blockers := s.idleBlockers
	s.mu.Unlock()
	for _, busy := range blockers {
		if busy() {
			return 0
		}
	}
	return time.Since(time.Unix(0, s.lastActive.Load()))
}

func idleCheckEvery(idle time.Duration) time.Duration {
	d := idle / 4
	if d > 5*time.Second {
		d = 5 * time.Second
	}
	if d < 10*time.Millisecond {
		d = 10 * time.Millisecond
	}
	return d
}

// Stats is a snapshot of the daemon's load, for tests and status.
type Stats struct {
	InFlight  int64
	GateInUse int
	GateSize  int
}

// Stats reports in-flight requests and gate slots in use.
func (s *Server) Stats() Stats {
	return Stats{InFlight: s.inflight.Load(), GateInUse: s.gate.inUse(), GateSize: s.gate.size()}
}
