package vault

import (
	"strings"
	"testing"
)

func vaultWith(t *testing.T, path string, kv ...string) *Vault {
	t.Helper()
	v := New(path)
	for i := 0; i < len(kv); i += 2 {
		if err := v.Set(kv[i], secret(kv[i+1])); err != nil {
			t.Fatal(err)
		}
	}
	return v
}

func TestMergeProjectOverridesGlobal(t *testing.T) {
	gv := vaultWith(t, "/g/vault.age",
		"api-key", "sk-global-api",
		"shared", "sk-global-shared",
		"only-global", "sk-global-only",
		"gh", "sk-global-gh")
	greg := NewRegistry("/g/secrets.toml")
	_ = greg.Set("shared", "GLOBAL_SHARED") // hidden by name: project has "shared"
	_ = greg.Set("gh", "GITHUB_TOKEN")      // loses GITHUB_TOKEN to a project secret
	pv := vaultWith(t, "/p/vault.age",
		"api-key", "sk-project-api",
		"shared", "sk-project-shared",
		"token", "sk-project-token")
	preg := NewRegistry("/p/secrets.toml")
	_ = preg.Set("token", "GITHUB_TOKEN")

	env, err := Merge(Scope{Vault: gv, Registry: greg}, Scope{Vault: pv, Registry: preg})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Wipe()
	want := map[string]string{
		"API_KEY":      "sk-project-api",
		"SHARED":       "sk-project-shared",
		"ONLY_GLOBAL":  "sk-global-only",
		"GITHUB_TOKEN": "sk-project-token",
	}
	if len(env) != len(want) {
		t.Fatalf("variables %v, want %d", env.Names(), len(want))
	}
	for k, v := range want {
		if string(env[k]) != v {
			t.Errorf("%s = %q, want %q", k, env[k], v)
		}
	}
	pairs := env.Pairs()
	if pairs[0][0] != "API_KEY" || pairs[len(pairs)-1][0] != "SHARED" {
		t.Fatalf("pairs not sorted: %v", env.Names())
	}
	// The env holds copies: wiping it leaves the vaults intact, and the
	// reverse.
	env.Wipe()
	if b, _ := pv.Get("api-key"); string(b) != "sk-project-api" {
		t.Fatal("Env.Wipe reached into the vault")
	}
}

func TestMergeEmptyScopes(t *testing.T) {
	env, err := Merge(Scope{}, Scope{})
	if err != nil || len(env) != 0 {
		t.Fatalf("%v %v", env, err)
	}
	gv := vaultWith(t, "/g/vault.age", "a", "sk-merge-a")
	env, err = Merge(Scope{Vault: gv}, Scope{})
	if err != nil || string(env["A"]) != "sk-merge-a" {
		t.Fatalf("global only: %v", err)
	}
}

func TestMergeCollisionInOneScope(t *testing.T) {
	// "a-b" infers A_B; the registry also gives "x" A_B.
	pv := vaultWith(t, "/p/vault.age", "a-b", "sk-coll-1", "x", "sk-coll-2")
	preg := NewRegistry("/p/secrets.toml")
	_ = preg.Set("x", "A_B")
	_, err := Merge(Scope{}, Scope{Vault: pv, Registry: preg})
	if err == nil || !strings.Contains(err.Error(), "/p/secrets.toml") || !strings.Contains(err.Error(), "both map to A_B") {
		t.Fatalf("collision: %v", err)
	}
	noLeak(t, err)
}
