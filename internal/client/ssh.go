package client

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"time"

	"github.com/patina-dev/patina/internal/childenv"
	"github.com/patina-dev/patina/internal/sshdest"
)

// SSH returns a client that reaches the daemon on host through
// `ssh HOST patina mother dial-stdio`, the way `docker -H ssh://` works:
// SSH authenticates both ends and nothing listens on the network. Each
// HTTP connection is one ssh process. PATINA_REMOTE_BIN names the remote
// binary when it is not `patina` on the remote PATH. dest must pass
// sshdest.Valid: ssh pastes it into the user's ProxyCommand and the like.
func SSH(dest string) (*Client, error) {
	if err := sshdest.Valid(dest); err != nil {
		return nil, fmt.Errorf("ssh destination %q: %w", dest, err)
	}
	remote := os.Getenv("PATINA_REMOTE_BIN")
	if remote == "" {
		remote = "patina"
	}
	tr := &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return dialSSH(dest, remote)
		},
		MaxIdleConns:    1,
		IdleConnTimeout: 30 * time.Second,
	}
	return &Client{hc: &http.Client{Transport: tr}, base: "http://" + fakeHost, Target: "ssh://" + dest}, nil
}

func dialSSH(dest, remote string) (net.Conn, error) {
	cmd := exec.Command("ssh", "-T", "--", dest, remote, "mother", "dial-stdio")
	// ssh, and whatever its config runs (ProxyCommand, LocalCommand),
	// gets no Patina credentials: it needs neither the identity nor the
	// token.
	cmd.Env = childenv.Scrubbed()
	cmd.Stderr = os.Stderr // ssh's own prompts and errors belong to the user
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start ssh: %w", err)
	}
	return &cmdConn{cmd: cmd, in: in, out: out}, nil
}

// cmdConn is a net.Conn over a child process's stdin and stdout.
type cmdConn struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out io.ReadCloser
}

func (c *cmdConn) Read(p []byte) (int, error)  { return c.out.Read(p) }
func (c *cmdConn) Write(p []byte) (int, error) { return c.in.Write(p) }
func (c *cmdConn) CloseWrite() error           { return c.in.Close() }

func (c *cmdConn) Close() error {
	c.in.Close()
	c.out.Close()
	done := make(chan error, 1)
	go func() { done <- c.cmd.Wait() }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		c.cmd.Process.Kill()
		<-done
	}
	return nil
}

func (c *cmdConn) LocalAddr() net.Addr              { return sshAddr("local") }
func (c *cmdConn) RemoteAddr() net.Addr             { return sshAddr(strings.Join(c.cmd.Args, " ")) }
func (c *cmdConn) SetDeadline(time.Time) error      { return errNoDeadline }
func (c *cmdConn) SetReadDeadline(time.Time) error  { return errNoDeadline }
func (c *cmdConn) SetWriteDeadline(time.Time) error { return errNoDeadline }

var errNoDeadline = errors.New("deadlines are not supported over ssh")

type sshAddr string

func (a sshAddr) Network() string { return "ssh" }
func (a sshAddr) String() string  { return string(a) }
