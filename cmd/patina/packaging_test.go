//go:build linux

package main

// The shipped systemd units as `patina mother install` renders them:
// systemd-analyze verify, the exposure score of the hardened service, and
// install/uninstall (dry run and with a stand-in systemctl).

import (
	"bytes"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/patina-dev/patina/packaging"
)

// maxExposure is the ceiling for `systemd-analyze security` on patina.service.
const maxExposure = 2.0

func systemdAnalyze(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Skip("systemd-analyze not installed (Debian package systemd; `make deps` installs it)")
	}
	return p
}

// renderUnits writes the units for binary (and a TCP socket) into a fresh
// dir and returns it with the file paths.
func renderUnits(t *testing.T, binary string) (string, []string) {
	t.Helper()
	units, err := packaging.SystemdUnits(packaging.Systemd{Binary: binary, TCPAddr: "127.0.0.1:7474"})
	must(t, err)
	dir := t.TempDir()
	var paths []string
	for _, u := range units {
		p := filepath.Join(dir, u.Name)
		must(t, os.WriteFile(p, u.Content, 0o644))
		paths = append(paths, p)
	}
	if len(paths) != 3 {
		t.Fatalf("rendered %d units, want patina.socket, patina.service, patina-tcp.socket", len(paths))
	}
	return dir, paths
}

// analyzeEnv is a minimal environment with XDG_RUNTIME_DIR on a 0700 dir,
// which `systemd-analyze --user` needs.
func analyzeEnv(t *testing.T) []string {
	rt := t.TempDir()
	must(t, os.Chmod(rt, 0o700))
	return []string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + os.Getenv("HOME"), "XDG_RUNTIME_DIR=" + rt}
}

func runAnalyze(t *testing.T, env []string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cmd := exec.Command(systemdAnalyze(t), args...)
	cmd.Env = env
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	return out.String(), errb.String(), err
}

func TestSystemdUnitsVerify(t *testing.T) {
	systemdAnalyze(t)
	_, paths := renderUnits(t, patinaBin)
	env := analyzeEnv(t)
	for _, mode := range [][]string{{"verify", "--user"}, {"verify"}} {
		t.Run(strings.Join(mode, "_"), func(t *testing.T) {
			out, errOut, err := runAnalyze(t, env, append(mode, paths...)...)
			if err != nil || strings.TrimSpace(errOut) != "" {
				t.Fatalf("systemd-analyze %s: %v\nstdout: %s\nstderr: %s", strings.Join(mode, " "), err, out, errOut)
			}
		})
	}
	// The check has teeth: a unit whose binary does not exist fails it.
	_, bad := renderUnits(t, filepath.Join(t.TempDir(), "no-such-patina"))
	if _, errOut, err := runAnalyze(t, env, append([]string{"verify", "--user"}, bad...)...); err == nil || !strings.Contains(errOut, "no-such-patina") {
		t.Errorf("verify accepted a missing ExecStart binary: err %v, stderr %q", err, errOut)
	}
}

var exposureRE = regexp.MustCompile(`Overall exposure level for patina\.service: ([0-9]+\.[0-9]+)`)

func TestServiceExposure(t *testing.T) {
	systemdAnalyze(t)
	dir, _ := renderUnits(t, patinaBin)
	svc := filepath.Join(dir, packaging.ServiceUnit)
	env := analyzeEnv(t)
	for _, c := range []struct {
		name string
		mode []string
	}{
		{"system", []string{"security", "--offline=true"}},
		{"user", []string{"security", "--offline=true", "--user"}},
	} {
		mode := c.mode
		t.Run(c.name, func(t *testing.T) {
			out, errOut, err := runAnalyze(t, env, append(mode, svc)...)
			// systemd-analyze security exits non-zero only above --threshold
			// (default 100): any error here is a real failure.
			if err != nil {
				t.Fatalf("systemd-analyze %s: %v\n%s%s", strings.Join(mode, " "), err, out, errOut)
			}
			m := exposureRE.FindStringSubmatch(out)
			if m == nil {
				t.Fatalf("no exposure line in:\n%s%s", out, errOut)
			}
			score, err := strconv.ParseFloat(m[1], 64)
			must(t, err)
			t.Logf("systemd-analyze %s patina.service: exposure %.1f (max %.1f)", strings.Join(mode, " "), score, maxExposure)
			if score > maxExposure {
				t.Errorf("exposure %.1f > %.1f; the directives still counted against it:\n%s", score, maxExposure, exposureFindings(out))
			}
		})
	}
}

