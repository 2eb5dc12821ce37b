package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/patina-dev/patina/internal/embed"
	"github.com/patina-dev/patina/internal/paths"
	"github.com/patina-dev/patina/internal/projects"
	"github.com/patina-dev/patina/internal/refrepo"
)

// Reference repositories: clones under $PATINA_HOME/repos, indexed by the
// scrape code and registered with kind "reference", so scry --project NAME
// and --all-projects search them like any project.

func repoVerb() *verb {
	return &verb{
		name:    "repo",
		summary: "reference repositories (libraries you depend on): add, list, update, remove",
		sub: []*verb{
			repoAddVerb(),
			repoListVerb(),
			repoUpdateVerb(),
			repoRemoveVerb(),
		},
	}
}

func repoAddVerb() *verb {
	v := &verb{name: "add", summary: "clone a repository into $PATINA_HOME/repos, index it and register it as a reference"}
	v.run = func(args []string) error {
		fs := flags("repo add")
		name := fs.String("name", "", "register under `NAME` (default: the repository's name)")
		noEmbed := fs.Bool("no-embed", false, "index text only: scry of it is lexical")
		model := fs.String("model", embed.DefaultModel, "embed with the model called `NAME` (see patina model list)")
		if err := parse(fs, "repo add URL|PATH [--name NAME] [--no-embed | --model NAME]", v.summary+`.

URL is an https, ssh (ssh://… or user@host:path), git or file URL, cloned
with your git: your credentials, proxies and SSH keys. Other transports
(ext::, fd::, plain http) are refused. A PATH to a repository on this
machine is cloned too (git hard-links its objects), so the reference is a
snapshot that only `+"`patina repo update`"+` moves, whatever happens in
your working copy.

The clone is made and indexed beside the others, under a temporary name,
and registered only once complete: a bad URL, a clone or index that fails
part-way, or Ctrl-C leaves nothing behind. A name already registered, as a
project or a reference, is refused.`, args); err != nil {
			return err
		}
		if *noEmbed && fs.Changed("model") {
			return usagef("give --no-embed or --model, not both")
		}
		if fs.NArg() != 1 {
			return usagef("repo add takes one URL or PATH (got %d)", fs.NArg())
		}
		src, err := refrepo.ParseSource(fs.Arg(0))
		if err != nil {
			return usagef("%v", err)
		}
		n := *name
		if n == "" {
			if n = src.Name; n == "" {
				return usagef("cannot derive a name from the URL: give --name")
			}
		}
		if err := projects.ValidName(n); err != nil {
			return usagef("--name: %v", err)
		}
		return repoAdd(src, n, modelChoice{name: *model, given: fs.Changed("model"), none: *noEmbed})
	}
	return v
}

func repoAdd(src refrepo.Source, name string, m modelChoice) error {
	reg, err := projects.Default()
	if err != nil {
		return err
	}
	if _, err := reg.List(); err != nil {
		return err // a registry that cannot be read would refuse the clone at the end
	}
	if p, ok := registered(reg, name); ok {
		return withHint(fmt.Errorf("%w: the name %q is taken by %s", projects.ErrExists, name, p.Path), "give another --name")
	}
	dir, err := reposDir()
	if err != nil {
		return err
	}
	final := filepath.Join(dir, name)
	if _, err := os.Lstat(final); err == nil {
		return withHint(fmt.Errorf("%s exists but is not registered (left by an add that was killed?)", final),
			"remove it: patina repo remove "+name)
	}
	ctx, stop := interruptible()
	defer stop()
	// Cloned and indexed under a temporary name, so an interrupted or
	// failed add leaves nothing a later one would mistake for a clone.
	tmp, err := os.MkdirTemp(dir, "."+name+".adding-")
	if err != nil {
		return err
	}
	done := false
	defer func() {
		if !done {
			os.RemoveAll(tmp)
		}
	}()
	fmt.Fprintf(os.Stderr, "patina: cloning %s\n", printable(refrepo.Redact(src.Arg)))
	err = refrepo.Clone(ctx, src, tmp, os.Stderr)
	if err == nil {
		err = scrapeIndex(ctx, name, tmp, m, false, false)
	}
	var ie interruptedError
	switch {
	case ctx.Err() != nil || errors.As(err, &ie):
		fmt.Fprintln(os.Stderr, "patina: interrupted: nothing was added")
		return exitError{exitInterrupted}
	case errors.Is(err, errNoEmbeddings):
		// The text index is complete: register it, and say what is missing.
	case err != nil:
		return fmt.Errorf("repo add %s: %w", printable(refrepo.Redact(src.Arg)), err)
	}
	embedErr := err
	if err := os.Rename(tmp, final); err != nil {
		return err
	}
	done = true
	p, err := reg.AddReference(final, name)
	if err != nil {
		os.RemoveAll(final) // ours: it did not exist a moment ago
		return err
	}
	fmt.Fprintf(os.Stderr, "patina: registered reference %s (%s)\n", p.Name, p.Path)
	return embedErr
}

