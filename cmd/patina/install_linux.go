package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/patina-dev/patina/internal/atomicfile"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/token"
	"github.com/patina-dev/patina/packaging"
)

// userUnitDir is where systemd --user looks for the user's own units.
func userUnitDir() (string, error) {
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		return filepath.Join(x, "systemd", "user"), nil
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, ".config", "systemd", "user"), nil
}

func install(o installOptions) error {
	if strings.HasPrefix(o.binary, "/tmp/") {
		fmt.Fprintf(os.Stderr, "patina: warning: %s is under /tmp, which the hardened unit cannot see (PrivateTmp=yes): install the binary elsewhere\n", o.binary)
	}
	units, err := packaging.SystemdUnits(o.binary, o.tcp)
	if err != nil {
		return err
	}
	dir, err := userUnitDir()
	if err != nil {
		return err
	}
	home, err := paths.Home()
	if err != nil {
		return err
	}
	for _, u := range units {
		p := filepath.Join(dir, u.Name)
		if o.dryRun {
			fmt.Printf("would write %s:\n%s\n", p, u.Content)
			continue
		}
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
		if err := atomicfile.Write(p, u.Content, 0o644); err != nil {
			return err
		}
		fmt.Fprintln(os.Stderr, "patina: wrote", p)
	}
	if !o.dryRun {
		// The hardened unit can write only here (ReadWritePaths=-%h/.patina),
		// and cannot create it itself under ProtectHome=read-only.
		if err := os.MkdirAll(home, 0o700); err != nil {
			return err
		}
		if o.tcp != "" {
			tokPath, err := paths.Token()
			if err != nil {
				return err
			}
			if _, err := token.Ensure(tokPath); err != nil {
				return err
			}
			fmt.Fprintln(os.Stderr, "patina: TCP token file:", tokPath)
		}
	}
	if err := runCmd(o.dryRun, "systemctl", "--user", "daemon-reload"); err != nil {
		return withHint(err, "is a systemd --user manager running for you? (loginctl enable-linger $USER)")
	}
	enable := []string{"--user", "enable", "--now", packaging.SocketUnit}
	if o.tcp != "" {
		enable = append(enable, packaging.TCPSocketUnit)
	}
	return runCmd(o.dryRun, "systemctl", enable...)
}

func uninstall(dry bool) error {
	dir, err := userUnitDir()
	if err != nil {
		return err
	}
	// Stopping may fail when nothing was installed; removal still proceeds.
	_ = runCmd(dry, "systemctl", "--user", "disable", "--now", packaging.SocketUnit, packaging.TCPSocketUnit, packaging.ServiceUnit)
	for _, name := range []string{packaging.SocketUnit, packaging.TCPSocketUnit, packaging.ServiceUnit} {
		p := filepath.Join(dir, name)
		if dry {
			fmt.Println("would remove", p)
			continue
		}
		if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return runCmd(dry, "systemctl", "--user", "daemon-reload")
}

// unitState is the units' state in one line, or "" when systemctl cannot
// tell (no user manager, no systemctl).
func unitState() string {
	if _, err := exec.LookPath("systemctl"); err != nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	out, _ := exec.CommandContext(ctx, "systemctl", "--user", "is-active", packaging.SocketUnit, packaging.ServiceUnit).Output()
	states := strings.Fields(string(out))
	if len(states) != 2 {
		return ""
	}
	return sanitize(fmt.Sprintf("%s %s, %s %s", packaging.SocketUnit, states[0], packaging.ServiceUnit, states[1]))
}
