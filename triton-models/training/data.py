"""Synthetic captioned clips: one coloured shape moving in a straight line on black.

16 frames of 64x64 RGB in [0, 1]; 7 colours x 3 shapes x 4 directions, captioned exactly like
"a red circle moving right". Batches are rendered vectorised on the target device from a
torch.Generator, so a training run is reproducible from its seed and never loops per pixel.
Also home of the byte tokenizer and the 28 fixed evaluation prompts.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch

COLOURS: Dict[str, Tuple[float, float, float]] = {
    "red": (1.0, 0.0, 0.0),
    "green": (0.0, 1.0, 0.0),
    "blue": (0.0, 0.0, 1.0),
    "yellow": (1.0, 1.0, 0.0),
    "magenta": (1.0, 0.0, 1.0),
    "cyan": (0.0, 1.0, 1.0),
    "white": (1.0, 1.0, 1.0),
}
COLOUR_NAMES: List[str] = list(COLOURS)
SHAPES: List[str] = ["circle", "square", "triangle"]
# Unit motion per direction in image coordinates (x right, y DOWN).
DIRECTIONS: Dict[str, Tuple[float, float]] = {
    "left": (-1.0, 0.0), "right": (1.0, 0.0), "up": (0.0, -1.0), "down": (0.0, 1.0)}
DIRECTION_NAMES: List[str] = list(DIRECTIONS)

FRAMES = 16
SIZE = 64
MAX_TEXT_LEN = 64
RADIUS_RANGE = (6.0, 10.0)
SPEED_RANGE = (1.6, 2.8)        # pixels per frame


# --------------------------------------------------------------------------------------------
# Tokenizer
# --------------------------------------------------------------------------------------------

def tokenize(texts: Sequence[str], max_len: int = MAX_TEXT_LEN) -> torch.Tensor:
    """UTF-8 bytes + 1 (0 is padding), truncated / zero-padded to max_len -> int64 [B, max_len].

    Must match the Java side's "utf8-bytes" tokenizer byte for byte.
    """
    ids = torch.zeros(len(texts), max_len, dtype=torch.long)
    for row, text in enumerate(texts):
        raw = list(text.encode("utf-8"))[:max_len]
        if raw:
            ids[row, :len(raw)] = torch.tensor(raw, dtype=torch.long) + 1
    return ids


def caption(colour: int, shape: int, direction: int) -> str:
    return f"a {COLOUR_NAMES[colour]} {SHAPES[shape]} moving {DIRECTION_NAMES[direction]}"


# --------------------------------------------------------------------------------------------
# Clip parameters and rendering
# --------------------------------------------------------------------------------------------

@dataclass
class ClipSpec:
    """Per-clip parameters of a batch; every field is a tensor of shape [B]."""

    colour: torch.Tensor      # index into COLOUR_NAMES
    shape: torch.Tensor       # index into SHAPES
    direction: torch.Tensor   # index into DIRECTION_NAMES
    radius: torch.Tensor      # px
    speed: torch.Tensor       # px / frame
    x0: torch.Tensor          # centre at frame 0, px
    y0: torch.Tensor

    def captions(self) -> List[str]:
        return [caption(c, s, d) for c, s, d in
                zip(self.colour.tolist(), self.shape.tolist(), self.direction.tolist())]


def _uniform(n: int, lo, hi, g: torch.Generator, device) -> torch.Tensor:
    return lo + (hi - lo) * torch.rand(n, generator=g, device=device)


def sample_specs(n: int, g: torch.Generator, device: torch.device | str = "cpu",
                 colour: Optional[torch.Tensor] = None, shape: Optional[torch.Tensor] = None,
                 direction: Optional[torch.Tensor] = None) -> ClipSpec:
    """Random clip parameters; colour/shape/direction may be fixed by the caller.

    The start position is drawn so the whole shape stays inside the frame for all FRAMES
    frames: along the motion axis the centre travels speed*(FRAMES-1) px (at most 42 px), and
    64 - 2*10 - 42 >= 0 leaves room even for the largest, fastest shape.
    """
    def pick(fixed: Optional[torch.Tensor], k: int) -> torch.Tensor:
        if fixed is not None:
            return fixed.to(device=device, dtype=torch.long)
        return torch.randint(0, k, (n,), generator=g, device=device)

    colour = pick(colour, len(COLOUR_NAMES))
    shape = pick(shape, len(SHAPES))
    direction = pick(direction, len(DIRECTION_NAMES))
    radius = _uniform(n, *RADIUS_RANGE, g, device)
    speed = _uniform(n, *SPEED_RANGE, g, device)
    travel = speed * (FRAMES - 1)

    unit = torch.tensor(list(DIRECTIONS.values()), device=device)[direction]   # [n, 2]
    # Uniform fraction in [0, 1] of the free range, per axis.
    fx, fy = _uniform(n, 0.0, 1.0, g, device), _uniform(n, 0.0, 1.0, g, device)
    starts = []
    for frac, axis in ((fx, 0), (fy, 1)):
        moving = unit[:, axis] != 0
        span = SIZE - 2 * radius - torch.where(moving, travel, torch.zeros_like(travel))
        start = radius + frac * span
        # Moving towards negative coordinates: start from the far side.
        start = torch.where(unit[:, axis] < 0, SIZE - start, start)
        starts.append(start)
    return ClipSpec(colour, shape, direction, radius, speed, starts[0], starts[1])


def _signed_distance(shape: int, dx: torch.Tensor, dy: torch.Tensor,
                     r: torch.Tensor) -> torch.Tensor:
    """Approximate signed distance (px, negative inside) of one shape kind.

    dx [n, T, 1, W] and dy [n, T, H, 1] broadcast to [n, T, H, W]; r is [n, 1, 1, 1]."""
    if shape == 0:                                            # circle
        return torch.sqrt(dx * dx + dy * dy) - r
    if shape == 1:                                            # square, similar area
        return torch.maximum(dx.abs(), dy.abs()) - r * 0.85
    # Upward-pointing isosceles triangle: apex (0, -r), base from (-r, r) to (r, r).
    return torch.maximum(dy - r, (2.0 * dx.abs() - dy - r) / 5 ** 0.5)


def render(spec: ClipSpec) -> torch.Tensor:
    """ClipSpec -> clips [B, FRAMES, 3, SIZE, SIZE] in [0, 1], anti-aliased by ~1 px."""
    device = spec.radius.device
    unit = torch.tensor(list(DIRECTIONS.values()), device=device)[spec.direction]  # [B, 2]
    frame = torch.arange(FRAMES, device=device, dtype=torch.float32)
    cx = spec.x0[:, None] + unit[:, 0:1] * spec.speed[:, None] * frame       # [B, T]
    cy = spec.y0[:, None] + unit[:, 1:2] * spec.speed[:, None] * frame
    pix = torch.arange(SIZE, device=device, dtype=torch.float32) + 0.5       # pixel centres
    dx = pix.view(1, 1, 1, SIZE) - cx[:, :, None, None]                      # [B, T, 1, W]
    dy = pix.view(1, 1, SIZE, 1) - cy[:, :, None, None]                      # [B, T, H, 1]
    radius = spec.radius.view(-1, 1, 1, 1)
    alpha = torch.empty(len(spec.radius), FRAMES, SIZE, SIZE, device=device)
    # Each clip's own shape only (a third of computing all three and selecting).
    for kind in range(len(SHAPES)):
        rows = (spec.shape == kind).nonzero().flatten()
        if rows.numel():
            sd = _signed_distance(kind, dx[rows], dy[rows], radius[rows])
            alpha[rows] = (0.5 - sd).clamp(0.0, 1.0)
    rgb = torch.tensor(list(COLOURS.values()), device=device)[spec.colour]  # [B, 3]
    return alpha[:, :, None] * rgb.view(-1, 1, 3, 1, 1)


def make_batch(n: int, g: torch.Generator,
               device: torch.device | str = "cpu") -> Tuple[torch.Tensor, List[str]]:
    """n random clips [n, 16, 3, 64, 64] and their captions."""
    spec = sample_specs(n, g, device)
    return render(spec), spec.captions()


# --------------------------------------------------------------------------------------------
# Sampling schedule
# --------------------------------------------------------------------------------------------

def timestep(i: int, steps: int, shift: float = 1.0) -> float:
    """t of step i (0..steps) of a sampler: u = 1 - i/steps, t = shift*u / (1 + (shift-1)*u).

    shift 1 is the linear schedule; shift > 1 spends more of the steps at high noise, where the
    layout and the motion of a clip are decided (SD3's timestep shift)."""
    u = 1.0 - i / steps
    return shift * u / (1.0 + (shift - 1.0) * u)


# --------------------------------------------------------------------------------------------
# Evaluation prompts
# --------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class EvalPrompt:
    prompt: str
    seed: int
    colour: str
    shape: str
    direction: str


def eval_prompts() -> List[EvalPrompt]:
    """The 28 fixed evaluation prompts: every colour x direction, shapes cycling, seeds fixed."""
    prompts = []
    for ci, colour in enumerate(COLOUR_NAMES):
        for di, direction in enumerate(DIRECTION_NAMES):
            k = ci * len(DIRECTION_NAMES) + di
            shape = SHAPES[k % len(SHAPES)]
            prompts.append(EvalPrompt(f"a {colour} {shape} moving {direction}",
                                      seed=1000 + k, colour=colour, shape=shape,
                                      direction=direction))
    return prompts


def ground_truth_clips(prompts: Sequence[EvalPrompt], seed: int = 0) -> torch.Tensor:
    """Rendered clips [N, 16, 3, 64, 64] matching the prompts (to test the scorer)."""
    g = torch.Generator().manual_seed(seed)
    spec = sample_specs(
        len(prompts), g,
        colour=torch.tensor([COLOUR_NAMES.index(p.colour) for p in prompts]),
        shape=torch.tensor([SHAPES.index(p.shape) for p in prompts]),
        direction=torch.tensor([DIRECTION_NAMES.index(p.direction) for p in prompts]))
    return render(spec)
