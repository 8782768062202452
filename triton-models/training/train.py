"""Train the reference models: the frame autoencoder first, then the DiT with the text encoder.

    python triton-models/training/train.py --out checkpoints/framecast.pt          # GPU defaults
    python triton-models/training/train.py --device cpu --vae-steps 20 --dit-steps 20 \
        --batch-vae 2 --batch-dit 2 --out /tmp/tiny.pt                              # smoke run

Recipe (a feasibility run with it reached 28/28 eval prompts on an H100):
  * autoencoder: AdamW lr 1e-3, batch 32 clips, ~2 min, small L2 penalty on latents and noise
    on latents during training so the decoder tolerates imperfect DiT samples; then per-channel
    latent mean/std over a few batches, used to normalise every latent the DiT sees;
  * DiT + text encoder: rectified flow x_t = (1-t) x0 + t noise, target v = noise - x0,
    logit-normal t, 10% caption dropout (empty caption = all padding, which is exactly what the
    sampler's empty negative prompt looks like), AdamW lr 3e-4, batch 64, bf16 autocast on CUDA,
    grad clip 1.0.
Both stages stop at their time budget or step limit, whichever comes first.
"""
from __future__ import annotations

import argparse
import contextlib
import math
import os
import sys
import time
from typing import Callable, Dict, List, Optional

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from data import make_batch, tokenize  # noqa: E402
from model import (FrameAutoencoder, ModelConfig, TextEncoder, VideoDiT,  # noqa: E402
                   build_models, count_parameters)

VAE_LATENT_NOISE = 0.1      # std of noise added to raw latents before decoding (training only)
VAE_L2_WEIGHT = 1e-4        # keeps latents O(1) so the injected noise cannot be out-scaled
CAPTION_DROPOUT = 0.1
WARMUP_STEPS = 100


