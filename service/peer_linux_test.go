package service

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestPeerWithAnotherUIDIsRefused opens the socket to everyone (0666 in a
// traversable dir) so that only the peer-credential check stands between
// another user and the daemon, then connects as that user.
func TestPeerWithAnotherUIDIsRefused(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run a client as another uid")
	}
	curl, err := exec.LookPath("curl")
	if err != nil {
		t.Skip("curl not installed")
	}
	ts := startTestServer(t, Config{}, false)
	for d := filepath.Dir(ts.sock); d != "/" && d != os.TempDir(); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o711); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chmod(ts.sock, 0o666); err != nil {
		t.Fatal(err)
	}
	run := func(uid uint32) (string, string) {
		cmd := exec.Command(curl, "-s", "-w", "\n%{http_code}", "--unix-socket", ts.sock, "http://patina/health")
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uid, Gid: uid}}
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("curl as uid %d: %v", uid, err)
		}
		s := strings.TrimSpace(string(out))
		i := strings.LastIndex(s, "\n")
		return s[i+1:], strings.TrimSpace(s[:max(i, 0)])
	}
	const nobody = 65534
	code, body := run(nobody)
	if code != "403" || !strings.Contains(body, `"error"`) {
		t.Fatalf("another uid got %q %q, want 403 JSON", code, body)
	}
	if code, _ := run(0); code != "200" {
		t.Fatalf("root got %s, want 200", code)
	}
	if !strings.Contains(ts.logs.String(), "uid=65534") {
		t.Error("refused peer's uid not in the request log")
	}
}
