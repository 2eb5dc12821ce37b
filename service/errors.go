package service

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
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
// Anything that is not an *Error is a 500 with a generic message: its text
// may hold internal detail and is logged by status only.
func statusOf(err error) (int, string) {
	var e *Error
	switch {
	case errors.As(err, &e):
		return e.Status, e.Msg
	case errors.Is(err, context.DeadlineExceeded):
		return http.StatusGatewayTimeout, "request took longer than the query timeout"
	case errors.Is(err, context.Canceled):
		// The client went away; nobody reads this, but keep it well-formed.
		return http.StatusServiceUnavailable, "request cancelled"
	default:
		return http.StatusInternalServerError, "internal error"
	}
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