// reposDir is $PATINA_HOME/repos, created 0700 and symlinks resolved, so
// registered clones are found under it as the registry stores them.
func reposDir() (string, error) {
	dir, err := paths.Repos()
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return "", err
	}
	return filepath.EvalSymlinks(dir)
}

// registered finds name in the registry, of any kind and status.
func registered(reg *projects.Registry, name string) (projects.Project, bool) {
	ps, _ := reg.List()
	for _, p := range ps {
		if p.Name == name {
			return p, true
		}
	}
	return projects.Project{}, false
}

// reference is name's registry entry, which must be a reference whose
// clone is directly under $PATINA_HOME/repos.
func reference(reg *projects.Registry, name string) (projects.Project, error) {
	p, ok := registered(reg, name)
	if !ok {
		return p, withHint(fmt.Errorf("%w: %q", projects.ErrNotFound, name), "see `patina repo list`")
	}
	if p.Kind != projects.KindReference {
		return p, withHint(fmt.Errorf("%s is a project, not a reference repository", name), "use `patina scrape` and `patina projects remove` for it")
	}
	dir, err := reposDir()
	if err != nil {
		return p, err
	}
	if filepath.Dir(p.Path) != dir {
		return p, fmt.Errorf("reference %s lies at %s, not under %s: patina does not touch it", name, p.Path, dir)
	}
	return p, nil
}

// repoInfo is one line of `repo list`.
type repoInfo struct {
	projects.Project
	refrepo.Info
}

func repoListVerb() *verb {
	v := &verb{name: "list", summary: "list reference repositories: origin, commit, status"}
	v.run = func(args []string) error {
		fs := flags("repo list")
		asJSON := fs.BoolP("json", "j", false, "print the list as JSON")
		if err := parse(fs, "repo list [--json]", v.summary, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("repo list takes no arguments")
		}
		reg, err := projects.Default()
		if err != nil {
			return err
		}
		ps, err := reg.List()
		if err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		infos := []repoInfo{}
		for _, p := range ps {
			if p.Kind == projects.KindReference {
				infos = append(infos, repoInfo{p, refrepo.Describe(ctx, p.Path)})
			}
		}
		if *asJSON {
			b, err := json.MarshalIndent(infos, "", "  ")
			if err != nil {
				return err
			}
			os.Stdout.Write(append(b, '\n'))
			return nil
		}
		if len(infos) == 0 {
			fmt.Fprintln(os.Stderr, "patina: no reference repositories: add one with `patina repo add URL`")
			return nil
		}
		printRepos(os.Stdout, infos)
		return nil
	}
	return v
}

