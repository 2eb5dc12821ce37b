//go:build cgo

package embed

import (
	"errors"
	"fmt"
	"os"
	"sync"

	ort "github.com/yalue/onnxruntime_go"
)

// The ONNX Runtime library is loaded into the process once, by the first
// Open, and stays: its environment is process-wide.
var (
	ortMu     sync.Mutex
	ortLoaded string // the library's path, once loaded
)

// startRuntime loads ONNX Runtime, after checking the library.
func startRuntime() error {
	ortMu.Lock()
	defer ortMu.Unlock()
	path, err := RuntimePath()
	if err != nil {
		return err
	}
	if ortLoaded != "" && path == ortLoaded {
		return nil // checked when it was loaded
	}
	load, done := path, func() {}
	if want, pinned := pinnedRuntime(); pinned {
		// The provisioned library: load the very file that was hashed.
		if load, done, err = openPinnedLibrary(path, want); err != nil {
			return err
		}
	} else if _, err := VerifyRuntime(); err != nil {
		return err
	}
	defer done()
	if ortLoaded != "" {
		return unavailablef("onnx runtime: %s is already loaded in this process, cannot switch to %s", ortLoaded, path)
	}
	ort.SetSharedLibraryPath(load)
	// Read when the environment is created: see disableTelemetry.
	os.Setenv(disableTelemetry, "1")
	// Fatal only: every error comes back to the caller, who reports it once.
	if err := ort.InitializeEnvironment(ort.WithLogLevelFatal()); err != nil {
		return unavailablef("onnx runtime: %s: %s", path, oneLine(err))
	}
	// Too late to stop the uploader's files, but it stops the events of a
	// runtime ($PATINA_ORT_LIB) that ignores the variable.
	if err := ort.DisableTelemetry(); err != nil {
		ort.DestroyEnvironment()
		return unavailablef("onnx runtime: %s: %s", path, oneLine(err))
	}
	ortLoaded = path
	return nil
}

// disableTelemetry keeps ONNX Runtime's telemetry uploader (Microsoft's
// 1DS client, on by default in the official POSIX builds since 1.29) from
// starting. Started, 1.30.0 writes ~/.cache/Microsoft/DeveloperTools/
// .onnxruntime/{deviceid,onnxruntime.db*}, $TMPDIR/.ses and an empty
// $TMPDIR/mat-debug-PID.log in every process that loads the runtime, and
// queues usage events for upload. The runtime reads the variable once, as
// its environment is created, so it is set in our own environment: the
// children of a process that embeds (git) inherit it, to no effect.
const disableTelemetry = "ORT_DISABLE_TELEMETRY"

// openSession starts the runtime and loads the graph for m's family. pad is
// the id BERT pads batches with; threads is how many threads one run uses
// (0: ONNX Runtime's default, one per core). Runs may be concurrent.
func openSession(m *Manifest, graph []byte, pad int64, threads int) (session, error) {
	fail := func(err error) error {
		return &fileProblem{m.Name, m.Path(RoleONNX), errors.New(oneLine(err))}
	}
	// Before ORT sees the graph: see external.go.
	switch ext, err := refersToExternalData(graph); {
	case err != nil:
		return nil, fail(err)
	case ext:
		return nil, fail(errors.New("the graph keeps tensors in external data files, which patina cannot pin: save it as one .onnx file"))
	}
	if err := startRuntime(); err != nil {
		return nil, err
	}
	opts, err := ort.NewSessionOptions()
	if err != nil {
		return nil, fail(err)
	}
	defer opts.Destroy()
	// ORT's worker threads spin between runs by default: a daemon that
	// embeds one short query at a time burned a third of its CPU in that
	// loop, and the spinning threads slowed the vector scan beside it.
	for _, key := range []string{"session.intra_op.allow_spinning", "session.inter_op.allow_spinning"} {
		if err := opts.AddSessionConfigEntry(key, "0"); err != nil {
			return nil, fail(err)
		}
	}
	// 0 is ONNX Runtime's default, a thread per core; large calls run
	// batches side by side on a session of one thread (batch.go).
	if threads > 0 {
		if err := opts.SetIntraOpNumThreads(threads); err != nil {
			return nil, fail(err)
		}
	}
	switch m.Family {
	case FamilyUSELite:
		s, err := ort.NewDynamicAdvancedSessionWithONNXData(graph, []string{"indices", "values"}, []string{"embeddings"}, opts)
		if err != nil {
			return nil, fail(err)
		}
		return &useSession{s}, nil
	case FamilyBERT:
		b, err := bertIO(graph, m.Dims, m.MaxTokens)
		if err != nil {
			return nil, fail(err)
		}
		b.pad = pad
		b.s, err = ort.NewDynamicAdvancedSessionWithONNXData(graph, b.inputs, []string{b.output}, opts)
		if err != nil {
			return nil, fail(err)
		}
		return b, nil
	}
	return nil, fail(fmt.Errorf("unknown family %q", m.Family))
}

