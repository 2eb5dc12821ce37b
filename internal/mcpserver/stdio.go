package mcpserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxFrame caps one inbound JSON-RPC message (one line). Tool arguments
// are small; a scry query is at most 1 KiB.
const MaxFrame = 1 << 20

// LineTransport is newline-delimited JSON-RPC over a reader and a writer,
// as the SDK's StdioTransport, with one difference: a line that is not a
// JSON-RPC message (malformed JSON, a bare value, a frame over MaxFrame)
// is answered with a JSON-RPC error and skipped, where the SDK would end
// the session. The session ends when In reaches EOF.
type LineTransport struct {
	In  io.ReadCloser
	Out io.WriteCloser
}

// Connect implements mcp.Transport.
func (t *LineTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	pr, pw := io.Pipe()
	out := &lockedWriter{w: t.Out}
	go screen(t.In, pw, out)
	return (&mcp.IOTransport{Reader: &closeBoth{pr, t.In}, Writer: out}).Connect(ctx)
}

// screen copies well-formed messages from in to pw, one line each, and
// answers the others on out.
func screen(in io.Reader, pw *io.PipeWriter, out io.Writer) {
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		line, tooLong, err := readLine(r)
		if tooLong {
			refuse(out, jsonrpc.CodeInvalidRequest, fmt.Sprintf("message over %d bytes", MaxFrame), nil)
		} else if msg := bytes.TrimSpace(line); len(msg) > 0 {
			if code, why, id := check(msg); code != 0 {
				refuse(out, code, why, id)
			} else if _, werr := pw.Write(append(msg, '\n')); werr != nil {
				return // the session is closed
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
			}
			pw.CloseWithError(err)
			return
		}
	}
}

// readLine reads one line, dropping the rest of a line over MaxFrame.
func readLine(r *bufio.Reader) (line []byte, tooLong bool, err error) {
	for {
		chunk, isPrefix, err := r.ReadLine()
		if !tooLong {
			line = append(line, chunk...)
			if len(line) > MaxFrame {
				tooLong, line = true, nil
			}
		}
		if err != nil || !isPrefix {
			return line, tooLong, err
		}
	}
}

// check says whether msg is something the SDK can take: a JSON-RPC 2.0
// message, or a batch (an array, which the SDK judges itself). When it
// is not, it returns the error code, the reason, and the request's id
// when one can be read.
func check(msg []byte) (code int64, why string, id json.RawMessage) {
	if !json.Valid(msg) {
		return jsonrpc.CodeParseError, "parse error: not valid JSON", nil
	}
	if msg[0] == '[' {
		return 0, "", nil
	}
	if _, err := jsonrpc.DecodeMessage(msg); err != nil {
		var probe struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(msg, &probe) == nil && validID(probe.ID) {
			id = probe.ID
		}
		return jsonrpc.CodeInvalidRequest, fmt.Sprintf("invalid request: %v", err), id
	}
	return 0, "", nil
}

// validID reports whether raw is a JSON-RPC id: a string or a number.
func validID(raw json.RawMessage) bool {
	var v any
	if json.Unmarshal(raw, &v) != nil {
		return false
	}
	switch v.(type) {
	case string, float64:
		return true
	}
	return false
}

// refuse writes a JSON-RPC error response (id null when none is known).
func refuse(out io.Writer, code int64, msg string, id json.RawMessage) {
	if id == nil {
		id = json.RawMessage("null")
	}
	b, err := json.Marshal(struct {
		JSONRPC string          `json:"jsonrpc"`
		ID      json.RawMessage `json:"id"`
		Error   jsonrpc.Error   `json:"error"`
	}{"2.0", id, jsonrpc.Error{Code: code, Message: msg}})
	if err != nil {
		return
	}
	out.Write(append(b, '\n'))
}

// lockedWriter serialises whole messages from the SDK and from screen.
type lockedWriter struct {
	mu sync.Mutex
	w  io.WriteCloser
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Close()
}

// closeBoth closes the pipe the SDK reads and the input behind it, so a
// session closed by the server also stops screen.
type closeBoth struct {
	*io.PipeReader
	in io.Closer
}

func (c *closeBoth) Close() error {
	c.PipeReader.Close()
	return c.in.Close()
}
