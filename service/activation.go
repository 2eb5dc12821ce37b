package service

import (
	"fmt"
	"os"
	"sort"

	"github.com/coreos/go-systemd/v22/activation"
)

// Inherited returns the listeners the init system passed in, and which
// init system that was ("systemd" or "launchd"); none found is not an
// error. It must be called once, early: go-systemd unsets LISTEN_* so
// children do not inherit them.
func Inherited() ([]Listener, string, error) {
	if os.Getenv("LISTEN_FDS") != "" {
		ls, err := systemdListeners()
		return ls, "systemd", err
	}
	ls, err := launchdListeners()
	if err != nil || len(ls) == 0 {
		return nil, "", err
	}
	return ls, "launchd", nil
}

func systemdListeners() ([]Listener, error) {
	byName, err := activation.ListenersWithNames()
	if err != nil {
		return nil, fmt.Errorf("systemd socket activation: %w", err)
	}
	names := make([]string, 0, len(byName))
	for name := range byName {
		names = append(names, name)
	}
	sort.Strings(names)
	var out []Listener
	for _, name := range names {
		for _, l := range byName[name] {
			out = append(out, newListener(l, name))
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("systemd socket activation: LISTEN_FDS set but no usable stream socket was passed (LISTEN_PID mismatch?)")
	}
	return out, nil
}
