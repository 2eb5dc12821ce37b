//go:build linux

package main

// End to end under a real `systemd --user` manager, as on a user's laptop:
// `patina mother install` writes and enables the units, systemd owns the
// sockets, the hardened service starts on the first connection, exits when
// idle and starts again on the next one. The manager runs for a throwaway
// user via packaging/scripts/user-manager.sh (root only; see its header
// for how it works on a machine whose PID 1 is not systemd).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/scry"
)

const (
	e2eUser     = "patina-e2e"
	mgrStateDir = "/run/patina-user-manager" // user-manager.sh's default
)

// testUser is the throwaway user whose manager runs the units.
type testUser struct {
	name       string
	uid, gid   uint32
	home, rt   string // home and runtime dir (/run/user/UID)
	managerPID int
	bin        string // the patina binary the units run
}

// requireUserManager skips unless this machine can run a user manager:
// root, the hybrid cgroup layout writable, systemd and the tools there.
func requireUserManager(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("needs root: creates a test user and delegates a cgroup to its systemd --user manager")
	}
	if _, err := os.Stat("/lib/systemd/systemd"); err != nil {
		t.Skip("/lib/systemd/systemd missing (Debian package systemd): cannot run a user manager")
	}
	for _, tool := range []string{"unshare", "setpriv", "useradd", "userdel", "systemctl", "mountpoint"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("%s not installed: cannot run a user manager", tool)
		}
	}
	for _, h := range []string{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"} {
		probe := filepath.Join(h, fmt.Sprintf("patina-probe-%d", os.Getpid()))
		if err := os.Mkdir(probe, 0o755); err != nil {
			t.Skipf("no writable cgroup hierarchy at %s (%v): cannot delegate a cgroup to a user manager", h, err)
		}
		os.Remove(probe)
	}
}

func managerScript(t *testing.T) string {
	t.Helper()
	p, err := filepath.Abs("../../packaging/scripts/user-manager.sh")
	must(t, err)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("harness script: %v", err)
	}
	return p
}

// runScript runs user-manager.sh as root.
func runScript(t *testing.T, script string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, script, args...)
	cmd.Env = []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "PATINA_MGR_STATE=" + mgrStateDir}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// lockE2EUser serialises test processes that would share the test user
// (two `go test` runs at once on one machine), for the test's lifetime.
func lockE2EUser(t *testing.T) {
	t.Helper()
	f, err := os.OpenFile("/run/patina-e2e.lock", os.O_RDWR|os.O_CREATE, 0o600)
	must(t, err)
	deadline := time.Now().Add(2 * time.Minute)
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if err != syscall.EWOULDBLOCK || time.Now().After(deadline) {
			f.Close()
			t.Fatalf("locking /run/patina-e2e.lock (another run of this test holds it?): %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Cleanup(func() { f.Close() }) // closing drops the lock
}

// startUserManager cleans up what a failed earlier run left, creates the
// user, starts its manager, and tears all of it down when the test ends.
func startUserManager(t *testing.T) *testUser {
	t.Helper()
	script := managerScript(t)
	lockE2EUser(t)
	if out, err := runScript(t, script, "purge", e2eUser); err != nil {
		t.Fatalf("cleaning up an earlier run: %v\n%s", err, out)
	}
	t.Cleanup(func() {
		t0 := time.Now()
		if out, err := runScript(t, script, "purge", e2eUser); err != nil {
			t.Errorf("teardown: %v\n%s", err, out)
		}
		for _, h := range []string{"/sys/fs/cgroup/systemd", "/sys/fs/cgroup/unified"} {
			if _, err := os.Stat(filepath.Join(h, "patina-mgr-"+e2eUser)); !os.IsNotExist(err) {
				t.Errorf("teardown left cgroup %s/patina-mgr-%s", h, e2eUser)
			}
		}
		if _, err := user.Lookup(e2eUser); err == nil {
			t.Errorf("teardown left user %s", e2eUser)
		}
		t.Logf("teardown (manager exit, cgroups, runtime dir, userdel): %v", time.Since(t0).Round(time.Millisecond))
	})
	t0 := time.Now()
	out, err := runScript(t, script, "start", e2eUser)
	if err != nil {
		t.Fatalf("starting the user manager: %v\n%s", err, out)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(out))
	if err != nil {
		t.Fatalf("user-manager.sh start printed %q, want the manager's pid", out)
	}
	t.Logf("user manager running after %v (pid %d)", time.Since(t0).Round(time.Millisecond), pid)
	uu, err := user.Lookup(e2eUser)
	must(t, err)
	uid, _ := strconv.Atoi(uu.Uid)
	gid, _ := strconv.Atoi(uu.Gid)
	u := &testUser{name: e2eUser, uid: uint32(uid), gid: uint32(gid), home: uu.HomeDir,
		rt: fmt.Sprintf("/run/user/%d", uid), managerPID: pid}
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		out, _ := u.systemctl(t, "status", "patina.socket", "patina-tcp.socket", "patina.service")
		t.Logf("systemctl --user status:\n%s", out)
		b, _ := os.ReadFile(filepath.Join(u.rt, "patina-test.log"))
		t.Logf("service log (%%t/patina-test.log):\n%s", b)
		b, _ = os.ReadFile(filepath.Join(mgrStateDir, e2eUser+".log"))
		t.Logf("manager log:\n%s", b)
	})
	return u
}

