"""Evaluate exported ONNX models the way the platform runs them, and score the clips.

Usage (from the repo root; needs the onnxruntime Python package, e.g. on the GPU machine):
    python triton-models/training/eval.py --models triton-models --json eval.json --sheet eval.png

Sampler (mirrors the Java scheduler):
  * prompt and an empty negative prompt go through text_encoder;
  * initial noise per prompt: the platform's "philox-normal" noise of the prompt's seed
    (philox_normal below, the scheduler's PhiloxNormal in NumPy: the same floats);
  * timesteps t_i = s*u / (1 + (s-1)*u), u = 1 - i/N for i = 0..N (N = 24 by default; s the DiT
    config's timestep_shift, 1 when absent, so s = 1 is t_i = 1 - i/N), guidance the DiT config's
    default_guidance_scale (as the platform's default); each dit call advances every sample one
    step with the DiT config's sampler: "renoise" (the graph re-noises its prediction of the
    clean latents to the next level with fresh philox-normal noise of the seed, stream i + 1 after
    step i, mixed by the config's stochasticity; sampler.py) or "euler". --sampler euler or
    renoise overrides it (stochasticity 0 or 1); the final latents are decoded by vae.

Scoring: colour = mean colour of the bright pixels mapped to the nearest of the 7 colours;
direction = displacement of the bright pixels' centroid from the first frames to the last;
shapes = the 4-connected regions of >= 6 bright pixels in each frame (one shape a frame is
right: two or more is a shape in pieces or a second shape, none a blank frame).
"""
from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import struct
import sys
import time
import zlib
from dataclasses import asdict, dataclass
from typing import List, Optional, Sequence

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import COLOURS, EvalPrompt, eval_prompts, timestep, tokenize  # noqa: E402

BRIGHT = 0.35          # a pixel belongs to the shape if its brightest channel exceeds this
EDGE_FRAMES = 4        # frames averaged at each end to measure motion
MIN_MOTION_PX = 3.0    # ground truth moves >= 1.6 px/frame * 12 frames ~ 19 px
MIN_SHAPE_PX = 6       # a connected bright region this large counts as a shape (smaller: specks)


# --------------------------------------------------------------------------------------------
# Scorer (pure numpy; tested on ground-truth clips by smoke_test.py)
# --------------------------------------------------------------------------------------------

@dataclass
class Score:
    colour: Optional[str]      # None when no shape pixels were found
    direction: Optional[str]   # None when the shape did not move measurably
    mean_rgb: List[float]
    displacement: List[float]  # [dx, dy] in px, y pointing down
    shapes: List[int]          # shapes (connected bright regions) in each frame; 1 is right


def count_shapes(mask: np.ndarray, min_pixels: int = MIN_SHAPE_PX) -> int:
    """4-connected regions of True pixels with at least `min_pixels` pixels in one frame [H, W]:
    a coherent shape is one region, a shape in pieces or a second shape is more, a blank frame 0."""
    seen = np.zeros_like(mask, dtype=bool)
    h, w = mask.shape
    found = 0
    for y0, x0 in zip(*np.nonzero(mask)):
        if seen[y0, x0]:
            continue
        seen[y0, x0] = True
        stack, size = [(y0, x0)], 0
        while stack:
            y, x = stack.pop()
            size += 1
            for ny, nx in ((y - 1, x), (y + 1, x), (y, x - 1), (y, x + 1)):
                if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                    seen[ny, nx] = True
                    stack.append((ny, nx))
        found += size >= min_pixels
    return found


def to_frames_hwc(clip) -> np.ndarray:
    """Accept [T, H, W, 3] uint8 (ONNX vae output) or [T, 3, H, W] float (data.py) -> float HWC."""
    arr = np.asarray(clip)
    if arr.dtype == np.uint8:
        arr = arr.astype(np.float32) / 255.0
    if arr.shape[-1] != 3:
        arr = np.moveaxis(arr, -3, -1)
    return arr.astype(np.float32)


def nearest_colour(rgb: np.ndarray) -> str:
    # Normalise brightness first: a dim red is still red; compare chromaticity + saturation.
    rgb = rgb / max(float(rgb.max()), 1e-6)
    names = list(COLOURS)
    dists = [float(np.sum((rgb - np.array(COLOURS[n])) ** 2)) for n in names]
    return names[int(np.argmin(dists))]


