"""Train the reference models from scratch: autoencoder, latent bank, DiT with the text encoder.

    python triton-models/training/train.py                      # the recipe for this device
    python triton-models/training/train.py --recipe smoke --work /tmp/smoke --no-export

(`./framecast models train` sets up a Python environment and runs this.) Stages:

  1. vae     per-frame autoencoder on rendered frames (64 a step), noise on latents so the
             decoder tolerates imperfect DiT samples, a small L2 penalty keeping latents O(1);
  2. latents a bank of clips rendered once and encoded once (fp16, with their colour, shape and
             direction); its per-channel mean/std normalise every latent the DiT sees;
  3. dit     DiT + text encoder, rectified flow x_t = (1-t) x0 + t noise, target v = noise - x0,
             logit-normal t, caption dropout (empty caption = all padding, exactly what the
             sampler's empty negative prompt looks like), clips drawn from the bank and played
             backwards half the time (a clip moving right, reversed, is one moving left), AdamW
             with warmup and cosine decay, an exponential moving average of the weights;
  4. export  the EMA weights into the model repository (ONNX, with provenance) and the eval.

A run's length is set in minutes (--budget-minutes, default 45): before training, a few timed
steps of each stage on throwaway copies of the models turn the minutes into step counts (about
12% autoencoder, 8% latent bank, the rest DiT), which are printed and stored with the run. From
there on everything is a step count, not a clock, so a run is deterministic for its seed and step
counts (--budget-minutes 0 --set vae_steps=N --set bank_clips=N --set dit_steps=N repeats one
exactly), and a resumed run computes exactly what an uninterrupted one would. The work directory
holds the checkpoint (written atomically every `checkpoint_every_s` and at each stage's end, with
the optimiser, EMA and generator states) and the latent bank; running the same command again
resumes where the last run stopped (Ctrl-C, a crash, a reboot).
"""
from __future__ import annotations

import argparse
import contextlib
import dataclasses
import math
import os
import platform
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402
from model import (LABEL_NONE, FrameAutoencoder, ModelConfig, TextEncoder,  # noqa: E402
                   VideoDiT, build_models, count_parameters, word_buckets)

HERE = os.path.dirname(os.path.abspath(__file__))
STAGES = ("vae", "latents", "dit", "done")


# --------------------------------------------------------------------------------------------
# Recipes
# --------------------------------------------------------------------------------------------

@dataclass
class Recipe:
    """Everything a run depends on besides the code: stored in checkpoints and provenance."""

    name: str = "cpu"
    seed: int = 0
    model: Dict[str, object] = field(default_factory=dict)   # ModelConfig overrides
    budget_minutes: float = 0.0    # 0: the step counts below as they are; > 0: planned (above)
    # autoencoder
    vae_steps: int = 2500
    vae_frames: int = 64           # frames a step, drawn from vae_frames // 8 rendered clips
    vae_lr: float = 2e-3
    vae_latent_noise: float = 0.1  # std of noise added to raw latents before decoding
    vae_l2: float = 1e-4
    # latent bank
    bank_clips: int = 8192
    # DiT
    dit_steps: int = 9000
    dit_batch: int = 32
    dit_lr: float = 1e-3
    dit_warmup: int = 100
    weight_decay: float = 0.0
    caption_dropout: float = 0.1
    # logit-normal t: sigmoid(N(t_mean, t_std)). 2.0 (median t = 0.88, 17% above 0.95) trains the
    # high-noise steps where a clip's layout is decided; see README "One shape a frame".
    t_mean: float = 2.0
    t_std: float = 1.0
    t_uniform: float = 0.0         # share of t drawn uniformly instead (see sample_t)
    reverse_clips: bool = True     # play half the clips backwards, direction word swapped
    freeze_text: bool = False      # research: the text encoder stays at its seeded initial weights
    ema_decay: float = 0.998
    grad_clip: float = 1.0
    checkpoint_every_s: float = 120.0
    # A quick look while training (0: never): every eval_every DiT steps, the EMA weights
    # sample eval_prompts of the 28 evaluation prompts (eval_steps steps of the re-noising
    # sampler with eval_stochasticity, guidance eval_guidance, schedule shift eval_shift, the
    # platform's philox noise, in torch) and eval.py's scorer counts colour and direction. Its
    # noise is a pure function of the prompts' seeds: the run's weights do not depend on it.
    eval_every: int = 0
    eval_prompts: int = 28
    eval_steps: int = 24           # as eval.py and the platform (the DiT config's defaults)
    eval_guidance: float = 2.0     # the DiT config's default_guidance_scale
    eval_stochasticity: float = 1.0
    eval_shift: float = 3.0        # the schedule's timestep shift (the DiT config's timestep_shift)

    def model_config(self) -> ModelConfig:
        cfg = ModelConfig()
        for key, value in self.model.items():
            if key not in ModelConfig.__dataclass_fields__:
                raise ValueError(f"unknown model setting '{key}'")
            setattr(cfg, key, value)
        return cfg

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @staticmethod
    def from_dict(stored: dict) -> "Recipe":
        """A checkpoint's recipe. Settings added since it was written take their defaults, so
        a run started by an older train.py resumes; one this train.py no longer knows is named."""
        unknown = sorted(set(stored) - set(Recipe.__dataclass_fields__))
        if unknown:
            raise SystemExit("the checkpoint's recipe has settings this train.py does not know: "
                             + ", ".join(unknown) + " (--fresh starts over)")
        return Recipe(**stored)


