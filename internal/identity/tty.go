package identity

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// TTY is the Prompter for humans: it prompts and reads on the controlling
// terminal (/dev/tty), never stdin/stdout, so it works while those are
// piped (`patina secrets run -- cmd < in > out`), and it turns echo off.
type TTY struct {
	// Path is the terminal device; "" means /dev/tty. Tests use a pty.
	Path string
}

var _ Prompter = TTY{}

// ReadSecret prints prompt on the terminal and reads one line without echo.
// ctx is checked before prompting; a read in progress cannot be cancelled.
// The line passes through x/term's internal buffer, which we cannot wipe.
// An interrupt while echo is off restores the terminal before the signal
// takes its course, so Ctrl-C never leaves the shell without echo.
func (t TTY) ReadSecret(ctx context.Context, prompt string) ([]byte, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	path := t.Path
	if path == "" {
		path = "/dev/tty"
	}
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, &Error{Where: path, Problem: "cannot open the terminal to ask for a passphrase",
			Fix: "run this from a terminal, or set " + EnvIdentity + " for headless use", Err: ErrNoTerminal}
	}
	defer f.Close()
	fd := int(f.Fd()) // Fd puts the file back in blocking mode, as term needs
	if !term.IsTerminal(fd) {
		return nil, &Error{Where: path, Problem: "is not a terminal", Fix: "run this from a terminal", Err: ErrNoTerminal}
	}
	state, err := term.GetState(fd)
	if err != nil {
		return nil, &Error{Where: path, Problem: "cannot read the terminal state: " + err.Error(), Fix: "run this from a terminal", Err: ErrNoTerminal}
	}
	sigs := make(chan os.Signal, 1)
	done := make(chan struct{})
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	defer func() {
		signal.Stop(sigs)
		close(done)
	}()
	go func() {
		select {
		case sig := <-sigs:
			term.Restore(fd, state)
			fmt.Fprint(f, "\n")
			// Let the signal do what it would have done without us.
			signal.Reset(sig)
			if s, ok := sig.(syscall.Signal); ok {
				syscall.Kill(os.Getpid(), s)
			}
		case <-done:
		}
	}()
	fmt.Fprint(f, prompt)
	line, err := term.ReadPassword(fd)
	fmt.Fprint(f, "\n")
	if err != nil {
		wipe(line)
		return nil, &Error{Where: path, Problem: "cannot read the passphrase: " + err.Error(), Fix: "run this from a terminal", Err: ErrNoTerminal}
	}
	return line, nil
}
