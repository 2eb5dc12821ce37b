package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/patina-dev/patina/internal/childenv"
)

func installVerb() *verb {
	v := &verb{name: "install", summary: "install and start the socket units (systemd --user) or LaunchAgent (macOS)"}
	v.run = func(args []string) error {
		fs := flags("install")
		tcp := fs.String("tcp", "", "also install a TCP socket on `HOST:PORT` (token required)")
		dry := fs.Bool("dry-run", false, "print what would be written and run; change nothing")
		bin := fs.String("binary", "", "`PATH` of the patina binary the units run (default: this one)")
		if err := parse(fs, "mother install [--tcp ADDR] [--dry-run] [--binary PATH]", v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("mother install takes no arguments")
		}
		binary, err := binaryPath(*bin)
		if err != nil {
			return err
		}
		return install(installOptions{binary: binary, tcp: *tcp, dryRun: *dry})
	}
	return v
}

func uninstallVerb() *verb {
	v := &verb{name: "uninstall", summary: "stop and remove the socket units or LaunchAgent"}
	v.run = func(args []string) error {
		fs := flags("uninstall")
		dry := fs.Bool("dry-run", false, "print what would be removed and run; change nothing")
		if err := parse(fs, "mother uninstall [--dry-run]", v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("mother uninstall takes no arguments")
		}
		return uninstall(*dry)
	}
	return v
}

type installOptions struct {
	binary string
	tcp    string
	dryRun bool
}

// binaryPath resolves the binary the units will run to an absolute path
// with symlinks followed, so the unit keeps working if a link moves.
func binaryPath(flag string) (string, error) {
	p := flag
	if p == "" {
		exe, err := os.Executable()
		if err != nil {
			return "", err
		}
		p = exe
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", fmt.Errorf("binary %s: %w", abs, err)
	}
	if fi, err := os.Stat(real); err != nil || fi.Mode()&0o111 == 0 {
		return "", fmt.Errorf("binary %s is not executable", real)
	}
	return real, nil
}

// runCmd runs an init-system command, or only prints it on a dry run.
func runCmd(dry bool, name string, args ...string) error {
	line := name + " " + strings.Join(args, " ")
	if dry {
		fmt.Println("would run:", line)
		return nil
	}
	fmt.Fprintln(os.Stderr, "patina: running:", line)
	cmd := exec.Command(name, args...)
	cmd.Env = childenv.Scrubbed() // systemctl and launchctl need none of Patina's credentials
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", line, err)
	}
	return nil
}
