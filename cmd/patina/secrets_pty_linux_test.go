package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// testPty is a real pseudo-terminal for the prompts: patina gets the slave
// as its controlling terminal (/dev/tty), the test types into the master
// and reads everything the terminal showed, echo included.
type testPty struct {
	master, slave *os.File
	mu            sync.Mutex
	shown         bytes.Buffer
}

func openTestPty(t *testing.T) *testPty {
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
	s, err := os.OpenFile(fmt.Sprintf("/dev/pts/%d", n), os.O_RDWR|unix.O_NOCTTY, 0)
	if err != nil {
		t.Fatal(err)
	}
	p := &testPty{master: m, slave: s}
	go func() {
		buf := make([]byte, 1024)
		for {
			n, err := m.Read(buf)
			p.mu.Lock()
			p.shown.Write(buf[:n])
			p.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { s.Close(); m.Close() })
	return p
}

func (p *testPty) screen() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.shown.String()
}

var settleMarks atomic.Int64

// settled returns everything the terminal has shown up to now. Output
// patina wrote before it exited can still be on its way to the reader
// goroutine after Wait returns (a fixed sleep is not enough on a loaded
// machine), so this writes a marker through the slave, which the test
// keeps open, and waits for the reader to get past it. The marker is left
// out of the result but stays on the screen.
func (p *testPty) settled(t *testing.T) string {
	t.Helper()
	mark := fmt.Sprintf("<settled-%d>", settleMarks.Add(1))
	if _, err := io.WriteString(p.slave, mark); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		screen := p.screen()
		if i := strings.Index(screen, mark); i >= 0 {
			return screen[:i]
		}
		if time.Now().After(deadline) {
			t.Fatalf("the terminal never showed %q; screen: %q", mark, screen)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// typeWhenSilent waits until prompt has been shown count times in all and
// echo is off, then types line: typing earlier would be echoed by the line
// discipline before patina turned echo off, a race no human wins.
func (p *testPty) typeWhenSilent(t *testing.T, prompt string, count int, line string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for strings.Count(p.screen(), prompt) < count {
		if time.Now().After(deadline) {
			t.Fatalf("prompt %q (#%d) never appeared; screen: %q", prompt, count, p.screen())
		}
		time.Sleep(5 * time.Millisecond)
	}
	for {
		tio, err := unix.IoctlGetTermios(int(p.slave.Fd()), unix.TCGETS)
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
