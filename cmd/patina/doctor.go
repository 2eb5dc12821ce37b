package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/patina-dev/patina/internal/buildinfo"
	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/shellquote"
)

// Check outcomes.
const (
	checkOK   = "ok"
	checkWarn = "warn" // works, but worth fixing
	checkFail = "fail" // broken: doctor exits 1
	checkSkip = "skip" // could not be checked here; detail says why
)

// check is one line of `patina doctor`.
type check struct {
	Name   string `json:"name"`
	Status string `json:"status"`
	Detail string `json:"detail"`
	Fix    string `json:"fix,omitempty"`
}

func doctorVerb() *verb {
	v := &verb{name: "doctor", summary: "check the daemon, the models, every project's index and the vault files; say how to fix each problem"}
	v.run = func(args []string) error {
		fs := flags("doctor")
		asJSON := fs.BoolP("json", "j", false, "print the checks as JSON")
		if err := parse(fs, "doctor [--json]", v.summary+`.

Checks, changing nothing: the runtime directory (ours, 0700) and the
socket (ours, answering, same version), the init system's units
(systemd --user or launchd), every model's and the ONNX Runtime's
pinned SHA-256, every registered project's index (there, a file, PRAGMA
quick_check, schema version), and the vault files of Patina's home and of
the registered projects (modes, the registry and recipients parsed, each
age file's header read; nothing is decrypted, no value is printed),
including temporary files an interrupted write left behind.

Each check is ok, warn (works, but worth fixing), fail or skip (could not
be checked here, and why); each problem comes with the command that fixes
it. With --json: {"checks": [{"name", "status", "detail", "fix"}…]}.

Exit status: 0 no check failed (warnings allowed); 1 a check failed; 2 usage.`, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("doctor takes no arguments")
		}
		checks := runChecks(context.Background())
		if *asJSON {
			b, err := json.MarshalIndent(struct {
				Checks []check `json:"checks"`
			}{checks}, "", "  ")
			if err != nil {
				return err
			}
			os.Stdout.Write(append(b, '\n'))
		} else {
			printChecks(os.Stdout, checks)
		}
		for _, c := range checks {
			if c.Status == checkFail {
				return exitError{1}
			}
		}
		return nil
	}
	return v
}

// runChecks runs every check in a fixed order.
func runChecks(ctx context.Context) []check {
	var cs []check
	cs = append(cs, homeCheck())
	cs = append(cs, daemonChecks(ctx)...)
	cs = append(cs, unitCheck())
	cs = append(cs, modelChecks()...)
	ps, pcs := projectChecks(ctx)
	cs = append(cs, pcs...)
	cs = append(cs, vaultChecks(ps)...)
	return cs
}

func printChecks(w io.Writer, cs []check) {
	counts := map[string]int{}
	for _, c := range cs {
		counts[c.Status]++
		fmt.Fprintf(w, "%-4s  %s: %s\n", c.Status, printable(c.Name), printable(c.Detail))
		if c.Fix != "" {
			fmt.Fprintf(w, "      fix: %s\n", printable(c.Fix))
		}
	}
	fmt.Fprintf(w, "\n%d ok, %d warnings, %d failed, %d skipped\n", counts[checkOK], counts[checkWarn], counts[checkFail], counts[checkSkip])
}

// shellWord is s as it would be typed: bare when that is safe.
func shellWord(s string) string {
	if plainWord().MatchString(s) {
		return s
	}
	return shellquote.Quote(s)
}