RECIPES: Dict[str, Recipe] = {
    # A CPU: the step counts are upper bounds; --budget-minutes (default 45) plans the run.
    "cpu": Recipe(budget_minutes=45.0, eval_every=500),
    # One GPU: the same models, more steps and larger batches (minutes on an H100).
    "gpu": Recipe(name="gpu", vae_steps=4000, bank_clips=32768, dit_steps=12000, dit_batch=128,
                  dit_lr=1e-3, vae_frames=128),
    # CI and tests: every code path, tiny budgets.
    "smoke": Recipe(name="smoke", model={"dit_depth": 1, "text_layers": 1}, vae_steps=8,
                    vae_frames=16, bank_clips=32, dit_steps=6, dit_batch=4, dit_warmup=2,
                    checkpoint_every_s=1e9, eval_every=3, eval_prompts=4, eval_steps=2),
}


def parse_value(text: str, like: object) -> object:
    if isinstance(like, bool):
        if text.lower() in ("1", "true", "yes", "on"):
            return True
        if text.lower() in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"not a boolean: {text}")
    if isinstance(like, int):
        return int(text)
    if isinstance(like, float):
        return float(text)
    return text


def apply_settings(recipe: Recipe, settings: List[str]) -> Recipe:
    """--set name=value for a Recipe field, or model.name=value for a ModelConfig field."""
    recipe = dataclasses.replace(recipe, model=dict(recipe.model))
    defaults = ModelConfig()
    for item in settings:
        key, sep, value = item.partition("=")
        if not sep:
            raise ValueError(f"--set expects name=value, got '{item}'")
        if key.startswith("model."):
            name = key[len("model."):]
            if name not in ModelConfig.__dataclass_fields__:
                raise ValueError(f"unknown model setting '{name}'")
            recipe.model[name] = parse_value(value, getattr(defaults, name))
        elif key in Recipe.__dataclass_fields__ and key != "model":
            setattr(recipe, key, parse_value(value, getattr(recipe, key)))
        else:
            raise ValueError(f"unknown recipe setting '{key}'")
    return recipe


# --------------------------------------------------------------------------------------------
# Device and precision
# --------------------------------------------------------------------------------------------

def pick_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def cpu_bf16_pays() -> bool:
    """Whether this CPU has bf16 dot-product instructions (AVX512-BF16 or AMX), on which bf16
    matrix products run several times faster than fp32; elsewhere bf16 is emulated and slower.

    Read from the CPU's flags, not timed: a timing taken while the machine is busy would choose
    differently from one taken while it is idle, and the run (its precision) would then depend
    on the machine's load rather than on the machine.
    """
    try:
        with open("/proc/cpuinfo") as f:
            flags = set(f.read().split())
    except OSError:
        return False
    return bool(flags & {"avx512_bf16", "amx_bf16"})


def autocast(device: torch.device, bf16: bool):
    if not bf16:
        return contextlib.nullcontext()
    return torch.autocast(device.type, dtype=torch.bfloat16)


# --------------------------------------------------------------------------------------------
# Schedules
# --------------------------------------------------------------------------------------------

def lr_at(base: float, step: int, total: int, warmup: int) -> float:
    """Linear warmup, then cosine decay to 5% of the base rate at the last step."""
    warm = min(1.0, (step + 1) / max(warmup, 1))
    progress = min(1.0, step / max(total - 1, 1))
    return base * warm * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for group in opt.param_groups:
        group["lr"] = lr


def sample_t(n: int, gen: torch.Generator, mean: float, std: float,
             device: torch.device, uniform: float = 0.0) -> torch.Tensor:
    """Logit-normal t in (0, 1); mean > 0 leans towards noise, where layout and motion form.
    uniform > 0: that share of the samples is drawn uniformly from (0, 1) instead, so the
    low-noise steps, where a shape's outline is drawn, keep their share of the training (0 draws
    nothing more from gen: a run without it is the same run as before)."""
    t = torch.sigmoid(mean + std * torch.randn(n, generator=gen, device=device))
    if uniform > 0:
        flat = torch.rand(n, generator=gen, device=device)
        pick = torch.rand(n, generator=gen, device=device) < uniform
        t = torch.where(pick, flat, t)
    return t


# --------------------------------------------------------------------------------------------
# Stage 1: autoencoder
# --------------------------------------------------------------------------------------------

