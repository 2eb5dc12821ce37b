//go:build !darwin || !cgo

package service

// launchdListeners finds nothing where launchd is absent (or, on macOS, in
// a build without cgo, which cannot call launch_activate_socket).
func launchdListeners() ([]Listener, error) { return nil, nil }
