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

// nobody is uid (and gid) 65534, who the tests run clients and servers as.
const nobody = 65534

// asNobody returns a command running the test binary's test named run as
// nobody, with env added. It needs root. The binary sits in a private
// build dir, so it is copied into a directory nobody may read, which
// the test removes.
func asNobody(t *testing.T, run string, env ...string) *exec.Cmd {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("needs root to run a process as another uid")
	}
	dir, err := os.MkdirTemp("", "pt-bin-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	os.Chmod(dir, 0o755)
	self, _ := os.Executable()
	bin, err := os.ReadFile(self)
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "client.test")
	if err := os.WriteFile(exe, bin, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^"+run+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: nobody, Gid: nobody}}
	return cmd
}

// socketDir is a short directory (sun_path is 108 bytes) with mode perm,
// for a socket the test makes.
func socketDir(t *testing.T, perm os.FileMode) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "pt-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, perm); err != nil {
		t.Fatal(err)
	}
	return dir
}

// A socket someone else serves (a shared $PATINA_SOCKET in /tmp, say) is
// never sent a request: the client checks the server's uid first, treats
// the socket as unreachable, and says whose it is.
func TestLocalRefusesAServerRunByAnotherUser(t *testing.T) {
	dir := socketDir(t, 0o777)
	sock := filepath.Join(dir, "mother.sock")
	child := asNobody(t, "TestForeignServerChild", "PATINA_TEST_FOREIGN_SOCK="+sock)
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
	err := c.Post(ctx, "/secrets/cache", map[string]any{"secrets": map[string]string{"API_KEY": "never-sent"}}, nil)
	want := "mother at " + sock + " is run by " + who(nobody) + ", not by you (root, uid 0): refusing to talk to it"
	var fe *ForeignError
	if !errors.Is(err, ErrUnreachable) || !errors.As(err, &fe) || fe.UID != nobody || err.Error() != want {
		t.Fatalf("Post to a foreign server: %v\nwant ErrUnreachable saying %q", err, want)
	}
	if _, err := DialLocal(ctx, sock); !errors.As(err, &fe) {
		t.Fatalf("DialLocal to a foreign server: %v, want a *ForeignError", err)
	}
	if r := Refusal(ctx, sock); r == nil || r.Error() != want {
		t.Fatalf("Refusal: %v, want %q", r, want)
	}
	time.Sleep(50 * time.Millisecond)
	if hits, err := os.ReadFile(sock + ".hits"); err == nil {
		t.Fatalf("the foreign server received %s request(s)", hits)
	}
}

// The child half of the tests below: a client run as nobody asks the
// socket at $PATINA_TEST_DIAL_SOCK for /health and says how it failed.
func TestDialAsNobodyChild(t *testing.T) {
	sock := os.Getenv("PATINA_TEST_DIAL_SOCK")
	if sock == "" {
		t.Skip("helper process for the tests that dial as another user")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := Local(sock).Get(ctx, "/health", nil)
	var fe *ForeignError
	var api *APIError
	fmt.Printf("error: %v\nforeign: %v\nunreachable: %v\napi: %v\n", err, errors.As(err, &fe), errors.Is(err, ErrUnreachable), errors.As(err, &api))
}

// nobodyAsYou is how a client run as nobody names itself.
func nobodyAsYou() string {
	if n := userName(nobody); n != "" {
		return "you (" + n + ", uid 65534)"
	}
	return "you (uid 65534)"
}

// dialAsNobody runs TestDialAsNobodyChild against sock and returns what
// it printed.
func dialAsNobody(t *testing.T, sock string) string {
	t.Helper()
	out, err := asNobody(t, "TestDialAsNobodyChild", "PATINA_TEST_DIAL_SOCK="+sock).CombinedOutput()
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	return string(out)
}

// Another user's socket the kernel will not let us connect to (the socket
// itself, or the directory it is in): the error says whose it is, and the
// daemon still counts as unreachable.
func TestLocalNamesTheOwnerOfADeniedSocket(t *testing.T) {
	for _, c := range []struct {
		name   string
		dir    os.FileMode // the socket is root's 0755: nobody may not write to it
		denied func(sock string) string
	}{
		{"socket", 0o755, func(sock string) string { return "the socket belongs to root (uid 0)" }},
		{"directory", 0o700, func(sock string) string { return filepath.Dir(sock) + " belongs to root (uid 0)" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			sock := filepath.Join(socketDir(t, c.dir), "mother.sock")
			l, err := net.Listen("unix", sock)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			os.Chmod(sock, 0o755)
			want := "error: mother at " + sock + ": " + c.denied(sock) + ", not to " + nobodyAsYou() + ": connect: permission denied\nforeign: true\nunreachable: true\napi: false\n"
			if got := dialAsNobody(t, sock); !strings.HasPrefix(got, want) {
				t.Fatalf("child printed\n%s\nwant\n%s", got, want)
			}
		})
	}
}

// A daemon run by root lets nobody connect (its socket is 0666) but
// answers, as ours does to any uid but its own, 403: the error says who
// runs it and why it refused, and is not "unreachable" (it answered).
func TestLocalNamesTheDaemonThatRefusedUs(t *testing.T) {
	sock := filepath.Join(socketDir(t, 0o755), "mother.sock")
	l, err := net.Listen("unix", sock)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	os.Chmod(sock, 0o666)
	go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`{"error":"peer uid is not the daemon's user"}` + "\n"))
	}))
	want := "error: mother at " + sock + " is run by root (uid 0), not by " + nobodyAsYou() + ", and refused you: peer uid is not the daemon's user (HTTP 403)\nforeign: true\nunreachable: false\napi: true\n"
	if got := dialAsNobody(t, sock); !strings.HasPrefix(got, want) {
		t.Fatalf("child printed\n%s\nwant\n%s", got, want)
	}
}