func printRepos(w io.Writer, infos []repoInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tCOMMIT\tBRANCH\tURL")
	for _, r := range infos {
		commit := r.Commit
		if len(commit) > 12 {
			commit = commit[:12]
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", printable(r.Name), r.Status, orDash(commit), orDash(printable(r.Branch)), orDash(printable(r.URL)))
	}
	tw.Flush()
	for _, r := range infos {
		if r.Problem != "" {
			fmt.Fprintf(w, "  %s: %s\n", printable(r.Name), printable(r.Problem))
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func repoUpdateVerb() *verb {
	v := &verb{name: "update", summary: "fetch reference repositories, move them to their default branch and re-index what changed"}
	v.run = func(args []string) error {
		fs := flags("repo update")
		if err := parse(fs, "repo update [NAME…]", v.summary+`.

Each clone fetches its origin and is reset to the fetched default branch
(a fast-forward, or a reset if upstream rewrote history: a reference holds
no work of its own), then re-scraped: only files that changed are
indexed again, with the model the reference was embedded with. Without a
NAME every reference is updated.`, args); err != nil {
			return err
		}
		reg, err := projects.Default()
		if err != nil {
			return err
		}
		names := fs.Args()
		if len(names) == 0 {
			ps, err := reg.List()
			if err != nil {
				return err
			}
			for _, p := range ps {
				if p.Kind == projects.KindReference {
					names = append(names, p.Name)
				}
			}
			if len(names) == 0 {
				fmt.Fprintln(os.Stderr, "patina: no reference repositories to update")
				return nil
			}
		}
		ctx, stop := interruptible()
		defer stop()
		var failed error
		for _, name := range names {
			err := repoUpdate(ctx, reg, name)
			var ie interruptedError
			if ctx.Err() != nil || errors.As(err, &ie) {
				fmt.Fprintln(os.Stderr, "patina: interrupted: run repo update again to finish")
				return exitError{exitInterrupted}
			}
			if err != nil {
				if len(names) == 1 {
					return err
				}
				fmt.Fprintf(os.Stderr, "patina: error: %s: %s\n", printable(name), oneLine(err.Error()))
				failed = exitError{1}
			}
		}
		return failed
	}
	return v
}

func repoUpdate(ctx context.Context, reg *projects.Registry, name string) error {
	p, err := reference(reg, name)
	if err != nil {
		return err
	}
	from, to, err := refrepo.Update(ctx, p.Path, os.Stderr)
	if err != nil {
		return fmt.Errorf("repo update %s: %w", name, err)
	}
	if from == to {
		fmt.Fprintf(os.Stderr, "patina: %s is at %s, as upstream\n", name, short(to))
	} else {
		fmt.Fprintf(os.Stderr, "patina: %s moved from %s to %s\n", name, short(from), short(to))
	}
	return scrapeIndex(ctx, p.Name, p.Path, modelChoice{name: embed.DefaultModel}, false, false)
}

func short(commit string) string { return commit[:min(len(commit), 12)] }

func repoRemoveVerb() *verb {
	v := &verb{name: "remove", summary: "unregister a reference repository and delete its clone"}
	v.run = func(args []string) error {
		fs := flags("repo remove")
		if err := parse(fs, "repo remove NAME", v.summary+`.

Only a clone under $PATINA_HOME/repos is deleted; a leftover directory
there that is not registered (an add that was killed) is deleted too.`, args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usagef("repo remove takes one NAME")
		}
		name := fs.Arg(0)
		if err := projects.ValidName(name); err != nil {
			return usagef("%v", err)
		}
		reg, err := projects.Default()
		if err != nil {
			return err
		}
		p, err := reference(reg, name)
		if errors.Is(err, projects.ErrNotFound) {
			// Not registered: perhaps a clone left by a killed add.
			dir, derr := reposDir()
			if derr != nil {
				return derr
			}
			left := filepath.Join(dir, name)
			if _, serr := os.Lstat(left); serr != nil {
				return err
			}
			if err := os.RemoveAll(left); err != nil {
				return err
			}
			fmt.Printf("removed %s (it was not registered)\n", left)
			return nil
		}
		if err != nil {
			return err
		}
		// Unregister first: scry stops using it before its files go.
		if err := reg.Remove(name); err != nil {
			return err
		}
		if err := os.RemoveAll(p.Path); err != nil {
			return withHint(fmt.Errorf("%s is unregistered but its clone is still there: %w", name, err), "delete "+p.Path+" by hand")
		}
		fmt.Printf("removed %s (%s)\n", name, p.Path)
		return nil
	}
	return v
}