// Compiled on first use: package init runs in every command.
var plainWord = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^[A-Za-z0-9_./@%+=:,-]+$`) })

// ownerOf is the uid owning fi (-1 when the platform cannot say).
func ownerOf(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}

// privateCheck checks that path, when it exists, is a directory (or a
// file) of ours, not a symlink, with no permission bits beyond perm.
func privateCheck(name, path string, dir bool, perm fs.FileMode) check {
	c := check{Name: name, Status: checkOK}
	fi, err := os.Lstat(path)
	kind := "file"
	if dir {
		kind = "directory"
	}
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Status, c.Detail = checkSkip, path+" does not exist yet"
	case err != nil:
		c.Status, c.Detail, c.Fix = checkFail, err.Error(), "check the permissions of its parent directory"
	case fi.Mode()&fs.ModeSymlink != 0:
		c.Status, c.Detail, c.Fix = checkFail, path+" is a symlink", "replace it with a real "+kind+" (mv it aside)"
	case fi.IsDir() != dir:
		c.Status, c.Detail, c.Fix = checkFail, path+" is not a "+kind, "move it aside (mv "+shellWord(path)+" "+shellWord(path+".old")+")"
	case ownerOf(fi) != -1 && ownerOf(fi) != os.Getuid():
		c.Status, c.Detail = checkFail, fmt.Sprintf("%s belongs to uid %d, not to you (uid %d)", path, ownerOf(fi), os.Getuid())
		c.Fix = "move it aside; patina makes its own"
	case fi.Mode().Perm()&^perm != 0:
		c.Status, c.Detail = checkWarn, fmt.Sprintf("%s has mode %#o: others can reach it", path, fi.Mode().Perm())
		c.Fix = fmt.Sprintf("chmod %o %s", perm, shellWord(path))
	default:
		c.Detail = fmt.Sprintf("%s: yours, mode %#o", path, fi.Mode().Perm())
	}
	return c
}

func homeCheck() check {
	home, err := paths.Home()
	if err != nil {
		return check{Name: "home", Status: checkFail, Detail: err.Error(), Fix: "set $HOME or $PATINA_HOME"}
	}
	return privateCheck("home", home, true, 0o700)
}

// daemonChecks: the runtime directory, the socket in it, and whether a
// daemon answers there with this CLI's version.
func daemonChecks(ctx context.Context) []check {
	dir, err := paths.RuntimeDir()
	if err != nil {
		return []check{{Name: "runtime dir", Status: checkFail, Detail: err.Error()}}
	}
	rd := privateCheck("runtime dir", dir, true, 0o700)
	if rd.Status == checkSkip {
		rd.Status, rd.Fix = checkWarn, "no daemon has run: `patina mother install` has the init system start one on demand (the CLI works in-process meanwhile)"
	}
	sock, err := paths.Socket()
	if err != nil {
		return []check{rd, {Name: "socket", Status: checkFail, Detail: err.Error()}}
	}
	return []check{rd, socketCheck(ctx, sock)}
}

func socketCheck(ctx context.Context, sock string) check {
	c := check{Name: "socket", Status: checkOK}
	fi, err := os.Lstat(sock)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		c.Status, c.Detail = checkWarn, sock+" does not exist: no daemon is running or installed, so the CLI works in-process"
		c.Fix = "patina mother install (or run patina mother serve)"
		return c
	case err != nil:
		c.Status, c.Detail = checkFail, err.Error()
		return c
	case fi.Mode()&fs.ModeSocket == 0:
		c.Status, c.Detail, c.Fix = checkFail, sock+" is not a socket", "move it aside (mv "+shellWord(sock)+" "+shellWord(sock+".old")+"); the daemon makes its own"
		return c
	case ownerOf(fi) != -1 && ownerOf(fi) != os.Getuid():
		c.Status = checkFail
		c.Detail = fmt.Sprintf("%s belongs to uid %d, not to you (uid %d): the CLI refuses to talk to it", sock, ownerOf(fi), os.Getuid())
		c.Fix = "point PATINA_SOCKET at a socket of your own, or ask who runs it"
		return c
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cl := client.Local(sock)
	h, err := cl.Health(ctx)
	switch {
	case err != nil:
		c.Status, c.Detail = checkFail, fmt.Sprintf("%s does not answer: %s", sock, oneLine(err.Error()))
		c.Fix = "restart the daemon (" + restartHint + "); a standalone one: patina mother serve, which replaces a dead socket"
	case h.Version != buildinfo.Version:
		c.Status = checkWarn
		c.Detail = fmt.Sprintf("%s answers, but the daemon runs %s and this CLI is %s", sock, h.Version, buildinfo.Version)
		c.Fix = "restart the daemon so that it runs this binary: " + restartHint
	default:
		c.Detail = fmt.Sprintf("%s answers: version %s, %s, pid %d", sock, h.Version, h.Activation, h.PID)
		if fi.Mode().Perm()&0o077 != 0 {
			c.Status, c.Fix = checkWarn, "chmod 600 "+shellWord(sock)
			c.Detail += fmt.Sprintf("; but its mode is %#o", fi.Mode().Perm())
		}
	}
	return c
}

// modelChecks hashes every model's files and the ONNX Runtime library, as
// `patina model list` does.
func modelChecks() []check {
	var cs []check
	ms, err := embed.List()
	if err != nil {
		cs = append(cs, check{Name: "models", Status: checkFail, Detail: oneLine(err.Error()),
			Fix: "remove or repair the model's directory under " + modelsDir()})
	}
	for _, m := range ms {
		info := describeModel(m)
		c := check{Name: "model " + m.Name, Status: checkOK, Detail: fmt.Sprintf("%d files with their pinned SHA-256", len(m.Files))}
		if info.State != stateOK {
			c.Status, c.Detail = checkFail, strings.TrimPrefix(info.Problem, "model "+m.Name+": ")
			c.Fix = fmt.Sprintf("add it again: patina model add --name %s …", m.Name)
			if m.Builtin() {
				// Without it scry is lexical, which works.
				c.Status, c.Fix = checkWarn, "make models (in patina's source tree) provisions it"
			}
		}
		cs = append(cs, c)
	}
	rt := describeRuntime()
	c := check{Name: "onnx runtime", Status: checkOK, Detail: fmt.Sprintf("%s %s with its pinned SHA-256", rt.Version, rt.Path)}
	if rt.State != stateOK {
		c.Status, c.Detail, c.Fix = checkWarn, strings.TrimPrefix(rt.Problem, "onnx runtime: "), "make models (in patina's source tree) provisions it; without it scry is lexical"
	}
	return append(cs, c)
}

func modelsDir() string {
	d, err := paths.Models()
	if err != nil {
		return "Patina's home"
	}
	return d
}

// projectChecks checks every registered project's index. It returns the
// projects for the vault checks.
func projectChecks(ctx context.Context) ([]projects.Project, []check) {
	reg, err := projects.Default()
	if err != nil {
		return nil, []check{{Name: "projects", Status: checkFail, Detail: err.Error(), Fix: "set $HOME or $PATINA_HOME"}}
	}
	ps, err := reg.List()
	if err != nil {
		return nil, []check{{Name: "projects", Status: checkFail, Detail: oneLine(err.Error()),
			Fix: "correct " + reg.File() + ", or move it aside and register the projects again with patina scrape PATH"}}
	}
	if len(ps) == 0 {
		return nil, []check{{Name: "projects", Status: checkSkip, Detail: "no project is registered"}}
	}
	cs := make([]check, 0, len(ps))
	for _, p := range ps {
		cs = append(cs, indexCheck(ctx, reg, p))
	}
	return ps, cs
}

// indexCheck says whether p's index can be searched, and if not, how to
// make it so.
func indexCheck(ctx context.Context, reg *projects.Registry, p projects.Project) check {
	c := check{Name: "index " + p.Name, Status: checkFail, Detail: p.Problem}
	dir := shellWord(p.Path)
	switch p.Status {
	case projects.StatusOK, projects.StatusDamaged: // Verify says how it is damaged
	case projects.StatusNoIndex:
		c.Fix = "patina scrape " + dir
		return c
	case projects.StatusMissing:
		c.Status, c.Fix = checkWarn, "patina projects remove "+p.Name+" (or put the directory back)"
		return c
	case projects.StatusMoved:
		c.Status, c.Fix = checkWarn, "patina projects remove "+p.Name+", then patina scrape NEWPATH --name "+p.Name
		return c
	default:
		c.Fix = "correct or delete the entry in " + reg.File()
		if strings.Contains(p.Problem, "symlink") {
			c.Fix = "replace the symlink with a real directory, then patina scrape " + dir
		}
		return c
	}
	var dmg *index.DamagedError
	switch err := index.Verify(ctx, p.Index); {
	case errors.As(err, &dmg):
		c.Detail, c.Fix = fmt.Sprintf("%s is damaged (%s)", p.Index, dmg.Reason), "patina scrape --rebuild "+dir
		return c
	case err != nil:
		c.Detail, c.Fix = oneLine(err.Error()), "patina scrape --rebuild "+dir
		return c
	}
	db, err := index.OpenReadOnly(p.Index)
	if err != nil {
		// An older schema is migrated by a scrape; a newer one is not.
		var se *index.SchemaError
		c.Detail, c.Fix = oneLine(err.Error()), "patina scrape "+dir
		if errors.As(err, &se) && se.Newer() {
			c.Fix = "use the patina that wrote it, or rebuild it for this one: patina scrape --rebuild " + dir
		}
		return c
	}
	defer db.Close()
	st, err := db.Stats(ctx)
	if err != nil {
		c.Detail, c.Fix = oneLine(err.Error()), "patina scrape --rebuild "+dir
		return c
	}
	c.Status = checkOK
	c.Detail = fmt.Sprintf("%s: sound, schema %d, %d files, %d chunks, %d commits", p.Index, index.SchemaVersion, st.Files, st.Chunks, st.Commits)
	return c
}