// run runs a command as the test user, with the environment a login
// session gives it.
func (u *testUser) run(t *testing.T, name string, args ...string) result {
	t.Helper()
	return u.runEnv(t, nil, name, args...)
}

// runEnv is run with env (NAME=value) added to the session's.
func (u *testUser) runEnv(t *testing.T, env []string, name string, args ...string) result {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append([]string{"HOME=" + u.home, "USER=" + u.name, "LOGNAME=" + u.name,
		"PATH=/usr/local/bin:/usr/bin:/bin", "XDG_RUNTIME_DIR=" + u.rt}, env...)
	cmd.Dir = u.home
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{u.gid}}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("as %s: %s %v: %v", u.name, name, args, err)
	}
	return result{out.String(), errb.String(), code}
}

func (u *testUser) systemctl(t *testing.T, args ...string) (string, int) {
	t.Helper()
	r := u.run(t, "systemctl", append([]string{"--user", "--no-pager"}, args...)...)
	return strings.TrimSpace(r.stdout + r.stderr), r.code
}

func (u *testUser) prop(t *testing.T, unit, name string) string {
	t.Helper()
	out, code := u.systemctl(t, "show", "-p", name, "--value", unit)
	if code != 0 {
		t.Fatalf("systemctl --user show -p %s %s: exit %d: %s", name, unit, code, out)
	}
	return out
}

func (u *testUser) isActive(t *testing.T, unit string) string {
	t.Helper()
	out, _ := u.systemctl(t, "is-active", unit) // exit 3 when not active
	return out
}

// waitState polls until unit is in state, for at most d.
func (u *testUser) waitState(t *testing.T, unit, state string, d time.Duration) time.Duration {
	t.Helper()
	t0 := time.Now()
	got := ""
	for time.Since(t0) < d {
		if got = u.isActive(t, unit); got == state {
			return time.Since(t0)
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("%s is %q after %v, want %q", unit, got, d, state)
	return 0
}

// writeOwned writes a file (and its missing parent dirs) owned by the user.
func (u *testUser) writeOwned(t *testing.T, p string, data []byte, mode os.FileMode) {
	t.Helper()
	u.mkdirOwned(t, filepath.Dir(p))
	must(t, os.WriteFile(p, data, mode))
	must(t, os.Chmod(p, mode))
	must(t, os.Chown(p, int(u.uid), int(u.gid)))
}

func (u *testUser) mkdirOwned(t *testing.T, dir string) {
	t.Helper()
	if dir == u.home || dir == "/" {
		return
	}
	if _, err := os.Stat(dir); err == nil {
		return
	}
	u.mkdirOwned(t, filepath.Dir(dir))
	must(t, os.Mkdir(dir, 0o755))
	must(t, os.Chown(dir, int(u.uid), int(u.gid)))
}

// unixGet does GET path over the unix socket as the user, through
// `patina mother dial-stdio`. (Not as root: in the service's user namespace
// (PrivateUsers=yes) root is unmapped, shows up as uid 65534, and the peer
// check answers 403.)
func (u *testUser) unixGet(t *testing.T, path string) httpReply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, u.bin, "mother", "dial-stdio")
	cmd.Env = []string{"HOME=" + u.home, "PATH=/usr/bin:/bin", "XDG_RUNTIME_DIR=" + u.rt}
	cmd.Dir = u.home
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{u.gid}}}
	cmd.Stdin = strings.NewReader("GET " + path + " HTTP/1.1\r\nHost: patina\r\nConnection: close\r\n\r\n")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("dial-stdio GET %s: %v\n%s", path, err, errb.String())
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(out)), nil)
	if err != nil {
		t.Fatalf("dial-stdio GET %s: %v\n%q", path, err, out)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	must(t, err)
	return httpReply{resp.StatusCode, body}
}

