package secrets

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"

	"github.com/patina-dev/patina/internal/childenv"
	"github.com/patina-dev/patina/internal/shellquote"
	"github.com/patina-dev/patina/internal/sshdest"
	"github.com/patina-dev/patina/internal/vault"
)

// Command is a command to run with secrets in its environment.
type Command struct {
	Argv []string
	// Env holds the secrets; Run wipes it once the child has them.
	Env vault.Env
	// SSHHost, if set, runs Argv on that host: the script
	// `export VAR='…'; exec CMD` goes to `ssh -- HOST bash -s` on its
	// stdin, followed by our own stdin, so no value reaches any process's
	// argv. It must pass sshdest.Valid.
	SSHHost string
	// Stdin, Stdout and Stderr are handed to the child as they are (the
	// terminal stays the child's), but for masking; nil means ours.
	Stdin, Stdout, Stderr *os.File
	// Mask relays Stdout and Stderr, each that is not a terminal, with
	// every value replaced by mask.Placeholder (see relay.go); with --ssh,
	// the remote command's output, as ssh hands it back.
	Mask bool
	// Unmasked, if set and masking is on, is told before the child starts
	// of the variables whose values are too short to mask (mask.MinLen).
	Unmasked func(names []string)
}

// Signals forwarded to the child while it runs.
var forwarded = []os.Signal{
	syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP, syscall.SIGQUIT,
	syscall.SIGUSR1, syscall.SIGUSR2, syscall.SIGWINCH,
}

// Exit statuses when the command cannot be started, as shells use them.
const (
	ExitNotFound      = 127
	ExitCannotExecute = 126
)

// StartError is a command that could not be started; Code is the exit
// status a shell would give (127 not found, 126 not executable).
type StartError struct {
	Code int
	Err  error
}

func (e *StartError) Error() string { return e.Err.Error() }
func (e *StartError) Unwrap() error { return e.Err }

// Run starts c with the secrets added to our environment, forwards signals
// to it, waits, and returns its exit status, 128+N for death by signal N,
// once all of its output has been relayed.
// $PATINA_IDENTITY and $PATINA_MOTHER_TOKEN are not passed on (to the
// command, or to ssh): the child asked for secrets, not for the key to
// every vault or to the daemon.
func Run(c Command) (int, error) {
	defer c.Env.Wipe()
	if len(c.Argv) == 0 {
		return 0, errors.New("no command to run")
	}
	if c.Stdin == nil {
		c.Stdin = os.Stdin
	}
	if c.Stdout == nil {
		c.Stdout = os.Stdout
	}
	if c.Stderr == nil {
		c.Stderr = os.Stderr
	}
	rs, err := relayOutputs(&c)
	if err != nil {
		return 0, err
	}
	// The child has exited (or never started) when run returns: the
	// relays then write out the rest of its output before we go.
	defer rs.finish()
	if len(rs.unmasked) > 0 && c.Unmasked != nil {
		c.Unmasked(rs.unmasked)
	}
	if c.SSHHost != "" {
		return runSSH(c)
	}
	return runLocal(c)
}

func runLocal(c Command) (int, error) {
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	if cmd.Err != nil {
		return 0, startErr(commandArg, cmd.Err)
	}
	env, wipeEnv := childEnv(c.Env)
	defer wipeEnv()
	cmd.Env = env
	cmd.Stdin, cmd.Stdout, cmd.Stderr = c.Stdin, c.Stdout, c.Stderr
	return startAndWait(cmd, commandArg, func() {
		// The kernel copied the environment into the child at exec: our
		// copies can go now, while the child runs.
		wipeEnv()
		c.Env.Wipe()
	})
}

func runSSH(c Command) (int, error) {
	host := c.SSHHost
	if err := sshdest.Valid(host); err != nil {
		return 0, &Error{Problem: "--ssh: " + err.Error(), Fix: "give HOST or USER@HOST, as you would to ssh"}
	}
	script, err := shellquote.Script(pairs(c.Env), c.Argv)
	if err != nil {
		return 0, &Error{Problem: "cannot write the remote script: " + err.Error(), Fix: "check the command and the variable names"}
	}
	// The script is ours to wipe until the goroutine feeding ssh owns it.
	handed := false
	defer func() {
		if !handed {
			clear(script)
		}
	}()
	c.Env.Wipe() // the script holds the values now
	// "--": whatever host is, ssh reads no option from it or after it.
	cmd := exec.Command("ssh", "--", host, "bash", "-s")
	if cmd.Err != nil {
		return 0, startErr("ssh", cmd.Err)
	}
	cmd.Env = baseEnv(nil)
	pr, pw, err := os.Pipe()
	if err != nil {
		return 0, err
	}
	defer pr.Close()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = pr, c.Stdout, c.Stderr
	code, err := startAndWait(cmd, "ssh", func() {
		pr.Close()
		handed = true
		go func() {
			_, werr := pw.Write(script)
			clear(script)
			if werr == nil {
				// What follows the script on bash's stdin is the command's.
				io.Copy(pw, c.Stdin)
			}
			pw.Close()
		}()
	})
	if !handed {
		pw.Close()
	}
	// When ssh exits before reading the whole script the write fails
	// (EPIPE) and the goroutine wipes it; one still copying our stdin is
	// left to the process exit.
	return code, err
}

