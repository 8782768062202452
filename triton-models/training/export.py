"""Export the three models as the Triton model repository's ONNX files.

    python triton-models/training/export.py --random-init --seed 0
    python triton-models/training/export.py --checkpoint <work dir>/checkpoint.pt

(`./framecast models train` exports by itself at the end of a run; `./framecast models export`
runs the first. The DiT's sampler is opset 18: onnx >= 1.13, not Debian's 1.12.)

    python triton-models/training/export.py --add-sampler triton-models/dit/1/model.onnx

writes <out>/{text_encoder,dit,vae}/1/model.onnx (opset 17, the DiT 18; dynamic batch axis
everywhere) implementing the platform contract (see ../README.md):

  text_encoder  input_ids [B,64] int64 -> text_embeddings [B,64,128], attention_mask [B,64]
  dit           one guided rectified-flow step for every sample of the batch:
                v = v_uncond + g (v_cond - v_uncond)   (one DiT pass over [cond; uncond])
                denoised = x - t v,  Euler: x + (t_next - t) v
                next_latents: the Euler update re-noised with the job's philox-normal noise
                (stream noise_stream) as much as its stochasticity says (sampler.py)
  vae           latents [B,4,F,16,16] (normalised) -> frames [B,F,64,64,3] uint8

Weights are stored as fp16 (initializers with >= 1024 elements, each followed by a Cast to
float) so the three files fit the 25 MB budget; the graphs still compute in fp32. The torch
weights are rounded to fp16 *before* tracing, so the torch modules and the ONNX graphs compute
the same function and can be compared tightly.
"""
from __future__ import annotations

import argparse
import inspect
import io
import os
import sys
import warnings
from typing import Dict, List, Optional, Tuple

import numpy as np
import onnx
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from model import (FrameAutoencoder, ModelConfig, TextEncoder, VideoDiT,  # noqa: E402
                   build_models, count_parameters)
from sampler import add_renoise_sampler  # noqa: E402
from sampler import supported as sampler_supported  # noqa: E402

OPSET = 17
FP16_MIN_ELEMENTS = 1024
MODEL_NAMES = ("text_encoder", "dit", "vae")


# --------------------------------------------------------------------------------------------
# Graph wrappers: exactly the contract's inputs and outputs
# --------------------------------------------------------------------------------------------

