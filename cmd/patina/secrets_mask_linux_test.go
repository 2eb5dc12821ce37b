package main

import (
	"bytes"
	"strings"
	"testing"
)

// A terminal is handed to the command as it is (a person reads it, and
// full-screen programs need it): the child sees a terminal and prints
// there unmasked, while a stdout or stderr that is not a terminal is still
// relayed and masked. Each is decided on its own.
func TestSecretsRunTerminalPassesThrough(t *testing.T) {
	t.Parallel()
	w := newWorld(t)
	w.ok(opts{}, "secrets", "init")
	w.add("api-key", "terminal-value-123")
	p := openTestPty(t)
	cmd := w.command(opts{pty: p}, "secrets", "run", "--", "sh", "-c",
		`[ -t 1 ] && echo "stdout is a terminal"; [ -t 2 ] || echo "stderr is not" >&2; printenv API_KEY; printenv API_KEY >&2`)
	var errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = p.slave, &errb
	must(t, cmd.Run())
	screen := strings.ReplaceAll(p.settled(t), "\r\n", "\n")
	if screen != "stdout is a terminal\nterminal-value-123\n" {
		t.Errorf("the terminal showed %q", screen)
	}
	if errb.String() != "stderr is not\n"+concealed+"\n" {
		t.Errorf("stderr (a pipe) got %q", errb.String())
	}
}
