// Package mcpserver is Patina's Model Context Protocol server: a thin shim
// that gives coding agents (Claude Code, Codex, Gemini CLI, editors) the
// same knowledge the CLI has, over the official Go SDK.
//
// It offers five read-only tools:
//
//   - scry: ranked search over indexed projects, asked of the daemon over
//     the local socket (socket activation starts it) and, only when the
//     local daemon does not answer, of the same engine in-process — the
//     path `patina scry` takes (knowledge.Asker);
//   - read: the lines a scry result points at (by its id), or a line
//     range of an indexed file, or a commit; bounded, with a cursor, and
//     only what a scrape would index (asked the same way);
//   - related: the files that change together with a file, from git
//     history (asked the same way);
//   - projects: the registered projects and the state of their indexes;
//   - mother_status: whether the daemon answers, its version, activation
//     kind and uptime.
//
// Secrets stay out of it entirely. No tool, resource or prompt accepts or
// returns a secret value, a token or an identity, and the server never
// opens a vault, an identity file or the token file: the agent that calls
// these tools runs as the user and everything it sees may leave the
// machine. Bad input from the agent is a tool error with a message it can
// act on; the session goes on.
//
// Logs go to the slog.Logger given (stderr in `patina mcp`); the transport
// is the only writer of protocol frames.
package mcpserver

import (
	"context"
	"log/slog"
	"runtime/debug"
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patina-dev/patina/internal/buildinfo"
	"github.com/patina-dev/patina/internal/knowledge"
)

// Options configure a Server.
type Options struct {
	// Mother is a --mother URL; "" means $PATINA_MOTHER, then the local
	// socket (with the in-process fallback).
	Mother string
	// Log receives the server's logs; nil discards them.
	Log *slog.Logger
}

// Server is the MCP server. It is safe for the SDK to call its tools
// concurrently.
type Server struct {
	mcp    *mcp.Server
	mother string
	log    *slog.Logger
	asker  *knowledge.Asker
}

// instructions tell a client what the server is for.
const instructions = `Patina searches this developer's indexed projects (docs, session notes, code and git history). ` +
	`Call scry with a few plain words to find where something is written down or implemented; results give the path and line range to open. ` +
	`Call read with a result's id to see its lines (or a commit), or with a path and line range for more of the file. ` +
	`Call related with a file scry found to see which files usually change with it. ` +
	`Call projects to see which projects are indexed and their names, and mother_status when results seem stale or missing. ` +
	`The tools only read; none handles secrets.`

// New builds a server with its tools.
func New(o Options) *Server {
	log := o.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	s := &Server{mother: o.Mother, log: log, asker: &knowledge.Asker{Mother: o.Mother}}
	s.mcp = mcp.NewServer(&mcp.Implementation{Name: "patina", Title: "Patina", Version: buildinfo.Version}, &mcp.ServerOptions{
		Instructions: instructions,
		Logger:       log.With("component", "mcp-sdk"),
		// Tools only: no logging capability, no resources, no prompts.
		Capabilities: &mcp.ServerCapabilities{},
	})
	s.mcp.AddReceivingMiddleware(s.logCalls)
	s.addScry()
	s.addRead()
	s.addRelated()
	s.addProjects()
	s.addMotherStatus()
	return s
}

// MCP is the underlying SDK server, for transports other than Run's.
func (s *Server) MCP() *mcp.Server { return s.mcp }

// Run serves one session over t until the client disconnects or ctx ends;
// either is a clean end (nil).
func (s *Server) Run(ctx context.Context, t mcp.Transport) error {
	ss, err := s.mcp.Connect(ctx, t, nil)
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() { done <- ss.Wait() }()
	select {
	case <-ctx.Done():
		ss.Close()
		<-done
		return nil
	case err := <-done:
		return err
	}
}

// Close releases the in-process engine, if a fallback opened one.
func (s *Server) Close() error { return s.asker.Close() }

// readOnly marks a tool as one that changes nothing and looks only at
// this user's own data.
func readOnly(title string) *mcp.ToolAnnotations {
	closed := false
	return &mcp.ToolAnnotations{Title: title, ReadOnlyHint: true, IdempotentHint: true, OpenWorldHint: &closed}
}

// logCalls logs one line per request: method, tool, duration, outcome.
// Never arguments or results: they are the user's data.
func (s *Server) logCalls(next mcp.MethodHandler) mcp.MethodHandler {
	return func(ctx context.Context, method string, req mcp.Request) (res mcp.Result, err error) {
		start := time.Now()
		attrs := []any{"method", method}
		if p, ok := req.GetParams().(*mcp.CallToolParamsRaw); ok && p != nil {
			attrs = append(attrs, "tool", p.Name)
		}
		defer func() {
			// A bug in one call must not end the session.
			if v := recover(); v != nil {
				s.log.Error("mcp request panicked", append(attrs, "panic", v, "stack", string(debug.Stack()))...)
				res, err = nil, &jsonrpc.Error{Code: jsonrpc.CodeInternalError, Message: "internal error in patina mcp (see its log)"}
			}
		}()
		res, err = next(ctx, method, req)
		attrs = append(attrs, "duration", time.Since(start).Round(time.Microsecond))
		if r, ok := res.(*mcp.CallToolResult); ok && r != nil && r.IsError {
			attrs = append(attrs, "tool_error", errText(r))
		}
		if err != nil {
			s.log.Warn("mcp request failed", append(attrs, "err", err)...)
		} else {
			s.log.Debug("mcp request", attrs...)
		}
		return res, err
	}
}

// errText is the message of a tool error result.
func errText(r *mcp.CallToolResult) string {
	if e := r.GetError(); e != nil {
		return e.Error()
	}
	for _, c := range r.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			return t.Text
		}
	}
	return ""
}

// textResult is a result whose Content is the compact rendering; the SDK
// adds the structured output.
func textResult(text string) *mcp.CallToolResult {
	return &mcp.CallToolResult{Content: []mcp.Content{&mcp.TextContent{Text: text}}}
}
