package paths

import (
	"os"
	"path/filepath"
)

// platformRuntimeDir is $XDG_RUNTIME_DIR/patina (systemd's %t/patina); without
// XDG_RUNTIME_DIR (containers, su sessions) it falls back to <home>/run.
func platformRuntimeDir() (string, error) {
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" {
		return filepath.Join(x, runtimeDirName), nil
	}
	return inHome("run")
}
