package identity

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// pty is a real pseudo-terminal: the test types into master and reads what
// the terminal shows; the code under test opens the slave.
type pty struct {
	master *os.File
	slave  string
	mu     sync.Mutex
	shown  bytes.Buffer // everything written to the terminal, echo included
	ended  bool         // the reader stopped: every open of the slave is closed
}

func openPty(t *testing.T) *pty {
	t.Helper()
	m, err := os.OpenFile("/dev/ptmx", os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	fd := int(m.Fd())
	if err := unix.IoctlSetPointerInt(fd, unix.TIOCSPTLCK, 0); err != nil {
		t.Fatal(err)
	}
	n, err := unix.IoctlGetUint32(fd, unix.TIOCGPTN)
	if err != nil {
		t.Fatal(err)
	}
	p := &pty{master: m, slave: fmt.Sprintf("/dev/pts/%d", n)}
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := m.Read(buf)
			p.mu.Lock()
			p.shown.Write(buf[:n])
			if err != nil {
				p.ended = true // the kernel hands over all output before EIO
			}
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { m.Close() })
	return p
}

func (p *pty) screen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.shown.String()
}

var (
	settleMarks  atomic.Int64
	settleMarkRE = regexp.MustCompile(`<settled-\d+>`)
)

// settled returns everything the terminal has shown up to now. Output a
// program wrote before it exited can still be on its way to the reader
// goroutine (a fixed sleep is not enough on a loaded machine), so this
// writes a marker to the terminal and waits for the reader to get past it,
// or to stop (once the last program closed the terminal the reader gets
// everything, then EIO); markers are left out of the result.
func (p *pty) settled(t *testing.T) string {
	t.Helper()
	ended := func() (string, bool) {
		p.mu.Lock()
		defer p.mu.Unlock()
		return p.shown.String(), p.ended
	}
	if screen, ok := ended(); ok {
		return settleMarkRE.ReplaceAllString(screen, "")
	}
	s, err := os.OpenFile(p.slave, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mark := fmt.Sprintf("<settled-%d>", settleMarks.Add(1))
	if _, err := io.WriteString(s, mark); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		screen, ok := ended()
		if i := strings.Index(screen, mark); i >= 0 {
			return settleMarkRE.ReplaceAllString(screen[:i], "")
		}
		if ok {
			return settleMarkRE.ReplaceAllString(screen, "")
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; screen: %q", mark, screen)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// typeWhenSilent waits for prompt on the screen and for echo to be off on
// the terminal, then types line: typing earlier would be echoed by the
// line discipline before the program turned echo off, a race no human wins.
func (p *pty) typeWhenSilent(t *testing.T, prompt, line string) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !strings.Contains(p.screen(), prompt) {
		if time.Now().After(deadline) {
			t.Fatalf("prompt %q never appeared; screen: %q", prompt, p.screen())
		}
		time.Sleep(5 * time.Millisecond)
	}
	s, err := os.OpenFile(p.slave, os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for {
		tio, err := unix.IoctlGetTermios(int(s.Fd()), unix.TCGETS)
		if err != nil {
			t.Fatal(err)
		}
		if tio.Lflag&unix.ECHO == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("echo never went off")
		}
		time.Sleep(5 * time.Millisecond)
	}
	io.WriteString(p.master, line+"\n")
}

func TestTTYPromptHasNoEcho(t *testing.T) {
	p := openPty(t)
	pass := secret("tty-passphrase-Zq9")
	type result struct {
		b   []byte
		err error
	}
	done := make(chan result, 1)
	go func() {
		b, err := TTY{Path: p.slave}.ReadSecret(ctx, "Passphrase: ")
		done <- result{b, err}
	}()
	p.typeWhenSilent(t, "Passphrase: ", pass)
	r := <-done
	if r.err != nil || string(r.b) != pass {
		t.Fatalf("ReadSecret: %q %v", r.b, r.err)
	}
	if screen := p.settled(t); strings.Contains(screen, pass) {
		t.Fatalf("the passphrase was echoed: %q", screen)
	}
	// Echo is back on afterwards.
	s, _ := os.OpenFile(p.slave, os.O_RDWR|unix.O_NOCTTY, 0)
	defer s.Close()
	tio, _ := unix.IoctlGetTermios(int(s.Fd()), unix.TCGETS)
	if tio.Lflag&unix.ECHO == 0 {
		t.Fatal("echo left off")
	}
}

func TestTTYNotATerminal(t *testing.T) {
	_, err := TTY{Path: os.DevNull}.ReadSecret(ctx, "x: ")
	if err == nil {
		t.Fatal("/dev/null accepted as a terminal")
	}
	_, err = TTY{Path: "/nonexistent/tty"}.ReadSecret(ctx, "x: ")
	if err == nil || !strings.Contains(err.Error(), EnvIdentity) {
		t.Fatalf("missing terminal: %v", err)
	}
}
