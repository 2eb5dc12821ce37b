package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// patina(1) is roff with the usual header and sections, a section for
// every visible verb, and groff reads it without a warning.
func TestManPage(t *testing.T) {
	t.Parallel()
	r := runPatina(t, nil, "__man")
	if r.code != 0 {
		t.Fatalf("__man: exit %d\n%s", r.code, r.stderr)
	}
	page := r.stdout
	version := strings.TrimSpace(strings.TrimPrefix(runPatina(t, nil, "version").stdout, "patina "))
	for _, want := range []string{
		`.TH PATINA 1 "" "patina ` + roff(version) + `" "User Commands"` + "\n",
		".SH NAME\npatina \\- ",
		".SH SYNOPSIS\n", ".SH DESCRIPTION\n", ".SH COMMANDS\n", ".SH \"EXIT STATUS\"\n", ".SH ENVIRONMENT\n",
		`\fB\-n\fR, \fB\-\-limit\fR \fIN\fR`, // a flag, its short form and its value
		"\n.B PATINA_HOME\n",
	} {
		if !strings.Contains(page, want) {
			t.Errorf("man page lacks %q", want)
		}
	}
	if !strings.HasPrefix(page, `.\" `) {
		t.Errorf("man page does not start with a comment: %.40q", page)
	}
	n := 0
	walkVerbs(root(), "patina", func(v *verb, path string) {
		if v.run == nil {
			return // a group: its verbs have the sections
		}
		n++
		if !strings.Contains(page, ".SS \""+roff(path)+"\"\n.nf\n\\fBpatina\\fR ") {
			t.Errorf("no section for %s", path)
		}
	})
	for _, hidden := range []string{"__complete", "__man", "serve"} {
		if strings.Contains(page, `.SS "patina `+hidden+`"`) {
			t.Errorf("man page shows the hidden %s", hidden)
		}
	}
	if n < 25 {
		t.Errorf("only %d verbs walked", n)
	}
	if groff, err := exec.LookPath("groff"); err == nil {
		cmd := exec.Command(groff, "-man", "-Tutf8", "-ww", "-z")
		cmd.Stdin = strings.NewReader(page)
		var errb bytes.Buffer
		cmd.Stderr = &errb
		if err := cmd.Run(); err != nil || errb.Len() > 0 {
			t.Errorf("groff: %v\n%s", err, errb.String())
		}
	}
}
