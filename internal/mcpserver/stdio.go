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
	"time"

	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// MaxFrame caps one inbound JSON-RPC message (one line). Tool arguments
// are small; a scry query is at most 1 KiB.
const MaxFrame = 1 << 20

// DrainTimeout bounds how long a session whose client closed its input
// waits for the answers to requests already sent.
const DrainTimeout = time.Minute

// LineTransport is newline-delimited JSON-RPC over a reader and a writer,
// as the SDK's StdioTransport, with two differences. A line that is not a
// JSON-RPC message (malformed JSON, a bare value, a frame over MaxFrame)
// is answered with a JSON-RPC error and skipped, where the SDK would end
// the session. And when In reaches EOF, the requests already read are
// answered (for up to DrainTimeout) before the session ends, so
// `printf '…' | patina mcp` gets its answers.
type LineTransport struct {
	In  io.ReadCloser
	Out io.WriteCloser
}

// Connect implements mcp.Transport.
func (t *LineTransport) Connect(ctx context.Context) (mcp.Connection, error) {
	pr, pw := io.Pipe()
	p := &pending{ids: map[jsonrpc.ID]bool{}, closed: make(chan struct{})}
	out := &lockedWriter{w: t.Out, answered: p.done}
	go screen(t.In, pw, out, p)
	return (&mcp.IOTransport{Reader: &closeBoth{PipeReader: pr, in: t.In, p: p}, Writer: out}).Connect(ctx)
}

// screen copies well-formed messages from in to pw, one line each, and
// answers the others on out.
func screen(in io.Reader, pw *io.PipeWriter, out io.Writer, p *pending) {
	r := bufio.NewReaderSize(in, 64<<10)
	for {
		line, tooLong, err := readLine(r)
		if tooLong {
			refuse(out, jsonrpc.CodeInvalidRequest, fmt.Sprintf("message over %d bytes", MaxFrame), nil)
		} else if msg := bytes.TrimSpace(line); len(msg) > 0 {
			code, why, id, req := check(msg)
			if code != 0 {
				refuse(out, code, why, id)
			} else {
				if req != nil && req.ID.IsValid() {
					p.add(req.ID)
				}
				if _, werr := pw.Write(append(msg, '\n')); werr != nil {
					return // the session is closed
				}
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = nil
				p.wait(DrainTimeout)
			}
			pw.CloseWithError(err)
			return
		}
	}
}

// pending tracks the requests passed to the SDK and not yet answered.
type pending struct {
	mu     sync.Mutex
	ids    map[jsonrpc.ID]bool
	empty  chan struct{} // closed when ids empties, while wait waits
	closed chan struct{} // closed when the session closes
	once   sync.Once
}

func (p *pending) add(id jsonrpc.ID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.ids[id] = true
}

// done is called with each frame the SDK writes.
func (p *pending) done(frame []byte) {
	msg, err := jsonrpc.DecodeMessage(bytes.TrimSpace(frame))
	resp, ok := msg.(*jsonrpc.Response)
	if err != nil || !ok {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.ids, resp.ID)
	if len(p.ids) == 0 && p.empty != nil {
		close(p.empty)
		p.empty = nil
	}
}

// wait returns when every request has its answer, the session closes, or
// d passes.
func (p *pending) wait(d time.Duration) {
	p.mu.Lock()
	if len(p.ids) == 0 {
		p.mu.Unlock()
		return
	}
	empty := make(chan struct{})
	p.empty = empty
	p.mu.Unlock()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-empty:
	case <-p.closed:
	case <-t.C:
	}
}

func (p *pending) close() { p.once.Do(func() { close(p.closed) }) }

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
// message (returned when it is a request), or a batch (an array, which
// the SDK judges itself). When it is not, it returns the error code, the
// reason, and the request's id when one can be read.
func check(msg []byte) (code int64, why string, id json.RawMessage, req *jsonrpc.Request) {
	if !json.Valid(msg) {
		return jsonrpc.CodeParseError, "parse error: not valid JSON", nil, nil
	}
	if msg[0] == '[' {
		return 0, "", nil, nil
	}
	m, err := jsonrpc.DecodeMessage(msg)
	if err != nil {
		var probe struct {
			ID json.RawMessage `json:"id"`
		}
		if json.Unmarshal(msg, &probe) == nil && validID(probe.ID) {
			id = probe.ID
		}
		return jsonrpc.CodeInvalidRequest, fmt.Sprintf("invalid request: %v", err), id, nil
	}
	req, _ = m.(*jsonrpc.Request)
	return 0, "", nil, req
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

// lockedWriter serialises whole messages from the SDK and from screen,
// and tells answered about each one written (the SDK writes a message
// per call).
type lockedWriter struct {
	mu       sync.Mutex
	w        io.WriteCloser
	answered func([]byte)
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	n, err := l.w.Write(p)
	l.mu.Unlock()
	if err == nil && l.answered != nil {
		l.answered(p)
	}
	return n, err
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
	p  *pending
}

func (c *closeBoth) Close() error {
	c.p.close()
	c.PipeReader.Close()
	return c.in.Close()
}