class Budget:
    """Stops a stage at a wall-clock budget or a step limit; reports progress in [0, 1]."""

    def __init__(self, seconds: float, max_steps: Optional[int]):
        self.seconds, self.max_steps = seconds, max_steps
        self.start = time.time()

    def progress(self, step: int) -> float:
        p = (time.time() - self.start) / max(self.seconds, 1e-9)
        if self.max_steps is not None:
            p = max(p, step / max(self.max_steps, 1))
        return min(p, 1.0)

    def done(self, step: int) -> bool:
        return self.progress(step) >= 1.0

    @property
    def warmup(self) -> int:
        # Short step-limited runs (smoke tests) would otherwise never leave the warmup.
        if self.max_steps is None:
            return WARMUP_STEPS
        return max(1, min(WARMUP_STEPS, self.max_steps // 10))


def lr_at(base: float, step: int, progress: float, warmup: int = WARMUP_STEPS) -> float:
    """Linear warmup, then cosine decay over the budget (time or steps, whichever binds).

    Decaying by progress rather than by a fixed step count lets the same recipe run under a
    time budget on any GPU; the final low-LR phase matters for the VAE's reconstruction MSE.
    """
    warm = min(1.0, (step + 1) / warmup)
    return base * warm * (0.05 + 0.95 * 0.5 * (1.0 + math.cos(math.pi * progress)))


def autocast(device: torch.device):
    """bf16 autocast on CUDA; plain fp32 elsewhere (CPU autocast is slow on torch 1.13)."""
    if device.type == "cuda":
        return torch.autocast("cuda", dtype=torch.bfloat16)
    return contextlib.nullcontext()


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    for group in opt.param_groups:
        group["lr"] = lr


def make_logger(every: int) -> Callable[..., None]:
    start = time.time()

    def log(stage: str, step: int, values: Dict[str, float], force: bool = False) -> None:
        if force or step % every == 0:
            text = " ".join(f"{k} {v:.5g}" for k, v in values.items())
            print(f"[{time.time() - start:7.1f}s] {stage} step {step}: {text}", flush=True)
    return log


# --------------------------------------------------------------------------------------------
# Stage 1: frame autoencoder
# --------------------------------------------------------------------------------------------

def vae_step(vae: FrameAutoencoder, clips: torch.Tensor, gen: torch.Generator,
             device: torch.device) -> Dict[str, torch.Tensor]:
    frames = clips.flatten(0, 1)
    with autocast(device):
        z = vae.encode_frames(frames)
        noise = torch.randn(z.shape, generator=gen, device=device, dtype=z.dtype)
        recon = vae.decode_frames(z + VAE_LATENT_NOISE * noise)
        clean = vae.decode_frames(z)
    mse = F.mse_loss(recon.float(), frames)
    clean_mse = F.mse_loss(clean.float(), frames)
    l2 = z.float().pow(2).mean()
    # Train on both the noisy and the clean path: noisy for robustness, clean so the decoder
    # is also exact on exact latents (the MSE we report and aim at ~3e-4).
    loss = mse + clean_mse + VAE_L2_WEIGHT * l2
    return {"loss": loss, "mse": clean_mse.detach(), "noisy_mse": mse.detach(), "z2": l2.detach()}


def train_vae(vae: FrameAutoencoder, device: torch.device, gen: torch.Generator, batch: int,
              seconds: float, max_steps: Optional[int], lr: float = 1e-3,
              log=None) -> List[float]:
    log = log or make_logger(100)
    opt = torch.optim.AdamW(vae.parameters(), lr=lr, weight_decay=0.0)
    budget, step, history = Budget(seconds, max_steps), 0, []
    vae.train()
    while not budget.done(step):
        set_lr(opt, lr_at(lr, step, budget.progress(step), budget.warmup))
        clips, _ = make_batch(batch, gen, device)
        out = vae_step(vae, clips, gen, device)
        opt.zero_grad(set_to_none=True)
        out["loss"].backward()
        torch.nn.utils.clip_grad_norm_(vae.parameters(), 1.0)
        opt.step()
        history.append(float(out["mse"]))
        log("vae", step, {k: float(v) for k, v in out.items()})
        step += 1
    log("vae", step, {"mse": history[-1] if history else float("nan"), "steps": step}, force=True)
    vae.eval()
    return history


@torch.no_grad()
def compute_latent_stats(vae: FrameAutoencoder, device: torch.device, gen: torch.Generator,
                         batch: int, batches: int = 4) -> None:
    """Per-channel mean/std of raw latents, stored in the VAE's buffers."""
    vae.eval()
    zs = []
    for _ in range(batches):
        clips, _ = make_batch(batch, gen, device)
        zs.append(vae.encode_frames(clips.flatten(0, 1)).float().transpose(0, 1).flatten(1))
    z = torch.cat(zs, dim=1)
    vae.latent_mean.copy_(z.mean(dim=1))
    vae.latent_std.copy_(z.std(dim=1).clamp_min(1e-4))


# --------------------------------------------------------------------------------------------
# Stage 2: DiT + text encoder (rectified flow)
# --------------------------------------------------------------------------------------------

def sample_t(n: int, gen: torch.Generator, device: torch.device) -> torch.Tensor:
    """Logit-normal t in (0, 1): concentrates training on mid-noise levels."""
    return torch.sigmoid(torch.randn(n, generator=gen, device=device))


def dit_step(dit: VideoDiT, text: TextEncoder, vae: FrameAutoencoder, clips: torch.Tensor,
             captions: List[str], gen: torch.Generator, device: torch.device) -> torch.Tensor:
    with torch.no_grad():
        x0 = vae.encode_video(clips).float()
    ids = tokenize(captions).to(device)
    keep = torch.rand(ids.shape[0], generator=gen, device=device) >= CAPTION_DROPOUT
    ids = ids * keep[:, None].long()               # dropped caption = all padding
    noise = torch.randn(x0.shape, generator=gen, device=device)
    t = sample_t(x0.shape[0], gen, device)
    tb = t.view(-1, 1, 1, 1, 1)
    x_t = (1.0 - tb) * x0 + tb * noise
    with autocast(device):
        emb, mask = text(ids)
        v = dit(x_t, t, emb, mask)
    return F.mse_loss(v.float(), noise - x0)


def train_dit(dit: VideoDiT, text: TextEncoder, vae: FrameAutoencoder, device: torch.device,
              gen: torch.Generator, batch: int, seconds: float, max_steps: Optional[int],
              lr: float = 3e-4, log=None, checkpoint: Optional[Callable[[], None]] = None,
              checkpoint_every_s: float = 600.0,
              history: Optional[List[float]] = None) -> List[float]:
    """Returns the per-step losses (appended to `history` if given, so checkpoints taken
    mid-run can report progress)."""
    log = log or make_logger(100)
    params = list(dit.parameters()) + list(text.parameters())
    opt = torch.optim.AdamW(params, lr=lr, weight_decay=0.0)
    budget, step = Budget(seconds, max_steps), 0
    history = [] if history is None else history
    last_save, ema = time.time(), None
    dit.train(), text.train(), vae.eval()
    while not budget.done(step):
        set_lr(opt, lr_at(lr, step, budget.progress(step), budget.warmup))
        clips, captions = make_batch(batch, gen, device)
        loss = dit_step(dit, text, vae, clips, captions, gen, device)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        history.append(float(loss))
        # The per-step loss is noisy (random t); an exponential average shows the trend.
        ema = history[-1] if ema is None else 0.98 * ema + 0.02 * history[-1]
        log("dit", step, {"loss": history[-1], "loss_ema": ema, "grad_norm": float(grad_norm),
                          "lr": opt.param_groups[0]["lr"]})
        step += 1
        if checkpoint is not None and time.time() - last_save > checkpoint_every_s:
            checkpoint()
            last_save = time.time()
    log("dit", step, {"loss_ema": ema if ema is not None else float("nan"), "steps": step},
        force=True)
    dit.eval(), text.eval()
    return history


# --------------------------------------------------------------------------------------------
# Checkpoints
# --------------------------------------------------------------------------------------------

def save_checkpoint(path: str, cfg: ModelConfig, text: TextEncoder, vae: FrameAutoencoder,
                    dit: VideoDiT, extra: Optional[dict] = None) -> None:
    """Plain dicts of tensors and primitives only, so torch.load(weights_only=True) works."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    state = {"config": cfg.to_dict(),
             "text_encoder": text.state_dict(), "vae": vae.state_dict(), "dit": dit.state_dict(),
             "latent_mean": vae.latent_mean.detach().cpu(),
             "latent_std": vae.latent_std.detach().cpu(),
             "extra": extra or {}}
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)   # never leave a half-written checkpoint behind


def load_checkpoint(path: str):
    state = torch.load(path, map_location="cpu")
    cfg = ModelConfig.from_dict(state["config"])
    text, vae, dit = build_models(cfg)
    text.load_state_dict(state["text_encoder"])
    vae.load_state_dict(state["vae"])
    dit.load_state_dict(state["dit"])
    return cfg, text.eval(), vae.eval(), dit.eval()


# --------------------------------------------------------------------------------------------

def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description="Train the Framecast reference models.")
    ap.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    ap.add_argument("--vae-seconds", type=float, default=120.0)
    ap.add_argument("--dit-seconds", type=float, default=1500.0)
    ap.add_argument("--vae-steps", type=int, default=None, help="optional step limit")
    ap.add_argument("--dit-steps", type=int, default=None, help="optional step limit")
    ap.add_argument("--batch-vae", type=int, default=32, help="clips (16 frames each) per step")
    ap.add_argument("--batch-dit", type=int, default=64)
    ap.add_argument("--vae-lr", type=float, default=1e-3)
    ap.add_argument("--dit-lr", type=float, default=3e-4)
    ap.add_argument("--dit-depth", type=int, default=None, help="override (smoke tests)")
    ap.add_argument("--text-layers", type=int, default=None, help="override (smoke tests)")
    ap.add_argument("--log-every", type=int, default=100)
    ap.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                  "checkpoints", "framecast.pt"))
    ap.add_argument("--seed", type=int, default=0)
    return ap.parse_args(argv)


def main(argv: Optional[List[str]] = None) -> int:
    args = parse_args(argv)
    device = torch.device(args.device)
    torch.manual_seed(args.seed)
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
    gen = torch.Generator(device=device).manual_seed(args.seed)

    cfg = ModelConfig()
    if args.dit_depth is not None:
        cfg.dit_depth = args.dit_depth
    if args.text_layers is not None:
        cfg.text_layers = args.text_layers
    text, vae, dit = (m.to(device) for m in build_models(cfg))
    print(f"parameters: text_encoder {count_parameters(text):,}  vae {count_parameters(vae):,}"
          f" (decoder {count_parameters(vae.decoder):,})  dit {count_parameters(dit):,}",
          flush=True)
    log = make_logger(args.log_every)

    vae_hist = train_vae(vae, device, gen, args.batch_vae, args.vae_seconds, args.vae_steps,
                         args.vae_lr, log)
    compute_latent_stats(vae, device, gen, args.batch_vae)
    print(f"latent mean {vae.latent_mean.tolist()} std {vae.latent_std.tolist()}", flush=True)

    def extra() -> dict:
        return {"seed": args.seed, "vae_steps": len(vae_hist),
                "vae_final_mse": vae_hist[-1] if vae_hist else None,
                "dit_steps": len(dit_hist), "dit_final_loss": dit_hist[-1] if dit_hist else None}

    dit_hist: List[float] = []
    save = lambda: save_checkpoint(args.out, cfg, text, vae, dit, extra())  # noqa: E731
    train_dit(dit, text, vae, device, gen, args.batch_dit, args.dit_seconds, args.dit_steps,
              args.dit_lr, log, checkpoint=save, history=dit_hist)
    save()
    print(f"saved {args.out}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
