package service

import (
	"log"
	"log/slog"
)

// slogErrorLog routes net/http's own messages (TLS noise, accept errors)
// into the structured log at warn level.
func slogErrorLog(l *slog.Logger) *log.Logger {
	return slog.NewLogLogger(l.Handler(), slog.LevelWarn)
}
