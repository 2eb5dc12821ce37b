package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/projects"
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
	h, err := os.UserHomeDir()
	if err != nil {
		return err
	}
	// Under the user manager the daemon gets no XDG_CACHE_HOME of ours:
	// its defaults are these.
	env, err := installEnv(filepath.Join(h, ".patina"), filepath.Join(h, ".cache", "patina"))
	if err != nil {
		return err
	}
	listen, err := unitSocket(&env)
	if err != nil {
		return err
	}
	home, err := paths.Home()
	if err != nil {
		return err
	}
	var writable []string
	if envValue(env, paths.EnvHome) != "" {
		writable = append(writable, home) // the shipped unit can write only %h/.patina
	}
	warnHidden(o.binary, home, envValue(env, paths.EnvCache))
	units, err := packaging.SystemdUnits(packaging.Systemd{Binary: o.binary, TCPAddr: o.tcp, Socket: listen, Env: env, Writable: writable})
	if err != nil {
		return err
	}
	dir, err := userUnitDir()
	if err != nil {
		return err
	}
	if !o.dryRun {
		// Before anything is written: without systemctl nothing below works.
		if _, err := exec.LookPath("systemctl"); err != nil {
			return withHint(errors.New("systemctl not found on PATH: mother install needs systemd's user manager"),
				"install systemd, or run the daemon yourself: patina mother serve")
		}
	}
	var files unitFiles
	for _, u := range units {
		if err := files.write(o.dryRun, filepath.Join(dir, u.Name), u.Content); err != nil {
			files.undo()
			return err
		}
	}
	if !o.dryRun {
		// The hardened unit can write only its home (ReadWritePaths=), and
		// cannot create it itself under ProtectHome=read-only.
		if err := os.MkdirAll(home, 0o700); err != nil {
			files.undo()
			return err
		}
		if o.tcp != "" {
			tokPath, err := paths.Token()
			if err == nil {
				_, err = token.Ensure(tokPath)
			}
			if err != nil {
				files.undo()
				return err
			}
			fmt.Fprintln(os.Stderr, "patina: TCP token file:", tokPath)
		}
	}
	if err := runCmd(o.dryRun, "systemctl", "--user", "daemon-reload"); err != nil {
		files.undo()
		return withHint(err, "is a systemd --user manager running for you? (loginctl enable-linger $USER)")
	}
	enable := []string{packaging.SocketUnit}
	if o.tcp != "" {
		enable = append(enable, packaging.TCPSocketUnit)
	}
	if err := runCmd(o.dryRun, "systemctl", append([]string{"--user", "enable", "--now"}, enable...)...); err != nil {
		// Units this install created are disabled before they go, so no
		// link to a removed unit is left in sockets.target.wants.
		var fresh []string
		for _, name := range enable {
			if files.fresh(filepath.Join(dir, name)) {
				fresh = append(fresh, name)
			}
		}
		if len(fresh) > 0 {
			_ = runCmd(false, "systemctl", append([]string{"--user", "disable"}, fresh...)...)
		}
		files.undo()
		_ = runCmd(false, "systemctl", "--user", "daemon-reload")
		return err
	}
	fmt.Fprintf(os.Stderr, "patina: logs: journalctl --user -u %s\n", packaging.ServiceUnit)
	return nil
}

// unitSocket is the ListenStream= path for PATINA_SOCKET, or "" for the
// shipped %t/patina/mother.sock (PATINA_SOCKET unset, or naming that very
// path: then it is dropped from env too). systemd creates a missing
// directory for it 0700 (DirectoryMode=), but binds in an existing one as
// it is: a directory others can enter or that is not ours is refused, as
// a standalone daemon refuses it.
func unitSocket(env *[]string) (string, error) {
	sock := envValue(*env, paths.EnvSocket)
	if sock == "" {
		return "", nil
	}
	if x := os.Getenv("XDG_RUNTIME_DIR"); x != "" && sock == filepath.Join(x, "patina", "mother.sock") {
		*env = slices.DeleteFunc(*env, func(kv string) bool { return strings.HasPrefix(kv, paths.EnvSocket+"=") })
		return "", nil
	}
	hint := "unset PATINA_SOCKET (the unit's socket is $XDG_RUNTIME_DIR/patina/mother.sock), or point it into a directory of its own that does not exist yet"
	if len(sock) > maxSocketPath {
		return "", withHint(fmt.Errorf("PATINA_SOCKET %s is %d bytes, longer than a unix socket address holds (%d)", sock, len(sock), maxSocketPath), hint)
	}
	dir := filepath.Dir(sock)
	fi, err := os.Lstat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return sock, nil
	}
	if err != nil {
		return "", err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !fi.IsDir() || !ok || int(st.Uid) != os.Getuid() || fi.Mode().Perm()&0o077 != 0 {
		return "", withHint(fmt.Errorf("PATINA_SOCKET %s: the socket unit would put it in %s, which is not a private (0700) directory of yours", sock, dir), hint)
	}
	return sock, nil
}

// maxSocketPath is the longest path a unix socket address holds
// (sun_path is 108 bytes with its NUL).
const maxSocketPath = 107

// warnHidden warns about what the hardened unit cannot see: PrivateTmp=yes
// gives it a /tmp and /var/tmp of its own, so a binary, home, model cache
// or registered project there is not what the daemon finds. (ProtectHome=
// read-only and ProtectSystem=strict leave the rest readable.)
func warnHidden(binary, home, cache string) {
	const why = "which the hardened unit cannot see (PrivateTmp=yes)"
	if underPrivateTmp(binary) {
		fmt.Fprintf(os.Stderr, "patina: warning: %s is under /tmp, %s: install the binary elsewhere\n", binary, why)
	}
	if underPrivateTmp(home) {
		fmt.Fprintf(os.Stderr, "patina: warning: PATINA_HOME %s is under /tmp, %s: the daemon would find no projects and no token there\n", home, why)
	}
	if underPrivateTmp(cache) {
		fmt.Fprintf(os.Stderr, "patina: warning: PATINA_CACHE %s is under /tmp, %s: the daemon would find no models there, and answer lexically\n", cache, why)
	}
	reg, err := projects.Default()
	if err != nil {
		return
	}
	ps, _ := reg.List() // a broken registry is doctor's to report
	for _, p := range ps {
		if underPrivateTmp(p.Path) {
			fmt.Fprintf(os.Stderr, "patina: warning: project %s (%s) is under /tmp, %s: scry of it through the daemon fails; move it elsewhere and scrape it there\n",
				printable(p.Name), printable(p.Path), why)
		}
	}
}

// underPrivateTmp reports whether p, symlinks resolved where they can be,
// is in /tmp or /var/tmp.
func underPrivateTmp(p string) bool {
	if p == "" {
		return false
	}
	if real, err := filepath.EvalSymlinks(p); err == nil {
		p = real
	}
	for _, dir := range []string{"/tmp", "/var/tmp"} {
		if p == dir || strings.HasPrefix(p, dir+"/") {
			return true
		}
	}
	return false
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
