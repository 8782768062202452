"""The DiT graph's re-noising sampler: fresh noise made inside the ONNX graph.

After each guided step the DiT graph (export.GuidedEulerStep) has the Euler update and its
prediction of the clean latents, `denoised`. Rectified flow's Euler update is exactly

    next_euler = (1 - t') * denoised + t' * eps_hat       (eps_hat: the predicted noise)

The re-noising sampler (the multistep sampling of consistency models) replaces eps_hat with new
Gaussian noise z; `stochasticity` s in [0, 1] mixes the two, keeping the noise's variance:

    next = (1 - t') * denoised + t' * (sqrt(1 - s^2) * eps_hat + s * z)
         = sqrt(1 - s^2) * next_euler + (1 - sqrt(1 - s^2)) * (1 - t') * denoised + s * t' * z

so s = 0 is the Euler step exactly (no division by t', which is 0 at the last step, where the
noise term vanishes anyway).

z is the platform's "philox-normal" noise (the scheduler's PhiloxNormal, which draws a job's
initial noise as stream 0): Philox4x32-10 keyed by the job's 64-bit seed, counter (block, 0,
stream, 0) for block i of four normals, Box-Muller in float64 on (word + 0.5) / 2^32, rounded to
float32. The graph draws stream `noise_stream` (the scheduler sends step + 1 after step `step`),
so a clip is a pure function of its request and seed: the same on every node, batch and restart.

Philox is written with ONNX's uint64 operators: a 32 x 32-bit product fits in 64 bits, BitShift
and BitwiseAnd split it into its high and low words, BitwiseXor mixes them. BitwiseXor and
BitwiseAnd need opset 18 (the graph's default-domain opset is raised from 17 to 18; none of the
operators the DiT uses changed between them).
"""
from __future__ import annotations

from typing import List, Sequence

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

PHILOX_M = (0xD2511F53, 0xCD9E8D57)
PHILOX_W = (0x9E3779B9, 0xBB67AE85)
OPSET = 18

NOISE_SEED = "noise_seed"
NOISE_STREAM = "noise_stream"
STOCHASTICITY = "stochasticity"
EULER_OUTPUT = "euler_next_latents"


def supported() -> bool:
    """Whether this onnx package knows opset 18 (Debian's onnx 1.12 stops at 17)."""
    return onnx.defs.onnx_opset_version() >= OPSET


class _Builder:
    """Appends nodes and initializers with unique, prefixed names."""

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.nodes: List[onnx.NodeProto] = []
        self.initializers: List[onnx.TensorProto] = []
        self.count = 0

    def _name(self, kind: str) -> str:
        self.count += 1
        return f"{self.prefix}/{kind}_{self.count}"

    def const(self, value, dtype=np.int64) -> str:
        name = self._name("c")
        self.initializers.append(numpy_helper.from_array(np.array(value, dtype), name))
        return name

    def op(self, op_type: str, *inputs: str, out: str = None, **attrs) -> str:
        out = out or self._name(op_type)
        self.nodes.append(helper.make_node(op_type, list(inputs), [out],
                                           name=self._name("n" + op_type), **attrs))
        return out


