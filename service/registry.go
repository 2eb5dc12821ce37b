package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strings"
)

// HandlerFunc serves one API call. It returns the value to encode as JSON
// with 200, or an error (an *Error for a specific status). Handlers never
// see sockets or write responses themselves.
type HandlerFunc func(ctx context.Context, r *Request) (any, error)

// Request is what a handler sees of an HTTP request.
type Request struct {
	*http.Request
	Peer Peer // who is calling, from the connection
}

// DecodeJSON decodes the request body into v, strictly: unknown fields,
// trailing data, wrong types and bodies over the cap are errors with the
// right status (400 or 413).
func (r *Request) DecodeJSON(v any) error {
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		if err != nil {
			return bodyError(err)
		}
		return Errorf(http.StatusBadRequest, "malformed JSON: trailing data after the object")
	}
	return nil
}

func bodyError(err error) error {
	var maxErr *http.MaxBytesError
	var typeErr *json.UnmarshalTypeError
	var syntaxErr *json.SyntaxError
	switch {
	case errors.As(err, &maxErr):
		return Errorf(http.StatusRequestEntityTooLarge, "request body over %d bytes", maxErr.Limit)
	case errors.Is(err, io.EOF):
		return Errorf(http.StatusBadRequest, "request body is empty: a JSON object is required")
	case errors.As(err, &typeErr):
		return Errorf(http.StatusBadRequest, "field %q: expected %s", typeErr.Field, typeErr.Type)
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return Errorf(http.StatusBadRequest, "malformed JSON")
	case strings.HasPrefix(err.Error(), "json: unknown field"):
		return Errorf(http.StatusBadRequest, "%s", strings.TrimPrefix(err.Error(), "json: "))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return Errorf(http.StatusRequestTimeout, "request body not received within the read timeout")
	default:
		// Resets and other read or decoder errors.
		return Errorf(http.StatusBadRequest, "cannot read request body")
	}
}

// Route is one API endpoint and the rules it runs under.
type Route struct {
	Method  string
	Path    string
	Handler HandlerFunc

	// Public routes need no token over TCP (/health, /version).
	Public bool
	// LocalOnly routes exist only on unix sockets: over TCP they are 404
	// whatever the token (/secrets/*).
	LocalOnly bool
	// Bounded routes run under the concurrency gate and the deadline.
	Bounded bool
}

// registry maps paths to routes. Registering a method+path twice panics:
// that is a programming error to catch at start-up.
type registry struct {
	routes map[string]map[string]Route // path → method → route
}

func newRegistry() *registry { return &registry{routes: map[string]map[string]Route{}} }

func (g *registry) add(rt Route) {
	if rt.Method == "" || !strings.HasPrefix(rt.Path, "/") || rt.Handler == nil {
		panic(fmt.Sprintf("service: invalid route %s %q", rt.Method, rt.Path))
	}
	m := g.routes[rt.Path]
	if m == nil {
		m = map[string]Route{}
		g.routes[rt.Path] = m
	}
	if _, dup := m[rt.Method]; dup {
		panic(fmt.Sprintf("service: route %s %s registered twice", rt.Method, rt.Path))
	}
	m[rt.Method] = rt
}

// lookup finds the route for a request as seen from a listener. A route
// hidden from this listener is reported as not found, never as forbidden, so
// its existence does not leak.
func (g *registry) lookup(method, path string, network bool) (Route, int, string) {
	m := g.routes[path]
	visible := map[string]Route{}
	for meth, rt := range m {
		if network && rt.LocalOnly {
			continue
		}
		visible[meth] = rt
	}
	if len(visible) == 0 {
		return Route{}, http.StatusNotFound, ""
	}
	if rt, ok := visible[method]; ok {
		return rt, http.StatusOK, ""
	}
	if method == http.MethodHead {
		if rt, ok := visible[http.MethodGet]; ok {
			return rt, http.StatusOK, ""
		}
	}
	allowed := make([]string, 0, len(visible))
	for meth := range visible {
		allowed = append(allowed, meth)
	}
	sort.Strings(allowed)
	return Route{}, http.StatusMethodNotAllowed, strings.Join(allowed, ", ")
}