def score_clip(clip) -> Score:
    frames = to_frames_hwc(clip)                       # [T, H, W, 3]
    mask = frames.max(axis=-1) > BRIGHT                # [T, H, W]
    shapes = [count_shapes(m) for m in mask]
    if not mask.any():
        return Score(None, None, [0.0, 0.0, 0.0], [0.0, 0.0], shapes)
    mean_rgb = frames[mask].mean(axis=0)
    colour = nearest_colour(mean_rgb)

    ys, xs = np.mgrid[0:mask.shape[1], 0:mask.shape[2]]
    centroids = []
    for m in mask:
        n = m.sum()
        centroids.append((xs[m].mean(), ys[m].mean()) if n else None)
    present = [c for c in centroids if c is not None]
    direction, disp = None, np.zeros(2)
    if len(present) >= 2:
        k = min(EDGE_FRAMES, len(present) // 2)
        disp = np.mean(present[-k:], axis=0) - np.mean(present[:k], axis=0)
        if np.abs(disp).max() >= MIN_MOTION_PX:
            if abs(disp[0]) >= abs(disp[1]):
                direction = "right" if disp[0] > 0 else "left"
            else:
                direction = "down" if disp[1] > 0 else "up"
    return Score(colour, direction, [float(v) for v in mean_rgb], [float(v) for v in disp],
                 shapes)


def score_clips(clips: Sequence, prompts: Sequence[EvalPrompt]) -> dict:
    """Score each clip against its prompt; returns per-prompt rows and totals."""
    rows = []
    for clip, p in zip(clips, prompts):
        s = score_clip(clip)
        rows.append({"prompt": p.prompt, "seed": p.seed, "expected_colour": p.colour,
                     "expected_direction": p.direction, **asdict(s),
                     "colour_ok": s.colour == p.colour, "direction_ok": s.direction == p.direction,
                     "one_shape_frames": sum(n == 1 for n in s.shapes)})
    return {"results": rows,
            "colour_correct": sum(r["colour_ok"] for r in rows),
            "direction_correct": sum(r["direction_ok"] for r in rows),
            "one_shape_frames": sum(r["one_shape_frames"] for r in rows),
            "one_shape_clips": sum(r["one_shape_frames"] == len(r["shapes"]) for r in rows),
            "frames": sum(len(r["shapes"]) for r in rows),
            "total": len(rows)}


# --------------------------------------------------------------------------------------------
# Contact sheet (minimal PNG writer: no PIL/torchvision dependency)
# --------------------------------------------------------------------------------------------

def write_png(path: str, image: np.ndarray) -> None:
    """image: [H, W, 3] uint8 -> 8-bit RGB PNG, unfiltered scanlines, zlib-compressed."""
    h, w, _ = image.shape
    raw = b"".join(b"\x00" + image[y].tobytes() for y in range(h))

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xFFFFFFFF))

    with open(path, "wb") as f:
        f.write(b"\x89PNG\r\n\x1a\n")
        f.write(chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)))
        f.write(chunk(b"IDAT", zlib.compress(raw, 9)))
        f.write(chunk(b"IEND", b""))


def contact_sheet(clips: np.ndarray, every: int = 2, gap: int = 2) -> np.ndarray:
    """[N, T, H, W, 3] uint8 -> one image: a row per clip, every `every`-th frame across."""
    n, t, h, w, _ = clips.shape
    cols = list(range(0, t, every))
    sheet = np.full((n * (h + gap) + gap, len(cols) * (w + gap) + gap, 3), 40, np.uint8)
    for i in range(n):
        for j, f in enumerate(cols):
            y, x = gap + i * (h + gap), gap + j * (w + gap)
            sheet[y:y + h, x:x + w] = clips[i, f]
    return sheet


# --------------------------------------------------------------------------------------------
# ONNX pipeline
# --------------------------------------------------------------------------------------------

_PHILOX_M = (0xD2511F53, 0xCD9E8D57)
_PHILOX_W = (0x9E3779B9, 0xBB67AE85)
_MASK32 = np.uint64(0xFFFFFFFF)


def philox_words(seed: int, stream: int, blocks: int) -> np.ndarray:
    """Philox4x32-10 on counters (i, 0, stream, 0), i < blocks, keyed by the seed's two 32-bit
    halves: the scheduler's PhiloxNormal (dev.framecast.scheduler.pipeline), whose initial noise
    is stream 0. Returns [blocks, 4] uint64 words (each < 2^32)."""
    key = seed & 0xFFFFFFFFFFFFFFFF
    k0, k1 = np.uint64(key & 0xFFFFFFFF), np.uint64(key >> 32)
    c0 = np.arange(blocks, dtype=np.uint64) & _MASK32
    c1 = np.zeros(blocks, np.uint64)
    c2 = np.full(blocks, stream & 0xFFFFFFFF, np.uint64)
    c3 = np.zeros(blocks, np.uint64)
    m0, m1 = np.uint64(_PHILOX_M[0]), np.uint64(_PHILOX_M[1])
    for _ in range(10):
        p0, p1 = m0 * c0, m1 * c2                      # < 2^64: exact in uint64
        hi0, lo0 = p0 >> np.uint64(32), p0 & _MASK32
        hi1, lo1 = p1 >> np.uint64(32), p1 & _MASK32
        c0, c1, c2, c3 = hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0
        k0 = (k0 + np.uint64(_PHILOX_W[0])) & _MASK32
        k1 = (k1 + np.uint64(_PHILOX_W[1])) & _MASK32
    return np.stack([c0, c1, c2, c3], axis=1)