// useSession runs USE lite: the ids go in as a sparse [rows, positions]
// matrix (indices [N,2] of (row, position), values [N]); the graph
// returns embeddings [rows, 512].
type useSession struct {
	s *ort.DynamicAdvancedSession
}

func (u *useSession) run(ids [][]int64) ([][]float32, error) {
	var n int
	for _, row := range ids {
		n += len(row)
	}
	indices := make([]int64, 0, 2*n)
	values := make([]int64, 0, n)
	for r, row := range ids {
		for p, id := range row {
			indices = append(indices, int64(r), int64(p))
			values = append(values, id)
		}
	}
	ti, err := ort.NewTensor(ort.NewShape(int64(n), 2), indices)
	if err != nil {
		return nil, err
	}
	defer ti.Destroy()
	tv, err := ort.NewTensor(ort.NewShape(int64(n)), values)
	if err != nil {
		return nil, err
	}
	defer tv.Destroy()
	outs := []ort.Value{nil}
	if err := u.s.Run([]ort.Value{ti, tv}, outs); err != nil {
		return nil, fmt.Errorf("run: %v", oneLine(err))
	}
	defer outs[0].Destroy()
	return rows2D(outs[0], len(ids))
}

func (u *useSession) close() error { return u.s.Destroy() }

// bertSession runs a BERT-style encoder: input_ids, attention_mask and,
// when the graph has it, token_type_ids (all zero: one segment), each
// [rows, seq]. A [rows, seq, dim] output is mean-pooled over the mask; a
// [rows, dim] one (a graph that pools itself) is used as it is.
type bertSession struct {
	s      *ort.DynamicAdvancedSession
	inputs []string
	output string
	rank   int
	pad    int64
	// seq is the sequence length the graph declares, when it declares
	// one (some exports fix it): every batch is padded to it. 0 when
	// the axis is dynamic.
	seq int
}

// BERT input and output names, as Hugging Face exports them.
const (
	inputIDs      = "input_ids"
	attentionMask = "attention_mask"
	tokenTypeIDs  = "token_type_ids"
	hiddenState   = "last_hidden_state"
)

