package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"syscall"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/scry"
)

// Error is an error with the HTTP status it maps to. Its message is shown to
// the client, so it must never carry a secret, a token or a body.
type Error struct {
	Status int
	Msg    string
}

func (e *Error) Error() string { return e.Msg }

// Errorf returns an *Error with the given status.
func Errorf(status int, format string, args ...any) error {
	return &Error{Status: status, Msg: fmt.Sprintf(format, args...)}
}

// statusOf maps a handler error to a status and a client-safe message.
// A damaged index is a 500 whose message names the project and the fix
// (it is the server's state, not the request, that is wrong, and retrying
// will not help). Any other error that is not an *Error is a 500 with a
// generic message: its text may hold internal detail, and only its
// failureAttrs are logged.
func statusOf(err error) (int, string) {
	var e *Error
	var damaged *knowledge.DamagedError
	switch {
	case errors.As(err, &e):
		return e.Status, e.Msg
	case errors.As(err, &damaged):
		return http.StatusInternalServerError, damaged.Error()
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "request took longer than the query timeout"
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this, but keep it well-formed.
		return http.StatusServiceUnavailable, "request cancelled"
	default:
		return http.StatusInternalServerError, "internal error"
	}
}

// failureAttrs are what the log may say about a failed request: the
// project it failed on, when one is known, and the class of the error,
// decided by its type. Never the error's text, which could carry a query,
// a path from the request or a file's content.
func failureAttrs(err error) []any {
	var attrs []any
	var pe *scry.ProjectError
	if errors.As(err, &pe) {
		attrs = append(attrs, "project", pe.Project)
	}
	return append(attrs, "class", errorClass(err))
}

// errorClass is a short, fixed name for what kind of failure err is.
func errorClass(err error) string {
	var pathErr *fs.PathError
	var errno syscall.Errno
	switch {
	case errors.Is(err, index.ErrDamaged):
		return "index_damaged"
	case errors.Is(err, index.ErrNoIndex):
		return "index_missing"
	case errors.Is(err, index.ErrSchema):
		return "index_schema"
	case errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	case index.IsSQLiteError(err):
		return "sqlite"
	case errors.As(err, &pathErr) || errors.As(err, &errno):
		return "io"
	}
	return "internal"
}

// securityHeaders are set on every response, error or not.
func securityHeaders(h http.Header) {
	h.Set("Content-Type", "application/json")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
}

// writeJSON writes v with status. It is the one place responses are written.
func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"error":"internal error"}`)
	}
	securityHeaders(w.Header())
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

// writeError writes {"error": msg} with status.
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, map[string]string{"error": msg})
}
