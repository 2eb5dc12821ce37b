package scry

import (
	"context"
	"errors"
	"fmt"
)

// ProjectError is a failure to open or search one project's index, named
// by the project. A damaged index is an *index.DamagedError inside it
// (errors.As).
type ProjectError struct {
	Project string
	Err     error
}

func (e *ProjectError) Error() string { return fmt.Sprintf("project %s: %v", e.Project, e.Err) }

func (e *ProjectError) Unwrap() error { return e.Err }

// failedOn wraps err, met while searching src, in a *ProjectError, with
// SQLite's word on corruption made a *index.DamagedError. A cancelled or
// timed-out query is nobody's fault but the clock's: it stays as it is.
func failedOn(src Source, err error) error {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if src.Index != nil {
		err = src.Index.Diagnose(err)
	}
	return &ProjectError{Project: src.label(), Err: err}
}
