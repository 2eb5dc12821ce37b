//go:build !cgo

package embed

import "fmt"

// openSession cannot load ONNX Runtime without cgo.
func openSession(m *Manifest, graph []byte, pad int64) (session, error) {
	return nil, fmt.Errorf("model %s: %w: this patina was built without cgo and cannot load ONNX Runtime", m.Name, ErrUnavailable)
}
