package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"text/tabwriter"
	"time"

	"github.com/patina-dev/patina/internal/index"
	"github.com/patina-dev/patina/internal/projects"
)

func projectsVerb() *verb {
	return &verb{
		name:    "projects",
		summary: "the registry of indexed projects: list, add, remove",
		sub: []*verb{
			projectsListVerb(),
			projectsAddVerb(),
			projectsRemoveVerb(),
		},
	}
}

// projectInfo is one line of `projects list`: the registry entry and, for a
// usable project, what its index holds.
type projectInfo struct {
	projects.Project
	Chunks    *int       `json:"chunks,omitempty"`
	Files     *int       `json:"files,omitempty"`
	UpdatedAt *time.Time `json:"index_updated_at,omitempty"` // last write to the index
}

func projectsListVerb() *verb {
	v := &verb{name: "list", summary: "list registered projects, their status and size"}
	v.run = func(args []string) error {
		fs := flags("projects list")
		asJSON := fs.BoolP("json", "j", false, "print the list as JSON")
		if err := parse(fs, "projects list [--json]", v.summary+`.

A project whose directory is missing, whose registered path now resolves
elsewhere (a symlink or ".." in a hand-edited entry), or that has no index
yet is listed with its problem; scry never opens it.`, args); err != nil {
			return err
		}
		if fs.NArg() > 0 {
			return usagef("projects list takes no arguments")
		}
		reg, err := projects.Default()
		if err != nil {
			return err
		}
		ps, err := reg.List()
		if err != nil {
			return err
		}
		infos := make([]projectInfo, len(ps))
		for i, p := range ps {
			infos[i] = describeProject(p)
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
			fmt.Fprintf(os.Stderr, "patina: no projects registered in %s: run `patina scrape PATH`\n", reg.File())
			return nil
		}
		printProjects(os.Stdout, infos)
		return nil
	}
	return v
}

// describeProject adds the index's size and last write for a usable
// project; both are cheap (counts on an open read-only handle, and file
// times). An index that cannot be read is reported as the project's
// problem.
func describeProject(p projects.Project) projectInfo {
	info := projectInfo{Project: p}
	if !p.OK() {
		return info
	}
	db, err := index.OpenReadOnly(p.Index)
	if err != nil {
		info.Problem = oneLine(err.Error())
		if errors.Is(err, index.ErrDamaged) {
			info.Status = projects.StatusDamaged
			info.Problem += "; rebuild it: patina scrape --rebuild " + shellWord(p.Path)
		}
		return info
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	st, err := db.Stats(ctx)
	if err != nil {
		info.Problem = oneLine(err.Error())
		return info
	}
	info.Chunks, info.Files = &st.Chunks, &st.Files
	var latest time.Time
	for _, f := range []string{p.Index, p.Index + "-wal"} {
		if fi, err := os.Stat(f); err == nil && fi.ModTime().After(latest) {
			latest = fi.ModTime()
		}
	}
	if !latest.IsZero() {
		latest = latest.UTC().Truncate(time.Second)
		info.UpdatedAt = &latest
	}
	return info
}

func printProjects(w io.Writer, infos []projectInfo) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tSTATUS\tCHUNKS\tUPDATED\tPATH")
	for _, p := range infos {
		chunks, updated := "-", "-"
		if p.Chunks != nil {
			chunks = strconv.Itoa(*p.Chunks)
		}
		if p.UpdatedAt != nil {
			updated = ago(time.Since(*p.UpdatedAt))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", printable(p.Name), p.Kind, p.Status, chunks, updated, printable(p.Path))
	}
	tw.Flush()
	for _, p := range infos {
		if p.Problem != "" {
			fmt.Fprintf(w, "  %s: %s\n", printable(p.Name), printable(p.Problem))
		}
	}
}

// ago renders an age coarsely: "just now", "5m ago", "3h ago", "12d ago".
func ago(d time.Duration) string {
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

func projectsAddVerb() *verb {
	v := &verb{name: "add", summary: "register a directory as a project (without indexing it)"}
	v.run = func(args []string) error {
		fs := flags("projects add")
		name := fs.String("name", "", "register under `NAME` (default: the directory's name)")
		if err := parse(fs, "projects add [PATH] [--name NAME]", v.summary+`.

PATH defaults to the project holding the current directory. The path is
stored canonical (absolute, symlinks resolved). Run `+"`patina scrape PATH`"+`
to index it; scrape also registers what it indexes.`, args); err != nil {
			return err
		}
		dir, err := projectArgs("projects add", fs.Args(), *name)
		if err != nil {
			return err
		}
		reg, err := projects.Default()
		if err != nil {
			return err
		}
		p, added, err := reg.Add(dir, *name)
		if err != nil {
			if errors.Is(err, projects.ErrExists) {
				return withHint(err, "pick another --name, or `patina projects remove NAME` first")
			}
			return err
		}
		if added {
			fmt.Printf("registered %s (%s)\n", p.Name, p.Path)
		} else {
			fmt.Printf("%s (%s) is already registered\n", p.Name, p.Path)
		}
		if p.Status == projects.StatusNoIndex {
			fmt.Fprintf(os.Stderr, "patina: note: %s has no index yet: run `patina scrape %s`\n", p.Name, p.Path)
		}
		return nil
	}
	return v
}

func projectsRemoveVerb() *verb {
	v := &verb{name: "remove", summary: "unregister a project (its index stays on disk)"}
	v.run = func(args []string) error {
		fs := flags("projects remove")
		if err := parse(fs, "projects remove NAME", v.summary+`.

The index in the project's .patina/local directory is left alone; delete it
by hand if you want the space back.`, args); err != nil {
			return err
		}
		if fs.NArg() != 1 {
			return usagef("projects remove takes one NAME")
		}
		reg, err := projects.Default()
		if err != nil {
			return err
		}
		// A reference's clone is patina's to delete with it.
		if p, ok := registered(reg, fs.Arg(0)); ok && p.Kind == projects.KindReference {
			return withHint(fmt.Errorf("%s is a reference repository", fs.Arg(0)), "remove it and its clone: patina repo remove "+fs.Arg(0))
		}
		if err := reg.Remove(fs.Arg(0)); err != nil {
			if errors.Is(err, projects.ErrNotFound) {
				return withHint(err, "see `patina projects list`")
			}
			return err
		}
		fmt.Printf("removed %s\n", fs.Arg(0))
		return nil
	}
	return v
}
