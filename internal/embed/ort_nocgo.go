//go:build !cgo

package embed

// openSession cannot load ONNX Runtime without cgo.
func openSession(m *Manifest, graph []byte, pad int64, threads int) (session, error) {
	return nil, unavailablef("model %s: this patina was built without cgo and cannot load ONNX Runtime", m.Name)
}
