package main

// patina mcp end to end: the real binary as an MCP server over stdio,
// driven by the Go SDK's client, by raw JSON-RPC lines (stdout purity),
// and by the reference TypeScript SDK (interop), against a fixture
// project scraped by the real binary, with and without a real daemon.

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/mcpserver"
)

// mcpEnv is a home with the fixture scraped and registered as "fixture",
// and a socket nobody answers on: scry works in-process.
func mcpEnv(t *testing.T) []string {
	t.Helper()
	home := t.TempDir()
	env := []string{"PATINA_HOME=" + home, "PATINA_SOCKET=" + noDaemonSocket(t)}
	scrapeJSON(t, env, indextest.Fixture(t), "--name", "fixture")
	return env
}

// mcpSession starts `patina mcp` with env and connects the Go SDK client
// to it over its stdin/stdout. Its stderr is returned.
func mcpSession(t *testing.T, env []string, args ...string) (*mcp.ClientSession, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(patinaBin, append([]string{"mcp"}, args...)...)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + t.TempDir()}, env...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	c := mcp.NewClient(&mcp.Implementation{Name: "patina-e2e", Version: "v0"}, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cs, err := c.Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
	if err != nil {
		t.Fatalf("connect to patina mcp: %v\n%s", err, stderr)
	}
	t.Cleanup(func() {
		if err := cs.Close(); err != nil {
			t.Errorf("patina mcp did not end cleanly: %v\n%s", err, stderr)
		}
	})
	return cs, stderr
}

func scryTool(t *testing.T, cs *mcp.ClientSession, args map[string]any) mcpserver.ScryOutput {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: "scry", Arguments: args})
	if err != nil {
		t.Fatalf("scry %v: %v", args, err)
	}
	var out mcpserver.ScryOutput
	decodeTool(t, res, &out)
	return out
}

func statusTool(t *testing.T, cs *mcp.ClientSession) mcpserver.StatusOutput {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "mother_status"})
	if err != nil {
		t.Fatal(err)
	}
	var out mcpserver.StatusOutput
	decodeTool(t, res, &out)
	return out
}

func decodeTool(t *testing.T, res *mcp.CallToolResult, out any) {
	t.Helper()
	if res.IsError {
		t.Fatalf("tool error: %v", res.Content)
	}
	b, _ := json.Marshal(res.StructuredContent)
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
}

func TestMCPUsage(t *testing.T) {
	cases := []struct {
		args  []string
		stdin string
		code  int
		want  string // in stderr (code != 0) or stdout (code 0)
	}{
		{[]string{"mcp", "--help"}, "", 0, "claude mcp add patina -- patina mcp"},
		{[]string{"serve", "--help"}, "", 0, "serve --mcp"},
		{[]string{"mcp", "extra"}, "", 2, "mcp takes no arguments"},
		{[]string{"mcp", "--log-level", "loud"}, "", 2, `--log-level "loud"`},
		{[]string{"mcp", "--bogus"}, "", 2, "unknown flag: --bogus"},
		{[]string{"mcp", "--mother", "ftp://x"}, "", 1, "unknown scheme"},
		{[]string{"serve"}, "", 2, "patina mother serve"},
		{[]string{"serve", "--tcp", "127.0.0.1:1"}, "", 2, "unknown flag"},
		// The client closing stdin at once is a clean end.
		{[]string{"mcp"}, "", 0, ""},
		{[]string{"serve", "--mcp"}, "", 0, ""},
	}
	for _, c := range cases {
		cmd := exec.Command(patinaBin, c.args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + t.TempDir(), "PATINA_HOME=" + t.TempDir(), "PATINA_SOCKET=" + noDaemonSocket(t)}
		cmd.Stdin = strings.NewReader(c.stdin)
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		err := cmd.Run()
		code := 0
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		got := out.String()
		if c.code != 0 {
			got = errb.String()
		}
		if code != c.code || !strings.Contains(got, c.want) {
			t.Errorf("patina %v: exit %d, want %d with %q\nstdout: %s\nstderr: %s", c.args, code, c.code, c.want, out.String(), errb.String())
		}
		if c.code == 0 && c.want == "" && out.Len() != 0 {
			t.Errorf("patina %v wrote to stdout with no request: %q", c.args, out.String())
		}
	}
	help := runPatina(t, nil, "--help")
	if !strings.Contains(help.stdout, "mcp ") || strings.Contains(help.stdout, "\n  serve ") {
		t.Errorf("root help should list mcp and hide serve:\n%s", help.stdout)
	}
}

