package service

import (
	"context"
	"net/http"

	"github.com/patina-dev/patina/internal/knowledge"
)

// RegisterRead adds POST /api/read: the lines of an indexed file, or an
// indexed commit, bounded like a scry. The engine refuses absolute paths
// and ".." everywhere, so nothing says where a project lies; over TCP the
// caller's directory means nothing, so a project must be named (an id or
// a cursor names its own).
func RegisterRead(s *Server, engine *knowledge.Engine) {
	s.Handle(Route{Method: http.MethodPost, Path: "/api/read", Bounded: true,
		Handler: engineHandler(func(ctx context.Context, req knowledge.ReadRequest, network bool) (any, error) {
			if network {
				req.Cwd = ""
			}
			return engine.Read(ctx, req)
		})})
}
