// Package childenv is the environment Patina hands the programs it runs
// (git, ssh, the command under `secrets run`): its own, less the
// variables that hold Patina's credentials. A child asked for nothing of
// the sort, and whatever it sees (or logs, or passes on) may leave the
// machine.
package childenv

import (
	"os"
	"slices"
	"strings"
)

// Removed are the variables no child gets: the age identity that opens
// every vault (identity.EnvIdentity) and the mother's TCP token
// (client.EnvToken). Spelt out here because both of those packages use
// this one.
var Removed = []string{"PATINA_IDENTITY", "PATINA_MOTHER_TOKEN"}

// Scrubbed is os.Environ() without the Removed variables.
func Scrubbed() []string {
	return Without(os.Environ())
}

// Without is env (NAME=value entries) without the Removed variables.
func Without(env []string) []string {
	out := make([]string, 0, len(env))
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(Removed, name) {
			out = append(out, kv)
		}
	}
	return out
}
