package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/patina-dev/patina/internal/atomicfile"
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
	sock, err := paths.Socket()
	if err != nil {
		return err
	}
	h, _ := os.UserHomeDir()
	logPath := filepath.Join(h, "Library", "Logs", "patina-mother.log")
	plist, err := packaging.LaunchdPlist(o.binary, sock, logPath)
	if err != nil {
		return err
	}
	p, err := plistPath()
	if err != nil {
		return err
	}
	if o.dryRun {
		fmt.Printf("would write %s:\n%s\n", p, plist)
	} else {
		// launchd creates the socket but not a private directory for it.
		if err := os.MkdirAll(filepath.Dir(sock), 0o700); err != nil {
			return err
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := atomicfile.Write(p, plist, 0o644); err != nil {
			return err
		}
	}
	return runCmd(o.dryRun, "launchctl", "bootstrap", fmt.Sprintf("gui/%d", os.Getuid()), p)
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
