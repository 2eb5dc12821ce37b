package secrets

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"filippo.io/age"

	"github.com/patina-dev/patina/internal/vault"
)

// The CLI's behaviour is tested end to end in cmd/patina; these pin the
// properties the cache and the wiping rest on.

func testPlaces(t *testing.T, root, project string) Places {
	t.Helper()
	home := filepath.Join(root, "home")
	p := Places{Global: Scope{Name: Global, Dir: home, Vault: filepath.Join(home, "vault.age"),
		Registry: filepath.Join(home, "secrets.toml"), Recipients: filepath.Join(home, "recipient.txt")}}
	if project != "" {
		d := filepath.Join(root, project, ".patina")
		p.Project = &Scope{Name: Project, Dir: filepath.Join(root, project), Vault: filepath.Join(d, "vault.age"),
			Registry: filepath.Join(d, "secrets.toml"), Recipients: filepath.Join(d, "recipients.txt")}
	}
	return p
}

func writeFile(t *testing.T, path, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestCacheIDCoversEveryFile(t *testing.T) {
	root := t.TempDir()
	p := testPlaces(t, root, "a")
	if _, err := CacheID(p); !errors.Is(err, ErrNoVaults) {
		t.Fatalf("no vaults: %v", err)
	}
	writeFile(t, p.Global.Vault, "global vault bytes")
	seen := map[string]string{}
	step := func(what string) {
		t.Helper()
		id, err := CacheID(p)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if len(id) != 64 || strings.ToLower(id) != id {
			t.Fatalf("%s: id %q is not 64 lowercase hex", what, id)
		}
		if prev, ok := seen[id]; ok {
			t.Fatalf("%s gives the same id as %s", what, prev)
		}
		seen[id] = what
		again, _ := CacheID(p)
		if again != id {
			t.Fatalf("%s: id not stable", what)
		}
	}
	step("global vault only")
	writeFile(t, p.Global.Registry, "version = 1\n")
	step("global registry")
	writeFile(t, p.Project.Vault, "project vault bytes")
	step("project vault")
	writeFile(t, p.Project.Registry, "version = 1\n")
	step("project registry")
	writeFile(t, p.Project.Registry, "version = 1\n\n")
	step("project registry edited")
	writeFile(t, p.Global.Vault, "global vault bytes, edited")
	step("global vault edited")

	// Another project with identical files has another id.
	q := testPlaces(t, root, "b")
	writeFile(t, q.Project.Vault, "project vault bytes")
	writeFile(t, q.Project.Registry, "version = 1\n\n")
	idA, _ := CacheID(p)
	idB, _ := CacheID(q)
	if idA == idB {
		t.Fatal("two projects with identical files share a cache id")
	}
}

func TestDecryptIDMatchesCacheID(t *testing.T) {
	root := t.TempDir()
	p := testPlaces(t, root, "a")
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range p.Scopes() {
		v := vault.New(s.Vault)
		if err := v.Set(s.Name+"-key", []byte("value-"+s.Name)); err != nil {
			t.Fatal(err)
		}
		if err := v.Save([]age.Recipient{id.Recipient()}); err != nil {
			t.Fatal(err)
		}
		if i == 1 {
			reg := vault.NewRegistry(s.Registry)
			reg.Set("project-key", "PROJECT_ONE")
			if err := reg.Save(); err != nil {
				t.Fatal(err)
			}
		}
	}
	want, err := CacheID(p)
	if err != nil {
		t.Fatal(err)
	}
	env, got, err := Decrypt(p, id)
	if err != nil {
		t.Fatal(err)
	}
	defer env.Wipe()
	if got != want {
		t.Errorf("Decrypt pushes under %s, CacheID asks for %s", got, want)
	}
	if string(env["GLOBAL_KEY"]) != "value-global" || string(env["PROJECT_ONE"]) != "value-project" {
		t.Errorf("merged env: %v", env.Names())
	}
}

func TestRunWipesAndPassesEnv(t *testing.T) {
	out := filepath.Join(t.TempDir(), "seen")
	value := []byte("run-value-123")
	env := vault.Env{"PT_SECRET": value}
	t.Setenv("PATINA_IDENTITY", "must-not-reach-the-child")
	code, err := Run(Command{
		Argv: []string{"sh", "-c", `printf '%s|%s' "$PT_SECRET" "${PATINA_IDENTITY-unset}" > "$0"`, out},
		Env:  env,
	})
	if err != nil || code != 0 {
		t.Fatalf("Run: %d %v", code, err)
	}
	data, _ := os.ReadFile(out)
	if string(data) != "run-value-123|unset" {
		t.Errorf("child saw %q", data)
	}
	if !bytes.Equal(value, make([]byte, len(value))) || len(env) != 0 {
		t.Errorf("the value was not wiped: %q, %d entries left", value, len(env))
	}
}

func TestChildEnvWipe(t *testing.T) {
	env, wipe := childEnv(vault.Env{"A_B": []byte("secret-bytes")})
	var kv string
	for _, e := range env {
		if strings.HasPrefix(e, "A_B=") {
			kv = e
		}
	}
	if kv != "A_B=secret-bytes" {
		t.Fatalf("child env entry %q", kv)
	}
	wipe()
	if strings.Contains(kv, "secret") {
		t.Errorf("the entry survived the wipe: %q", kv)
	}
}

func TestRunStartErrors(t *testing.T) {
	_, err := Run(Command{Argv: []string{"no-such-command-pt"}, Env: vault.Env{}})
	var se *StartError
	if !errors.As(err, &se) || se.Code != ExitNotFound {
		t.Errorf("missing command: %v", err)
	}
	_, err = Run(Command{Argv: []string{"true"}, Env: vault.Env{}, SSHHost: "-oProxyCommand=x"})
	if err == nil || !strings.Contains(err.Error(), "not a plain [USER@]HOST") {
		t.Errorf("option as host: %v", err)
	}
}

// TestRunScrubsCredentials: neither the command (`secrets run -- env`)
// nor ssh (`secrets run --ssh`) gets $PATINA_IDENTITY or
// $PATINA_MOTHER_TOKEN.
func TestRunScrubsCredentials(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	sshEnv := filepath.Join(dir, "ssh-env")
	script := "#!/bin/sh\n# stand-in ssh: record the environment, swallow the script\nenv > '" + sshEnv + "'\ncat > /dev/null\n"
	if err := os.WriteFile(filepath.Join(bin, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	t.Setenv("PATINA_IDENTITY", "AGE-SECRET-KEY-1MUSTNOTREACHTHECHILD")
	t.Setenv("PATINA_MOTHER_TOKEN", "token-must-not-reach-the-child")
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	check := func(what, env string) {
		t.Helper()
		for _, name := range []string{"PATINA_IDENTITY=", "PATINA_MOTHER_TOKEN="} {
			if strings.Contains(env, name) {
				t.Errorf("%s saw %s", what, name)
			}
		}
	}

	localEnv := filepath.Join(dir, "env")
	out, err := os.Create(localEnv)
	if err != nil {
		t.Fatal(err)
	}
	code, err := Run(Command{Argv: []string{"env"}, Env: vault.Env{"PT_SECRET": []byte("v")}, Stdin: devNull, Stdout: out})
	out.Close()
	if err != nil || code != 0 {
		t.Fatalf("run -- env: %d %v", code, err)
	}
	data, _ := os.ReadFile(localEnv)
	if !strings.Contains(string(data), "PT_SECRET=v\n") || !strings.Contains(string(data), "PATH=") {
		t.Errorf("env printed:\n%s", data)
	}
	check("secrets run -- env", string(data))

	code, err = Run(Command{Argv: []string{"env"}, Env: vault.Env{"PT_SECRET": []byte("v")}, SSHHost: "build-host", Stdin: devNull})
	if err != nil || code != 0 {
		t.Fatalf("run --ssh: %d %v", code, err)
	}
	data, err = os.ReadFile(sshEnv)
	if err != nil || !strings.Contains(string(data), "PATH=") {
		t.Fatalf("the stand-in ssh did not run: %v %s", err, data)
	}
	check("ssh", string(data))
}

// TestRunSSHDestinations: --ssh takes only what sshdest.Valid passes, so
// nothing reaches a ProxyCommand's %h that a shell would run, and ssh is
// run as `ssh -- HOST bash -s`.
func TestRunSSHDestinations(t *testing.T) {
	dir := t.TempDir()
	argvFile := filepath.Join(dir, "argv")
	script := "#!/bin/sh\n# stand-in ssh: record argv, swallow the script\nprintf '%s\\n' \"$@\" > '" + argvFile + "'\ncat > /dev/null\n"
	if err := os.WriteFile(filepath.Join(dir, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	devNull, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	defer devNull.Close()
	for _, host := range []string{"build-host", "dev@build-host", "dev@10.0.0.7", "[fe80::1%eth0]", "box.example.com:22"} {
		os.Remove(argvFile)
		code, err := Run(Command{Argv: []string{"true"}, Env: vault.Env{"A": []byte("v")}, SSHHost: host, Stdin: devNull})
		if err != nil || code != 0 {
			t.Errorf("--ssh %q: %d %v", host, code, err)
			continue
		}
		argv, _ := os.ReadFile(argvFile)
		if want := "--\n" + host + "\nbash\n-s\n"; string(argv) != want {
			t.Errorf("--ssh %q: ssh ran as %q, want %q", host, argv, want)
		}
	}
	for _, host := range []string{
		"-oProxyCommand=touch${IFS}pwned", "`touch pwned`", "$(touch pwned)", "${HOME}", "a;touch pwned",
		"a|touch", "a&b", "(x)", "{a,b}", "a!b", "a*", "a?", "a b", "a\nb", "a'b", `a"b`, "a<b", "a>b",
		`a\b`, "~x", strings.Repeat("h", 256),
	} {
		os.Remove(argvFile)
		env := vault.Env{"A": []byte("v")}
		_, err := Run(Command{Argv: []string{"true"}, Env: env, SSHHost: host, Stdin: devNull})
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(err.Error(), "--ssh") {
			t.Errorf("--ssh %q accepted: %v", host, err)
		}
		if _, err := os.Stat(argvFile); err == nil {
			t.Errorf("--ssh %q: ssh was run", host)
		}
		if len(env) != 0 {
			t.Errorf("--ssh %q: the secrets were not wiped", host)
		}
	}
}
