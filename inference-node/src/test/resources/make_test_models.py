#!/usr/bin/env python3
"""Writes the tiny ONNX models of the inference node's conformance tests (repository/*/1/model.onnx).

Run from this directory with Debian's python3-onnx: /usr/bin/python3 make_test_models.py
The configs (config.pbtxt) are written by hand next to them; this script only makes the graphs.
"""
import os

import onnx
from onnx import TensorProto, helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = [helper.make_opsetid("", 13)]


def save(name, graph):
    model = helper.make_model(graph, opset_imports=OPSET, producer_name="framecast-tests")
    model.ir_version = 7
    onnx.checker.check_model(model)
    path = os.path.join(HERE, "repository", name, "1", "model.onnx")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    onnx.save(model, path)
    print("wrote", path)


def tensor(name, dtype, shape):
    return helper.make_tensor_value_info(name, dtype, shape)


# simple: OUTPUT0 = INPUT0 + INPUT1, OUTPUT1 = INPUT0 - INPUT1 (Triton's classic example model).
save("simple", helper.make_graph(
    [helper.make_node("Add", ["INPUT0", "INPUT1"], ["OUTPUT0"]),
     helper.make_node("Sub", ["INPUT0", "INPUT1"], ["OUTPUT1"])],
    "simple",
    [tensor("INPUT0", TensorProto.FLOAT, ["batch", 16]), tensor("INPUT1", TensorProto.FLOAT, ["batch", 16])],
    [tensor("OUTPUT0", TensorProto.FLOAT, ["batch", 16]), tensor("OUTPUT1", TensorProto.FLOAT, ["batch", 16])]))

# queued: the same graph, configured with a long batching delay and a tiny queue.
save("queued", helper.make_graph(
    [helper.make_node("Add", ["INPUT0", "INPUT1"], ["OUTPUT0"]),
     helper.make_node("Sub", ["INPUT0", "INPUT1"], ["OUTPUT1"])],
    "queued",
    [tensor("INPUT0", TensorProto.FLOAT, ["batch", 16]), tensor("INPUT1", TensorProto.FLOAT, ["batch", 16])],
    [tensor("OUTPUT0", TensorProto.FLOAT, ["batch", 16]), tensor("OUTPUT1", TensorProto.FLOAT, ["batch", 16])]))

# strings: BYTES in, BYTES out.
save("strings", helper.make_graph(
    [helper.make_node("Identity", ["INPUT0"], ["OUTPUT0"])],
    "strings",
    [tensor("INPUT0", TensorProto.STRING, ["batch", 2])],
    [tensor("OUTPUT0", TensorProto.STRING, ["batch", 2])]))

# half: FP16 in, FP16 out (doubled), sent raw: FP16 has no typed contents field.
save("half", helper.make_graph(
    [helper.make_node("Add", ["INPUT0", "INPUT0"], ["OUTPUT0"])],
    "half",
    [tensor("INPUT0", TensorProto.FLOAT16, ["batch", 4])],
    [tensor("OUTPUT0", TensorProto.FLOAT16, ["batch", 4])]))

# nobatch: max_batch_size 0, INT32 [3] doubled; variable-length VALUES [-1] summed.
save("nobatch", helper.make_graph(
    [helper.make_node("Add", ["INPUT0", "INPUT0"], ["OUTPUT0"])],
    "nobatch",
    [tensor("INPUT0", TensorProto.INT32, [3])],
    [tensor("OUTPUT0", TensorProto.INT32, [3])]))

# missing_file has a config and a version directory but no model file (a load failure).
os.makedirs(os.path.join(HERE, "repository", "missing_file", "1"), exist_ok=True)

# bench-repository/identity: FP32 [-1] -> FP32 [-1], no batching: the node's own per-call cost.
model = helper.make_model(helper.make_graph(
    [helper.make_node("Identity", ["INPUT0"], ["OUTPUT0"])],
    "identity",
    [tensor("INPUT0", TensorProto.FLOAT, ["n"])],
    [tensor("OUTPUT0", TensorProto.FLOAT, ["n"])]), opset_imports=OPSET, producer_name="framecast-tests")
model.ir_version = 7
onnx.checker.check_model(model)
onnx.save(model, os.path.join(HERE, "bench-repository", "identity", "1", "model.onnx"))
print("wrote bench-repository/identity")
