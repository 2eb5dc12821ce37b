package childenv_test

import (
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/patina-dev/patina/internal/childenv"
	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/identity"
)

func TestRemovedNamesTheCredentials(t *testing.T) {
	for _, name := range []string{identity.EnvIdentity, client.EnvToken} {
		if !slices.Contains(childenv.Removed, name) {
			t.Errorf("%s is passed to children", name)
		}
	}
}

func TestScrubbed(t *testing.T) {
	t.Setenv("PATINA_IDENTITY", "AGE-SECRET-KEY-1XYZ")
	t.Setenv("PATINA_MOTHER_TOKEN", "tok")
	t.Setenv("PATINA_KEEP", "kept")
	env := childenv.Scrubbed()
	for _, kv := range env {
		if strings.HasPrefix(kv, "PATINA_IDENTITY=") || strings.HasPrefix(kv, "PATINA_MOTHER_TOKEN=") {
			t.Errorf("child env has %s", kv)
		}
	}
	if !slices.Contains(env, "PATINA_KEEP=kept") || !slices.Contains(env, "PATH="+os.Getenv("PATH")) {
		t.Errorf("scrubbed too much: %q", env)
	}
	// What a child actually sees.
	cmd := exec.Command("env")
	cmd.Env = env
	out, err := cmd.Output()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(out), "PATINA_IDENTITY") || strings.Contains(string(out), "PATINA_MOTHER_TOKEN") {
		t.Errorf("child saw:\n%s", out)
	}
	// An entry without '=', and lookalike names, are kept as they are.
	got := childenv.Without([]string{"PATINA_IDENTITY_X=1", "XPATINA_IDENTITY=2", "odd", "PATINA_IDENTITY="})
	if !slices.Equal(got, []string{"PATINA_IDENTITY_X=1", "XPATINA_IDENTITY=2", "odd"}) {
		t.Errorf("Without: %q", got)
	}
}