def philox_normal(seed: int, count: int, stream: int = 0) -> np.ndarray:
    """count standard normals (float32) as PhiloxNormal.noise draws them: Box-Muller in float64
    on each block's four words ((w + 0.5) / 2^32)."""
    w = philox_words(seed, stream, (count + 3) // 4).astype(np.float64)
    u = (w + 0.5) / 4294967296.0
    r0, r1 = np.sqrt(-2 * np.log(u[:, 0])), np.sqrt(-2 * np.log(u[:, 2]))
    a1, a3 = 2 * np.pi * u[:, 1], 2 * np.pi * u[:, 3]
    z = np.stack([r0 * np.cos(a1), r0 * np.sin(a1), r1 * np.cos(a3), r1 * np.sin(a3)], axis=1)
    return z.reshape(-1)[:count].astype(np.float32)


def initial_noise(seed: int, shape=(4, 16, 16, 16)) -> np.ndarray:
    """The job's initial latents as the scheduler draws them (PhiloxNormal, stream 0)."""
    return philox_normal(seed, int(np.prod(shape))).reshape(shape)


class OnnxPipeline:
    def __init__(self, models_dir: str, providers: Optional[List[str]] = None):
        import onnxruntime as ort  # lazy: not installed on the CPU dev box
        providers = providers or ort.get_available_providers()
        load = lambda name: ort.InferenceSession(  # noqa: E731
            os.path.join(models_dir, name, "1", "model.onnx"), providers=providers)
        self.text_encoder, self.dit, self.vae = load("text_encoder"), load("dit"), load("vae")
        self.takes_noise = any(i.name == "noise_seed" for i in self.dit.get_inputs())

    def encode(self, texts: Sequence[str]):
        ids = tokenize(texts).numpy()
        emb, mask = self.text_encoder.run(["text_embeddings", "attention_mask"], {"input_ids": ids})
        return emb, mask

    def generate(self, prompts: Sequence[str], seeds: Sequence[int], steps: int,
                 guidance: float, stochasticity: float = 0.0, shift: float = 1.0) -> np.ndarray:
        """stochasticity: the re-noising sampler's (0: Euler), for a DiT graph that has it;
        shift: the schedule's timestep shift (data.timestep), as the DiT config's
        timestep_shift."""
        b = len(prompts)
        if stochasticity and not self.takes_noise:
            raise SystemExit("this DiT graph has no re-noising sampler (no noise_seed input)")
        emb, mask = self.encode(prompts)
        neg_emb, neg_mask = self.encode([""] * b)
        x = np.stack([initial_noise(s) for s in seeds])
        g = np.full((b, 1), guidance, np.float32)
        for i in range(steps):
            t = np.full((b, 1), timestep(i, steps, shift), np.float32)
            t_next = np.full((b, 1), timestep(i + 1, steps, shift), np.float32)
            feeds = {"latents": x, "timestep": t, "next_timestep": t_next,
                     "text_embeddings": emb, "attention_mask": mask,
                     "negative_text_embeddings": neg_emb, "negative_attention_mask": neg_mask,
                     "guidance_scale": g}
            if self.takes_noise:
                feeds.update(noise_seed=np.array(seeds, np.int64).reshape(b, 1),
                             noise_stream=np.full((b, 1), i + 1, np.int64),
                             stochasticity=np.full((b, 1), stochasticity, np.float32))
            x = self.dit.run(["next_latents"], feeds)[0]
        return self.vae.run(["frames"], {"latents": x})[0]      # [B, F, 64, 64, 3] uint8


def dit_parameter(models: str, key: str) -> Optional[str]:
    """A parameter of the DiT's config.pbtxt (None when absent)."""
    import re
    with open(os.path.join(models, "dit", "config.pbtxt")) as f:
        pattern = r'key: "' + re.escape(key) + r'"\s*value:\s*\{\s*string_value: "([^"]+)"'
        found = re.search(pattern, f.read())
    return found.group(1) if found else None


def default_guidance(models: str) -> float:
    """The DiT config's default_guidance_scale: the guidance the platform uses by default."""
    found = dit_parameter(models, "default_guidance_scale")
    if found is None:
        raise SystemExit(f"{models}/dit/config.pbtxt has no default_guidance_scale parameter")
    return float(found)


def config_stochasticity(models: str) -> float:
    """The stochasticity the platform steps with: the DiT config's sampler (euler when absent)
    and, for renoise, its stochasticity (1 when absent), as the scheduler's Pipeline reads them."""
    sampler = dit_parameter(models, "sampler") or "euler"
    if sampler == "euler":
        return 0.0
    if sampler != "renoise":
        raise SystemExit(f"{models}/dit/config.pbtxt: unknown sampler {sampler!r}")
    return float(dit_parameter(models, "stochasticity") or "1")


def config_shift(models: str) -> float:
    """The DiT config's timestep_shift (1 when absent), as the scheduler's Pipeline reads it: a
    float32, so the schedule here rounds as the platform's does."""
    return float(np.float32(dit_parameter(models, "timestep_shift") or "1"))


def main(argv: Optional[List[str]] = None) -> int:
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=os.path.dirname(here), help="Triton model repository")
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--guidance", type=float, default=None,
                    help="guidance scale (default: the DiT config's default_guidance_scale)")
    ap.add_argument("--batch", type=int, default=28, help="prompts per ONNX call")
    ap.add_argument("--seed-offset", type=int, default=0,
                    help="add this to every prompt's seed (another draw of the same prompts)")
    ap.add_argument("--limit", type=int, default=None, help="only the first N prompts (quick check)")
    ap.add_argument("--json", default=None, help="write results here")
    ap.add_argument("--sheet", default=None, help="write a contact-sheet PNG here")
    ap.add_argument("--cpu", action="store_true", help="force CPUExecutionProvider")
    ap.add_argument("--sampler", choices=["config", "euler", "renoise"], default="config",
                    help="config: the DiT config's (as the platform); euler: stochasticity 0;"
                         " renoise: stochasticity 1")
    ap.add_argument("--stochasticity", type=float, default=None,
                    help="the re-noising sampler's stochasticity in [0, 1] (overrides --sampler)")
    ap.add_argument("--shift", type=float, default=None,
                    help="the schedule's timestep shift (default: the DiT config's timestep_shift)")
    args = ap.parse_args(argv)

    if args.guidance is None:
        args.guidance = default_guidance(args.models)
    stochasticity = {"config": None, "euler": 0.0, "renoise": 1.0}[args.sampler]
    if args.stochasticity is not None:
        if not 0.0 <= args.stochasticity <= 1.0:
            raise SystemExit("--stochasticity must be in [0, 1]")
        stochasticity = args.stochasticity
    if stochasticity is None:
        stochasticity = config_stochasticity(args.models)
    shift = config_shift(args.models) if args.shift is None else args.shift
    if not (shift > 0 and math.isfinite(shift)):
        raise SystemExit(f"timestep shift {shift} (--shift or the DiT config's timestep_shift)"
                         " must be a number above 0")
    pipe = OnnxPipeline(args.models, ["CPUExecutionProvider"] if args.cpu else None)
    prompts = [dataclasses.replace(p, seed=p.seed + args.seed_offset)
               for p in eval_prompts()[:args.limit]]
    start = time.time()
    clips = np.concatenate([
        pipe.generate([p.prompt for p in chunk], [p.seed for p in chunk], args.steps, args.guidance,
                      stochasticity, shift)
        for chunk in (prompts[i:i + args.batch] for i in range(0, len(prompts), args.batch))])
    report = score_clips(clips, prompts)
    report.update(steps=args.steps, guidance=args.guidance, stochasticity=stochasticity, shift=shift,
                  seconds=round(time.time() - start, 2), noise="philox-normal of the seed")

    for r in report["results"]:
        print(f"{r['prompt']:32s} seed {r['seed']}: colour {r['colour']!s:8s}"
              f" {'ok ' if r['colour_ok'] else 'BAD'}  direction {r['direction']!s:6s}"
              f" {'ok' if r['direction_ok'] else 'BAD'}")
    print(f"colour {report['colour_correct']}/{report['total']}, "
          f"direction {report['direction_correct']}/{report['total']}, "
          f"one shape in {report['one_shape_frames']}/{report['frames']} frames "
          f"({report['one_shape_clips']}/{report['total']} clips in every frame)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(report, f, indent=2)
    if args.sheet:
        write_png(args.sheet, contact_sheet(clips))
    return 0


if __name__ == "__main__":
    sys.exit(main())
