package main

import (
	"flag"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

var updateCompletions = flag.Bool("update-completions", false, "rewrite contrib/completions from `patina completion`")

// contrib/completions holds what `patina completion SHELL` prints.
func TestCompletionScriptsUpToDate(t *testing.T) {
	t.Parallel()
	for shell, file := range map[string]string{"bash": "patina.bash", "zsh": "_patina", "fish": "patina.fish"} {
		r := runPatina(t, nil, "completion", shell)
		if r.code != 0 || r.stdout == "" {
			t.Fatalf("completion %s: exit %d\n%s", shell, r.code, r.stderr)
		}
		path := filepath.Join("..", "..", "contrib", "completions", file)
		if *updateCompletions {
			must(t, os.WriteFile(path, []byte(r.stdout), 0o644))
			continue
		}
		if b, err := os.ReadFile(path); err != nil || string(b) != r.stdout {
			t.Errorf("%s is not what `patina completion %s` prints (err %v): go test -tags sqlite_fts5 ./cmd/patina -run TestCompletionScriptsUpToDate -update-completions", path, shell, err)
		}
		// A shell at hand checks the syntax.
		if sh, err := exec.LookPath(shell); err == nil {
			if out, err := exec.Command(sh, "-n", path).CombinedOutput(); err != nil {
				t.Errorf("%s -n %s: %v\n%s", shell, file, err, out)
			}
		}
	}
	for _, args := range [][]string{{"completion"}, {"completion", "tcsh"}, {"completion", "bash", "zsh"}} {
		if r := runPatina(t, nil, args...); r.code != 2 || !strings.Contains(r.stderr, "bash, zsh or fish") {
			t.Errorf("%v: exit %d, %s", args, r.code, r.stderr)
		}
	}
}

// completionWorld is a home with two registered projects and an added
// model directory name to complete.
func completionWorld(t *testing.T) []string {
	home := t.TempDir()
	env := []string{"PATINA_HOME=" + home, "PATINA_SOCKET=" + noDaemonSocket(t)}
	for _, name := range []string{"alpha", "beta"} {
		dir := filepath.Join(t.TempDir(), name)
		must(t, os.MkdirAll(filepath.Join(dir, ".git"), 0o700))
		if r := runPatina(t, env, "projects", "add", dir, "--name", name); r.code != 0 {
			t.Fatalf("projects add: %s", r.stderr)
		}
	}
	return env
}

// The hidden helper the scripts call: candidates for the last word.
func TestCompleteHelper(t *testing.T) {
	t.Parallel()
	env := completionWorld(t)
	cases := []struct {
		words []string
		want  []string // exactly these words (descriptions dropped), in order
	}{
		{[]string{"scr"}, []string{"scrape", "scry"}},
		{[]string{"mother", "to"}, []string{"token"}},
		{[]string{"help", "mo"}, []string{"model", "mother"}},
		{[]string{"help", "model", "v"}, []string{"verify"}},
		{[]string{"he"}, []string{"help"}},
		{[]string{"__"}, nil}, // hidden verbs stay hidden
		{[]string{"scry", "--pro"}, []string{"--project"}},
		{[]string{"scry", "--project", ""}, []string{"alpha", "beta"}},
		{[]string{"scry", "-p", "b"}, []string{"beta"}},
		{[]string{"scry", "--project=a"}, []string{"--project=alpha"}},
		{[]string{"scry", "--project", "=", "a"}, []string{"--project=alpha"}}, // as bash splits it
		{[]string{"scry", "quasar", "--mode", ""}, []string{"hybrid", "lexical", "semantic"}},
		{[]string{"scry", "--json", ""}, nil}, // a bool takes no value: a QUERY comes next
		{[]string{"scrape", "--model", ""}, []string{"use-lite"}},
		{[]string{"scrape", ""}, []string{completeDirs}},
		{[]string{"model", "add", "--onnx", ""}, []string{completeFiles}},
		{[]string{"model", "verify", ""}, []string{"use-lite"}},
		{[]string{"projects", "remove", "al"}, []string{"alpha"}},
		{[]string{"completion", ""}, []string{"bash", "zsh", "fish"}},
		{[]string{"secrets", "recipients", "l"}, []string{"list"}},
		{[]string{"secrets", "--j"}, []string{"--json"}},
		{[]string{"secrets", "run", "--", ""}, nil},
		{[]string{"mother", "token", "--"}, []string{"--rotate", "--json"}},
		{[]string{"version", "--"}, []string{"--json"}},
	}
	for _, c := range cases {
		r := runPatina(t, env, append([]string{"__complete"}, c.words...)...)
		var got []string
		for _, line := range strings.Split(strings.TrimSuffix(r.stdout, "\n"), "\n") {
			if w, _, _ := strings.Cut(line, "\t"); w != "" {
				got = append(got, w)
			}
		}
		if r.code != 0 || !slices.Equal(got, c.want) {
			t.Errorf("__complete %q: exit %d, %q, want %q\n%s", c.words, r.code, got, c.want, r.stderr)
		}
	}
	// A word typed under secrets is never printed back.
	for _, words := range [][]string{{"secrets", "s3cr3t", ""}, {"secrets", "add", "s3cr3t", "--"}, {"secrets", "s3cr3t"}} {
		if r := runPatina(t, env, append([]string{"__complete"}, words...)...); strings.Contains(r.stdout+r.stderr, "s3cr3t") {
			t.Errorf("__complete %q repeats a word: %s%s", words, r.stdout, r.stderr)
		}
	}
}

// The bash script in a real bash: COMP_WORDS in, COMPREPLY out.
func TestBashCompletion(t *testing.T) {
	t.Parallel()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("no bash")
	}
	env := completionWorld(t)
	dir := t.TempDir()
	must(t, os.Mkdir(filepath.Join(dir, "subdir"), 0o700))
	script, err := filepath.Abs(filepath.Join("..", "..", "contrib", "completions", "patina.bash"))
	must(t, err)
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", `
source "$1" || exit 1
comp() {
	COMP_WORDS=("$@"); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); COMPREPLY=()
	_patina
	echo "$* => ${COMPREPLY[*]}"
}
comp patina scr
comp patina scry --project ""
comp patina scry --project = b
comp patina mother token --r
comp patina scrape su
complete -p patina
`, "bash", script)
	cmd.Dir = dir
	cmd.Env = append([]string{"PATH=" + filepath.Dir(patinaBin) + ":" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("bash: %v\n%s", err, out)
	}
	want := `patina scr => scrape scry