def render_frames(n: int, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """n frames [n, 3, 64, 64], 8 from each of n/8 rendered clips (more variety than whole
    clips for the same rendering cost)."""
    per_clip = min(8, n)
    clips, _ = data.make_batch(max(1, n // per_clip), gen, device)
    pick = torch.randint(0, data.FRAMES, (clips.shape[0], per_clip), generator=gen,
                         device=device)
    frames = torch.gather(clips, 1, pick[:, :, None, None, None].expand(
        -1, -1, *clips.shape[2:]))
    return frames.flatten(0, 1)


def vae_loss(vae: FrameAutoencoder, frames: torch.Tensor, gen: torch.Generator,
             recipe: Recipe, precision) -> Dict[str, torch.Tensor]:
    """Reconstruction of every frame, half of them from noisy latents: noisy for robustness to
    the DiT's errors, clean so that exact latents decode exactly (one decoder pass for both)."""
    with precision():
        z = vae.encode_frames(frames)
        noise = torch.randn(z.shape, generator=gen, device=z.device, dtype=z.dtype)
        noisy = (torch.arange(z.shape[0], device=z.device) % 2 == 1).view(-1, 1, 1, 1)
        recon = vae.decode_frames(z + (recipe.vae_latent_noise * noise) * noisy)
    err = (recon.float() - frames).pow(2).mean(dim=(1, 2, 3))
    clean_mse, noisy_mse = err[0::2].mean(), err[1::2].mean()
    l2 = z.float().pow(2).mean()
    loss = clean_mse + noisy_mse + recipe.vae_l2 * l2
    return {"loss": loss, "mse": clean_mse.detach(), "noisy_mse": noisy_mse.detach()}


# --------------------------------------------------------------------------------------------
# Stage 2: latent bank
# --------------------------------------------------------------------------------------------

@dataclass
class LatentBank:
    latents: torch.Tensor     # [N, C, T, h, w] fp16, raw (unnormalised) encoder outputs
    colour: torch.Tensor      # [N] int64 indices into data.COLOUR_NAMES
    shape: torch.Tensor
    direction: torch.Tensor
    mean: torch.Tensor        # [C] per-channel statistics of the raw latents
    std: torch.Tensor

    def state(self) -> dict:
        return dataclasses.asdict(self)


@torch.no_grad()
def build_bank(vae: FrameAutoencoder, n: int, gen: torch.Generator, device: torch.device,
               precision, on_chunk: Callable[[int], None], chunk: int = 64) -> LatentBank:
    vae.eval()
    parts, specs = [], []
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        spec = data.sample_specs(size, gen, device)
        with precision():
            z = vae.encode_video_raw(data.render(spec))
        parts.append(z.to(torch.float16).cpu())
        specs.append(spec)
        on_chunk(start + size)
    latents = torch.cat(parts)
    flat = latents.float().transpose(0, 1).flatten(1)           # [C, N*T*h*w]
    cat = lambda name: torch.cat([getattr(s, name).cpu() for s in specs])  # noqa: E731
    return LatentBank(latents, cat("colour"), cat("shape"), cat("direction"),
                      flat.mean(dim=1), flat.std(dim=1).clamp_min(1e-4))


# --------------------------------------------------------------------------------------------
# Stage 3: DiT + text encoder
# --------------------------------------------------------------------------------------------

# Index of the opposite direction, for clips played backwards.
OPPOSITE = torch.tensor([data.DIRECTION_NAMES.index(o) for o in ("right", "left", "down", "up")])


def caption_table() -> torch.Tensor:
    """Token ids of every caption [colours, shapes, directions, L] (the data has no others)."""
    table = torch.zeros(len(data.COLOUR_NAMES), len(data.SHAPES), len(data.DIRECTION_NAMES),
                        data.MAX_TEXT_LEN, dtype=torch.long)
    for c in range(table.shape[0]):
        for s in range(table.shape[1]):
            table[c, s] = data.tokenize([data.caption(c, s, d) for d in range(table.shape[2])])
    assert data.DIRECTION_NAMES == ["left", "right", "up", "down"], "OPPOSITE assumes this"
    return table


@torch.no_grad()
def forget_unseen_words(text: TextEncoder) -> int:
    """Zeroes the word embeddings of every bucket no training caption uses (their random
    initial values, never trained), so that a word the model never saw adds nothing to a prompt
    instead of a random vector; returns how many buckets keep their vectors."""
    if text.words is None:
        return 0
    ids = caption_table().flatten(0, 2)
    seen = torch.zeros(text.buckets, dtype=torch.bool)
    seen[word_buckets(ids, text.word_coeffs, text.buckets).flatten()] = True
    text.words.weight[~seen] = 0.0
    return int(seen.sum())


def dit_batch(bank: LatentBank, captions: torch.Tensor, batch: int, gen: torch.Generator,
              recipe: Recipe, device: torch.device
              ) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Normalised clean latents [B, C, T, h, w], their (possibly dropped) caption ids, and the
    same as labels (colour * 4 + direction, LABEL_NONE when dropped; label_cond only)."""
    idx = torch.randint(0, bank.latents.shape[0], (batch,), generator=gen)
    x0 = bank.latents[idx].float()
    direction = bank.direction[idx]
    if recipe.reverse_clips:
        back = torch.rand(batch, generator=gen) < 0.5
        x0 = torch.where(back.view(-1, 1, 1, 1, 1), x0.flip(2), x0)
        direction = torch.where(back, OPPOSITE[direction], direction)
    x0 = (x0 - bank.mean.view(1, -1, 1, 1, 1)) / bank.std.view(1, -1, 1, 1, 1)
    ids = captions[bank.colour[idx], bank.shape[idx], direction]
    keep = torch.rand(batch, generator=gen) >= recipe.caption_dropout
    labels = torch.where(keep, bank.colour[idx] * len(data.DIRECTION_NAMES) + direction,
                         torch.full_like(direction, LABEL_NONE))
    return x0.to(device), (ids * keep[:, None].long()).to(device), labels.to(device)


def dit_loss(dit: VideoDiT, text: TextEncoder, x0: torch.Tensor, ids: torch.Tensor,
             gen: torch.Generator, recipe: Recipe, precision,
             labels: Optional[torch.Tensor] = None) -> torch.Tensor:
    noise = torch.randn(x0.shape, generator=gen, device=x0.device)
    t = sample_t(x0.shape[0], gen, recipe.t_mean, recipe.t_std, x0.device, recipe.t_uniform)
    tb = t.view(-1, 1, 1, 1, 1)
    x_t = (1.0 - tb) * x0 + tb * noise
    with precision():
        emb, mask = text(ids)
        v = dit(x_t, t, emb, mask, labels)
    return F.mse_loss(v.float(), noise - x0)


class Ema:
    """Exponential moving average of parameters, with the usual warmup of the decay
    (min(decay, (1 + n) / (10 + n))) so early weights do not linger."""

    def __init__(self, modules: List[torch.nn.Module], decay: float):
        self.decay, self.updates = decay, 0
        self.shadow = [[p.detach().clone() for p in m.parameters()] for m in modules]

    @torch.no_grad()
    def update(self, modules: List[torch.nn.Module]) -> None:
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        for shadow, m in zip(self.shadow, modules):
            params = [p.detach() for p in m.parameters()]
            if hasattr(torch, "_foreach_lerp_"):
                torch._foreach_lerp_(shadow, params, 1.0 - d)
            else:  # torch 1.13 (CI's smoke test)
                for s_, p_ in zip(shadow, params):
                    s_.lerp_(p_, 1.0 - d)

    @torch.no_grad()
    def copy_to(self, modules: List[torch.nn.Module]) -> None:
        for shadow, m in zip(self.shadow, modules):
            for s, p in zip(shadow, m.parameters()):
                p.copy_(s)

    def state(self) -> dict:
        return {"decay": self.decay, "updates": self.updates, "shadow": self.shadow}

    def load(self, state: dict) -> None:
        self.decay, self.updates, self.shadow = state["decay"], state["updates"], state["shadow"]


@torch.no_grad()
def sample_and_score(text: TextEncoder, vae: FrameAutoencoder, dit: VideoDiT, cfg: ModelConfig,
                     prompts: int, steps: int, guidance: float,
                     sheet: Optional[str] = None, shift: float = 1.0,
                     stochasticity: float = 1.0) -> dict:
    """The first `prompts` evaluation prompts sampled in torch (fp32, on the CPU) the way the
    platform samples (philox initial noise, guided steps of the re-noising sampler on
    data.timestep(i, steps, shift) with its stochasticity (0: Euler), an empty negative prompt), scored
    by eval.py: {"colour": n, "direction": n, "moving": n, "one_shape_frames": n, "frames": n,
    "total": n}; "moving" counts the clips whose shape moved measurably in any direction,
    "one_shape_frames" the frames holding exactly one shape. `sheet`: a contact sheet PNG."""
    import eval as evaluation  # noqa: E402  (numpy)
    chosen = data.eval_prompts()[:prompts]
    text, vae, dit = text.float().cpu(), vae.float().cpu(), dit.float().cpu()
    emb, mask = text(data.tokenize([p.prompt for p in chosen] + [""] * len(chosen)))
    labels = None
    if cfg.label_cond:
        labels = torch.tensor(
            [data.COLOUR_NAMES.index(p.colour) * len(data.DIRECTION_NAMES)
             + data.DIRECTION_NAMES.index(p.direction) for p in chosen]
            + [LABEL_NONE] * len(chosen))
    shape = (cfg.latent_channels, cfg.latent_frames, cfg.latent_size, cfg.latent_size)
    size = math.prod(shape)
    x = torch.stack([torch.from_numpy(evaluation.philox_normal(p.seed, size).reshape(shape))
                     for p in chosen])
    keep = math.sqrt(1.0 - stochasticity ** 2)
    for i in range(steps):
        t, t_next = data.timestep(i, steps, shift), data.timestep(i + 1, steps, shift)
        v_cond, v_uncond = dit(torch.cat([x, x]), torch.full((2 * len(chosen),), t), emb, mask,
                               labels).chunk(2)
        v = v_uncond + guidance * (v_cond - v_uncond)
        if stochasticity == 0.0:
            x = x + (t_next - t) * v
            continue
        # sampler.py's step: re-noise the prediction with fresh philox noise (stream i + 1).
        denoised, e_pred = x - t * v, x + (1 - t) * v
        z = torch.stack([torch.from_numpy(
            evaluation.philox_normal(p.seed, size, i + 1).reshape(shape)) for p in chosen])
        x = (1 - t_next) * denoised + t_next * (keep * e_pred + stochasticity * z)
    clips = vae.decode_video(x).clamp(0.0, 1.0).numpy()        # [B, F, 3, H, W]
    report = evaluation.score_clips(list(clips), chosen)
    if sheet:
        u8 = (clips.transpose(0, 1, 3, 4, 2) * 255.0).round().astype("uint8")
        evaluation.write_png(sheet, evaluation.contact_sheet(u8))
    return {"colour": report["colour_correct"], "direction": report["direction_correct"],
            "moving": sum(r["direction"] is not None for r in report["results"]),
            "one_shape_frames": report["one_shape_frames"], "frames": report["frames"],
            "total": report["total"]}


# --------------------------------------------------------------------------------------------
# Budget: minutes -> step counts
# --------------------------------------------------------------------------------------------

def _seconds_per_call(fn: Callable[[], None], calls: int) -> float:
    fn()                                            # warm up (allocations, kernels)
    start = time.perf_counter()
    for _ in range(calls):
        fn()
    return (time.perf_counter() - start) / calls


def plan_budget(recipe: Recipe, device: torch.device, bf16: bool) -> Tuple[Recipe, str]:
    """The recipe with step counts that fill recipe.budget_minutes here, and how they were
    found. Timed on throwaway models and a generator of their own: the run's weights and
    random streams are untouched, so the run is a pure function of the counts chosen."""
    budget = recipe.budget_minutes * 60.0
    cfg = recipe.model_config()
    text, vae, dit = (m.to(device) for m in build_models(cfg))
    gen = torch.Generator(device=device).manual_seed(987654321)
    precision = lambda: autocast(device, bf16)  # noqa: E731

    vae_opt = torch.optim.AdamW(vae.parameters(), lr=recipe.vae_lr)

    def vae_step() -> None:
        out = vae_loss(vae, render_frames(recipe.vae_frames, gen, device), gen, recipe, precision)
        vae_opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        vae_opt.step()

    @torch.no_grad()
    def bank_chunk() -> None:
        with precision():
            vae.encode_video_raw(data.render(data.sample_specs(64, gen, device)))

    params = list(dit.parameters()) + list(text.parameters())
    dit_opt = torch.optim.AdamW(params, lr=recipe.dit_lr)
    x0 = torch.randn(recipe.dit_batch, cfg.latent_channels, cfg.latent_frames, cfg.latent_size,
                     cfg.latent_size, generator=gen, device=device)
    ids = data.tokenize([data.caption(0, 0, 0)] * recipe.dit_batch).to(device)
    labels = torch.zeros(recipe.dit_batch, dtype=torch.long, device=device) \
        if cfg.label_cond else None

    def dit_step() -> None:
        loss = dit_loss(dit, text, x0, ids, gen, recipe, precision, labels)
        dit_opt.zero_grad(set_to_none=True)
        loss.backward()
        dit_opt.step()

    vae_s = _seconds_per_call(vae_step, 3)
    clip_s = _seconds_per_call(bank_chunk, 1) / 64
    dit_s = _seconds_per_call(dit_step, 3)
    vae_steps = int(min(recipe.vae_steps, max(50, 0.12 * budget / vae_s)))
    bank_clips = int(min(recipe.bank_clips, max(256, 0.08 * budget / clip_s // 64 * 64)))
    rest = budget - vae_steps * vae_s - bank_clips * clip_s
    # 5% for what the timing leaves out: EMA updates, drawing batches, checkpoints.
    dit_steps = int(min(recipe.dit_steps, max(20, rest / (1.05 * dit_s))))
    how = (f"{recipe.budget_minutes:g} minutes here: vae {vae_s:.3f} s/step, bank"
           f" {clip_s * 1000:.1f} ms/clip, dit {dit_s:.3f} s/step ->"
           f" vae_steps={vae_steps} bank_clips={bank_clips} dit_steps={dit_steps}")
    return dataclasses.replace(recipe, vae_steps=vae_steps, bank_clips=bank_clips,
                               dit_steps=dit_steps), how


# --------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------

def clock(seconds: float) -> str:
    seconds = max(0, int(seconds))
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Progress:
    """One line per stage, redrawn in place on a terminal; a line every `every_s` otherwise.

    ETA: this stage's measured rate for its remaining steps, plus the later stages at their
    expected cost relative to this one (from the recipe's step counts)."""

    def __init__(self, out=sys.stderr, every_s: float = 30.0):
        self.out, self.tty = out, out.isatty()
        self.every_s = 1.0 if self.tty else every_s
        self.last = 0.0

    def update(self, stage: str, step: int, total: int, values: Dict[str, float],
               elapsed: float, stage_elapsed: float, later_s: float, force: bool = False) -> None:
        now = time.time()
        if not force and now - self.last < self.every_s:
            return
        self.last = now
        rate = stage_elapsed / max(step, 1)
        remaining = rate * (total - step) + later_s
        text = " ".join(f"{k} {v:.4g}" for k, v in values.items())
        line = (f"[{stage:7s}] step {step:>6,}/{total:,}  {text}  elapsed {clock(elapsed)}"
                f"  ETA {clock(remaining)}")
        if self.tty:
            self.out.write("\r\033[K" + line)
            if force:
                self.out.write("\n")
        else:
            self.out.write(line + "\n")
        self.out.flush()

    def say(self, text: str) -> None:
        if self.tty:
            self.out.write("\r\033[K")
        self.out.write(text + "\n")
        self.out.flush()


# --------------------------------------------------------------------------------------------
# The run: state, checkpoints, stages
# --------------------------------------------------------------------------------------------

def atomic_save(obj: object, path: str) -> None:
    tmp = f"{path}.tmp{os.getpid()}"
    torch.save(obj, tmp)
    with open(tmp, "rb") as f:
        os.fsync(f.fileno())
    os.replace(tmp, path)   # a crash leaves the previous checkpoint, never half of one


class Run:
    """A training run in a work directory: builds or resumes its state and runs the stages."""

    def __init__(self, recipe: Recipe, work: str, device: torch.device, bf16: bool,
                 progress: Progress):
        self.recipe, self.work, self.device, self.bf16 = recipe, work, device, bf16
        self.progress = progress
        self.cfg = recipe.model_config()
        self.checkpoint_path = os.path.join(work, "checkpoint.pt")
        self.bank_path = os.path.join(work, "latents.pt")
        torch.manual_seed(recipe.seed)
        self.text, self.vae, self.dit = (m.to(device) for m in build_models(self.cfg))
        self.gen = torch.Generator(device=device).manual_seed(recipe.seed)
        self.cpu_gen = torch.Generator().manual_seed(recipe.seed + 1)   # bank sampling
        self.vae_opt = torch.optim.AdamW(self.vae.parameters(), lr=recipe.vae_lr,
                                         weight_decay=0.0)
        self.dit_params = list(self.dit.parameters())
        if recipe.freeze_text:
            self.text.requires_grad_(False)
        else:
            self.dit_params += list(self.text.parameters())
        self.dit_opt = torch.optim.AdamW(self.dit_params, lr=recipe.dit_lr,
                                         weight_decay=recipe.weight_decay)
        self.ema = Ema([self.dit, self.text], recipe.ema_decay)
        self.stage, self.step = "vae", 0
        self.elapsed: Dict[str, float] = {s: 0.0 for s in STAGES}
        self.summary: Dict[str, dict] = {}
        self.bank: Optional[LatentBank] = None
        self.loss_ema: Optional[float] = None
        # The sources this process trains with (read now: they may change while it runs); a
        # resumed run lists each process's.
        self.sources: List[str] = [source_commit()]

    def precision(self):
        return autocast(self.device, self.bf16)

    # -- checkpoints ---------------------------------------------------------------------

    def state(self) -> dict:
        return {"recipe": self.recipe.to_dict(), "config": self.cfg.to_dict(),
                "bf16": self.bf16, "stage": self.stage, "step": self.step,
                "elapsed": self.elapsed, "summary": self.summary, "loss_ema": self.loss_ema,
                "sources": self.sources,
                "text_encoder": self.text.state_dict(), "vae": self.vae.state_dict(),
                "dit": self.dit.state_dict(), "vae_opt": self.vae_opt.state_dict(),
                "dit_opt": self.dit_opt.state_dict(), "ema": self.ema.state(),
                "gen": self.gen.get_state(), "cpu_gen": self.cpu_gen.get_state()}

    def save(self) -> None:
        atomic_save(self.state(), self.checkpoint_path)

    def resume(self) -> bool:
        if not os.path.exists(self.checkpoint_path):
            return False
        state = torch.load(self.checkpoint_path, map_location="cpu", weights_only=False)
        if Recipe.from_dict(state["recipe"]).to_dict() != self.recipe.to_dict():
            raise SystemExit(
                f"{self.checkpoint_path} belongs to another recipe; use another --work "
                f"directory or --fresh to start over")
        self.bf16 = state["bf16"]       # a resumed run keeps the precision it started with
        self.text.load_state_dict(state["text_encoder"])
        self.vae.load_state_dict(state["vae"])
        self.dit.load_state_dict(state["dit"])
        self.vae_opt.load_state_dict(state["vae_opt"])
        self.dit_opt.load_state_dict(state["dit_opt"])
        self.ema.load(state["ema"])
        self.gen.set_state(state["gen"])
        self.cpu_gen.set_state(state["cpu_gen"])
        self.stage, self.step = state["stage"], state["step"]
        self.elapsed, self.summary = state["elapsed"], state["summary"]
        self.loss_ema = state["loss_ema"]
        now = self.sources[-1]
        self.sources = list(state.get("sources", []))
        if not self.sources or self.sources[-1] != now:
            self.sources.append(now)
        if self.stage in ("dit", "done"):
            self.bank = LatentBank(**torch.load(self.bank_path, map_location="cpu"))
        return True

    # -- progress --------------------------------------------------------------------------

    def later_seconds(self, stage: str) -> float:
        """Expected cost of the stages after `stage`, from the rates seen so far (or guesses
        relative to the VAE's rate before they have run)."""
        r = self.recipe
        vae_rate = self.elapsed["vae"] / max(self.step if self.stage == "vae" else r.vae_steps, 1)
        bank_s = vae_rate * r.bank_clips / 20.0          # measured: ~20 clips a VAE step's time
        dit_s = vae_rate * 3.0 * r.dit_steps * r.dit_batch / 32.0
        if stage == "vae":
            return bank_s + dit_s
        if stage == "latents":
            return dit_s
        return 0.0

    def report(self, stage: str, step: int, total: int, values: Dict[str, float],
               start: float, force: bool = False) -> None:
        self.elapsed[stage] = start + (time.time() - self.t0)
        self.progress.update(stage, step, total, values, sum(self.elapsed.values()),
                             self.elapsed[stage], self.later_seconds(stage), force)

    # -- stages ----------------------------------------------------------------------------

    def run(self) -> None:
        last_save = time.time()
        while self.stage != "done":
            stage, start = self.stage, self.elapsed[self.stage]
            self.t0 = time.time()
            if stage == "vae":
                finished = self.run_vae(start, lambda: time.time() - last_save)
            elif stage == "latents":
                finished = self.run_latents(start)
            else:
                finished = self.run_dit(start, lambda: time.time() - last_save)
            self.elapsed[stage] = start + (time.time() - self.t0)
            if finished:
                self.stage = STAGES[STAGES.index(stage) + 1]
                self.step = 0
            self.save()
            last_save = time.time()

    def run_vae(self, start: float, since_save: Callable[[], float]) -> bool:
        r = self.recipe
        self.vae.train()
        while self.step < r.vae_steps:
            set_lr(self.vae_opt, lr_at(r.vae_lr, self.step, r.vae_steps, 100))
            frames = render_frames(r.vae_frames, self.gen, self.device)
            out = vae_loss(self.vae, frames, self.gen, r, self.precision)
            self.vae_opt.zero_grad(set_to_none=True)
            out["loss"].backward()
            torch.nn.utils.clip_grad_norm_(self.vae.parameters(), r.grad_clip)
            self.vae_opt.step()
            self.step += 1
            values = {"mse": float(out["mse"]), "noisy_mse": float(out["noisy_mse"])}
            done = self.step == r.vae_steps
            self.report("vae", self.step, r.vae_steps, values, start, force=done)
            if done:
                self.summary["vae"] = {"steps": self.step, **values}
            elif since_save() > r.checkpoint_every_s:
                return False
        self.vae.eval()
        return True

    def run_latents(self, start: float) -> bool:
        r = self.recipe
        report = lambda n: self.report("latents", n, r.bank_clips, {}, start,  # noqa: E731
                                       force=n == r.bank_clips)
        self.bank = build_bank(self.vae, r.bank_clips, self.gen, self.device, self.precision,
                               report)
        atomic_save(self.bank.state(), self.bank_path)
        self.vae.latent_mean.copy_(self.bank.mean)
        self.vae.latent_std.copy_(self.bank.std)
        self.summary["latents"] = {"clips": r.bank_clips, "mean": self.bank.mean.tolist(),
                                   "std": self.bank.std.tolist()}
        return True

    def run_dit(self, start: float, since_save: Callable[[], float]) -> bool:
        r = self.recipe
        captions = caption_table()
        self.dit.train(), self.text.train()
        while self.step < r.dit_steps:
            set_lr(self.dit_opt, lr_at(r.dit_lr, self.step, r.dit_steps, r.dit_warmup))
            x0, ids, labels = dit_batch(self.bank, captions, r.dit_batch, self.cpu_gen, r,
                                        self.device)
            loss = dit_loss(self.dit, self.text, x0, ids, self.gen, r, self.precision,
                            labels if self.cfg.label_cond else None)
            self.dit_opt.zero_grad(set_to_none=True)
            loss.backward()
            grad = torch.nn.utils.clip_grad_norm_(self.dit_params, r.grad_clip)
            self.dit_opt.step()
            self.ema.update([self.dit, self.text])
            self.step += 1
            value = loss.item()
            # The per-step loss is noisy (random t); an exponential average shows the trend.
            self.loss_ema = value if self.loss_ema is None else 0.99 * self.loss_ema + 0.01 * value
            values = {"loss": self.loss_ema, "grad": float(grad)}
            done = self.step == r.dit_steps
            self.report("dit", self.step, r.dit_steps, values, start, force=done)
            if r.eval_every and (self.step % r.eval_every == 0 or done):
                self.quick_eval()
            if done:
                self.summary["dit"] = {"steps": self.step, "loss_ema": self.loss_ema}
            elif since_save() > r.checkpoint_every_s:
                return False
        self.dit.eval(), self.text.eval()
        return True

    def quick_eval(self) -> None:
        """Score the EMA weights now (Recipe.eval_every); logged and kept in the summary."""
        r = self.recipe
        start = time.time()
        with torch.random.fork_rng(devices=[]):     # building models draws initial weights
            text, vae, dit = self.trained_models()
            found = sample_and_score(text, vae, dit, self.cfg, r.eval_prompts, r.eval_steps,
                                     r.eval_guidance, os.path.join(self.work, "quick-eval.png"),
                                     shift=r.eval_shift, stochasticity=r.eval_stochasticity)
        found.update(step=self.step, loss=round(self.loss_ema, 4))
        self.summary.setdefault("evals", []).append(found)
        self.progress.say(
            f"[eval   ] step {self.step:>6,}: colour {found['colour']}/{found['total']},"
            f" direction {found['direction']}/{found['total']} (moving"
            f" {found['moving']}/{found['total']}; one shape in {found['one_shape_frames']}/"
            f"{found['frames']} frames; EMA weights, {r.eval_steps}"
            f" steps, guidance {r.eval_guidance:g}; {time.time() - start:.0f} s)")

    def start_from_latents(self, other_work: str) -> str:
        """A fresh run that skips stages 1-2: the autoencoder and latent bank of the run in
        `other_work` (research: DiT variants compared on the very same latents). The DiT
        stage's random streams start from this run's seed, not where the other run's were."""
        state = torch.load(os.path.join(other_work, "checkpoint.pt"), map_location="cpu",
                           weights_only=False)
        if state["stage"] not in ("dit", "done"):
            raise SystemExit(f"{other_work}: its latent bank is not built yet")
        vae_keys = ("latent_channels", "latent_frames", "latent_size", "frame_size",
                    "vae_channels", "vae_blocks")
        theirs = ModelConfig.from_dict(state["config"])
        for key in vae_keys:
            if getattr(theirs, key) != getattr(self.cfg, key):
                raise SystemExit(f"{other_work}: its autoencoder has {key} {getattr(theirs, key)},"
                                 f" this run's {getattr(self.cfg, key)}")
        self.vae.load_state_dict(state["vae"])
        self.vae.eval()
        self.bank = LatentBank(**torch.load(os.path.join(other_work, "latents.pt"),
                                            map_location="cpu"))
        atomic_save(self.bank.state(), self.bank_path)
        for stage in ("vae", "latents"):
            self.summary[stage] = state["summary"][stage]
            self.elapsed[stage] = state["elapsed"][stage]
        self.summary["latents_from"] = other_work
        self.stage, self.step = "dit", 0
        self.save()
        return (f"autoencoder and {self.bank.latents.shape[0]:,} latents from {other_work}")

    def trained_models(self) -> Tuple[TextEncoder, FrameAutoencoder, VideoDiT]:
        """The models to export: the EMA weights of the DiT and text encoder."""
        text, vae, dit = build_models(self.cfg)
        text.load_state_dict(self.text.state_dict())
        vae.load_state_dict(self.vae.state_dict())
        dit.load_state_dict(self.dit.state_dict())
        self.ema.copy_to([dit, text])
        forget_unseen_words(text)
        return text.eval(), vae.eval(), dit.eval()


# --------------------------------------------------------------------------------------------
# Provenance and export
# --------------------------------------------------------------------------------------------

def source_commit() -> str:
    try:
        commit = subprocess.run(["git", "-C", HERE, "rev-parse", "HEAD"], capture_output=True,
                                text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", HERE, "status", "--porcelain", "--", HERE],
                               capture_output=True, text=True, check=True).stdout.strip()
        return commit + (" (training sources modified)" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def provenance(run: Run) -> Dict[str, str]:
    r = run.recipe
    return {"framecast.weights": f"trained ({r.name} recipe, seed {r.seed})",
            "framecast.recipe": repr(sorted(r.to_dict().items())),
            "framecast.seed": str(r.seed),
            "framecast.steps": f"vae {r.vae_steps}, dit {r.dit_steps} x {r.dit_batch} clips",
            "framecast.wall_time": " ".join(f"{s} {clock(run.elapsed[s])}" for s in STAGES[:3]),
            "framecast.training_device": (f"{run.device.type} ({platform.processor() or 'cpu'},"
                                          f" {torch.get_num_threads()} threads)"
                                          if run.device.type == "cpu" else
                                          torch.cuda.get_device_name(run.device))
                                         + (", bf16 autocast" if run.bf16 else ", fp32"),
            "framecast.torch": torch.__version__,
            "framecast.source_commit": "; then resumed with ".join(run.sources),
            "framecast.final": repr(run.summary)}


def load_trained(path: str):
    """A finished run's checkpoint -> (cfg, text, vae, dit, provenance) with the EMA weights."""
    state = torch.load(path, map_location="cpu", weights_only=False)
    if state["stage"] != "done":
        raise SystemExit(f"{path}: the run stopped at {state['stage']} step {state['step']};"
                         f" finish it first (train.py resumes it)")
    run = Run(Recipe.from_dict(state["recipe"]), os.path.dirname(os.path.abspath(path)),
              torch.device("cpu"), state["bf16"], Progress())
    run.resume()
    return (run.cfg, *run.trained_models(), provenance(run))


def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Train the Framecast reference models from scratch.")
    ap.add_argument("--recipe", choices=sorted(RECIPES), default=None,
                    help="default: gpu when CUDA is present, else cpu")
    ap.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="override a recipe setting (model.NAME for the architecture)")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--budget-minutes", type=float, default=None,
                    help="training time to plan the step counts for (cpu recipe: 45; 0 keeps"
                         " the recipe's step counts)")
    ap.add_argument("--device", default="auto", help="auto, cpu, cuda, cuda:N")
    ap.add_argument("--precision", choices=["auto", "bf16", "fp32"], default="auto")
    ap.add_argument("--work", default=None,
                    help="work directory: checkpoint and latent bank (resumed when present)")
    ap.add_argument("--fresh", action="store_true", help="discard the work directory's state")
    ap.add_argument("--out", default=os.path.dirname(HERE),
                    help="model repository to export into (default: triton-models/)")
    ap.add_argument("--latents-from", default=None, metavar="WORK_DIR",
                    help="research: start at the DiT stage with the autoencoder and latent bank"
                         " of another run's work directory (its step counts for them are kept)")
    ap.add_argument("--no-export", action="store_true")
    ap.add_argument("--no-eval", action="store_true", help="skip eval.py after the export")
    return ap.parse_args(argv)


def default_work_dir(recipe: Recipe) -> str:
    base = os.environ.get("FRAMECAST_HOME") or os.path.join(
        os.environ.get("XDG_DATA_HOME") or os.path.expanduser("~/.local/share"), "framecast")
    budget = f"-{recipe.budget_minutes:g}min" if recipe.budget_minutes > 0 else ""
    return os.path.join(base, "training", f"{recipe.name}-seed{recipe.seed}{budget}")


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    device = pick_device(args.device)
    recipe = RECIPES[args.recipe or ("gpu" if device.type == "cuda" else "cpu")]
    if args.seed is not None:
        recipe = dataclasses.replace(recipe, seed=args.seed)
    try:
        recipe = apply_settings(recipe, args.set)
    except ValueError as e:
        print(f"train.py: {e}", file=sys.stderr)
        return 2
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    bf16 = (args.precision == "bf16" or
            (args.precision == "auto" and (device.type == "cuda" or cpu_bf16_pays())))
    if args.budget_minutes is not None:
        recipe = dataclasses.replace(recipe, budget_minutes=args.budget_minutes)
    work = args.work or default_work_dir(recipe)
    os.makedirs(work, exist_ok=True)
    if args.fresh:
        for name in ("checkpoint.pt", "latents.pt"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(os.path.join(work, name))

    progress = Progress()
    checkpoint = os.path.join(work, "checkpoint.pt")
    if os.path.exists(checkpoint):
        # A run resumes with the recipe and step counts it started with, whatever is asked now.
        stored = torch.load(checkpoint, map_location="cpu", weights_only=False)["recipe"]
        if Recipe.from_dict(stored).to_dict() != recipe.to_dict():
            progress.say(f"{checkpoint} holds a run of other settings (or a planned budget);"
                         f" resuming it as it was (--fresh starts over)")
        recipe = Recipe.from_dict(stored)
    elif args.latents_from:
        # The stages taken from the other run count as that run ran them.
        theirs = torch.load(os.path.join(args.latents_from, "checkpoint.pt"), map_location="cpu",
                            weights_only=False)["recipe"]
        recipe = dataclasses.replace(
            recipe, budget_minutes=0.0,
            **{k: theirs[k] for k in ("vae_steps", "vae_frames", "vae_lr", "vae_latent_noise",
                                       "vae_l2", "bank_clips")})
    elif recipe.budget_minutes > 0:
        recipe, how = plan_budget(recipe, device, bf16)
        progress.say(f"budget: {how}")
    run = Run(recipe, work, device, bf16, progress)
    resumed = run.resume()
    if not resumed and args.latents_from:
        progress.say(run.start_from_latents(args.latents_from))
    progress.say(
        f"recipe {recipe.name} (seed {recipe.seed}) on {device.type}"
        f" ({torch.get_num_threads()} threads, {'bf16 autocast' if run.bf16 else 'fp32'});"
        f" work directory {work}"
        + (f"; resuming at {run.stage} step {run.step}" if resumed else ""))
    progress.say(f"parameters: text_encoder {count_parameters(run.text):,}, vae encoder "
                 f"{count_parameters(run.vae.encoder):,} decoder "
                 f"{count_parameters(run.vae.decoder):,}, dit {count_parameters(run.dit):,};"
                 f" {run.cfg.tokens} DiT tokens")
    try:
        run.run()
    except KeyboardInterrupt:
        run.save()
        progress.say(f"\ninterrupted: saved {run.stage} step {run.step} to {run.checkpoint_path};"
                     f" the same command resumes")
        return 130
    progress.say("stages: " + ", ".join(f"{s} {clock(run.elapsed[s])}" for s in STAGES[:3])
                 + f"; total {clock(sum(run.elapsed.values()))}")
    progress.say(f"final: {run.summary}")
    if args.no_export:
        return 0
    from export import export_all  # noqa: E402  (needs onnx; training alone does not)
    text, vae, dit = run.trained_models()
    paths = export_all(run.cfg, text, vae, dit, args.out, provenance(run))
    total = sum(os.path.getsize(p) for p in paths.values())
    progress.say(f"exported {total / 1e6:.2f} MB into {args.out}")
    if not args.no_eval:
        import eval as evaluation  # noqa: E402
        progress.say(f"eval: the 28 prompts through the exported models (eval.json and"
                     f" eval.png in {work})")
        return evaluation.main(["--models", args.out, "--cpu",
                                "--json", os.path.join(work, "eval.json"),
                                "--sheet", os.path.join(work, "eval.png")])
    return 0


if __name__ == "__main__":
    sys.exit(main())