// Stdout carries nothing but JSON-RPC 2.0 messages, one a line, even with
// debug logging, bad requests and garbage in; the logs go to stderr.
func TestMCPStdoutIsOnlyProtocol(t *testing.T) {
	env := mcpEnv(t)
	cmd := exec.Command(patinaBin, "mcp", "--log-level", "debug")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + t.TempDir()}, env...)
	stdin, err := cmd.StdinPipe()
	must(t, err)
	stdoutPipe, err := cmd.StdoutPipe()
	must(t, err)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	must(t, cmd.Start())
	defer cmd.Process.Kill()

	var raw bytes.Buffer
	lines := make(chan []byte)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(io.TeeReader(stdoutPipe, &raw))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			lines <- append([]byte(nil), sc.Bytes()...)
		}
	}()
	send := func(s string) {
		t.Helper()
		if _, err := io.WriteString(stdin, s+"\n"); err != nil {
			t.Fatal(err)
		}
	}
	// await reads frames, checking each, until every id has its answer
	// (requests are handled concurrently, so answers come in any order).
	responses := map[string]map[string]any{}
	await := func(ids ...string) {
		t.Helper()
		for _, id := range ids {
			for responses[id] == nil {
				select {
				case line, ok := <-lines:
					if !ok {
						t.Fatalf("stdout closed before the answer to %s\nstderr:\n%s", id, stderr)
					}
					msg := checkFrame(t, line)
					var m map[string]any
					json.Unmarshal(line, &m)
					responses[string(msg["id"])] = m
				case <-time.After(30 * time.Second):
					t.Fatalf("no answer to %s\nstderr:\n%s", id, stderr)
				}
			}
		}
	}

	send(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"purity","version":"0"}}}`)
	await("1")
	send(`{"jsonrpc":"2.0","method":"notifications/initialized"}`)
	send(`{"jsonrpc":"2.0","id":2,"method":"tools/list"}`)
	send(`{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"scry","arguments":{"query":"quasar","project":"fixture"}}}`)
	send(`{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"scry","arguments":{"query":7}}}`)
	send(`{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"scry","arguments":{"query":"quasar","project":"nosuch"}}}`)
	send(`{"jsonrpc":"2.0","id":6,"method":"tools/call","params":{"name":"nosuch","arguments":{}}}`)
	send(`this is not json`)
	send(`{"id":"seven","method":"ping"}`)
	send(`{"jsonrpc":"2.0","id":8,"method":"tools/call","params":{"name":"projects"}}`)
	send(`{"jsonrpc":"2.0","id":9,"method":"ping"}`)
	await("2", "3", "4", "5", "6", "null", `"seven"`, "8", "9")
	if r := responses["3"]; r["result"] == nil || !strings.Contains(mustJSON(r), `README.md:9-12`) {
		t.Errorf("scry: %s", mustJSON(r))
	}
	for _, id := range []string{"4", "5"} {
		if res, _ := responses[id]["result"].(map[string]any); res == nil || res["isError"] != true {
			t.Errorf("bad call %s is not a tool error: %s", id, mustJSON(responses[id]))
		}
	}
	if responses["6"]["error"] == nil || responses["null"]["error"] == nil || responses[`"seven"`]["error"] == nil {
		t.Errorf("unknown tool, garbage and a versionless request must each get a JSON-RPC error: %v", responses)
	}

	stdin.Close()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("patina mcp exited with %v\n%s", err, stderr)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("patina mcp did not exit when stdin closed")
	}
	for range lines {
	}
	// Every byte of stdout is in a checked frame.
	for _, line := range bytes.Split(bytes.TrimSuffix(raw.Bytes(), []byte("\n")), []byte("\n")) {
		checkFrame(t, line)
	}
	logs := stderr.String()
	for _, want := range []string{"level=DEBUG", "method=tools/call", "tool=scry", "patina mcp serving on stdio", "client disconnected"} {
		if !strings.Contains(logs, want) {
			t.Errorf("stderr lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "quasar") {
		t.Errorf("the logs carry the agent's query:\n%s", logs)
	}
}

// checkFrame fails unless line is one JSON-RPC 2.0 message: a response
// (id, and result or error) or a request/notification (method).
func checkFrame(t *testing.T, line []byte) map[string]json.RawMessage {
	t.Helper()
	var msg map[string]json.RawMessage
	if err := json.Unmarshal(line, &msg); err != nil {
		t.Fatalf("stdout line is not JSON: %q", line)
	}
	if string(msg["jsonrpc"]) != `"2.0"` {
		t.Fatalf("stdout line is not JSON-RPC 2.0: %s", line)
	}
	_, hasID := msg["id"]
	_, hasResult := msg["result"]
	_, hasError := msg["error"]
	_, hasMethod := msg["method"]
	if !(hasID && (hasResult != hasError)) && !hasMethod {
		t.Fatalf("stdout line is neither a response nor a request: %s", line)
	}
	return msg
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A daemon that answers, then dies mid-session: the next call falls back
// in-process with the same answer, and a daemon started again is reached.
func TestMCPDaemonDiesMidSession(t *testing.T) {
	sock := shortSocket(t)
	d := startDaemon(t, sock)
	env := daemonEnv(t, d)
	root := indextest.Fixture(t)
	scrapeJSON(t, env, root, "--name", "fixture")
	cs, _ := mcpSession(t, env)

	args := map[string]any{"query": indextest.WordReadme, "project": "fixture"}
	first := scryTool(t, cs, args)
	if first.Via != "daemon" || first.Count == 0 || first.Results[0].Path != "README.md" || first.Results[0].StartLine != 9 {
		t.Fatalf("through the daemon: %+v", first)
	}
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: "read", Arguments: map[string]any{"id": first.Results[0].ID}})
	var read mcpserver.ReadOutput
	if err != nil {
		t.Fatal(err)
	}
	if decodeTool(t, res, &read); read.Via != "daemon" || read.StartLine != 9 || !strings.Contains(read.Text, indextest.WordReadme) {
		t.Errorf("read through the daemon: %+v", read)
	}
	st := statusTool(t, cs)
	if !st.Answering || st.Activation != "standalone" || st.Target != sock || st.PID != d.cmd.Process.Pid || st.Version == "" {
		t.Errorf("status with the daemon up: %+v", st)
	}

	must(t, d.cmd.Process.Signal(syscall.SIGKILL))
	waitRefused(t, sock)
	second := scryTool(t, cs, args)
	if second.Via != "in-process" || !slices.Equal(ids(second), ids(first)) {
		t.Errorf("after the daemon died: via %q, results %v, want in-process %v", second.Via, ids(second), ids(first))
	}
	if st := statusTool(t, cs); st.Answering || st.Problem == "" || st.Fallback == "" {
		t.Errorf("status with the daemon dead: %+v", st)
	}

	// A daemon started again (new home: register the fixture there too) is
	// re-reached by the same session.
	d2 := startDaemon(t, sock)
	env2 := daemonEnv(t, d2)
	runOK(t, env2, "projects", "add", root, "--name", "fixture")
	third := scryTool(t, cs, args)
	if third.Via != "daemon" || !slices.Equal(ids(third), ids(first)) {
		t.Errorf("after a restart: via %q, results %v", third.Via, ids(third))
	}
	if st := statusTool(t, cs); !st.Answering || st.PID != d2.cmd.Process.Pid {
		t.Errorf("status after a restart: %+v", st)
	}
}

func runOK(t *testing.T, env []string, args ...string) result {
	t.Helper()
	r := runPatina(t, env, args...)
	if r.code != 0 {
		t.Fatalf("patina %v: exit %d\n%s", args, r.code, r.stderr)
	}
	return r
}

func ids(o mcpserver.ScryOutput) []string {
	var s []string
	for _, r := range o.Results {
		s = append(s, fmt.Sprintf("%s:%d-%d", r.Path, r.StartLine, r.EndLine))
	}
	return s
}

// waitRefused waits until nothing accepts on sock (a killed daemon).
func waitRefused(t *testing.T, sock string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.Dial("unix", sock)
		if err != nil {
			return
		}
		c.Close()
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("%s still accepts connections", sock)
}

// The reference TypeScript SDK, which nobody here wrote, spawns patina mcp
// over stdio, initialises, lists the tools and calls them. Its client
// validates structured results against our output schemas.
func TestMCPNodeClient(t *testing.T) {
	sdkDir := npmDeps(t)
	env := mcpEnv(t)
	cmd := exec.Command("node", "../../contrib/mcp/test/client.cjs", sdkDir, patinaBin, "fixture", indextest.WordReadme, indextest.WordCommit)
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + t.TempDir()}, env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := runWithTimeout(cmd, 60*time.Second); err != nil {
		t.Fatalf("node client: %v\nstdout: %s\nstderr: %s", err, out.String(), errb.String())
	}
	var got struct {
		SDKVersion string `json:"sdk_version"`
		Server     struct{ Name, Version string }
		Tools      []struct {
			Name            string
			Required        []string
			HasOutputSchema bool `json:"has_output_schema"`
		}
		Scry struct {
			IsError    bool                 `json:"is_error"`
			Structured mcpserver.ScryOutput `json:"structured"`
			Text       string
		}
		Bad struct {
			IsError bool `json:"is_error"`
			Text    string
		}
		Related struct {
			IsError    bool                    `json:"is_error"`
			Structured mcpserver.RelatedOutput `json:"structured"`
		}
		RelatedOutside struct {
			IsError bool `json:"is_error"`
			Text    string
		} `json:"related_outside"`
		Read struct {
			IsError    bool                 `json:"is_error"`
			Structured mcpserver.ReadOutput `json:"structured"`
			Text       string
		}
		ReadEnv     refusal `json:"read_env"`
		ReadOutside refusal `json:"read_outside"`
		ReadCommit  struct {
			IsError    bool                 `json:"is_error"`
			Structured mcpserver.ReadOutput `json:"structured"`
		} `json:"read_commit"`
		Projects    mcpserver.ProjectsOutput
		Status      mcpserver.StatusOutput
		UnknownTool string `json:"unknown_tool"`
		After       int
		StderrBytes int `json:"stderr_bytes"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("node client printed %q: %v\nstderr: %s", out.String(), err, errb.String())
	}
	t.Logf("@modelcontextprotocol/sdk %s talked to %s %s", got.SDKVersion, got.Server.Name, got.Server.Version)
	if got.Server.Name != "patina" || len(got.Tools) != 5 {
		t.Errorf("server %+v tools %+v", got.Server, got.Tools)
	}
	required := map[string][]string{"scry": {"query"}, "related": {"path"}}
	for _, tool := range got.Tools {
		if !tool.HasOutputSchema || !slices.Equal(tool.Required, required[tool.Name]) && len(tool.Required)+len(required[tool.Name]) > 0 {
			t.Errorf("tool %+v", tool)
		}
	}
	if r := got.Related; r.IsError || r.Structured.Count != 1 || r.Structured.Results[0].Path != "util/strings.go" {
		t.Errorf("related: %+v", r)
	}
	if r := got.RelatedOutside; !r.IsError || !strings.Contains(r.Text, "inside the project") {
		t.Errorf("related outside the project: %+v", r)
	}
	s := got.Scry
	if s.IsError || s.Structured.Count == 0 || s.Structured.Results[0].Path != "README.md" ||
		s.Structured.Results[0].StartLine != 9 || s.Structured.Results[0].EndLine != 12 || !strings.Contains(s.Text, "README.md:9-12") {
		t.Errorf("scry: %+v", s)
	}
	if r := got.Read; r.IsError || r.Structured.Path != "README.md" || r.Structured.StartLine != 9 || r.Structured.EndLine != 12 ||
		!strings.Contains(r.Structured.Text, "install the quasar package") || !strings.Contains(r.Text, "    11\tUse apt") {
		t.Errorf("read by id: %+v", r)
	}
	// The fixture's .env holds WordSkipped: no byte of it comes back.
	for name, r := range map[string]refusal{".env": got.ReadEnv, "../../etc/passwd": got.ReadOutside} {
		if !r.IsError || strings.Contains(r.All, indextest.WordSkipped) || strings.Contains(r.All, "root:") {
			t.Errorf("read %s: %+v", name, r)
		}
	}
	if !strings.Contains(got.ReadEnv.Text, "credentials") || !strings.Contains(got.ReadOutside.Text, "must not contain ..") {
		t.Errorf("refusals say why: %q, %q", got.ReadEnv.Text, got.ReadOutside.Text)
	}
	if c := got.ReadCommit.Structured.Commit; got.ReadCommit.IsError || c == nil || !strings.Contains(c.Message, indextest.WordCommit) ||
		!slices.Equal(c.Files, []string{"main.go", "util/strings.go"}) {
		t.Errorf("read a commit: %+v", got.ReadCommit)
	}
	if !got.Bad.IsError || !strings.Contains(got.Bad.Text, "query is empty") {
		t.Errorf("empty query: %+v", got.Bad)
	}
	if got.Projects.Count != 1 || got.Projects.Projects[0].Name != "fixture" || got.Projects.Projects[0].Chunks == 0 {
		t.Errorf("projects: %+v", got.Projects)
	}
	if got.Status.Answering || got.Status.Fallback == "" {
		t.Errorf("status: %+v", got.Status)
	}
	if !strings.Contains(got.UnknownTool, "unknown tool") || got.After == 0 {
		t.Errorf("unknown tool: %q, then %d results", got.UnknownTool, got.After)
	}
	if got.StderrBytes == 0 {
		t.Error("patina mcp --log-level debug logged nothing on stderr")
	}
}

