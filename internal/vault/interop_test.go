package vault

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
)

// The real age CLI (Debian package "age") is the reference implementation
// the original tool's files were read and written with.
func ageCLI(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("age")
	if err != nil {
		t.Fatal("the age CLI is required for interop tests: apt-get install -y age")
	}
	return p
}

// writeKeyFile writes an identity in age-keygen's format for `age -i`.
func writeKeyFile(t *testing.T, dir string, id *age.X25519Identity) string {
	t.Helper()
	p := filepath.Join(dir, "key.txt")
	text := "# created: 2024-01-01T00:00:00Z\n# public key: " + id.Recipient().String() + "\n" + id.String() + "\n"
	if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestInteropOurVaultDecryptsWithAgeCLI(t *testing.T) {
	bin := ageCLI(t)
	dir := t.TempDir()
	id := newIdentity(t)
	other := newIdentity(t)
	v := New(filepath.Join(dir, "vault.age"))
	_ = v.Set("api-key", secret("sk-interop-out-1234"))
	_ = v.Set("db-password", secret(`p"a\ss'word$(x)`))
	if err := v.Save([]age.Recipient{id.Recipient(), other.Recipient()}); err != nil {
		t.Fatal(err)
	}
	want := "[meta]\nversion = 1\n" +
		"created_at = \"" + v.CreatedAt().Format(time.RFC3339) + "\"\n" +
		"modified_at = \"" + v.ModifiedAt().Format(time.RFC3339) + "\"\n\n" +
		"[values]\napi-key = \"sk-interop-out-1234\"\ndb-password = \"p\\\"a\\\\ss'word$(x)\"\n"
	// Each recipient can decrypt with the stock tool.
	for _, key := range []*age.X25519Identity{id, other} {
		out, err := exec.Command(bin, "-d", "-i", writeKeyFile(t, t.TempDir(), key), v.Path()).CombinedOutput()
		if err != nil {
			t.Fatalf("age -d: %v: %s", err, out)
		}
		if string(out) != want {
			t.Fatalf("age -d gave:\n%s\nwant:\n%s", out, want)
		}
	}
}

func TestInteropAgeCLIVaultReadsHere(t *testing.T) {
	bin := ageCLI(t)
	dir := t.TempDir()
	id := newIdentity(t)
	// What the original tool (Rust, toml + chrono) wrote: chrono's RFC 3339
	// with fractional seconds and +00:00, keys in any order, TOML escapes.
	plain := `[meta]
version = 1
created_at = "2024-05-01T10:00:00.123456789+00:00"
modified_at = "2024-05-02T11:30:00+02:00"

[values]
github-token = "ghp_interopINabcdef"
multi = "line1\nline2\t\"q\" \\ \u00e9"
`
	secret("ghp_interopINabcdef")
	plainPath := filepath.Join(dir, "plain.toml")
	if err := os.WriteFile(plainPath, []byte(plain), 0o600); err != nil {
		t.Fatal(err)
	}
	// Our own recipients file format is also what `age -R` reads.
	rs := NewRecipients(filepath.Join(dir, "recipients.txt"))
	if _, err := rs.Add(id.Recipient().String()); err != nil {
		t.Fatal(err)
	}
	rs.lines = append([]string{"# team keys", ""}, rs.lines...)
	if err := rs.Save(); err != nil {
		t.Fatal(err)
	}
	for _, armor := range []bool{true, false} {
		name := map[bool]string{true: "armored", false: "binary"}[armor]
		t.Run(name, func(t *testing.T) {
			out := filepath.Join(dir, name+".age")
			args := []string{"-R", rs.Path(), "-o", out, plainPath}
			if armor {
				args = append([]string{"-a"}, args...)
			}
			if b, err := exec.Command(bin, args...).CombinedOutput(); err != nil {
				t.Fatalf("age: %v: %s", err, b)
			}
			v, err := Load(out, id)
			if err != nil {
				t.Fatal(err)
			}
			defer v.Wipe()
			if got, _ := v.Get("github-token"); string(got) != "ghp_interopINabcdef" {
				t.Fatalf("github-token: %q", got)
			}
			if got, _ := v.Get("multi"); string(got) != "line1\nline2\t\"q\" \\ é" {
				t.Fatalf("multi: %q", got)
			}
			wantCreated := time.Date(2024, 5, 1, 10, 0, 0, 123456789, time.UTC)
			if !v.CreatedAt().Equal(wantCreated) || !v.ModifiedAt().Equal(time.Date(2024, 5, 2, 9, 30, 0, 0, time.UTC)) {
				t.Fatalf("timestamps %v %v", v.CreatedAt(), v.ModifiedAt())
			}
			// And re-saving what the CLI made gives a file the CLI reads.
			if err := v.Save(rs.AgeRecipients()); err != nil {
				t.Fatal(err)
			}
			b, err := exec.Command(bin, "-d", "-i", writeKeyFile(t, t.TempDir(), id), out).CombinedOutput()
			if err != nil || !strings.Contains(string(b), `github-token = "ghp_interopINabcdef"`) || !strings.Contains(string(b), `created_at = "2024-05-01T10:00:00.123456789Z"`) {
				t.Fatalf("age -d after re-save: %v\n%s", err, b)
			}
		})
	}
}
