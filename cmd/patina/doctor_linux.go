package main

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"strings"
	"time"

	"github.com/patina-dev/patina/packaging"
)

// restartHint is how to restart the daemon the init system runs.
const restartHint = "systemctl --user restart " + packaging.SocketUnit + " " + packaging.ServiceUnit

// unitCheck asks systemd --user about patina's socket unit.
func unitCheck() check {
	c := check{Name: "units", Status: checkSkip}
	if _, err := exec.LookPath("systemctl"); err != nil {
		c.Detail = "systemctl not found: no systemd here, so the daemon runs only as patina mother serve (the CLI works in-process without one)"
		return c
	}
	enabled, stderr := systemctl("is-enabled", packaging.SocketUnit)
	switch {
	case strings.Contains(stderr, "connect to bus") || strings.Contains(stderr, "Failed to connect"):
		c.Detail = "systemctl --user reaches no user manager (" + firstLine(stderr) + ")"
		return c
	case enabled == "" || enabled == "not-found":
		c.Detail = packaging.SocketUnit + " is not installed"
		c.Fix = "patina mother install, to have systemd start the daemon on demand (optional: the CLI works in-process without it)"
		return c
	}
	active, _ := systemctl("is-active", packaging.SocketUnit)
	service, _ := systemctl("is-active", packaging.ServiceUnit)
	c.Detail = fmt.Sprintf("%s %s, %s; %s %s (started on demand)", packaging.SocketUnit, enabled, active, packaging.ServiceUnit, service)
	switch {
	case service == "failed":
		c.Status, c.Fix = checkFail, "journalctl --user -u "+packaging.ServiceUnit+" says why; then systemctl --user reset-failed "+packaging.ServiceUnit
	case active != "active":
		c.Status, c.Fix = checkFail, "systemctl --user start "+packaging.SocketUnit+" (journalctl --user -u "+packaging.SocketUnit+" says why it stopped)"
	case enabled != "enabled":
		c.Status, c.Fix = checkWarn, "systemctl --user enable "+packaging.SocketUnit+", so it listens after a reboot too"
	default:
		c.Status = checkOK
	}
	return c
}

// systemctl runs `systemctl --user VERB UNIT` and returns the state it
// printed and its complaint, each trimmed to one line.
func systemctl(verb, unit string) (state, stderr string) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "systemctl", "--user", verb, unit)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	cmd.Run() // a state other than active or enabled is a non-zero exit
	return firstLine(out.String()), firstLine(errb.String())
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return sanitize(s)
}
