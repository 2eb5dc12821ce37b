package atomicfile_test

import (
	"bufio"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/patina-dev/patina/internal/atomicfile"
	"github.com/patina-dev/patina/internal/vault"
)

// onlyFiles fails unless dir holds exactly the named files: no temp file
// may be left behind.
func onlyFiles(t *testing.T, dir string, names ...string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range entries {
		got = append(got, e.Name())
	}
	if strings.Join(got, ",") != strings.Join(names, ",") {
		t.Fatalf("directory holds %v, want %v", got, names)
	}
}

func mode(t *testing.T, path string) os.FileMode {
	t.Helper()
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return st.Mode().Perm()
}

func TestWriteReplaces(t *testing.T) {
	path := filepath.Join(t.TempDir(), "f")
	for _, content := range []string{"first", "second, longer", ""} {
		if err := atomicfile.Write(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		if b, _ := os.ReadFile(path); string(b) != content {
			t.Fatalf("content %q, want %q", b, content)
		}
	}
	onlyFiles(t, filepath.Dir(path), "f")
}

// The mode is exactly what was asked for, whatever the umask: 0600 under
// umask 0 (which would otherwise let CreateTemp's mode through unchanged
// and a plain create give 0666), and a replaced 0644 file becomes 0600.
func TestModesUnderUmaskZero(t *testing.T) {
	old := syscall.Umask(0)
	defer syscall.Umask(old)
	dir := t.TempDir()
	path := filepath.Join(dir, "vault.age")
	if err := os.WriteFile(path, []byte("old"), 0o666); err != nil {
		t.Fatal(err)
	}
	if err := atomicfile.Write(path, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, path); m != 0o600 {
		t.Fatalf("Write: mode %v, want 0600", m)
	}
	created := filepath.Join(dir, "key.txt")
	if err := atomicfile.Create(created, []byte("k"), 0o600); err != nil {
		t.Fatal(err)
	}
	if m := mode(t, created); m != 0o600 {
		t.Fatalf("Create: mode %v, want 0600", m)
	}
	// A hook that looks at the temp file sees 0600 too: the secret is never
	// readable by others, not even before the rename.
	restore := atomicfile.SetAfterTempWritten(func(tmp string) error {
		if m := mode(t, tmp); m != 0o600 {
			return fmt.Errorf("temp file mode %v", m)
		}
		return nil
	})
	defer restore()
	if err := atomicfile.Write(path, []byte("newer"), 0o600); err != nil {
		t.Fatal(err)
	}
}

// A crash after the temp file is complete but before the rename: the old
// file is intact and the temp file is cleaned up.
func TestFailureAfterTempWrittenKeepsOldFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "vault.age")
	if err := atomicfile.Write(path, []byte("old content"), 0o600); err != nil {
		t.Fatal(err)
	}
	crash := errors.New("simulated crash")
	var sawTemp string
	restore := atomicfile.SetAfterTempWritten(func(tmp string) error {
		sawTemp = tmp
		if b, err := os.ReadFile(tmp); err != nil || string(b) != "new content" {
			t.Errorf("temp file not complete at the hook: %q %v", b, err)
		}
		return crash
	})
	defer restore()
	for _, c := range []struct {
		write  func(string, []byte, os.FileMode) error
		target string
	}{
		{atomicfile.Write, path},                       // replacing
		{atomicfile.Create, filepath.Join(dir, "new")}, // creating
	} {
		if err := c.write(c.target, []byte("new content"), 0o600); !errors.Is(err, crash) {
			t.Fatalf("got %v, want the hook's error", err)
		}
		if filepath.Dir(sawTemp) != dir {
			t.Fatalf("temp file %s is not in the target's directory", sawTemp)
		}
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "old content" {
		t.Fatalf("old file: %q %v", b, err)
	}
	onlyFiles(t, dir, "vault.age")
}

