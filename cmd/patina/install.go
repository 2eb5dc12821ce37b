package main

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/patina-dev/patina/internal/atomicfile"
	"github.com/patina-dev/patina/internal/childenv"
	"github.com/patina-dev/patina/internal/paths"
)

func installVerb() *verb {
	v := &verb{name: "install", summary: "install and start the socket units (systemd --user) or LaunchAgent (macOS)"}
	v.run = func(args []string) error {
		fs := flags("install")
		tcp := fs.String("tcp", "", "also install a TCP socket on `HOST:PORT` (token required)")
		dry := fs.Bool("dry-run", false, "print what would be written and run; change nothing")
		bin := fs.String("binary", "", "`PATH` of the patina binary the units run (default: this one)")
		if err := parse(fs, "mother install [--tcp ADDR] [--dry-run] [--binary PATH]", v.summary+`.

The daemon is given this shell's paths: PATINA_HOME and PATINA_CACHE when
they are not the defaults (Environment= in patina.service, and the home
made writable), and PATINA_SOCKET when set: patina.socket then listens
there. systemd creates a missing directory for that socket 0700; an
existing one that is not yours alone is refused. The hardened service has
a /tmp and /var/tmp of its own (PrivateTmp=yes), so a binary, home, cache
or registered project there is warned about. A step that fails (no
systemctl, no user manager, a socket that cannot be enabled) leaves the
unit files as they were. On macOS a loaded agent is booted out first, so
a re-install replaces it. Install prints where the logs are.`, args); err != nil {
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

// installEnv is the part of this shell's environment the installed daemon
// must be given, or it would use other paths than the shell that installed
// it (a registry it never reads, models it never finds): PATINA_HOME and
// PATINA_CACHE when they are not what the daemon would pick by itself, and
// PATINA_SOCKET when it is set. Each is NAME=value, value absolute.
func installEnv(defaultHome, defaultCache string) ([]string, error) {
	var env []string
	home, err := paths.Home()
	if err != nil {
		return nil, err
	}
	if home != defaultHome {
		env = append(env, paths.EnvHome+"="+home)
	}
	cache, err := paths.Cache()
	if err != nil {
		return nil, err
	}
	if cache != defaultCache {
		env = append(env, paths.EnvCache+"="+cache)
	}
	if os.Getenv(paths.EnvSocket) != "" {
		sock, err := paths.Socket()
		if err != nil {
			return nil, err
		}
		env = append(env, paths.EnvSocket+"="+sock)
	}
	return env, nil
}

// envValue is NAME's value in env (NAME=value entries), or "".
func envValue(env []string, name string) string {
	for _, kv := range env {
		if k, v, _ := strings.Cut(kv, "="); k == name {
			return v
		}
	}
	return ""
}

// unitFiles writes an install's files and remembers what each replaced,
// so a failed install leaves the files as they were: a re-install's old
// units come back, a first install's are removed.
type unitFiles struct {
	written []writtenFile
}

type writtenFile struct {
	path string
	old  []byte // nil: the file did not exist
}

// write writes data to p (0644, atomically), or only prints it on a dry
// run.
func (u *unitFiles) write(dry bool, p string, data []byte) error {
	if dry {
		fmt.Printf("would write %s:\n%s\n", p, data)
		return nil
	}
	old, err := os.ReadFile(p)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return err
	}
	if err := atomicfile.Write(p, data, 0o644); err != nil {
		return err
	}
	u.written = append(u.written, writtenFile{p, old})
	fmt.Fprintln(os.Stderr, "patina: wrote", p)
	return nil
}

// fresh reports whether p was written by this install and did not exist
// before it.
func (u *unitFiles) fresh(p string) bool {
	for _, w := range u.written {
		if w.path == p {
			return w.old == nil
		}
	}
	return false
}

// undo puts back what write replaced and removes what it created.
func (u *unitFiles) undo() {
	for i := len(u.written) - 1; i >= 0; i-- {
		w := u.written[i]
		var err error
		if w.old == nil {
			err = os.Remove(w.path)
			if err == nil {
				fmt.Fprintln(os.Stderr, "patina: install failed: removed", w.path)
			}
		} else if cur, rerr := os.ReadFile(w.path); rerr != nil || !bytes.Equal(cur, w.old) {
			err = atomicfile.Write(w.path, w.old, 0o644)
			if err == nil {
				fmt.Fprintln(os.Stderr, "patina: install failed: restored the previous", w.path)
			}
		}
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			fmt.Fprintf(os.Stderr, "patina: warning: could not undo %s: %v\n", w.path, err)
		}
	}
	u.written = nil
}
