#!/usr/bin/python3
# Builds a tiny BERT-shaped ONNX graph for internal/embed's tests, with
# Debian's python3-onnx (run it with /usr/bin/python3).
#
#   make_bert_test_model.py OUT.onnx [good|bad-inputs|pooled]
#
# good:       inputs input_ids, attention_mask, token_type_ids (int64
#             [batch, seq]); output last_hidden_state [batch, seq, 4] =
#             word_emb[input_ids] + type_emb[token_type_ids]. No attention
#             and no layers, so the test can mean-pool by hand. The mask is
#             read (multiplied by zero) but does not zero the padding: a
#             pooler that ignored the mask would be caught.
# bad-inputs: the same graph whose first input is called "x".
# pooled:     output sentence_embedding [batch, 4], the mean of
#             last_hidden_state over the sequence (no mask).
# external:   the good graph with word_emb stored outside it, in
#             OUT.onnx.data beside it (ONNX external data).
# fixed-seq:  the good graph with the sequence axis fixed at 16.
# fixed-batch: the good graph with the batch axis fixed at 1.
#
# word_emb[i] = [i, 10 - i, i % 2, 1] for i < 32;  type_emb = [[0.5, 0, 0, 0],
# [0, 0, 0, 100]]. Deterministic: the same bytes every run.
import sys
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

V, H = 32, 4
out, mode = sys.argv[1], (sys.argv[2] if len(sys.argv) > 2 else "good")
word = np.array([[i, 10 - i, i % 2, 1] for i in range(V)], np.float32)
types = np.array([[0.5, 0, 0, 0], [0, 0, 0, 100]], np.float32)
ids_name = "x" if mode == "bad-inputs" else "input_ids"

inits = [numpy_helper.from_array(word, "word_emb"), numpy_helper.from_array(types, "type_emb"),
         numpy_helper.from_array(np.array(0, np.float32), "zero"),
         numpy_helper.from_array(np.array([2], np.int64), "last_axis")]
nodes = [
    helper.make_node("Gather", ["word_emb", ids_name], ["w"]),
    helper.make_node("Gather", ["type_emb", "token_type_ids"], ["t"]),
    helper.make_node("Add", ["w", "t"], ["wt"]),
    helper.make_node("Cast", ["attention_mask"], ["mf"], to=TensorProto.FLOAT),
    helper.make_node("Mul", ["mf", "zero"], ["m0"]),
    helper.make_node("Unsqueeze", ["m0", "last_axis"], ["m0e"]),
    helper.make_node("Add", ["wt", "m0e"], ["last_hidden_state"]),
]
outputs = [helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "seq", H])]
if mode == "pooled":
    nodes.append(helper.make_node("ReduceMean", ["last_hidden_state"], ["sentence_embedding"], axes=[1], keepdims=0))
    outputs = [helper.make_tensor_value_info("sentence_embedding", TensorProto.FLOAT, ["batch", H])]
seq_dim = 16 if mode == "fixed-seq" else "seq"
batch_dim = 1 if mode == "fixed-batch" else "batch"
inputs = [helper.make_tensor_value_info(n, TensorProto.INT64, [batch_dim, seq_dim])
          for n in (ids_name, "attention_mask", "token_type_ids")]
graph = helper.make_graph(nodes, "bert_test", inputs, outputs, inits)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="patina-test")
model.ir_version = 8
onnx.checker.check_model(model)
if mode == "external":
    import os
    onnx.save_model(model, out, save_as_external_data=True, all_tensors_to_one_file=True,
                    location=os.path.basename(out) + ".data", size_threshold=64)
else:
    onnx.save(model, out)
