package client

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// standInSSH puts an ssh on PATH that records its environment and argv,
// one per line, and exits.
func standInSSH(t *testing.T) (envFile, argvFile string) {
	t.Helper()
	dir := t.TempDir()
	envFile, argvFile = filepath.Join(dir, "env"), filepath.Join(dir, "argv")
	script := "#!/bin/sh\nenv > '" + envFile + "'\nprintf '%s\\n' \"$@\" > '" + argvFile + "'\n"
	if err := os.WriteFile(filepath.Join(dir, "ssh"), []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir+string(os.PathListSeparator)+os.Getenv("PATH"))
	return envFile, argvFile
}

func TestSSHGetsNoCredentials(t *testing.T) {
	envFile, _ := standInSSH(t)
	t.Setenv("PATINA_IDENTITY", "AGE-SECRET-KEY-1MUSTNOTREACHSSH")
	t.Setenv(EnvToken, "token-must-not-reach-ssh")
	conn, err := dialSSH("dev@build-box", "patina")
	if err != nil {
		t.Fatal(err)
	}
	conn.Close() // waits for ssh
	data, err := os.ReadFile(envFile)
	if err != nil || !strings.Contains(string(data), "PATH=") {
		t.Fatalf("the stand-in ssh did not run: %v %s", err, data)
	}
	for _, name := range []string{"PATINA_IDENTITY=", EnvToken + "="} {
		if strings.Contains(string(data), name) {
			t.Errorf("ssh saw %s", name)
		}
	}
}

// TestSSHDestinations: ssh:// takes only what sshdest.Valid passes, and
// ssh gets it after "--".
func TestSSHDestinations(t *testing.T) {
	_, argvFile := standInSSH(t)
	for _, dest := range []string{"build-box", "dev@build-box", "dev@10.0.0.7", "[::1]", "[fe80::1%eth0]", "git.example.com"} {
		if _, err := SSH(dest); err != nil {
			t.Errorf("SSH(%q): %v", dest, err)
			continue
		}
		if c, err := Open("ssh://" + dest + "/"); err != nil || c.Target != "ssh://"+dest {
			t.Errorf("Open(ssh://%s/): %v", dest, err)
		}
		conn, err := dialSSH(dest, "patina")
		if err != nil {
			t.Fatal(err)
		}
		conn.Close()
		argv, _ := os.ReadFile(argvFile)
		if want := "-T\n--\n" + dest + "\npatina\nmother\ndial-stdio\n"; string(argv) != want {
			t.Errorf("ssh ran as %q, want %q", argv, want)
		}
	}
	for _, dest := range []string{
		"", "-oProxyCommand=x", "-", "`id`", "$(id)", "${HOME}", "a;id", "a|id", "a&id", "(x)", "{a,b}",
		"a!b", "a*", "a?", "a b", "a\tb", "a\nb", "a'b", `a"b`, "a<b", "a>b", `a\b`, "~x", "a,b",
		strings.Repeat("h", 256),
	} {
		if _, err := SSH(dest); err == nil {
			t.Errorf("SSH(%q) accepted", dest)
		}
		if _, err := Open("ssh://" + dest); err == nil {
			t.Errorf("Open(ssh://%s) accepted", dest)
		}
	}
}
