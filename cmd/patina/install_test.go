//go:build linux

package main

// `patina mother install` gives the daemon the shell's paths, refuses a
// socket the socket unit cannot own, warns about what the hardened unit
// cannot see, says where the logs are, and leaves the unit files as they
// were when a step fails. systemctl is a stand-in here only to record its
// calls and inject failures; the success path runs under a real user
// manager in systemd_e2e_test.go.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/patina-dev/patina/packaging"
)

func TestInstallGivesTheDaemonTheShellsPaths(t *testing.T) {
	s := newInstallSandbox(t, 0)
	sock := filepath.Join(s.base, "alt-run", "mother.sock") // a directory systemd creates 0700
	r := runPatina(t, append(s.env, "PATINA_SOCKET="+sock), "mother", "install", "--binary", patinaBin)
	if r.code != 0 {
		t.Fatalf("install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	svc := mustRead(t, filepath.Join(s.unitDir, packaging.ServiceUnit))
	for _, want := range []string{
		"Environment=PATINA_HOME=" + s.home + "\n",
		"Environment=PATINA_CACHE=" + modelCache + "\n",
		"Environment=PATINA_SOCKET=" + sock + "\n",
		"ReadWritePaths=-" + s.home + "\n", // the unit could write only %h/.patina
	} {
		if !strings.Contains(svc, want) {
			t.Errorf("patina.service lacks %q:\n%s", want, svc)
		}
	}
	if sk := mustRead(t, filepath.Join(s.unitDir, packaging.SocketUnit)); !strings.Contains(sk, "ListenStream="+sock+"\n") || strings.Contains(sk, "%t/patina") {
		t.Errorf("patina.socket does not listen on PATINA_SOCKET:\n%s", sk)
	}
	if !strings.Contains(r.stderr, "patina: logs: journalctl --user -u patina.service\n") {
		t.Errorf("install does not say where the logs are:\n%s", r.stderr)
	}
	// systemd itself reads what was written.
	if _, err := os.Stat("/usr/bin/systemd-analyze"); err == nil {
		var units []string
		for _, n := range []string{packaging.SocketUnit, packaging.ServiceUnit} {
			units = append(units, filepath.Join(s.unitDir, n))
		}
		if out, errOut, err := runAnalyze(t, analyzeEnv(t), append([]string{"verify", "--user"}, units...)...); err != nil || strings.TrimSpace(errOut) != "" {
			t.Errorf("systemd-analyze verify: %v\n%s%s", err, out, errOut)
		}
	}
}

func TestInstallWithDefaultPathsAddsNothing(t *testing.T) {
	s := newInstallSandbox(t, 0)
	userHome := filepath.Join(s.base, "userhome")
	rt := filepath.Join(s.base, "rt")
	env := append(s.env, "PATINA_HOME="+filepath.Join(userHome, ".patina"), "PATINA_CACHE="+filepath.Join(userHome, ".cache", "patina"),
		"XDG_RUNTIME_DIR="+rt, "PATINA_SOCKET="+filepath.Join(rt, "patina", "mother.sock"))
	r := runPatina(t, env, "mother", "install", "--binary", patinaBin)
	if r.code != 0 {
		t.Fatalf("install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	units, err := packaging.SystemdUnits(packaging.Systemd{Binary: patinaBin})
	must(t, err)
	for _, u := range units {
		if got := mustRead(t, filepath.Join(s.unitDir, u.Name)); got != strings.TrimSpace(string(u.Content)) {
			t.Errorf("%s with the default paths is not the shipped unit:\n%s", u.Name, got)
		}
	}
}

func TestInstallRefusesASocketTheUnitCannotOwn(t *testing.T) {
	shared := t.TempDir()
	must(t, os.Chmod(shared, 0o755)) // others may enter it
	for name, sock := range map[string]string{
		"shared dir":    filepath.Join(shared, "mother.sock"),
		"sticky /tmp":   "/tmp/patina-test-mother.sock",
		"too long path": "/" + strings.Repeat("d", 120) + "/mother.sock",
	} {
		t.Run(name, func(t *testing.T) {
			s := newInstallSandbox(t, 0)
			before := tree(t, s.base)
			r := runPatina(t, append(s.env, "PATINA_SOCKET="+sock), "mother", "install", "--binary", patinaBin)
			if r.code != 1 || !strings.Contains(r.stderr, "patina: error: PATINA_SOCKET") || !strings.Contains(r.stderr, "patina: hint: unset PATINA_SOCKET") {
				t.Errorf("install with PATINA_SOCKET=%s: exit %d\n%s%s", sock, r.code, r.stdout, r.stderr)
			}
			if after := tree(t, s.base); after != before {
				t.Errorf("a refused install changed files:\n%s", after)
			}
			if calls := s.systemctlCalls(); calls != "" {
				t.Errorf("a refused install ran systemctl: %q", calls)
			}
		})
	}
}

func TestInstallWarnsAboutWhatTheUnitCannotSee(t *testing.T) {
	s := newInstallSandbox(t, 0)
	hidden := t.TempDir() // under /tmp: PrivateTmp=yes hides it
	visible, err := filepath.Abs(".")
	must(t, err)
	for _, p := range [][]string{{hidden, "scratch"}, {visible, "here"}} {
		if r := runPatina(t, s.env, "projects", "add", p[0], "--name", p[1]); r.code != 0 {
			t.Fatalf("projects add: exit %d\n%s", r.code, r.stderr)
		}
	}
	r := runPatina(t, s.env, "mother", "install", "--dry-run", "--binary", patinaBin)
	if r.code != 0 {
		t.Fatalf("install --dry-run: exit %d\n%s", r.code, r.stderr)
	}
	for _, want := range []string{
		"patina: warning: project scratch (" + hidden + ") is under /tmp",
		"patina: warning: PATINA_HOME " + s.home + " is under /tmp",
		"patina: warning: " + patinaBin + " is under /tmp",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("install does not warn %q:\n%s", want, r.stderr)
		}
	}
	if strings.Contains(r.stderr, "project here") {
		t.Errorf("install warns about a project the unit can see:\n%s", r.stderr)
	}
}

func TestInstallFailureLeavesTheUnitsAsTheyWere(t *testing.T) {
	unitNames := []string{packaging.SocketUnit, packaging.ServiceUnit}
	t.Run("no systemctl", func(t *testing.T) {
		s := newInstallSandbox(t, 0)
		env := append(s.env, "PATH="+t.TempDir()) // nothing on it
		r := runPatina(t, env, "mother", "install", "--binary", patinaBin)
		if r.code != 1 || !strings.Contains(r.stderr, "systemctl not found") {
			t.Errorf("install without systemctl: exit %d\n%s", r.code, r.stderr)
		}
		if _, err := os.Stat(s.unitDir); !os.IsNotExist(err) {
			t.Errorf("install without systemctl made %s: %v", s.unitDir, err)
		}
	})
	t.Run("daemon-reload fails", func(t *testing.T) {
		s := newInstallSandboxScript(t, `case "$*" in *daemon-reload*) echo "Failed to connect to bus" >&2; exit 1;; esac`)
		r := runPatina(t, s.env, "mother", "install", "--binary", patinaBin)
		if r.code != 1 || !strings.Contains(r.stderr, "patina: hint:") {
			t.Errorf("install: exit %d\n%s", r.code, r.stderr)
		}
		for _, n := range unitNames {
			if _, err := os.Stat(filepath.Join(s.unitDir, n)); !os.IsNotExist(err) {
				t.Errorf("%s left after a failed install: %v", n, err)
			}
		}
	})
	t.Run("enable fails on a first install", func(t *testing.T) {
		s := newInstallSandboxScript(t, `case "$*" in *enable*) exit 1;; esac`)
		r := runPatina(t, s.env, "mother", "install", "--binary", patinaBin)
		if r.code != 1 {
			t.Errorf("install: exit %d\n%s", r.code, r.stderr)
		}
		for _, n := range unitNames {
			if _, err := os.Stat(filepath.Join(s.unitDir, n)); !os.IsNotExist(err) {
				t.Errorf("%s left after a failed install: %v", n, err)
			}
		}
		// What enable may have linked is unlinked before the files go.
		want := "--user daemon-reload\n--user enable --now patina.socket\n--user disable patina.socket\n--user daemon-reload\n"
		if calls := s.systemctlCalls(); calls != want {
			t.Errorf("systemctl calls:\n%s\nwant:\n%s", calls, want)
		}
	})
	t.Run("enable fails on a re-install", func(t *testing.T) {
		s := newInstallSandboxScript(t, `case "$*" in *enable*) exit 1;; esac`)
		for _, n := range unitNames {
			must(t, os.MkdirAll(s.unitDir, 0o755))
			must(t, os.WriteFile(filepath.Join(s.unitDir, n), []byte("# the previous install's "+n+"\n"), 0o644))
		}
		r := runPatina(t, s.env, "mother", "install", "--binary", patinaBin)
		if r.code != 1 {
			t.Errorf("install: exit %d\n%s", r.code, r.stderr)
		}
		for _, n := range unitNames {
			if got := mustRead(t, filepath.Join(s.unitDir, n)); got != "# the previous install's "+n {
				t.Errorf("%s after a failed re-install: %q, want the previous one", n, got)
			}
		}
		if calls := s.systemctlCalls(); strings.Contains(calls, "disable") {
			t.Errorf("a failed re-install disabled the previous units:\n%s", calls)
		}
	})
}
