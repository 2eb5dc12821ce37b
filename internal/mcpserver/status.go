package mcpserver

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/patina-dev/patina/internal/buildinfo"
	"github.com/patina-dev/patina/internal/client"
)

// statusTimeout bounds the health check, so a wedged daemon cannot hang
// the tool.
const statusTimeout = 10 * time.Second

// StatusInput takes nothing.
type StatusInput struct{}

// StatusOutput is the mother_status tool's structured result.
type StatusOutput struct {
	Answering     bool   `json:"answering" jsonschema:"whether the mother daemon answered"`
	Target        string `json:"target" jsonschema:"where the daemon was asked: the unix socket path, or a tcp:// or ssh:// mother URL"`
	Version       string `json:"version,omitempty" jsonschema:"the daemon's version"`
	ServerVersion string `json:"server_version" jsonschema:"this MCP server's (patina's) version"`
	VersionSkew   bool   `json:"version_skew,omitempty" jsonschema:"set when the daemon runs another version than this server; restart it to pick up the new binary"`
	Activation    string `json:"activation,omitempty" jsonschema:"how the daemon was started: systemd, launchd or standalone"`
	UptimeSecs    int64  `json:"uptime_secs,omitempty" jsonschema:"seconds since the daemon started"`
	PID           int    `json:"pid,omitempty" jsonschema:"the daemon's process id"`
	Problem       string `json:"problem,omitempty" jsonschema:"why the daemon did not answer"`
	Fallback      string `json:"fallback,omitempty" jsonschema:"what scry does while the daemon does not answer"`
}

const statusDescription = `Report whether Patina's background daemon (mother) answers: its version and whether it differs from this server's, how it was started (systemd, launchd or standalone), uptime and pid, and the socket or URL it was asked at. ` +
	`Asking over the local socket starts a socket-activated daemon. When it does not answer, scry still works in-process (slower on the first call) and the result says why the daemon was not reached. ` +
	`Use it to explain slow, missing or stale results. Takes no arguments and returns nothing secret.`

func (s *Server) addMotherStatus() {
	mcp.AddTool(s.mcp, &mcp.Tool{
		Name:        "mother_status",
		Description: statusDescription,
		Annotations: readOnly("Daemon status"),
	}, s.motherStatus)
}

func (s *Server) motherStatus(ctx context.Context, _ *mcp.CallToolRequest, _ StatusInput) (*mcp.CallToolResult, StatusOutput, error) {
	out := StatusOutput{ServerVersion: buildinfo.Version}
	c, err := client.Open(s.mother)
	if err != nil {
		return nil, out, err
	}
	out.Target = c.Target
	ctx, cancel := context.WithTimeout(ctx, statusTimeout)
	defer cancel()
	h, err := c.Health(ctx)
	switch {
	case err == nil:
		out.Answering = true
		out.Version, out.Activation, out.UptimeSecs, out.PID = h.Version, h.Activation, h.UptimeSecs, h.PID
		out.VersionSkew = h.Version != "" && h.Version != buildinfo.Version
	case errors.Is(err, client.ErrUnreachable), errors.Is(err, context.DeadlineExceeded):
		out.Problem = oneLine(err.Error())
		if client.IsLocal(s.mother) {
			out.Fallback = "scry runs in-process in this server"
		} else {
			out.Fallback = "none: scry fails until the remote mother answers"
		}
	default:
		out.Problem = oneLine(err.Error())
	}
	return textResult(renderStatus(out)), out, nil
}

func renderStatus(o StatusOutput) string {
	var b strings.Builder
	if o.Answering {
		fmt.Fprintf(&b, "mother answers at %s: version %s, %s, up %s, pid %d", o.Target, o.Version, orDash(o.Activation), time.Duration(o.UptimeSecs)*time.Second, o.PID)
		if o.VersionSkew {
			fmt.Fprintf(&b, "\nnote: the daemon runs %s but this server is %s; restart the daemon to use the new binary", o.Version, o.ServerVersion)
		}
		return b.String()
	}
	if strings.Contains(o.Problem, o.Target) {
		b.WriteString(o.Problem) // the client's errors name the target
	} else {
		fmt.Fprintf(&b, "mother at %s: %s", o.Target, o.Problem)
	}
	if o.Fallback != "" {
		fmt.Fprintf(&b, "\nfallback: %s", o.Fallback)
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
