package refrepo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/patina-dev/patina/internal/childenv"
)

// Clone clones src into dir (empty or missing), passing git's own
// messages (progress, prompts) to stderr. A clone that fails or is
// cancelled may leave part of dir behind: the caller removes it.
func Clone(ctx context.Context, src Source, dir string, stderr io.Writer) error {
	if _, err := exec.LookPath("git"); err != nil {
		return errors.New("git not found on PATH: patina repo clones with your git")
	}
	args := []string{"clone", "--no-recurse-submodules"}
	if !isTerminal(stderr) {
		args = append(args, "--quiet") // progress is for a human watching
	}
	if _, err := git(ctx, "", stderr, append(args, "--", src.Arg, dir)...); err != nil {
		return err
	}
	if err := checkTracked(ctx, dir, "HEAD"); err != nil {
		return err
	}
	// The index patina writes into the clone is not the repository's.
	f, err := os.OpenFile(filepath.Join(dir, ".git", "info", "exclude"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	_, err = f.WriteString("/.patina/\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// Update fetches the clone's origin and resets it to the fetched default
// branch (a fast-forward, or a reset when upstream rewrote history: a
// reference has no work of its own). It returns the commits before and
// after.
func Update(ctx context.Context, dir string, stderr io.Writer) (from, to string, err error) {
	if from, err = revParse(ctx, dir, "HEAD"); err != nil {
		return "", "", err
	}
	fetch := []string{"fetch", "--prune", "--no-recurse-submodules"}
	if !isTerminal(stderr) {
		fetch = append(fetch, "--quiet")
	}
	if _, err := git(ctx, dir, stderr, append(fetch, "origin")...); err != nil {
		return "", "", err
	}
	// Ask which branch is the default now; without an answer, keep the
	// one the clone knows.
	_, _ = git(ctx, dir, io.Discard, "remote", "set-head", "origin", "--auto")
	if to, err = revParse(ctx, dir, "refs/remotes/origin/HEAD"); err != nil {
		return "", "", fmt.Errorf("origin has no default branch (refs/remotes/origin/HEAD): %w", err)
	}
	if err := checkTracked(ctx, dir, to); err != nil {
		return "", "", err
	}
	if to != from {
		if _, err := git(ctx, dir, stderr, "reset", "--hard", "--quiet", to); err != nil {
			return "", "", err
		}
	}
	return from, to, nil
}

// Info is what `repo list` shows of a clone.
type Info struct {
	URL    string `json:"url,omitempty"`    // origin, redacted
	Commit string `json:"commit,omitempty"` // HEAD
	Branch string `json:"branch,omitempty"`
}

// Describe reads a clone's origin, commit and branch; what it cannot read
// is left empty.
func Describe(ctx context.Context, dir string) Info {
	var in Info
	if out, err := git(ctx, dir, io.Discard, "remote", "get-url", "origin"); err == nil {
		in.URL = Redact(strings.TrimSpace(out))
	}
	in.Commit, _ = revParse(ctx, dir, "HEAD")
	if out, err := git(ctx, dir, io.Discard, "symbolic-ref", "--quiet", "--short", "HEAD"); err == nil {
		in.Branch = strings.TrimSpace(out)
	}
	return in
}

// checkTracked refuses a commit that tracks .patina/local, where patina
// keeps the clone's index (an update would overwrite it with the
// repository's file), or a .patina that is not a directory.
func checkTracked(ctx context.Context, dir, commit string) error {
	out, err := git(ctx, dir, io.Discard, "ls-tree", "-r", "--name-only", commit, "--", ".patina")
	if err != nil {
		return err
	}
	for _, p := range strings.Split(strings.TrimSpace(out), "\n") {
		if p == ".patina" || p == ".patina/local" || strings.HasPrefix(p, ".patina/local/") {
			return fmt.Errorf("the repository tracks %s, where patina keeps its index: it cannot be a reference", p)
		}
	}
	return nil
}

func revParse(ctx context.Context, dir, rev string) (string, error) {
	out, err := git(ctx, dir, io.Discard, "rev-parse", "--verify", "--quiet", rev+"^{commit}")
	return strings.TrimSpace(out), err
}

// git runs the user's git in dir ("" for the current directory) with
// only the allowed transports, its stderr going to stderr as well as into
// the error. It never sees Patina's credentials; it prompts for the
// user's own only when there is a terminal to answer.
func git(ctx context.Context, dir string, stderr io.Writer, args ...string) (string, error) {
	full := []string{"-c", "core.fsmonitor=false"}
	if dir != "" {
		full = append(full, "-C", dir)
	}
	cmd := exec.CommandContext(ctx, "git", append(full, args...)...)
	// Cancelled, git is asked to stop, so it cleans up its part-made clone
	// and its own children (upload-pack, ssh) as on Ctrl-C; killed if not.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	cmd.Env = append(childenv.Scrubbed(), "GIT_ALLOW_PROTOCOL="+allowedProtocols)
	if !isTerminal(os.Stdin) {
		cmd.Env = append(cmd.Env, "GIT_TERMINAL_PROMPT=0")
	}
	var out bytes.Buffer
	last := &reasonLine{}
	cmd.Stdout, cmd.Stderr = &out, io.MultiWriter(stderr, last)
	if err := cmd.Run(); err != nil {
		if ctx.Err() != nil {
			return "", ctx.Err()
		}
		if msg := last.String(); msg != "" {
			return "", fmt.Errorf("git %s: %s", args[0], msg)
		}
		return "", fmt.Errorf("git %s: %w", args[0], err)
	}
	return out.String(), nil
}

// reasonLine keeps what explains a failed git best: its first "fatal:" or
// "error:" line (the cause; later ones are consequences), else its last
// non-empty line (at most maxLine bytes).
type reasonLine struct {
	cur, last, fatal []byte
}

const maxLine = 512

func (l *reasonLine) Write(p []byte) (int, error) {
	for _, c := range p {
		switch c {
		case '\n', '\r':
			l.end()
		default:
			if len(l.cur) < maxLine {
				l.cur = append(l.cur, c)
			}
		}
	}
	return len(p), nil
}

func (l *reasonLine) end() {
	line := bytes.TrimSpace(l.cur)
	if len(line) > 0 {
		l.last = append(l.last[:0], line...)
		if len(l.fatal) == 0 && (bytes.HasPrefix(line, []byte("fatal:")) || bytes.HasPrefix(line, []byte("error:"))) {
			l.fatal = append(l.fatal[:0], line...)
		}
	}
	l.cur = l.cur[:0]
}

func (l *reasonLine) String() string {
	l.end()
	if len(l.fatal) > 0 {
		return string(l.fatal)
	}
	return string(l.last)
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
