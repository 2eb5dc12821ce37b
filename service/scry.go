package service

import (
	"context"
	"net/http"
	"slices"

	"github.com/patina-dev/patina/internal/knowledge"
)

// RegisterScry adds POST /api/scry and POST /api/related, bounded by the
// gate and the query deadline. Over TCP the caller's directory means nothing here, so only a
// named project or all_projects selects what to search.
func RegisterScry(s *Server, engine *knowledge.Engine) {
	s.Handle(Route{Method: http.MethodPost, Path: "/api/scry", Bounded: true, Handler: func(ctx context.Context, r *Request) (any, error) {
		var req knowledge.Request
		if err := r.DecodeJSON(&req); err != nil {
			return nil, err
		}
		if r.Peer.Network {
			req.Cwd = ""
		}
		resp, err := engine.Scry(ctx, req)
		if err != nil {
			if knowledge.IsInputError(err) {
				return nil, Errorf(http.StatusBadRequest, "%s", err.Error())
			}
			return nil, err
		}
		return resp, nil
	}})
	// The files that change together with one, from git history.
	s.Handle(Route{Method: http.MethodPost, Path: "/api/related", Bounded: true, Handler: func(ctx context.Context, r *Request) (any, error) {
		var req knowledge.RelatedRequest
		if err := r.DecodeJSON(&req); err != nil {
			return nil, err
		}
		if r.Peer.Network {
			req.Cwd = ""
		}
		resp, err := engine.Related(ctx, req)
		if err != nil {
			if knowledge.IsInputError(err) {
				return nil, Errorf(http.StatusBadRequest, "%s", err.Error())
			}
			return nil, err
		}
		return resp, nil
	}})
	// Which embedding models the daemon holds in memory: none until the
	// first query that needs one.
	s.Handle(Route{Method: http.MethodGet, Path: "/api/models", Handler: func(ctx context.Context, r *Request) (any, error) {
		loaded := engine.Models().Loaded()
		slices.Sort(loaded)
		return map[string][]string{"loaded": append([]string{}, loaded...)}, nil
	}})
}
