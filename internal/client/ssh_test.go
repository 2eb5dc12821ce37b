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
