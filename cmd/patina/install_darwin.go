package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/patina-dev/patina/internal/childenv"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/packaging"
)

func plistPath() (string, error) {
	h, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(h, "Library", "LaunchAgents", packaging.LaunchdLabel+".plist"), nil
}

func install(o installOptions) error {
	if o.tcp != "" {
		return errors.New("--tcp is not supported by the LaunchAgent yet: run `patina mother serve --tcp ADDR` instead")
	}
	h, err := os.UserHomeDir()
	if err != nil {
		return err
	}
	env, err := installEnv(filepath.Join(h, ".patina"), filepath.Join(h, "Library", "Caches", "patina"))
	if err != nil {
		return err
	}
	// The socket is named in the plist itself, so PATINA_SOCKET and a
	// PATINA_HOME that moves ~/.patina/run are honoured as they are.
	sock, err := paths.Socket()
	if err != nil {
		return err
	}
	logPath := filepath.Join(h, "Library", "Logs", "patina-mother.log")
	plist, err := packaging.LaunchdPlist(packaging.Launchd{Binary: o.binary, Socket: sock, Log: logPath, Env: env})
	if err != nil {
		return err
	}
	p, err := plistPath()
	if err != nil {
		return err
	}
	target := fmt.Sprintf("gui/%d", os.Getuid())
	service := target + "/" + packaging.LaunchdLabel
	if !o.dryRun {
		// launchd creates the socket but not a private directory for it.
		if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
			return err
		}
	}
	var files unitFiles
	if err := files.write(o.dryRun, p, plist); err != nil {
		return err
	}
	// bootstrap refuses a label that is already loaded (a re-install, an
	// upgrade): unload the old agent first.
	booted := false
	if o.dryRun {
		fmt.Println("would run (if the agent is loaded): launchctl bootout", service)
	} else if agentLoaded(service) {
		if err := runCmd(false, "launchctl", "bootout", service); err != nil {
			files.undo()
			return err
		}
		booted = true
		waitUnloaded(service)
	}
	if err := runCmd(o.dryRun, "launchctl", "bootstrap", target, p); err != nil {
		files.undo()
		if booted && !files.fresh(p) {
			// Bring back the agent that was running, from its restored plist.
			_ = runCmd(false, "launchctl", "bootstrap", target, p)
		}
		return err
	}
	fmt.Fprintln(os.Stderr, "patina: logs:", logPath)
	return nil
}

// agentLoaded reports whether launchd has service (gui/UID/LABEL) loaded.
func agentLoaded(service string) bool {
	cmd := exec.Command("launchctl", "print", service)
	cmd.Env = childenv.Scrubbed()
	return cmd.Run() == nil
}

// waitUnloaded gives launchd a moment to finish a bootout: bootstrap
// right after it can fail while the old agent is still going away.
func waitUnloaded(service string) {
	for i := 0; i < 50 && agentLoaded(service); i++ {
		time.Sleep(100 * time.Millisecond)
	}
}

func uninstall(dry bool) error {
	p, err := plistPath()
	if err != nil {
		return err
	}
	_ = runCmd(dry, "launchctl", "bootout", fmt.Sprintf("gui/%d/%s", os.Getuid(), packaging.LaunchdLabel))
	if dry {
		fmt.Println("would remove", p)
		return nil
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

func unitState() string { return "" }