// status runs `patina mother status --json` as the user.
func (u *testUser) status(t *testing.T) (motherStatus, result) {
	t.Helper()
	r := u.run(t, u.bin, "mother", "status", "--json")
	var st motherStatus
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("mother status --json: exit %d, %v\nstdout: %s\nstderr: %s", r.code, err, r.stdout, r.stderr)
	}
	return st, r
}

func TestSystemdUserManagerE2E(t *testing.T) {
	requireUserManager(t)
	tStart := time.Now()
	u := startUserManager(t)

	// The binary lives in the user's home: PrivateTmp=yes hides /tmp.
	u.bin = filepath.Join(u.home, ".local", "bin", "patina")
	data, err := os.ReadFile(patinaBin)
	must(t, err)
	u.writeOwned(t, u.bin, data, 0o755)

	sockDir := filepath.Join(u.rt, "patina")
	sock := filepath.Join(sockDir, "mother.sock")
	tcpAddr := "127.0.0.1:" + strconv.Itoa(freeTCPPort(t))
	unitDir := filepath.Join(u.home, ".config", "systemd", "user")

	// 1. install writes the units and enables the sockets.
	t0 := time.Now()
	r := u.run(t, u.bin, "mother", "install", "--tcp", tcpAddr)
	if r.code != 0 {
		t.Fatalf("mother install: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	t.Logf("mother install --tcp %s: %v", tcpAddr, time.Since(t0).Round(time.Millisecond))
	for _, name := range []string{"patina.socket", "patina.service", "patina-tcp.socket"} {
		b, err := os.ReadFile(filepath.Join(unitDir, name))
		if err != nil {
			t.Fatalf("install did not write %s: %v", name, err)
		}
		if name == "patina.service" && !strings.Contains(string(b), "ExecStart="+u.bin+" mother serve") {
			t.Fatalf("patina.service does not run %s:\n%s", u.bin, b)
		}
	}
	for _, unit := range []string{"patina.socket", "patina-tcp.socket"} {
		if st := u.isActive(t, unit); st != "active" {
			t.Fatalf("%s is %q after install, want active", unit, st)
		}
		if en, _ := u.systemctl(t, "is-enabled", unit); en != "enabled" {
			t.Errorf("%s is %q after install, want enabled", unit, en)
		}
	}

	// 2. systemd made the socket, 0600 in a 0700 dir, before the service
	// ever ran.
	if st := u.isActive(t, "patina.service"); st != "inactive" {
		t.Fatalf("patina.service is %q before any connection, want inactive", st)
	}
	if ts := u.prop(t, "patina.service", "ExecMainStartTimestampMonotonic"); ts != "0" {
		t.Fatalf("patina.service already ran (ExecMainStartTimestampMonotonic=%s)", ts)
	}
	checkMode := func(p string, typ, perm os.FileMode) {
		t.Helper()
		fi, err := os.Lstat(p)
		if err != nil {
			t.Fatal(err)
		}
		st := fi.Sys().(*syscall.Stat_t)
		if fi.Mode().Type() != typ || fi.Mode().Perm() != perm || st.Uid != u.uid {
			t.Fatalf("%s: mode %v uid %d, want %v|%v owned by %d", p, fi.Mode(), st.Uid, typ, perm, u.uid)
		}
	}
	checkMode(sockDir, os.ModeDir, 0o700)
	checkMode(sock, os.ModeSocket, 0o600)
	sockID := statID(t, sock)
	tok := readToken(t, filepath.Join(u.home, ".patina", "mother.token"))

	// No journald here: keep the service's stderr in %t/patina-test.log.
	u.writeOwned(t, filepath.Join(unitDir, "patina.service.d", "log.conf"),
		[]byte("[Service]\nStandardError=append:%t/patina-test.log\n"), 0o644)
	if out, code := u.systemctl(t, "daemon-reload"); code != 0 {
		t.Fatalf("daemon-reload: %s", out)
	}

	// 3. The first `patina mother status` starts the service.
	t0 = time.Now()
	st, r := u.status(t)
	firstStatus := time.Since(t0)
	if r.code != 0 || !st.Reachable || st.Activation != "systemd" || st.PID == 0 {
		t.Fatalf("first mother status: exit %d %+v\n%s", r.code, st, r.stderr)
	}
	if st.Socket != sock {
		t.Errorf("status socket %q, want %q", st.Socket, sock)
	}
	t.Logf("first `patina mother status` (activates the service): %v", firstStatus.Round(time.Millisecond))
	// READY=1 reaches the manager: activating → active.
	u.waitState(t, "patina.service", "active", 15*time.Second)
	pid1 := st.PID
	if mp := u.prop(t, "patina.service", "MainPID"); mp != strconv.Itoa(pid1) {
		t.Fatalf("MainPID %s, daemon says pid %d", mp, pid1)
	}
	if st2, _ := u.status(t); !strings.Contains(st2.Units, "patina.service active") || st2.PID != pid1 {
		t.Errorf("second status: %+v, want the same pid and units active", st2)
	}

	// 4. The hardening of patina.service is in force on the live process.
	checkHardening(t, u, pid1)

	// 5. TCP, with its token.
	checkTCP(t, tcpAddr, tok)

	// 6. Stop (SIGTERM): graceful exit 0; the sockets stay.
	if out, code := u.systemctl(t, "stop", "patina.service"); code != 0 {
		t.Fatalf("stop patina.service: %s", out)
	}
	if res, status := u.prop(t, "patina.service", "Result"), u.prop(t, "patina.service", "ExecMainStatus"); res != "success" || status != "0" {
		t.Fatalf("after stop: Result=%s ExecMainStatus=%s, want success 0", res, status)
	}
	if st := u.isActive(t, "patina.socket"); st != "active" {
		t.Fatalf("patina.socket %q after the service stopped", st)
	}
	if got := statID(t, sock); got != sockID {
		t.Fatalf("socket file changed: %+v -> %+v", sockID, got)
	}

	// 7. Idle exit: a drop-in shortens the idle timeout.
	const idle = 2 * time.Second
	u.writeOwned(t, filepath.Join(unitDir, "patina.service.d", "test.conf"),
		[]byte(fmt.Sprintf("[Service]\nExecStart=\nExecStart=%s mother serve --idle-timeout=%s\n", u.bin, idle)), 0o644)
	if out, code := u.systemctl(t, "daemon-reload"); code != 0 {
		t.Fatalf("daemon-reload: %s", out)
	}
	t0 = time.Now()
	h := u.unixGet(t, "/health")
	if h.code != 200 {
		t.Fatalf("/health: %d %s", h.code, h.body)
	}
	cold := time.Since(t0)
	pid2 := h.health(t).PID
	// The daemon's idle clock starts when it finishes the request, which is
	// after t0 but can be well before unixGet returns (dial-stdio still has
	// to exit, on a loaded machine that takes a while): measured from when
	// it returned, a correct exit could look early. From t0 it cannot.
	last := t0
	if pid2 == pid1 || pid2 == 0 {
		t.Fatalf("pid after restart %d, before %d", pid2, pid1)
	}
	t.Logf("cold activation over the unix socket (`patina mother dial-stdio` run as the user, GET /health answered): %v", cold.Round(time.Microsecond))
	u.waitState(t, "patina.service", "active", 15*time.Second)
	u.waitState(t, "patina.service", "inactive", idle+8*time.Second)
	idleAfter := time.Since(last)
	if idleAfter < idle {
		t.Fatalf("service stopped %v after its last request was sent, before the idle timeout %v", idleAfter, idle)
	}
	t.Logf("idle exit seen %v after the last request (idle timeout %v)", idleAfter.Round(time.Millisecond), idle)
	if res, status := u.prop(t, "patina.service", "Result"), u.prop(t, "patina.service", "ExecMainStatus"); res != "success" || status != "0" {
		t.Fatalf("after idle exit: Result=%s ExecMainStatus=%s, want success 0", res, status)
	}
	if log, _ := os.ReadFile(filepath.Join(u.rt, "patina-test.log")); !bytes.Contains(log, []byte(`reason=idle`)) {
		t.Errorf("service log does not record the idle exit:\n%s", log)
	}
	if st := u.isActive(t, "patina.socket"); st != "active" {
		t.Fatalf("patina.socket %q after idle exit", st)
	}
	if got := statID(t, sock); got != sockID {
		t.Fatalf("socket file changed: %+v -> %+v", sockID, got)
	}

	// 8. The next request starts it again, a new process.
	st, r = u.status(t)
	if r.code != 0 || !st.Reachable || st.Activation != "systemd" || st.PID == pid2 || st.PID == 0 {
		t.Fatalf("status after idle exit: exit %d %+v (previous pid %d)\n%s", r.code, st, pid2, r.stderr)
	}
	u.waitState(t, "patina.service", "active", 15*time.Second)

	// 8b. Scry through the hardened service: the user indexes a project in
	// their home, which the service sees read-only (ProtectHome=read-only),
	// and the daemon, not an in-process fallback, answers from it.
	// The user gets their own copy of the provisioned runtime and model
	// (in ~/.cache/patina, the default), so the daemon loads ONNX Runtime
	// under the unit's hardening (MemoryDenyWriteExecute, the syscall
	// filter, PrivateUsers) for the semantic query.
	for _, f := range provisionedFiles {
		data, err := os.ReadFile(filepath.Join(modelCache, f))
		must(t, err)
		u.writeOwned(t, filepath.Join(u.home, ".cache", "patina", f), data, 0o644)
	}
	proj := filepath.Join(u.home, "src", "notes")
	u.writeOwned(t, filepath.Join(proj, "NOTES.md"), []byte("# Ledger\n\nThe zanzibar ledger is reconciled nightly.\n\n# Garden\n\nWater the tomatoes every morning.\n"), 0o644)
	if r := u.run(t, u.bin, "scrape", proj); r.code != 0 || !strings.Contains(r.stdout, "embedded (use-lite)") {
		t.Fatalf("scrape as the user: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, q := range [][]string{{"zanzibar"}, {"--mode", "semantic", "--json", "how", "often", "are", "the", "plants", "watered"}} {
		args := append([]string{"scry", "--project", "notes"}, q...)
		r := u.run(t, u.bin, args...)
		ok := r.code == 0 && !strings.Contains(r.stderr, "in-process") && !strings.Contains(r.stderr, "lexical only")
		if q[0] == "zanzibar" {
			ok = ok && strings.HasPrefix(r.stdout, "src/notes/NOTES.md:3: ") // relative to the home directory it runs in
		} else {
			var resp scry.Response
			ok = ok && json.Unmarshal([]byte(r.stdout), &resp) == nil && resp.Mode == scry.ModeSemantic && !resp.Degraded &&
				resp.Count > 0 && resp.Results[0].Title == "Garden"
		}
		if !ok {
			b, _ := os.ReadFile(filepath.Join(u.rt, "patina-test.log"))
			t.Fatalf("scry %q through the hardened daemon: exit %d\nstdout: %s\nstderr: %s\nservice log:\n%s", q, r.code, r.stdout, r.stderr, b)
		}
	}

	// 9. The TCP socket starts the service too.
	if out, code := u.systemctl(t, "stop", "patina.service"); code != 0 {
		t.Fatalf("stop patina.service: %s", out)
	}
	t0 = time.Now()
	h = mustGet(t, "tcp", tcpAddr, "/health", "")
	if h.code != 200 || h.health(t).Activation != "systemd" {
		t.Fatalf("TCP /health activating the service: %d %s", h.code, h.body)
	}
	t.Logf("cold activation over TCP: %v", time.Since(t0).Round(time.Microsecond))
	checkTCP(t, tcpAddr, tok)
	if r := u.unixGet(t, "/no/such/path"); r.code != 404 {
		t.Errorf("unix socket, unknown path, no token: %d %s, want 404", r.code, r.body)
	}

	// 10. uninstall stops and removes the units; systemd removes the socket.
	r = u.run(t, u.bin, "mother", "uninstall")
	if r.code != 0 {
		t.Fatalf("mother uninstall: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	for _, name := range []string{"patina.socket", "patina.service", "patina-tcp.socket"} {
		if _, err := os.Stat(filepath.Join(unitDir, name)); !os.IsNotExist(err) {
			t.Errorf("%s still there after uninstall: %v", name, err)
		}
		if ls := u.prop(t, name, "LoadState"); ls != "not-found" {
			t.Errorf("%s LoadState=%s after uninstall, want not-found", name, ls)
		}
		if st := u.isActive(t, name); st != "inactive" {
			t.Errorf("%s is %q after uninstall", name, st)
		}
	}
	if _, err := os.Lstat(sock); !os.IsNotExist(err) {
		t.Errorf("socket still there after uninstall (RemoveOnStop=yes): %v", err)
	}
	if st, r := u.status(t); r.code != 1 || st.Reachable {
		t.Errorf("status after uninstall: exit %d %+v, want 1 and unreachable", r.code, st)
	}
	t.Logf("end to end, manager start to uninstall: %v", time.Since(tStart).Round(time.Millisecond))
}

// checkTCP: /health and /version are public, the rest needs the token.
func checkTCP(t *testing.T, addr, tok string) {
	t.Helper()
	for _, c := range []struct {
		path, token string
		want        int
	}{
		{"/health", "", 200},
		{"/version", "", 200},
		{"/no/such/path", "", 401},
		{"/no/such/path", "not-the-token", 401},
		{"/no/such/path", tok, 404},
		{"/health", tok, 200},
	} {
		if r := mustGet(t, "tcp", addr, c.path, c.token); r.code != c.want {
			t.Errorf("TCP GET %s (token %v): %d %s, want %d", c.path, c.token != "", r.code, r.body, c.want)
		}
	}
}

// checkHardening looks at the running daemon from outside: what the kernel
// says about it, not what the unit file asks for.
func checkHardening(t *testing.T, u *testUser, pid int) {
	t.Helper()
	proc := func(f string) string {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/%s", pid, f))
		if err != nil {
			t.Fatalf("reading /proc/%d/%s: %v", pid, f, err)
		}
		return string(b)
	}
	status := map[string]string{}
	for _, l := range strings.Split(proc("status"), "\n") {
		if k, v, ok := strings.Cut(l, ":"); ok {
			status[k] = strings.TrimSpace(v)
		}
	}
	for k, want := range map[string]string{
		"NoNewPrivs": "1",                // NoNewPrivileges=yes
		"Seccomp":    "2",                // SystemCallFilter=
		"CapBnd":     "0000000000000000", // CapabilityBoundingSet=
		"CapEff":     "0000000000000000",
		"CapAmb":     "0000000000000000", // AmbientCapabilities=
	} {
		if status[k] != want {
			t.Errorf("daemon %s: %q, want %q", k, status[k], want)
		}
	}
	// PrivateUsers=, PrivateNetwork=, PrivateIPC=, ProtectHostname= and the
	// mount namespace: each its own namespace, not the manager's.
	for _, ns := range []string{"user", "net", "ipc", "uts", "mnt"} {
		mine, err1 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", pid, ns))
		mgr, err2 := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", u.managerPID, ns))
		if err1 != nil || err2 != nil || mine == mgr {
			t.Errorf("daemon %s namespace %q, manager's %q (%v %v): want a private one", ns, mine, mgr, err1, err2)
		}
	}
	// PrivateUsers=yes: only the user's own uid is mapped.
	if m := strings.Fields(proc("uid_map")); strings.Join(m, " ") != fmt.Sprintf("%d %d 1", u.uid, u.uid) {
		t.Errorf("daemon uid_map %q, want only %d mapped", m, u.uid)
	}
	// ProtectSystem=strict, ProtectHome=read-only with ReadWritePaths=
	// %h/.patina, PrivateTmp=yes.
	mounts := map[string]string{} // mount point → options (the last one wins)
	for _, l := range strings.Split(proc("mountinfo"), "\n") {
		f := strings.Fields(l)
		if len(f) > 5 {
			mounts[f[4]] = f[5]
		}
	}
	for mp, want := range map[string]string{
		"/":                              "ro",
		"/run/user":                      "ro",
		filepath.Join(u.home, ".patina"): "rw",
		"/tmp":                           "rw",
	} {
		opts, ok := mounts[mp]
		if !ok || !strings.HasPrefix(opts, want+",") {
			t.Errorf("daemon mount %s: %q (present %v), want %s", mp, opts, ok, want)
		}
	}
	if lim := proc("limits"); !strings.Contains(lim, "Max core file size        0") {
		t.Errorf("core dumps not off (LimitCORE=0):\n%s", lim)
	}
}
