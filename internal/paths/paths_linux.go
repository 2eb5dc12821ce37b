package paths

import (
	"os"
	"path/filepath"
	"strconv"
	"syscall"
)

// platformRuntimeDir is $XDG_RUNTIME_DIR/patina (systemd's %t/patina).
// Clients started with a scrubbed environment (MCP hosts, sudo, cron) lack
// XDG_RUNTIME_DIR, so /run/user/UID, when it exists and is ours, stands in
// for it: that is where systemd --user put the socket. Otherwise (no
// logind: containers, su sessions) it falls back to <home>/run.
func platformRuntimeDir() (string, error) {
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
		return filepath.Join(x, runtimeDirName), nil
	}
	uid := os.Getuid()
	run := filepath.Join(runUserBase, strconv.Itoa(uid))
	if fi, err := os.Stat(run); err == nil && fi.IsDir() {
		if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) == uid {
			return filepath.Join(run, runtimeDirName), nil
		}
	}
	return inHome("run")
}

// runUserBase is where logind makes per-user runtime dirs; a variable so
// tests can point it elsewhere.
var runUserBase = "/run/user"