// bertIO reads the graph's inputs and outputs and picks the ones to use,
// refusing a graph that does not look like a BERT encoder.
func bertIO(graph []byte, dims, maxTokens int) (*bertSession, error) {
	ins, outs, err := ort.GetInputOutputInfoWithONNXData(graph)
	if err != nil {
		return nil, err
	}
	b := &bertSession{}
	have := map[string]bool{}
	for _, in := range ins {
		switch in.Name {
		case inputIDs, attentionMask, tokenTypeIDs:
		default:
			return nil, fmt.Errorf("unexpected input %q (a BERT graph takes %s, %s and optionally %s)", in.Name, inputIDs, attentionMask, tokenTypeIDs)
		}
		if in.DataType != ort.TensorElementDataTypeInt64 || len(in.Dimensions) != 2 {
			return nil, fmt.Errorf("input %q is %s, want int64 [batch, sequence]", in.Name, in.String())
		}
		if in.Dimensions[0] > 0 {
			return nil, fmt.Errorf("input %q has a fixed batch size of %d: export the graph with a dynamic batch axis", in.Name, in.Dimensions[0])
		}
		if n := int(in.Dimensions[1]); n > 0 {
			if b.seq > 0 && b.seq != n {
				return nil, fmt.Errorf("inputs declare sequence lengths %d and %d", b.seq, n)
			}
			b.seq = n
		}
		have[in.Name] = true
	}
	if b.seq > 0 && maxTokens > b.seq {
		return nil, fmt.Errorf("the graph takes sequences of exactly %d tokens: give --max-tokens %d or less", b.seq, b.seq)
	}
	if !have[inputIDs] || !have[attentionMask] {
		return nil, fmt.Errorf("the graph lacks input %s or %s", inputIDs, attentionMask)
	}
	b.inputs = []string{inputIDs, attentionMask}
	if have[tokenTypeIDs] {
		b.inputs = append(b.inputs, tokenTypeIDs)
	}
	var out *ort.InputOutputInfo
	for i := range outs {
		if outs[i].Name == hiddenState {
			out = &outs[i]
		}
	}
	if out == nil && len(outs) > 0 {
		out = &outs[0]
	}
	if out == nil {
		return nil, fmt.Errorf("the graph has no outputs")
	}
	b.output, b.rank = out.Name, len(out.Dimensions)
	if out.DataType != ort.TensorElementDataTypeFloat || (b.rank != 2 && b.rank != 3) {
		return nil, fmt.Errorf("output %q is %s, want float [batch, sequence, dims] or [batch, dims]", out.Name, out.String())
	}
	if last := out.Dimensions[b.rank-1]; dims > 0 && last > 0 && int(last) != dims {
		return nil, fmt.Errorf("output %q has %d dims, the manifest says %d", out.Name, last, dims)
	}
	return b, nil
}

func (b *bertSession) run(ids [][]int64) ([][]float32, error) {
	rows, seq := len(ids), 0
	lengths := make([]int, rows)
	for r, row := range ids {
		lengths[r] = len(row)
		seq = max(seq, len(row))
	}
	if b.seq > 0 {
		seq = b.seq // MaxTokens <= b.seq, so every row fits
	}
	tokens := make([]int64, rows*seq)
	mask := make([]int64, rows*seq)
	for r, row := range ids {
		for p := range seq {
			if p < len(row) {
				tokens[r*seq+p], mask[r*seq+p] = row[p], 1
			} else {
				tokens[r*seq+p] = b.pad
			}
		}
	}
	shape := ort.NewShape(int64(rows), int64(seq))
	var inputs []ort.Value
	defer func() {
		for _, v := range inputs {
			v.Destroy()
		}
	}()
	for _, data := range [][]int64{tokens, mask, make([]int64, rows*seq)}[:len(b.inputs)] {
		t, err := ort.NewTensor(shape, data)
		if err != nil {
			return nil, err
		}
		inputs = append(inputs, t)
	}
	outs := []ort.Value{nil}
	if err := b.s.Run(inputs, outs); err != nil {
		return nil, fmt.Errorf("run: %v", oneLine(err))
	}
	defer outs[0].Destroy()
	if b.rank == 2 {
		return rows2D(outs[0], rows)
	}
	t, ok := outs[0].(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("output is %T, want float32", outs[0])
	}
	s := t.GetShape()
	if len(s) != 3 || s[0] != int64(rows) || s[1] != int64(seq) {
		return nil, fmt.Errorf("output shape %v, want [%d %d dims]", s, rows, seq)
	}
	return meanPool(t.GetData(), lengths, seq, int(s[2])), nil
}

func (b *bertSession) close() error { return b.s.Destroy() }

// rows2D copies a float [rows, dims] output into one slice per row.
func rows2D(v ort.Value, rows int) ([][]float32, error) {
	t, ok := v.(*ort.Tensor[float32])
	if !ok {
		return nil, fmt.Errorf("output is %T, want float32", v)
	}
	s := t.GetShape()
	if len(s) != 2 || s[0] != int64(rows) {
		return nil, fmt.Errorf("output shape %v, want [%d dims]", s, rows)
	}
	data, dims := t.GetData(), int(s[1])
	out := make([][]float32, rows)
	for r := range out {
		out[r] = append([]float32(nil), data[r*dims:(r+1)*dims]...)
	}
	return out, nil
}