patina scry --project  => alpha beta
patina scry --project = b => beta
patina mother token --r => --rotate
patina scrape su => subdir
complete -F _patina patina
`
	if string(out) != want {
		t.Errorf("bash completion:\n%s\nwant\n%s", out, want)
	}
}

// The fish script in a real fish, when there is one: complete -C asks it
// as a TAB would.
func TestFishCompletion(t *testing.T) {
	t.Parallel()
	fish, err := exec.LookPath("fish")
	if err != nil {
		t.Skip("no fish")
	}
	env := completionWorld(t)
	script, err := filepath.Abs(filepath.Join("..", "..", "contrib", "completions", "patina.fish"))
	must(t, err)
	cmd := exec.Command(fish, "--no-config", "-c", `source $argv[1]; complete -C "patina scr"; complete -C "patina scry -p "`, script)
	cmd.Env = append([]string{"PATH=" + filepath.Dir(patinaBin) + ":" + os.Getenv("PATH"), "HOME=" + t.TempDir()}, env...)
	out, err := cmd.CombinedOutput()
	want := "scrape\tindex a project (text, code, git log) and register it\nscry\tsearch indexed projects (docs, code, git history)\nalpha\nbeta\n"
	if err != nil || string(out) != want {
		t.Errorf("fish completion: %v\n%q\nwant\n%q", err, out, want)
	}
}