def _philox_normal(b: _Builder, seed: str, stream: str, count: int) -> str:
    """[B, count] float32 normals for seeds [B, 1] (int64) and streams [B, 1] (int64)."""
    blocks = (count + 3) // 4
    u64 = np.uint64
    mask, shift = b.const(0xFFFFFFFF, u64), b.const(32, u64)

    def split(p: str):
        return b.op("BitShift", p, shift, direction="RIGHT"), b.op("BitwiseAnd", p, mask)

    # Words in uint64 (a 32 x 32-bit product fits): Cast wraps a negative seed modulo 2^64.
    seed_u = b.op("Cast", seed, to=TensorProto.UINT64)
    k1, k0 = split(seed_u)
    index = b.const(np.arange(blocks).reshape(1, blocks), u64)
    zero = b.const(0, u64)
    c0 = b.op("Add", index, b.op("Mul", seed_u, zero))                     # [B, blocks]
    c1 = b.op("Mul", c0, zero)
    c2 = b.op("Add", c1, b.op("BitwiseAnd", b.op("Cast", stream, to=TensorProto.UINT64), mask))
    c3 = c1
    m0, m1 = b.const(PHILOX_M[0], u64), b.const(PHILOX_M[1], u64)
    w0, w1 = b.const(PHILOX_W[0], u64), b.const(PHILOX_W[1], u64)
    for _ in range(10):
        hi0, lo0 = split(b.op("Mul", c0, m0))
        hi1, lo1 = split(b.op("Mul", c2, m1))
        n0 = b.op("BitwiseXor", b.op("BitwiseXor", hi1, c1), k0)
        n2 = b.op("BitwiseXor", b.op("BitwiseXor", hi0, c3), k1)
        c0, c1, c2, c3 = n0, lo1, n2, lo0
        k0 = b.op("BitwiseAnd", b.op("Add", k0, w0), mask)
        k1 = b.op("BitwiseAnd", b.op("Add", k1, w1), mask)
    # Box-Muller in float64, as PhiloxNormal does, then float32.
    half = b.const(0.5, np.float64)
    scale = b.const(1.0 / 4294967296.0, np.float64)
    u = [b.op("Mul", b.op("Add", b.op("Cast", c, to=TensorProto.DOUBLE), half), scale)
         for c in (c0, c1, c2, c3)]
    minus2, two_pi = b.const(-2.0, np.float64), b.const(2 * np.pi, np.float64)
    r0 = b.op("Sqrt", b.op("Mul", minus2, b.op("Log", u[0])))
    r1 = b.op("Sqrt", b.op("Mul", minus2, b.op("Log", u[2])))
    a1, a3 = b.op("Mul", two_pi, u[1]), b.op("Mul", two_pi, u[3])
    last = b.const([2])
    parts = [b.op("Unsqueeze", b.op("Mul", r, b.op(f, a)), last)
             for r, f, a in ((r0, "Cos", a1), (r0, "Sin", a1), (r1, "Cos", a3), (r1, "Sin", a3))]
    z = b.op("Concat", *parts, axis=2)                                      # [B, blocks, 4]
    z = b.op("Reshape", z, b.const([0, blocks * 4]))
    if blocks * 4 != count:
        z = b.op("Slice", z, b.const([0]), b.const([count]), b.const([1]))
    return b.op("Cast", z, to=TensorProto.FLOAT)


def add_renoise_sampler(model: onnx.ModelProto, latent_shape: Sequence[int]) -> onnx.ModelProto:
    """The DiT graph with the re-noising sampler appended (in place; returned for chaining).

    New inputs noise_seed [B, 1] INT64, noise_stream [B, 1] INT64, stochasticity [B, 1] FP32
    (clipped to [0, 1]); next_latents becomes the re-noised update, denoised is unchanged."""
    graph = model.graph
    inputs = {i.name for i in graph.input}
    if NOISE_SEED in inputs:
        raise ValueError("the DiT graph already has the re-noising sampler")
    if "next_timestep" not in inputs:
        raise ValueError("the DiT graph has no input 'next_timestep'")
    outputs = {o.name for o in graph.output}
    if not {"next_latents", "denoised"} <= outputs:
        raise ValueError("the DiT graph must have outputs next_latents and denoised")
    # The Euler update keeps being computed; its producer now writes EULER_OUTPUT.
    for node in graph.node:
        for i, name in enumerate(node.output):
            if name == "next_latents":
                node.output[i] = EULER_OUTPUT
        for i, name in enumerate(node.input):
            if name == "next_latents":
                node.input[i] = EULER_OUTPUT

    count = int(np.prod(latent_shape))
    b = _Builder("renoise")
    z = _philox_normal(b, NOISE_SEED, NOISE_STREAM, count)
    z = b.op("Reshape", z, b.const([-1, *latent_shape]))
    per_sample = b.const([-1, 1, 1, 1, 1])
    s = b.op("Reshape", b.op("Clip", STOCHASTICITY, b.const(0.0, np.float32),
                             b.const(1.0, np.float32)), per_sample)
    t_next = b.op("Reshape", "next_timestep", per_sample)
    one = b.const(1.0, np.float32)
    keep = b.op("Sqrt", b.op("Sub", one, b.op("Mul", s, s)))             # sqrt(1 - s^2)
    denoised_weight = b.op("Mul", b.op("Sub", one, keep), b.op("Sub", one, t_next))
    next_latents = b.op("Add", b.op("Add", b.op("Mul", keep, EULER_OUTPUT),
                                    b.op("Mul", denoised_weight, "denoised")),
                        b.op("Mul", b.op("Mul", s, t_next), z), out="next_latents")
    assert next_latents == "next_latents"

    graph.node.extend(b.nodes)
    graph.initializer.extend(b.initializers)
    graph.input.extend([
        helper.make_tensor_value_info(NOISE_SEED, TensorProto.INT64, ["batch", 1]),
        helper.make_tensor_value_info(NOISE_STREAM, TensorProto.INT64, ["batch", 1]),
        helper.make_tensor_value_info(STOCHASTICITY, TensorProto.FLOAT, ["batch", 1]),
    ])
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx") and opset.version < OPSET:
            opset.version = OPSET
    return model