// exposureFindings keeps the ✗ lines of a security report.
func exposureFindings(report string) string {
	var b strings.Builder
	for _, l := range strings.Split(report, "\n") {
		if strings.HasPrefix(strings.TrimSpace(l), "✗") {
			b.WriteString(l + "\n")
		}
	}
	return b.String()
}

// installSandbox is a home, config dir and PATINA_HOME for install tests,
// with a stand-in systemctl on PATH that records its arguments.
type installSandbox struct {
	base, cfg, unitDir, home, calls string
	env                             []string
}

func newInstallSandbox(t *testing.T, systemctlExit int) *installSandbox {
	t.Helper()
	return newInstallSandboxScript(t, fmt.Sprintf("exit %d", systemctlExit))
}

// newInstallSandboxScript is newInstallSandbox with a stand-in systemctl
// that records its arguments and then runs sh, e.g. to fail one call.
func newInstallSandboxScript(t *testing.T, sh string) *installSandbox {
	t.Helper()
	base := t.TempDir()
	s := &installSandbox{
		base:  base,
		cfg:   filepath.Join(base, "cfg"),
		home:  filepath.Join(base, "patina-home"),
		calls: filepath.Join(base, "systemctl.calls"),
	}
	s.unitDir = filepath.Join(s.cfg, "systemd", "user")
	bin := filepath.Join(base, "fakebin")
	must(t, os.Mkdir(bin, 0o755))
	script := fmt.Sprintf("#!/bin/sh\necho \"$*\" >>%s\n%s\n", s.calls, sh)
	must(t, os.WriteFile(filepath.Join(bin, "systemctl"), []byte(script), 0o755))
	s.env = []string{
		"PATH=" + bin + ":/usr/bin:/bin",
		"HOME=" + filepath.Join(base, "userhome"),
		"XDG_CONFIG_HOME=" + s.cfg,
		"PATINA_HOME=" + s.home,
	}
	return s
}

// units are the units an install in the sandbox writes: its PATINA_HOME
// and runPatina's PATINA_CACHE are not the defaults, so the service is
// given both and may write the home.
func (s *installSandbox) units(t *testing.T, tcp string) []packaging.File {
	t.Helper()
	units, err := packaging.SystemdUnits(packaging.Systemd{Binary: patinaBin, TCPAddr: tcp,
		Env: []string{"PATINA_HOME=" + s.home, "PATINA_CACHE=" + modelCache}, Writable: []string{s.home}})
	must(t, err)
	return units
}

func (s *installSandbox) systemctlCalls() string {
	b, _ := os.ReadFile(s.calls)
	return string(b)
}

// tree lists every path under root with its mode, and file contents, so a
// test can show a command changed nothing.
func tree(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil
		}
		fi, err := d.Info()
		if err != nil {
			return nil
		}
		fmt.Fprintf(&b, "%s %v\n", p, fi.Mode())
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