// refusal is a tool error as the node client saw it; All is the whole
// reply, for what must not be in it.
type refusal struct {
	IsError bool `json:"is_error"`
	Text    string
	All     string
}

// npmDeps installs the pinned @modelcontextprotocol/sdk (a no-op when it
// is there) and returns its directory. Without node or the npm registry
// the test is skipped locally and fails in CI.
func npmDeps(t *testing.T) string {
	t.Helper()
	unavailable := func(format string, args ...any) {
		t.Helper()
		if os.Getenv("CI") == "true" {
			t.Fatalf(format, args...)
		}
		t.Skipf(format+" (this fails when CI=true)", args...)
	}
	for _, tool := range []string{"node", "npm"} {
		if _, err := exec.LookPath(tool); err != nil {
			unavailable("%s not found: install Node.js 18 or later", tool)
		}
	}
	cmd := exec.Command("../../packaging/scripts/npm-deps.sh")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := runWithTimeout(cmd, 5*time.Minute); err != nil {
		unavailable("installing @modelcontextprotocol/sdk from the npm registry failed: %v\n%s", err, lastLines(errb.String(), 8))
	}
	dir := strings.TrimSpace(out.String())
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@modelcontextprotocol", "sdk", "package.json")); err != nil {
		t.Fatalf("npm-deps.sh printed %q but the SDK is not there: %v", dir, err)
	}
	return dir
}

