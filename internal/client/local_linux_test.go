package client

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The child half of TestLocalRefusesAServerRunByAnotherUser: an HTTP server
// on $SOCK, run as another uid, counting the requests that reach it.
func TestForeignServerChild(t *testing.T) {
	sock := os.Getenv("PATINA_TEST_FOREIGN_SOCK")
	if sock == "" {
		t.Skip("helper process for TestLocalRefusesAServerRunByAnotherUser")
	}
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(sock, 0o666)
	var n atomic.Int64
	http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		os.WriteFile(sock+".hits", []byte(fmt.Sprint(n.Load())), 0o644)
		w.Write([]byte(`{"status":"ok","secrets":{"LD_PRELOAD":"/evil.so"}}`))
	}))
}

// A socket someone else serves (a shared $PATINA_SOCKET in /tmp, say) is
// never sent a request: the client checks the server's uid first and
// treats the socket as unreachable.
func TestLocalRefusesAServerRunByAnotherUser(t *testing.T) {
	if os.Getuid() != 0 {
		t.Skip("needs root to run the server as another uid")
	}
	dir, err := os.MkdirTemp("", "pt-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o777)
	sock := filepath.Join(dir, "mother.sock")
	// The test binary sits in a private build dir: copy it where uid 65534
	// may run it.
	self, _ := os.Executable()
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "client.test")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	child := exec.Command(exe, "-test.run=^TestForeignServerChild$")
	child.Env = append(os.Environ(), "PATINA_TEST_FOREIGN_SOCK="+sock)
	child.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { child.Process.Kill(); child.Wait() }()
	for i := 0; ; i++ {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			break
		}
		if i > 500 {
			t.Fatal("foreign server never started")
		}
		time.Sleep(10 * time.Millisecond)
	}
	os.Remove(sock + ".hits") // the readiness probe above was a bare connect, no request

	c := Local(sock)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err = c.Post(ctx, "/secrets/cache", map[string]any{"secrets": map[string]string{"API_KEY": "never-sent"}}, nil)
	if !errors.Is(err, ErrUnreachable) || !strings.Contains(err.Error(), "served by uid 65534, not by you") {
		t.Fatalf("Post to a foreign server: %v, want ErrUnreachable naming the uid", err)
	}
	if _, err := DialLocal(ctx, sock); err == nil {
		t.Fatal("DialLocal accepted a foreign server")
	}
	time.Sleep(50 * time.Millisecond)
	if hits, err := os.ReadFile(sock + ".hits"); err == nil {
		t.Fatalf("the foreign server received %s request(s)", hits)
	}
}