func TestInstallDryRun(t *testing.T) {
	for _, tcp := range []string{"", "127.0.0.1:7475"} {
		t.Run("tcp="+tcp, func(t *testing.T) {
			s := newInstallSandbox(t, 0)
			before := tree(t, s.base)
			args := []string{"mother", "install", "--dry-run", "--binary", patinaBin}
			if tcp != "" {
				args = append(args, "--tcp", tcp)
			}
			r := runPatina(t, s.env, args...)
			if r.code != 0 {
				t.Fatalf("install --dry-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
			}
			units := s.units(t, tcp)
			for _, u := range units {
				want := fmt.Sprintf("would write %s:\n%s", filepath.Join(s.unitDir, u.Name), u.Content)
				if !strings.Contains(r.stdout, want) {
					t.Errorf("dry run does not show %s as rendered:\n%s", u.Name, r.stdout)
				}
			}
			if !strings.Contains(r.stdout, "ExecStart="+patinaBin+" mother serve") {
				t.Errorf("dry run does not show ExecStart with the binary:\n%s", r.stdout)
			}
			enable := "would run: systemctl --user enable --now patina.socket\n"
			if tcp != "" {
				enable = "would run: systemctl --user enable --now patina.socket patina-tcp.socket\n"
				if !strings.Contains(r.stdout, "ListenStream="+tcp+"\n") {
					t.Errorf("dry run does not show the TCP address:\n%s", r.stdout)
				}
			} else if strings.Contains(r.stdout, packaging.TCPSocketUnit) {
				t.Errorf("dry run without --tcp mentions %s:\n%s", packaging.TCPSocketUnit, r.stdout)
			}
			for _, want := range []string{"would run: systemctl --user daemon-reload\n", enable} {
				if !strings.Contains(r.stdout, want) {
					t.Errorf("dry run does not print %q:\n%s", want, r.stdout)
				}
			}
			if calls := s.systemctlCalls(); calls != "" {
				t.Errorf("dry run ran systemctl: %q", calls)
			}
			if after := tree(t, s.base); after != before {
				t.Errorf("dry run changed files:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}
}

func TestInstallUninstallWithStandInSystemctl(t *testing.T) {
	s := newInstallSandbox(t, 0)
	const addr = "127.0.0.1:7476"
	r := runPatina(t, s.env, "mother", "install", "--binary", patinaBin, "--tcp", addr)
	if r.code != 0 {
		t.Fatalf("install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	units := s.units(t, addr)
	for _, u := range units {
		p := filepath.Join(s.unitDir, u.Name)
		got, err := os.ReadFile(p)
		if err != nil {
			t.Fatalf("unit not written: %v", err)
		}
		if !bytes.Equal(got, u.Content) {
			t.Errorf("%s differs from the rendered unit", p)
		}
		if fi, _ := os.Stat(p); fi.Mode().Perm() != 0o644 {
			t.Errorf("%s mode %v, want 0644", p, fi.Mode().Perm())
		}
	}
	// The hardened unit cannot create its home (ProtectHome=read-only), so
	// install does, 0700, and the TCP token in it, 0600.
	if fi, err := os.Stat(s.home); err != nil || fi.Mode().Perm() != 0o700 {
		t.Errorf("PATINA_HOME: %v, want a 0700 dir", err)
	}
	readToken(t, filepath.Join(s.home, "mother.token"))
	if strings.Contains(r.stdout+r.stderr, mustRead(t, filepath.Join(s.home, "mother.token"))) {
		t.Error("install printed the token value")
	}
	want := "--user daemon-reload\n--user enable --now patina.socket patina-tcp.socket\n"
	if calls := s.systemctlCalls(); calls != want {
		t.Errorf("systemctl calls:\n%s\nwant:\n%s", calls, want)
	}

	// uninstall --dry-run removes and runs nothing.
	before := tree(t, s.base)
	r = runPatina(t, s.env, "mother", "uninstall", "--dry-run")
	if r.code != 0 || !strings.Contains(r.stdout, "would remove "+filepath.Join(s.unitDir, packaging.ServiceUnit)) ||
		!strings.Contains(r.stdout, "would run: systemctl --user disable --now patina.socket patina-tcp.socket patina.service") {
		t.Errorf("uninstall --dry-run: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if after := tree(t, s.base); after != before {
		t.Errorf("uninstall --dry-run changed files:\nbefore:\n%s\nafter:\n%s", before, after)
	}

	r = runPatina(t, s.env, "mother", "uninstall")
	if r.code != 0 {
		t.Fatalf("uninstall: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, u := range units {
		if _, err := os.Stat(filepath.Join(s.unitDir, u.Name)); !os.IsNotExist(err) {
			t.Errorf("%s still there after uninstall: %v", u.Name, err)
		}
	}
	want += "--user disable --now patina.socket patina-tcp.socket patina.service\n--user daemon-reload\n"
	if calls := s.systemctlCalls(); calls != want {
		t.Errorf("systemctl calls:\n%s\nwant:\n%s", calls, want)
	}
	// The user's data stays.
	if _, err := os.Stat(filepath.Join(s.home, "mother.token")); err != nil {
		t.Errorf("uninstall removed the token: %v", err)
	}
}

func TestInstallWithoutUserManager(t *testing.T) {
	s := newInstallSandbox(t, 1) // systemctl fails, as with no user manager
	r := runPatina(t, s.env, "mother", "install", "--binary", patinaBin)
	if r.code != 1 || !strings.Contains(r.stderr, "systemctl --user daemon-reload") || !strings.Contains(r.stderr, "patina: hint:") {
		t.Fatalf("install with failing systemctl: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func mustRead(t *testing.T, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	must(t, err)
	return strings.TrimSpace(string(b))
}
