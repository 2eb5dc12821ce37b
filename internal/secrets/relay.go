package secrets

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	"github.com/patina-dev/patina/internal/mask"
)

// Masking. The agent that runs `secrets run -- env` reads what the command
// prints, so by default the child's stdout and stderr reach ours through a
// relay that replaces every value (and its common encodings, mask.Forms) by
// mask.Placeholder. A stream that is a terminal is passed to the child as
// it is: a human is reading it, not an agent (whose tools have no
// terminal), and full-screen programs need the terminal itself. The child
// still gets stdin, its process group and every signal as before; only the
// two outputs become pipes.

// relayBuf is one read from the child: a pipe holds 64 KiB on Linux.
const relayBuf = 64 << 10

// relay copies what the child writes to one pipe to dst, masked.
type relay struct {
	w    *os.File // the child's end; ours is closed once the child is done
	done chan struct{}
}

func startRelay(dst *os.File, patterns [][]byte) (*relay, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	rl := &relay{w: w, done: make(chan struct{})}
	mw := mask.NewWriter(dst, patterns)
	go func() {
		defer close(rl.done)
		buf := make([]byte, relayBuf)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				if _, werr := mw.Write(buf[:n]); werr != nil {
					// Whoever read our output is gone. Closing the pipe
					// gives the child the EPIPE (or SIGPIPE) it would have
					// had writing there itself.
					break
				}
			}
			if err != nil {
				break // EOF: every writer, the child's children too, is done
			}
		}
		r.Close()
		mw.Close()
		clear(buf)
	}()
	return rl, nil
}

// relays are the running relays of one command.
type relays struct {
	list     []*relay
	sigpipe  chan os.Signal
	unmasked []string // variables too short to mask
}

// relayOutputs replaces c.Stdout and c.Stderr by relays to them, for each
// that is not a terminal, when c.Mask is set. Stdout and stderr that are
// the same file (`2>&1`) share one relay, so their order is kept.
func relayOutputs(c *Command) (*relays, error) {
	rs := &relays{}
	if !c.Mask {
		return rs, nil
	}
	toStdout, toStderr := !isTerminal(c.Stdout), !isTerminal(c.Stderr)
	if !toStdout && !toStderr {
		return rs, nil
	}
	var patterns [][]byte
	for _, name := range c.Env.Names() {
		forms := mask.Forms(c.Env[name])
		if forms == nil {
			rs.unmasked = append(rs.unmasked, name)
		}
		patterns = append(patterns, forms...)
	}
	defer func() {
		for _, p := range patterns {
			clear(p) // the relays keep their own copies
		}
	}()
	// A reader that goes away must not kill us by SIGPIPE (the Go runtime
	// does that for fds 1 and 2): the relay closes its pipe instead, and
	// we still wait for the child and report its status.
	rs.sigpipe = make(chan os.Signal, 1)
	signal.Notify(rs.sigpipe, syscall.SIGPIPE)
	if toStdout {
		rl, err := startRelay(c.Stdout, patterns)
		if err != nil {
			rs.finish()
			return nil, err
		}
		rs.list = append(rs.list, rl)
		if toStderr && sameFile(c.Stdout, c.Stderr) {
			c.Stdout, c.Stderr = rl.w, rl.w
			return rs, nil
		}
		c.Stdout = rl.w
	}
	if toStderr {
		rl, err := startRelay(c.Stderr, patterns)
		if err != nil {
			rs.finish()
			return nil, err
		}
		rs.list = append(rs.list, rl)
		c.Stderr = rl.w
	}
	return rs, nil
}

// finish closes our ends of the pipes, once the child has exited (or never
// started), and waits until every relay has written all there was: a
// process the child left behind that still holds its output keeps us
// waiting, as it would a shell pipeline.
func (rs *relays) finish() {
	for _, rl := range rs.list {
		rl.w.Close()
	}
	for _, rl := range rs.list {
		<-rl.done
	}
	if rs.sigpipe != nil {
		signal.Stop(rs.sigpipe)
	}
}

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }

func sameFile(a, b *os.File) bool {
	if a == b {
		return true
	}
	ai, err1 := a.Stat()
	bi, err2 := b.Stat()
	return err1 == nil && err2 == nil && os.SameFile(ai, bi)
}
