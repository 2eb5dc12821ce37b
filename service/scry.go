package service

import (
	"context"
	"net/http"
	"path/filepath"
	"slices"

	"github.com/patina-dev/patina/internal/knowledge"
)

// RegisterScry adds POST /api/scry and POST /api/related, bounded by the
// gate and the query deadline. Over TCP the caller's directory means
// nothing here, so only a named project (or all_projects) selects what to
// search; and the answer leaves out the projects' roots, which would say
// where they lie on this machine (paths stay relative to the roots).
func RegisterScry(s *Server, engine *knowledge.Engine) {
	s.Handle(Route{Method: http.MethodPost, Path: "/api/scry", Bounded: true,
		Handler: engineHandler(func(ctx context.Context, req knowledge.Request, network bool) (any, error) {
			if network {
				req.Cwd = ""
			}
			resp, err := engine.Scry(ctx, req)
			if network {
				resp.Projects = nil
			}
			return resp, err
		})})
	// The files that change together with one, from git history.
	s.Handle(Route{Method: http.MethodPost, Path: "/api/related", Bounded: true,
		Handler: engineHandler(func(ctx context.Context, req knowledge.RelatedRequest, network bool) (any, error) {
			if network {
				req.Cwd, req.Dir = "", ""
				// An absolute path would say where the project lies on
				// this machine (refused or not): over the network, paths
				// are relative to the project root.
				if filepath.IsAbs(req.Path) {
					return nil, Errorf(http.StatusBadRequest, "path must be relative to the project root over TCP")
				}
			}
			return engine.Related(ctx, req)
		})})
	// Which embedding models the daemon holds in memory: none until the
	// first query that needs one.
	s.Handle(Route{Method: http.MethodGet, Path: "/api/models", Handler: func(ctx context.Context, r *Request) (any, error) {
		loaded := engine.Models().Loaded()
		slices.Sort(loaded)
		return map[string][]string{"loaded": append([]string{}, loaded...)}, nil
	}})
}

// engineHandler decodes a JSON body of type T, runs do, and answers the
// caller's mistakes (knowledge.IsInputError) with 400.
func engineHandler[T any](do func(ctx context.Context, req T, network bool) (any, error)) func(context.Context, *Request) (any, error) {
	return func(ctx context.Context, r *Request) (any, error) {
		var req T
		if err := r.DecodeJSON(&req); err != nil {
			return nil, err
		}
		resp, err := do(ctx, req, r.Peer.Network)
		if err != nil {
			if knowledge.IsInputError(err) {
				return nil, Errorf(http.StatusBadRequest, "%s", err.Error())
			}
			return nil, err
		}
		return resp, nil
	}
}
