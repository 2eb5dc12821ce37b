package embed

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// ONNX Runtime loads the graphs Patina hands it from memory. A tensor
// stored as "external data" (weights in a file beside the .onnx) is bytes
// no manifest pins: ORT 1.30 refuses such a graph from memory with an
// obscure message ("model_path must not be empty"), and other versions
// (PATINA_ORT_LIB may name one) have resolved it against the current
// directory. So a graph that refers to external data is refused before
// ORT sees it, with a message that says why. refersToExternalData walks
// just enough of the ONNX protobuf schema to find every TensorProto.

// message kinds, and for each the fields that hold messages to descend.
type pbKind int

const (
	pbModel pbKind = iota
	pbGraph
	pbNode
	pbAttribute
	pbTensor
	pbSparseTensor
	pbFunction
)

var pbChildren = map[pbKind]map[uint64]pbKind{
	pbModel:        {7: pbGraph, 25: pbFunction},
	pbGraph:        {1: pbNode, 5: pbTensor, 15: pbSparseTensor},
	pbNode:         {5: pbAttribute},
	pbAttribute:    {5: pbTensor, 6: pbGraph, 10: pbTensor, 11: pbGraph, 22: pbSparseTensor, 23: pbSparseTensor},
	pbSparseTensor: {1: pbTensor, 2: pbTensor},
	pbFunction:     {7: pbNode},
}

// TensorProto fields that mark external data.
const (
	tensorExternalData = 13 // repeated key/value entries: location, offset, length
	tensorDataLocation = 14 // enum: 1 = EXTERNAL
)

// maxPBDepth bounds recursion through nested graphs (If, Loop, Scan).
const maxPBDepth = 64

var errBadProtobuf = errors.New("not a valid ONNX protobuf")

// refersToExternalData reports whether the ONNX model in b stores any
// tensor outside itself.
func refersToExternalData(b []byte) (bool, error) {
	return pbWalk(b, pbModel, 0)
}

func pbWalk(b []byte, kind pbKind, depth int) (bool, error) {
	if depth > maxPBDepth {
		return false, fmt.Errorf("%w: graphs nested over %d deep", errBadProtobuf, maxPBDepth)
	}
	for len(b) > 0 {
		key, n := binary.Uvarint(b)
		if n <= 0 {
			return false, errBadProtobuf
		}
		b = b[n:]
		field, wire := key>>3, key&7
		switch wire {
		case 0: // varint
			v, n := binary.Uvarint(b)
			if n <= 0 {
				return false, errBadProtobuf
			}
			b = b[n:]
			if kind == pbTensor && field == tensorDataLocation && v == 1 {
				return true, nil
			}
		case 1: // fixed64
			if len(b) < 8 {
				return false, errBadProtobuf
			}
			b = b[8:]
		case 5: // fixed32
			if len(b) < 4 {
				return false, errBadProtobuf
			}
			b = b[4:]
		case 2: // length-delimited
			l, n := binary.Uvarint(b)
			if n <= 0 || l > uint64(len(b)-n) {
				return false, errBadProtobuf
			}
			body := b[n : n+int(l)]
			b = b[n+int(l):]
			if kind == pbTensor && field == tensorExternalData {
				return true, nil
			}
			if child, ok := pbChildren[kind][field]; ok {
				ext, err := pbWalk(body, child, depth+1)
				if ext || err != nil {
					return ext, err
				}
			}
		default: // groups (3, 4) are not used by ONNX
			return false, errBadProtobuf
		}
	}
	return false, nil
}