func runWithTimeout(cmd *exec.Cmd, d time.Duration) error {
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		return err
	case <-time.After(d):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("timed out after %v", d)
	}
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// The configs in contrib/mcp parse, run `patina mcp` (or the original
// tool's `patina serve --mcp`), and that command answers initialize.
func TestMCPContribConfigs(t *testing.T) {
	type server struct {
		Command string
		Args    []string
	}
	dir := "../../contrib/mcp"
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(dir, name))
		must(t, err)
		return b
	}
	got := map[string]server{}
	for _, f := range []struct{ file, key string }{{".mcp.json", "mcpServers"}, {"gemini-settings.json", "mcpServers"}, {"vscode-mcp.json", "servers"}} {
		var cfg map[string]map[string]server
		if err := json.Unmarshal(read(f.file), &cfg); err != nil {
			t.Fatalf("%s: %v", f.file, err)
		}
		got[f.file] = cfg[f.key]["patina"]
	}
	var codex struct {
		MCPServers map[string]struct {
			Command string
			Args    []string
			EnvVars []string `toml:"env_vars"`
		} `toml:"mcp_servers"`
	}
	if _, err := toml.Decode(string(read("codex-config.toml")), &codex); err != nil {
		t.Fatalf("codex-config.toml: %v", err)
	}
	c := codex.MCPServers["patina"]
	got["codex-config.toml"] = server{c.Command, c.Args}
	if !slices.Contains(c.EnvVars, "XDG_RUNTIME_DIR") {
		t.Errorf("codex config does not forward XDG_RUNTIME_DIR: %v", c.EnvVars)
	}
	if !strings.Contains(string(read("README.md")), "claude mcp add patina -- patina mcp") {
		t.Error("contrib/mcp/README.md lacks the registration command")
	}
	got["original tool"] = server{"patina", []string{"serve", "--mcp"}}
	for file, s := range got {
		if s.Command != "patina" || (!slices.Equal(s.Args, []string{"mcp"}) && file != "original tool") {
			t.Errorf("%s: command %q %v, want patina [mcp]", file, s.Command, s.Args)
			continue
		}
		cmd := exec.Command(patinaBin, s.Args...)
		cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + t.TempDir(), "PATINA_SOCKET=" + noDaemonSocket(t)}
		cmd.Stdin = strings.NewReader(`{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"cfg","version":"0"}}}` + "\n")
		out, err := cmd.Output()
		if err != nil || !strings.Contains(string(out), `"serverInfo":{"name":"patina"`) {
			t.Errorf("%s: patina %v answered %q, %v", file, s.Args, out, err)
		}
	}
}

// SIGTERM (the client killing its server) ends patina mcp cleanly.
func TestMCPStopsOnSIGTERM(t *testing.T) {
	cmd := exec.Command(patinaBin, "mcp")
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + t.TempDir(), "PATINA_HOME=" + t.TempDir(), "PATINA_SOCKET=" + noDaemonSocket(t)}
	stdin, err := cmd.StdinPipe()
	must(t, err)
	defer stdin.Close()
	stdout, err := cmd.StdoutPipe()
	must(t, err)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	must(t, cmd.Start())
	io.WriteString(stdin, `{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"t","version":"0"}}}`+"\n")
	line, err := bufio.NewReader(stdout).ReadBytes('\n')
	if err != nil {
		t.Fatalf("no answer to initialize: %v\n%s", err, stderr)
	}
	checkFrame(t, line)
	must(t, cmd.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil || !strings.Contains(stderr.String(), "stopped by a signal") {
			t.Errorf("after SIGTERM: %v\n%s", err, stderr)
		}
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		t.Fatal("patina mcp ignored SIGTERM")
	}
}