func TestCreateRefusesToReplace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.txt")
	if err := atomicfile.Create(path, []byte("first"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := atomicfile.Create(path, []byte("second"), 0o600)
	if !errors.Is(err, fs.ErrExist) {
		t.Fatalf("got %v, want fs.ErrExist", err)
	}
	if b, _ := os.ReadFile(path); string(b) != "first" {
		t.Fatalf("existing file changed to %q", b)
	}
	onlyFiles(t, dir, "key.txt")
}

// Racing creators: exactly one wins, the file holds the winner's bytes.
func TestCreateRace(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "key.txt")
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = atomicfile.Create(path, []byte(fmt.Sprintf("writer %02d", i)), 0o600)
		}()
	}
	wg.Wait()
	winners := 0
	var winner string
	for i, err := range errs {
		switch {
		case err == nil:
			winners++
			winner = fmt.Sprintf("writer %02d", i)
		case !errors.Is(err, fs.ErrExist):
			t.Fatalf("writer %d: %v", i, err)
		}
	}
	if b, _ := os.ReadFile(path); winners != 1 || string(b) != winner {
		t.Fatalf("%d winners, file %q, want 1 and %q", winners, b, winner)
	}
	onlyFiles(t, dir, "key.txt")
}

const childEnv = "PATINA_ATOMICFILE_TEST_CHILD"

// A real crash: a child process saving a new vault is SIGKILLed while its
// temp file is complete but not yet renamed. The previous vault must still
// decrypt to its previous value; only a stray temp file is left, which the
// next save does not mind, and which a save once it is stale removes.
func TestKilledWriterLeavesPreviousVault(t *testing.T) {
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "vault.age")
	v := vault.New(path)
	v.Set("api-key", []byte("sk-previous-value"))
	if err := v.Save([]age.Recipient{id.Recipient()}); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(path)

	cmd := exec.Command(os.Args[0], "-test.run=^TestKilledWriterChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+path, "PATINA_TEST_RECIPIENT="+id.Recipient().String())
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if tmp, ok := strings.CutPrefix(sc.Text(), "READY "); ok {
				ready <- tmp
				return
			}
		}
		close(ready)
	}()
	var tmp string
	select {
	case t2, ok := <-ready:
		if !ok {
			cmd.Wait()
			t.Fatal("child exited before reaching the hook")
		}
		tmp = t2
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		t.Fatal("child never reached the hook")
	}
	if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	cmd.Wait()

	after, _ := os.ReadFile(path)
	if string(after) != string(before) {
		t.Fatal("the vault file changed under a killed writer")
	}
	got, err := vault.Load(path, id)
	if err != nil {
		t.Fatalf("previous vault unreadable after the crash: %v", err)
	}
	if b, _ := got.Get("api-key"); string(b) != "sk-previous-value" {
		t.Fatal("previous vault lost its value")
	}
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("expected the killed writer's temp file %s to remain: %v", tmp, err)
	}
	// The next save works despite the stray temp file.
	got.Set("api-key", []byte("sk-after-crash"))
	if err := got.Save([]age.Recipient{id.Recipient()}); err != nil {
		t.Fatal(err)
	}
	again, err := vault.Load(path, id)
	if err != nil {
		t.Fatal(err)
	}
	if b, _ := again.Get("api-key"); string(b) != "sk-after-crash" {
		t.Fatal("save after the crash did not take")
	}
	// Fresh, the stray looks like a live writer's and stays; a minute
	// later the next save sweeps it.
	if _, err := os.Stat(tmp); err != nil {
		t.Fatalf("a fresh temp file was swept: %v", err)
	}
	backdate(t, tmp, 2*time.Minute)
	if err := again.Save([]age.Recipient{id.Recipient()}); err != nil {
		t.Fatal(err)
	}
	onlyFiles(t, dir, "vault.age")
}

// TestKilledWriterChild is the child half of the test above: it saves a new
// vault with the hook blocking forever, so the parent can kill it there.
func TestKilledWriterChild(t *testing.T) {
	path := os.Getenv(childEnv)
	if path == "" {
		t.Skip("helper process for TestKilledWriterLeavesPreviousVault")
	}
	rec, err := age.ParseX25519Recipient(os.Getenv("PATINA_TEST_RECIPIENT"))
	if err != nil {
		t.Fatal(err)
	}
	atomicfile.SetAfterTempWritten(func(tmp string) error {
		fmt.Printf("READY %s\n", tmp)
		os.Stdout.Sync()
		select {} // wait for SIGKILL
	})
	v := vault.New(path)
	v.Set("api-key", []byte("sk-new-value-never-committed"))
	v.Save([]age.Recipient{rec})
	t.Fatal("the hook returned")
}
