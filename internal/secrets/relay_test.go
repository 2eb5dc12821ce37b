package secrets

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/patina-dev/patina/internal/mask"
	"github.com/patina-dev/patina/internal/vault"
)

// capture is a pipe whose read end is drained into a buffer.
type capture struct {
	w    *os.File
	mu   sync.Mutex
	buf  bytes.Buffer
	done chan struct{}
}

func newCapture(t *testing.T) *capture {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	c := &capture{w: w, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		b := make([]byte, 4096)
		for {
			n, err := r.Read(b)
			c.mu.Lock()
			c.buf.Write(b[:n])
			c.mu.Unlock()
			if err != nil {
				r.Close()
				return
			}
		}
	}()
	t.Cleanup(func() { w.Close() })
	return c
}

// String closes our write end and returns all that was read.
func (c *capture) String() string {
	c.w.Close()
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.buf.String()
}

func devNull(t *testing.T) *os.File {
	t.Helper()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

const P = mask.Placeholder

func TestRunMasksOutput(t *testing.T) {
	out, errs := newCapture(t), newCapture(t)
	var unmasked []string
	code, err := Run(Command{
		Argv:     []string{"sh", "-c", `printf 'K=%s\n' "$PT_SECRET"; printf '%s|%s' "$PT_SECRET" "$PT_SHORT" >&2; echo done; exit 3`},
		Env:      vault.Env{"PT_SECRET": []byte("s3cr3t-value"), "PT_SHORT": []byte("5432")},
		Stdin:    devNull(t),
		Stdout:   out.w,
		Stderr:   errs.w,
		Mask:     true,
		Unmasked: func(names []string) { unmasked = names },
	})
	if err != nil || code != 3 {
		t.Fatalf("Run: %d %v", code, err)
	}
	if got := out.String(); got != "K="+P+"\ndone\n" {
		t.Errorf("stdout %q", got)
	}
	if got := errs.String(); got != P+"|5432" {
		t.Errorf("stderr %q", got)
	}
	if fmt.Sprint(unmasked) != "[PT_SHORT]" {
		t.Errorf("told of unmasked %v, want [PT_SHORT]", unmasked)
	}
}

func TestRunWithoutMaskPassesOutputThrough(t *testing.T) {
	out := newCapture(t)
	called := false
	code, err := Run(Command{
		Argv: []string{"sh", "-c", `printf %s "$PT_SECRET"`}, Env: vault.Env{"PT_SECRET": []byte("s3cr3t-value"), "PT_SHORT": []byte("x")},
		Stdin: devNull(t), Stdout: out.w, Unmasked: func([]string) { called = true },
	})
	if err != nil || code != 0 {
		t.Fatalf("Run: %d %v", code, err)
	}
	if got := out.String(); got != "s3cr3t-value" {
		t.Errorf("stdout %q", got)
	}
	if called {
		t.Error("told of unmasked values with masking off")
	}
}

// Stdout and stderr on one pipe (2>&1) go through one relay: the order of
// the child's writes is kept exactly.
func TestRunMaskKeepsOrderOfMergedOutputs(t *testing.T) {
	both := newCapture(t)
	code, err := Run(Command{
		Argv: []string{"sh", "-c", `i=0; while [ $i -lt 200 ]; do echo "out $i $PT_SECRET"; echo "err $i" >&2; i=$((i+1)); done`},
		Env:  vault.Env{"PT_SECRET": []byte("s3cr3t-value")}, Stdin: devNull(t), Stdout: both.w, Stderr: both.w, Mask: true,
	})
	if err != nil || code != 0 {
		t.Fatalf("Run: %d %v", code, err)
	}
	var want strings.Builder
	for i := range 200 {
		fmt.Fprintf(&want, "out %d %s\nerr %d\n", i, P, i)
	}
	if got := both.String(); got != want.String() {
		t.Errorf("merged output out of order or unmasked:\n%.300s", got)
	}
}

// A value written in two halves, a pause between them, is still caught.
func TestRunMaskCatchesSplitWrites(t *testing.T) {
	out := newCapture(t)
	code, err := Run(Command{
		Argv: []string{"sh", "-c", `printf 'v=%.6s' "$PT_SECRET"; sleep 0.2; printf '%s\n' "${PT_SECRET#??????}"`},
		Env:  vault.Env{"PT_SECRET": []byte("s3cr3t-value")}, Stdin: devNull(t), Stdout: out.w, Mask: true,
	})
	if err != nil || code != 0 {
		t.Fatalf("Run: %d %v", code, err)
	}
	if got := out.String(); got != "v="+P+"\n" {
		t.Errorf("stdout %q", got)
	}
}

// Output written after the child exits, by a process it left behind, is
// relayed before Run returns.
func TestRunMaskDrainsLeftBehindWriters(t *testing.T) {
	out := newCapture(t)
	start := time.Now()
	code, err := Run(Command{
		Argv: []string{"sh", "-c", `(sleep 0.3; echo "late $PT_SECRET") & echo early`},
		Env:  vault.Env{"PT_SECRET": []byte("s3cr3t-value")}, Stdin: devNull(t), Stdout: out.w, Mask: true,
	})
	if err != nil || code != 0 {
		t.Fatalf("Run: %d %v", code, err)
	}
	if time.Since(start) < 300*time.Millisecond {
		t.Error("Run returned before the left-behind writer was done")
	}
	if got := out.String(); got != "early\nlate "+P+"\n" {
		t.Errorf("stdout %q", got)
	}
}

// When whoever reads our output goes away, the child gets the broken pipe
// it would have had writing there itself (yes dies of SIGPIPE), and Run
// reports that instead of failing.
func TestRunMaskReaderGone(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	go func() {
		b := make([]byte, 10)
		io.ReadFull(r, b)
		r.Close()
	}()
	code, err := Run(Command{Argv: []string{"yes", "s3cr3t-value"}, Env: vault.Env{"PT_SECRET": []byte("s3cr3t-value")},
		Stdin: devNull(t), Stdout: w, Mask: true})
	if err != nil || code != 128+13 {
		t.Fatalf("Run: %d %v, want 141 (SIGPIPE)", code, err)
	}
}

func TestRunMaskStartError(t *testing.T) {
	out := newCapture(t)
	_, err := Run(Command{Argv: []string{"no-such-command-pt"}, Env: vault.Env{"PT_SECRET": []byte("s3cr3t-value")},
		Stdin: devNull(t), Stdout: out.w, Mask: true})
	var se *StartError
	if !errors.As(err, &se) || se.Code != ExitNotFound {
		t.Fatalf("missing command: %v", err)
	}
	if strings.Contains(err.Error(), "no-such-command-pt") {
		t.Errorf("the error repeats the command: %v", err)
	}
	if got := out.String(); got != "" {
		t.Errorf("stdout %q", got)
	}
}

// BenchmarkMaskRelay: bytes a child writes, through the relay's pipe and
// masking writer to /dev/null, against the same copy unmasked (x-raw is
// the masked time over the raw time, both measured in this run).
func BenchmarkMaskRelay(b *testing.B) {
	const size = 32 << 20
	line := []byte("ok  \tgithub.com/example/project/internal/pkg\t0.123s\tcoverage: 81.5% of statements\n")
	data := bytes.Repeat(line, size/len(line))
	var patterns [][]byte
	for i := range 20 {
		patterns = append(patterns, mask.Forms(fmt.Appendf(nil, "secret-%02d-Zq81-value", i))...)
	}
	null, err := os.OpenFile(os.DevNull, os.O_WRONLY, 0)
	if err != nil {
		b.Fatal(err)
	}
	defer null.Close()
	feed := func(w *os.File) {
		for off := 0; off < len(data); off += relayBuf {
			w.Write(data[off:min(off+relayBuf, len(data))])
		}
		w.Close()
	}
	var raw time.Duration
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		rl, err := startRelay(null, patterns)
		if err != nil {
			b.Fatal(err)
		}
		feed(rl.w)
		<-rl.done

		b.StopTimer()
		r, w, err := os.Pipe()
		if err != nil {
			b.Fatal(err)
		}
		t0 := time.Now()
		go feed(w)
		buf := make([]byte, relayBuf)
		for {
			n, err := r.Read(buf)
			null.Write(buf[:n])
			if err != nil {
				break
			}
		}
		raw += time.Since(t0)
		r.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed())/float64(raw), "x-raw")
}