class TextEncoderGraph(nn.Module):
    def __init__(self, text: TextEncoder):
        super().__init__()
        self.text = text

    def forward(self, input_ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        return self.text(input_ids)


class GuidedEulerStep(nn.Module):
    """One classifier-free-guided rectified-flow Euler step (t = 1 noise, t = 0 data).

    Conditional and unconditional halves go through the DiT as one batch of 2B; every op in
    the DiT is per-sample, so a sample's result does not depend on its batch neighbours.
    """

    def __init__(self, dit: VideoDiT):
        super().__init__()
        self.dit = dit
        cfg = dit.cfg
        self.latent_shape = (cfg.latent_channels, cfg.latent_frames, cfg.latent_size,
                             cfg.latent_size)

    def forward(self, latents, timestep, next_timestep, text_embeddings, attention_mask,
                negative_text_embeddings, negative_attention_mask, guidance_scale):
        t = timestep.reshape(-1)
        v_both = self.dit(torch.cat([latents, latents]), torch.cat([t, t]),
                          torch.cat([text_embeddings, negative_text_embeddings]),
                          torch.cat([attention_mask, negative_attention_mask]))
        # [2B, ...] -> [2, B, ...]: a reshape rather than chunk() keeps B symbolic in ONNX.
        v_cond, v_uncond = v_both.reshape(2, -1, *self.latent_shape).unbind(0)
        per_sample = (-1, 1, 1, 1, 1)
        v = v_uncond + guidance_scale.reshape(per_sample) * (v_cond - v_uncond)
        t5 = timestep.reshape(per_sample)
        next_latents = latents + (next_timestep.reshape(per_sample) - t5) * v
        denoised = latents - t5 * v
        return next_latents, denoised


class VaeDecoderGraph(nn.Module):
    def __init__(self, vae: FrameAutoencoder):
        super().__init__()
        self.vae = vae

    def forward(self, latents: torch.Tensor) -> torch.Tensor:
        frames = self.vae.decode_video(latents)                    # [B, F, 3, H, W] float
        frames = frames.permute(0, 1, 3, 4, 2).clamp(0.0, 1.0) * 255.0
        return torch.round(frames).to(torch.uint8)                 # [B, F, H, W, 3]


def contract_shapes(cfg: ModelConfig) -> Dict[str, Dict[str, list]]:
    """Declared output shapes ("batch"/"frames" symbolic, everything else static).

    Tracing leaves outputs with shapes computed at run time, so the exporter names them with
    made-up symbols; declaring the contract's static dims lets tools (and Triton's config
    check) see [B, 64, 128] rather than [B, ?, ?].
    """
    lat = ["batch", cfg.latent_channels, cfg.latent_frames, cfg.latent_size, cfg.latent_size]
    return {
        "text_encoder": {"text_embeddings": ["batch", cfg.max_text_len, cfg.text_dim],
                         "attention_mask": ["batch", cfg.max_text_len]},
        "dit": {"next_latents": lat, "denoised": lat},
        "vae": {"frames": ["batch", "frames", cfg.frame_size, cfg.frame_size, 3]},
    }


def declare_output_shapes(model: onnx.ModelProto, shapes: Dict[str, list]) -> None:
    for out in model.graph.output:
        dims = out.type.tensor_type.shape.dim
        want = shapes[out.name]
        assert len(dims) == len(want), f"{out.name}: rank {len(dims)} != {len(want)}"
        for dim, value in zip(dims, want):
            if isinstance(value, str):
                dim.dim_param = value
            else:
                dim.dim_value = value


def graph_specs(cfg: ModelConfig, text: TextEncoder, vae: FrameAutoencoder, dit: VideoDiT,
                batch: int = 2) -> Dict[str, dict]:
    """Per model: wrapper module, example inputs, names and dynamic axes.

    Example batch 2 (not 1) and 3 latent frames (a size no other dim has) so that tracing
    cannot silently specialise a dynamic dimension to a constant.
    """
    L, D = cfg.max_text_len, cfg.text_dim
    lat = (cfg.latent_channels, cfg.latent_frames, cfg.latent_size, cfg.latent_size)
    g = torch.Generator().manual_seed(1234)
    ids = torch.randint(1, cfg.vocab_size, (batch, L), generator=g)
    ids[:, L // 2:] = 0
    mask = (ids != 0).float()
    emb = torch.randn(batch, L, D, generator=g)
    col = lambda v: torch.full((batch, 1), v)  # noqa: E731
    batch_axis = {0: "batch"}
    dit_inputs = ["latents", "timestep", "next_timestep", "text_embeddings", "attention_mask",
                  "negative_text_embeddings", "negative_attention_mask", "guidance_scale"]
    return {
        "text_encoder": dict(
            module=TextEncoderGraph(text), args=(ids,), inputs=["input_ids"],
            outputs=["text_embeddings", "attention_mask"],
            axes={n: batch_axis for n in ["input_ids", "text_embeddings", "attention_mask"]}),
        "dit": dict(
            module=GuidedEulerStep(dit),
            args=(torch.randn(batch, *lat, generator=g), col(0.75), col(0.7), emb, mask,
                  torch.zeros(batch, L, D), torch.zeros(batch, L), col(4.0)),
            inputs=dit_inputs, outputs=["next_latents", "denoised"],
            axes={n: batch_axis for n in dit_inputs + ["next_latents", "denoised"]}),
        "vae": dict(
            module=VaeDecoderGraph(vae),
            args=(torch.randn(batch, cfg.latent_channels, 3, cfg.latent_size, cfg.latent_size,
                              generator=g),),
            inputs=["latents"], outputs=["frames"],
            axes={"latents": {0: "batch", 2: "frames"}, "frames": {0: "batch", 1: "frames"}}),
    }


# --------------------------------------------------------------------------------------------
# ONNX post-processing
# --------------------------------------------------------------------------------------------

@torch.no_grad()
def round_weights_to_fp16(module: nn.Module, min_elements: int = FP16_MIN_ELEMENTS) -> None:
    """Round large float tensors through fp16 in place, as they will be stored."""
    for tensor in list(module.parameters()) + list(module.buffers()):
        if tensor.is_floating_point() and tensor.numel() >= min_elements:
            tensor.copy_(tensor.half().float())


def store_initializers_fp16(model: onnx.ModelProto,
                            min_elements: int = FP16_MIN_ELEMENTS) -> int:
    """FLOAT initializers with >= min_elements become FLOAT16 + a Cast back to FLOAT.

    Returns the number converted. Casts go first in the node list, keeping it topologically
    sorted; the original names now name the Cast outputs, so consumers are unchanged.
    """
    casts = []
    for init in model.graph.initializer:
        if init.data_type != TensorProto.FLOAT or int(np.prod(init.dims)) < min_elements:
            continue
        name = init.name
        half = numpy_helper.from_array(numpy_helper.to_array(init).astype(np.float16),
                                       name + "_fp16")
        init.CopyFrom(half)
        casts.append(helper.make_node("Cast", [name + "_fp16"], [name], name=name + "_cast",
                                      to=TensorProto.FLOAT))
    nodes = casts + list(model.graph.node)
    del model.graph.node[:]
    model.graph.node.extend(nodes)
    return len(casts)


# torch 1.13 warns that prim::Constant (from Upsample's scale factor) lacks shape inference;
# the Resize node it feeds is correct (checked against onnxruntime), so the noise is dropped.
warnings.filterwarnings("ignore", message="The shape inference of prim::Constant type is missing")


def to_onnx(spec: dict) -> onnx.ModelProto:
    kwargs = dict(input_names=spec["inputs"], output_names=spec["outputs"],
                  dynamic_axes=spec["axes"], opset_version=OPSET, do_constant_folding=True)
    # PyTorch >= 2.9 defaults to the dynamo exporter; this code targets the TorchScript one,
    # which is also the only one torch 1.13 has.
    if "dynamo" in inspect.signature(torch.onnx.export).parameters:
        kwargs["dynamo"] = False
    buf = io.BytesIO()
    torch.onnx.export(spec["module"].eval(), spec["args"], buf, **kwargs)
    return onnx.load_from_string(buf.getvalue())


def export_all(cfg: ModelConfig, text: TextEncoder, vae: FrameAutoencoder, dit: VideoDiT,
               out_dir: str, provenance: Dict[str, str],
               verbose: bool = True, sampler: bool = True) -> Dict[str, str]:
    """Write the three model.onnx files; returns model name -> path.

    `provenance` becomes ONNX metadata properties (framecast.weights at least: where the weights
    came from); framecast.config is added here. `sampler=False` leaves the DiT an Euler step
    without the re-noising sampler's inputs (opset 17: for an onnx package without opset 18;
    the platform's config expects the sampler)."""
    if cfg.label_cond:
        raise ValueError("a label_cond DiT (a research diagnostic) reads labels, not text:"
                         " it cannot serve the platform's contract; train without it to export")
    for m in (text, vae, dit):
        m.float().cpu().eval()
        round_weights_to_fp16(m)
    paths = {}
    for name, spec in graph_specs(cfg, text, vae, dit).items():
        model = to_onnx(spec)
        converted = store_initializers_fp16(model)
        declare_output_shapes(model, contract_shapes(cfg)[name])
        if name == "dit" and sampler:
            add_renoise_sampler(model, contract_shapes(cfg)[name]["next_latents"][1:])
        model.doc_string = f"Framecast reference {name}"
        props = {**provenance, "framecast.config": repr(sorted(cfg.to_dict().items()))}
        if name == "dit" and sampler:
            props["framecast.sampler"] = "re-noising sampler (sampler.py), stochasticity input"
        helper.set_model_props(model, props)
        onnx.checker.check_model(model, full_check=True)  # also runs shape inference
        path = os.path.join(out_dir, name, "1", "model.onnx")
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(model.SerializeToString())
        paths[name] = path
        if verbose:
            print(f"{name:13s} {os.path.getsize(path):>11,} bytes  {converted} fp16 initializers"
                  f"  -> {path}")
    return paths


def random_init_models(seed: int, cfg: Optional[ModelConfig] = None):
    """Untrained but non-degenerate models (see VideoDiT.randomize_zero_inits)."""
    cfg = cfg or ModelConfig()
    torch.manual_seed(seed)
    text, vae, dit = build_models(cfg)
    dit.randomize_zero_inits(torch.Generator().manual_seed(seed + 1))
    return cfg, text, vae, dit


def add_sampler_in_place(path: str) -> int:
    """Gives an exported DiT (Euler only, opset 17) the re-noising sampler's inputs: what
    export_all does to every DiT it writes, for a graph whose training checkpoint is gone."""
    model = onnx.load(path)
    shape = [d.dim_value for d in
             next(o for o in model.graph.output if o.name == "next_latents")
             .type.tensor_type.shape.dim][1:]
    add_renoise_sampler(model, shape)
    props = {p.key: p.value for p in model.metadata_props}
    props["framecast.sampler"] = "re-noising sampler appended by export.py --add-sampler"
    helper.set_model_props(model, props)
    onnx.checker.check_model(model, full_check=True)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(model.SerializeToString())
    os.replace(tmp, path)
    print(f"{path}: re-noising sampler added ({os.path.getsize(path):,} bytes)")
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description="Export the Framecast models to ONNX.")
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--checkpoint", help="a finished train.py run's checkpoint.pt")
    src.add_argument("--random-init", action="store_true", help="untrained weights")
    src.add_argument("--add-sampler", metavar="DIT_ONNX",
                     help="append the re-noising sampler to a DiT graph exported without it"
                          " (in place)")
    ap.add_argument("--seed", type=int, default=0, help="seed for --random-init")
    ap.add_argument("--out", default=os.path.dirname(here), help="model repository root")
    args = ap.parse_args(argv)
    if not sampler_supported():
        raise SystemExit(f"onnx {onnx.__version__} knows opsets up to"
                         f" {onnx.defs.onnx_opset_version()}; the DiT's sampler needs opset 18"
                         " (onnx >= 1.13, as in the environment ./framecast models train makes)")

    if args.add_sampler:
        return add_sampler_in_place(args.add_sampler)
    if args.checkpoint:
        from train import load_trained
        cfg, text, vae, dit, provenance = load_trained(args.checkpoint)
    else:
        cfg, text, vae, dit = random_init_models(args.seed)
        provenance = {"framecast.weights": f"random-init seed {args.seed} (untrained)"}
    print(f"parameters: text_encoder {count_parameters(text):,}  "
          f"vae decoder {count_parameters(vae.decoder):,}  dit {count_parameters(dit):,}")
    paths = export_all(cfg, text, vae, dit, args.out, provenance)
    total = sum(os.path.getsize(p) for p in paths.values())
    print(f"total {total:,} bytes ({total / 1e6:.2f} MB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
