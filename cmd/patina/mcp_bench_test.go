package main

import (
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patina-dev/patina/internal/client"
	"github.com/patina-dev/patina/internal/index/indextest"
	"github.com/patina-dev/patina/internal/knowledge"
	"github.com/patina-dev/patina/internal/mcpserver"
	"github.com/patina-dev/patina/internal/scry"
)

// BenchmarkMCPScry measures one scry against a warm daemon three ways, in
// one run, over a 2,000-file generated project:
//
//   - mcp-tool-call: a tools/call through a running `patina mcp` session
//     (the agent's path: JSON-RPC over stdio, then the daemon's socket);
//   - cli-scry-json: `patina scry --json` run as a new process per query
//     (the path an agent shelling out takes);
//   - api-post: POST /api/scry over the unix socket from this process
//     (the floor both share).
//
// packaging/scripts/bench-mcp.sh prints the ratios. PATINA_BENCH_BIN
// benchmarks another build of patina (default: the one TestMain built).
func BenchmarkMCPScry(b *testing.B) {
	bin := patinaBin
	if v := os.Getenv("PATINA_BENCH_BIN"); v != "" {
		bin = v
	}
	dir, err := os.MkdirTemp("", "pmb-") // short: the socket path is bounded
	if err != nil {
		b.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "run", "mother.sock")
	env := []string{"PATH=" + os.Getenv("PATH"), "PATINA_CACHE=" + modelCache, "HOME=" + dir, "PATINA_HOME=" + filepath.Join(dir, "home"), "PATINA_SOCKET=" + sock}
	corpus, err := indextest.WriteCorpus(filepath.Join(dir, "proj"), indextest.CorpusOptions{Files: 2000, Seed: 7})
	if err != nil {
		b.Fatal(err)
	}
	benchRun(b, env, bin, "scrape", "--name", "bench", corpus.Root)
	stop := benchDaemon(b, env, bin, sock)
	defer stop()
	query := corpus.Queries[0]
	req := knowledge.Request{Query: query, Project: "bench"}

	ctx := context.Background()
	var floor scry.Response
	c := client.Local(sock)
	if err := c.Post(ctx, "/api/scry", req, &floor); err != nil || floor.Count == 0 {
		b.Fatalf("warm-up query %q: %v (%d results)", query, err, floor.Count)
	}

	b.Run("mcp-tool-call", func(b *testing.B) {
		cmd := exec.Command(bin, "mcp", "--log-level", "warn")
		cmd.Env = env
		cs, err := mcp.NewClient(&mcp.Implementation{Name: "bench", Version: "v0"}, nil).Connect(ctx, &mcp.CommandTransport{Command: cmd}, nil)
		if err != nil {
			b.Fatal(err)
		}
		defer cs.Close()
		params := &mcp.CallToolParams{Name: "scry", Arguments: map[string]any{"query": query, "project": "bench"}}
		call := func() {
			res, err := cs.CallTool(ctx, params)
			if err != nil || res.IsError {
				b.Fatalf("scry tool: %v %v", err, res)
			}
			var out mcpserver.ScryOutput
			raw, _ := json.Marshal(res.StructuredContent)
			if json.Unmarshal(raw, &out) != nil || out.Via != knowledge.ViaDaemon || out.Count != floor.Count {
				b.Fatalf("scry tool answered %s", raw)
			}
		}
		call() // the session's first call
		b.ResetTimer()
		for b.Loop() {
			call()
		}
	})

	b.Run("cli-scry-json", func(b *testing.B) {
		for b.Loop() {
			cmd := exec.Command(bin, "scry", "--json", "--project", "bench", query)
			cmd.Env = env
			out, err := cmd.Output()
			var resp scry.Response
			if err != nil || json.Unmarshal(out, &resp) != nil || resp.Count != floor.Count {
				b.Fatalf("patina scry --json: %v\n%s", err, out)
			}
		}
	})

	b.Run("api-post", func(b *testing.B) {
		for b.Loop() {
			var resp scry.Response
			if err := c.Post(ctx, "/api/scry", req, &resp); err != nil || resp.Count != floor.Count {
				b.Fatalf("POST /api/scry: %v", err)
			}
		}
	})
}

func benchRun(b *testing.B, env []string, bin string, args ...string) {
	b.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = env
	if out, err := cmd.CombinedOutput(); err != nil {
		b.Fatalf("patina %v: %v\n%s", args, err, out)
	}
}

// benchDaemon starts a standalone daemon on sock and returns its stop.
func benchDaemon(b *testing.B, env []string, bin, sock string) func() {
	b.Helper()
	cmd := exec.Command(bin, "mother", "serve", "--log-level", "warn")
	cmd.Env = env
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	stop := func() {
		cmd.Process.Signal(syscall.SIGTERM)
		cmd.Wait()
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c, err := net.Dial("unix", sock); err == nil {
			c.Close()
			return stop
		}
	}
	stop()
	b.Fatalf("daemon never answered on %s", sock)
	return nil
}
