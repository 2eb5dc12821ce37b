package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/client"
)

// shortSocket returns a socket path short enough for sun_path (108 bytes).
func shortSocket(t *testing.T) string {
	dir, err := os.MkdirTemp("", "pt-")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(dir) })
	return filepath.Join(dir, "run", "mother.sock")
}

func TestDialStdioBridgesWithHalfClose(t *testing.T) {
	sock := shortSocket(t)
	startDaemon(t, sock)
	cmd := exec.Command(patinaBin, "mother", "dial-stdio")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PATINA_SOCKET=" + sock}
	// One request, then EOF on stdin: the bridge must half-close and still
	// deliver the whole answer.
	cmd.Stdin = strings.NewReader("GET /health HTTP/1.1\r\nHost: patina\r\n\r\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	done := make(chan error, 1)
	must(t, cmd.Start())
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("dial-stdio: %v\n%s", err, errb.String())
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("dial-stdio hung after stdin EOF")
	}
	if !strings.HasPrefix(out.String(), "HTTP/1.1 200 OK") || !strings.Contains(out.String(), `"status":"ok"`) {
		t.Fatalf("dial-stdio output: %q", out.String())
	}
}

func TestDialStdioWithNoDaemon(t *testing.T) {
	sock := shortSocket(t)
	r := runPatina(t, []string{"PATINA_SOCKET=" + sock}, "mother", "dial-stdio")
	if r.code != 1 || !strings.Contains(r.stderr, "mother is not answering at "+sock) {
		t.Fatalf("exit %d, stderr %q", r.code, r.stderr)
	}
}

// fakeSSH puts an `ssh` on PATH that runs the remote command locally, so
// the ssh:// transport is exercised end to end without a network.
func fakeSSH(t *testing.T, env ...string) string {
	dir := t.TempDir()
	script := "#!/bin/sh\n# stand-in ssh: drop options and the destination, run the command here\n" +
		"while [ $# -gt 0 ]; do case \"$1\" in -T) shift;; --) shift; break;; *) break;; esac; done\n" +
		"echo \"$1\" >> " + filepath.Join(dir, "hosts") + "\nshift\n" +
		strings.Join(env, " ") + " exec \"$@\"\n"
	must(t, os.WriteFile(filepath.Join(dir, "ssh"), []byte(script), 0o755))
	return dir
}

func TestSSHTransportReachesTheRemoteSocket(t *testing.T) {
	sock := shortSocket(t)
	startDaemon(t, sock)
	bin := fakeSSH(t, "PATINA_SOCKET="+sock)
	t.Setenv("PATH", bin+":"+os.Getenv("PATH"))
	t.Setenv("PATINA_REMOTE_BIN", patinaBin)
	c, err := client.Open("ssh://dev@build-box")
	must(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for i := 0; i < 3; i++ { // several requests over the same ssh connection
		h, err := c.Health(ctx)
		if err != nil || h.Status != "ok" || h.Activation != "standalone" {
			t.Fatalf("health over ssh: %+v %v", h, err)
		}
	}
	hosts, _ := os.ReadFile(filepath.Join(bin, "hosts"))
	if strings.TrimSpace(string(hosts)) != "dev@build-box" {
		t.Fatalf("ssh was asked for %q", hosts)
	}
}

func TestMotherURLParsing(t *testing.T) {
	bad := []string{"http://x", "tcp://nohost", "unix://relative", "ssh://-oProxyCommand=evil", "ssh://a b", "nonsense"}
	t.Setenv("PATINA_MOTHER_TOKEN", "x")
	for _, u := range bad {
		if _, err := client.Open(u); err == nil {
			t.Errorf("Open(%q) accepted", u)
		}
	}
}
