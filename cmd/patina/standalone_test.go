package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// daemon is `patina mother serve` running standalone in the background.
type daemon struct {
	cmd    *exec.Cmd
	stderr *lockedBuffer
	sock   string
	exited chan error
}

func startDaemon(t *testing.T, sock string, extra ...string) *daemon {
	t.Helper()
	home := filepath.Join(t.TempDir(), "home")
	cmd := exec.Command(patinaBin, append([]string{"mother", "serve"}, extra...)...)
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + home, "PATINA_HOME=" + home, "PATINA_SOCKET=" + sock}
	d := &daemon{cmd: cmd, stderr: &lockedBuffer{}, sock: sock, exited: make(chan error, 1)}
	cmd.Stderr = d.stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { d.exited <- cmd.Wait() }()
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-d.exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return d
		}
		select {
		case err := <-d.exited:
			t.Fatalf("daemon exited early: %v\n%s", err, d.stderr)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("daemon never answered on %s\n%s", sock, d.stderr)
	return nil
}

func unixGet(t *testing.T, sock, path string) int {
	t.Helper()
	c := &http.Client{Transport: &http.Transport{Dial: func(_, _ string) (net.Conn, error) { return net.Dial("unix", sock) }}, Timeout: 10 * time.Second}
	resp, err := c.Get("http://patina" + path)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// snapshot records a directory tree's names, modes and contents so a test
// can prove a refusal deleted or changed nothing.
func snapshot(t *testing.T, root string) string {
	t.Helper()
	var b strings.Builder
	filepath.Walk(root, func(p string, fi os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		st := fi.Sys().(*syscall.Stat_t)
		fmt.Fprintf(&b, "%s %v uid=%d\n", p, fi.Mode(), st.Uid)
		if fi.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.Write(data)
		}
		return nil
	})
	return b.String()
}

func TestStandaloneRefusals(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("the matrix chowns files to another uid: needs root")
	}
	const other = 65534
	cases := []struct {
		name  string
		setup func(t *testing.T, dir, sock string)
		want  string
	}{
		{"dir group-accessible", func(t *testing.T, dir, sock string) {
			must(t, os.Mkdir(dir, 0o750))
			must(t, os.Chmod(dir, 0o750))
			must(t, os.WriteFile(filepath.Join(dir, "keep"), []byte("x"), 0o600))
		}, "group/world accessible: run chmod 700"},
		{"dir world-accessible", func(t *testing.T, dir, sock string) {
			must(t, os.Mkdir(dir, 0o777))
			must(t, os.Chmod(dir, 0o777))
		}, "group/world accessible"},
		{"dir not ours", func(t *testing.T, dir, sock string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, os.Chown(dir, other, other))
		}, "owned by uid 65534, not by us"},
		{"dir is a symlink", func(t *testing.T, dir, sock string) {
			real := dir + "-real"
			must(t, os.Mkdir(real, 0o700))
			must(t, os.Symlink(real, dir))
		}, "is a symlink"},
		{"socket path is a regular file", func(t *testing.T, dir, sock string) {
			must(t, os.Mkdir(dir, 0o700))
			must(t, os.WriteFile(sock, []byte("precious"), 0o600))
		}, "exists and is not a socket: not touching it"},
		{"socket path is a directory", func(t *testing.T, dir, sock string) {
			must(t, os.MkdirAll(sock, 0o700))
		}, "not a socket"},
		{"someone else's socket", func(t *testing.T, dir, sock string) {
			must(t, os.Mkdir(dir, 0o700))
			l, err := net.Listen("unix", sock)
			must(t, err)
			l.(*net.UnixListener).SetUnlinkOnClose(false)
			l.Close()
			must(t, os.Chown(sock, other, other))
		}, "belongs to uid 65534, not to us"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			base := t.TempDir()
			dir := filepath.Join(base, "run")
			sock := filepath.Join(dir, "mother.sock")
			c.setup(t, dir, sock)
			before := snapshot(t, base)
			r := runPatina(t, []string{"PATINA_SOCKET=" + sock, "PATINA_HOME=" + filepath.Join(base, "home")}, "mother", "serve")
			if r.code != 1 {
				t.Fatalf("exit %d, want 1; stderr: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stderr, "refusing to start") || !strings.Contains(r.stderr, c.want) {
				t.Fatalf("stderr %q does not say %q", r.stderr, c.want)
			}
			if after := snapshot(t, base); after != before {
				t.Fatalf("refusal changed the tree:\nbefore:\n%s\nafter:\n%s", before, after)
			}
		})
	}

	t.Run("live daemon already answers", func(t *testing.T) {
		sock := filepath.Join(t.TempDir(), "run", "mother.sock")
		first := startDaemon(t, sock)
		r := runPatina(t, []string{"PATINA_SOCKET=" + sock}, "mother", "serve")
		if r.code != 1 || !strings.Contains(r.stderr, "a daemon already answers on "+sock) {
			t.Fatalf("second daemon: exit %d, stderr %q", r.code, r.stderr)
		}
		if unixGet(t, first.sock, "/health") != 200 {
			t.Fatal("first daemon stopped answering after the refused start")
		}
	})
}

func TestStandaloneLifecycle(t *testing.T) {
	base := t.TempDir()
	dir := filepath.Join(base, "run") // missing: serve creates it 0700
	sock := filepath.Join(dir, "mother.sock")

	// A stale socket of ours from a crashed daemon is cleared.
	must(t, os.Mkdir(dir, 0o700))
	l, err := net.Listen("unix", sock)
	must(t, err)
	l.(*net.UnixListener).SetUnlinkOnClose(false)
	l.Close()
	must(t, os.Remove(dir+"/mother.sock"))
	must(t, os.Remove(dir))

	d := startDaemon(t, sock)
	fi, err := os.Stat(dir)
	must(t, err)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("runtime dir mode %v, want 0700", fi.Mode().Perm())
	}
	si, err := os.Stat(sock)
	must(t, err)
	if si.Mode().Perm() != 0o600 || si.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket mode %v, want 0600 socket", si.Mode())
	}
	if !strings.Contains(d.stderr.String(), "curl --unix-socket "+sock+" http://patina/health") {
		t.Errorf("serve did not print the curl line: %s", d.stderr)
	}
	if unixGet(t, sock, "/health") != 200 {
		t.Fatal("/health not 200")
	}
	// Core dumps are off for the daemon.
	limits, err := os.ReadFile("/proc/" + strconv.Itoa(d.cmd.Process.Pid) + "/limits")
	if err == nil && !strings.Contains(string(limits), "Max core file size        0") {
		t.Errorf("core dumps not disabled:\n%s", limits)
	}
	d.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-d.exited:
		if err != nil {
			t.Fatalf("SIGTERM exit: %v\n%s", err, d.stderr)
		}
		d.exited <- nil
	case <-time.After(10 * time.Second):
		t.Fatal("daemon did not exit on SIGTERM")
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Fatalf("socket still there after clean exit: %v", err)
	}

	// And a stale socket left by a killed daemon is replaced on restart.
	d2 := startDaemon(t, sock)
	d2.cmd.Process.Kill()
	<-d2.exited
	d2.exited <- nil
	if _, err := os.Lstat(sock); err != nil {
		t.Fatalf("expected a stale socket after kill -9: %v", err)
	}
	d3 := startDaemon(t, sock)
	if unixGet(t, d3.sock, "/health") != 200 {
		t.Fatal("restart over a stale socket does not serve")
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