// startAndWait starts cmd with signals forwarded, calls started, and waits.
// what names cmd in a start error.
func startAndWait(cmd *exec.Cmd, what string, started func()) (int, error) {
	sigs := make(chan os.Signal, 16)
	// Catch the signals before the child exists, so one arriving during
	// start-up is forwarded rather than killing us and orphaning it.
	signal.Notify(sigs, forwarded...)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return 0, startErr(what, err)
	}
	started()
	stop := make(chan struct{})
	defer close(stop)
	go func() {
		for {
			select {
			case s := <-sigs:
				if !terminalDelivered(s) {
					cmd.Process.Signal(s)
				}
			case <-stop:
				return
			}
		}
	}()
	err := cmd.Wait()
	st := cmd.ProcessState
	if st == nil {
		return 0, err
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return 128 + int(ws.Signal()), nil
	}
	return st.ExitCode(), nil
}

// terminalDelivered reports whether the kernel has already delivered s to
// the child: keyboard signals (Ctrl-C, Ctrl-\) and window resizes go to the
// terminal's whole foreground process group, which the child shares with
// us when we are in the foreground. Forwarding those again would deliver
// them twice, and some programs take a second Ctrl-C as "abort now"
// (terraform, for one). Signals sent to us alone (kill PID, an agent's
// timeout) are always forwarded.
func terminalDelivered(s os.Signal) bool {
	switch s {
	case syscall.SIGINT, syscall.SIGQUIT, syscall.SIGWINCH:
	default:
		return false
	}
	tty, err := os.OpenFile("/dev/tty", os.O_RDONLY|unix.O_NOCTTY, 0)
	if err != nil {
		return false // no controlling terminal: nobody else sent it
	}
	defer tty.Close()
	fg, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	return err == nil && fg == unix.Getpgrp()
}

// commandArg names the command in a start error by its place on the
// command line, not by what was typed there: a value pasted in its place
// would be printed.
const commandArg = "argument 1 (CMD)"

func startErr(what string, err error) error {
	code := ExitCannotExecute
	if errors.Is(err, exec.ErrNotFound) || errors.Is(err, fs.ErrNotExist) {
		code = ExitNotFound
	}
	var ee *exec.Error
	if errors.As(err, &ee) {
		err = ee.Err
	}
	var pe *fs.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	return &StartError{Code: code, Err: fmt.Errorf("%s: %v", what, err)}
}

// baseEnv is our environment without Patina's credentials
// ($PATINA_IDENTITY, $PATINA_MOTHER_TOKEN: see childenv) and without the
// variables the secrets replace.
func baseEnv(replace vault.Env) []string {
	var out []string
	for _, kv := range childenv.Scrubbed() {
		name, _, _ := strings.Cut(kv, "=")
		if _, ok := replace[name]; ok {
			continue
		}
		out = append(out, kv)
	}
	return out
}

// childEnv is the child's environment: ours plus the secrets. The
// NAME=value strings are built in buffers we own, so wipe can zero them
// once the child has started. (They alias those buffers through
// unsafe.String; nothing reads them after exec has copied them into the
// child, and the runtime's own C-string copies made for execve are beyond
// reach.)
func childEnv(secrets vault.Env) (env []string, wipe func()) {
	env = baseEnv(secrets)
	bufs := make([][]byte, 0, len(secrets))
	for _, name := range secrets.Names() {
		v := secrets[name]
		b := make([]byte, 0, len(name)+1+len(v))
		b = append(append(append(b, name...), '='), v...)
		bufs = append(bufs, b)
		env = append(env, unsafe.String(unsafe.SliceData(b), len(b)))
	}
	return env, func() {
		for _, b := range bufs {
			clear(b)
		}
	}
}

// pairs views the environment as shellquote.Script takes it without
// copying the values: the strings alias env's own slices, which Run wipes.
func pairs(env vault.Env) [][2]string {
	out := make([][2]string, 0, len(env))
	for _, name := range env.Names() {
		v := env[name]
		out = append(out, [2]string{name, unsafe.String(unsafe.SliceData(v), len(v))})
	}
	return out
}
