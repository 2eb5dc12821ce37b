package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The token's value never appears in anything the command prints.
func TestTokenCommandPrintsPathNeverValue(t *testing.T) {
	home := filepath.Join(t.TempDir(), "home")
	env := []string{"PATINA_HOME=" + home}
	path := filepath.Join(home, "mother.token")
	var outputs []string
	for _, args := range [][]string{{"mother", "token"}, {"mother", "token"}, {"mother", "token", "--rotate"}} {
		r := runPatina(t, env, args...)
		if r.code != 0 || strings.TrimSpace(r.stdout) != path {
			t.Fatalf("%v: exit %d stdout %q stderr %q", args, r.code, r.stdout, r.stderr)
		}
		tok, err := os.ReadFile(path)
		must(t, err)
		outputs = append(outputs, r.stdout+r.stderr)
		for _, out := range outputs {
			if strings.Contains(out, strings.TrimSpace(string(tok))) {
				t.Fatalf("token value printed by %v", args)
			}
		}
	}
	fi, err := os.Stat(path)
	must(t, err)
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("token mode %v", fi.Mode().Perm())
	}
}
