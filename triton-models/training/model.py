"""Reference models for Framecast: byte-level text encoder, per-frame conv VAE, video DiT.

Everything here must run unchanged on torch 1.13 (CPU, used by CI and by export) and on
PyTorch 2.x with CUDA (training on an H100). That is why attention is written out by hand
(q @ k^T * scale + additive mask, softmax) instead of using scaled_dot_product_attention, and
why nothing batch-wide (BatchNorm and the like) appears: the serving contract requires that a
sample's result never depends on the other samples in its batch.

Tensor layouts (B = batch):
  token ids        [B, L]                 L = 64 bytes (UTF-8 byte + 1, 0 = padding)
  text embeddings  [B, L, D]              D = 256
  frames           [B, T, 3, 64, 64]      float pixels in [0, 1]
  latents          [B, C, T, 16, 16]      C = 4, normalised by the stored latent mean/std
"""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Optional, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F

# Finite "minus infinity" for additive attention masks. A row whose keys are all masked (the
# empty negative prompt is all padding) then softmaxes to a uniform distribution instead of
# NaN, and -1e4 is still representable in fp16/bf16 under autocast.
MASK_NEG = -1e4


@dataclass
class ModelConfig:
    """Hyperparameters of all three models; stored in checkpoints so export rebuilds them."""

    vocab_size: int = 257          # UTF-8 byte + 1; 0 is padding
    max_text_len: int = 64
    text_dim: int = 256
    text_layers: int = 3
    text_heads: int = 4
    latent_channels: int = 4
    latent_frames: int = 16
    latent_size: int = 16          # latent height == width
    patch_size: int = 2            # spatial patch; no temporal patching
    dit_dim: int = 256
    dit_depth: int = 6
    dit_heads: int = 4
    mlp_ratio: int = 4
    frame_size: int = 64           # pixels; the VAE compresses 4x spatially
    vae_channels: int = 64

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
        known = {k: v for k, v in d.items() if k in ModelConfig.__dataclass_fields__}
        return ModelConfig(**known)


# --------------------------------------------------------------------------------------------
# Attention building blocks
# --------------------------------------------------------------------------------------------

def additive_mask(mask: torch.Tensor) -> torch.Tensor:
    """[B, L] float (1 = keep) -> [B, 1, 1, L] additive mask broadcastable over heads/queries."""
    return ((1.0 - mask) * MASK_NEG)[:, None, None, :]


def attend(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor,
           mask: Optional[torch.Tensor], scale: float) -> torch.Tensor:
    """Plain softmax attention on [B, heads, N, dh] tensors.

    Scaling q before the product (rather than the scores after it) is the same maths with
    fewer multiplies: the score matrix is the largest tensor here (1,024^2 per head). The
    scale is a Python float so that it exports as a constant, not as shape arithmetic.
    """
    q = q * scale
    scores = q @ k.transpose(-2, -1)
    if mask is not None:
        scores = scores + mask
    # Softmax in fp32: under bf16 autocast the -1e4 mask and the exponentials need the range.
    weights = scores.float().softmax(dim=-1).to(v.dtype)
    return weights @ v


class MultiHeadAttention(nn.Module):
    """Self- or cross-attention; cross when a context is passed to forward()."""

    def __init__(self, dim: int, heads: int, context_dim: Optional[int] = None):
        super().__init__()
        assert dim % heads == 0, "dim must split evenly over heads"
        self.heads, self.head_dim = heads, dim // heads
        self.q = nn.Linear(dim, dim)
        self.kv = nn.Linear(context_dim or dim, 2 * dim)
        self.out = nn.Linear(dim, dim)

    def _split(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], x.shape[1], self.heads, self.head_dim).transpose(1, 2)

    def forward(self, x: torch.Tensor, context: Optional[torch.Tensor] = None,
                mask: Optional[torch.Tensor] = None) -> torch.Tensor:
        context = x if context is None else context
        k, v = self.kv(context).chunk(2, dim=-1)
        y = attend(self._split(self.q(x)), self._split(k), self._split(v), mask,
                   self.head_dim ** -0.5)
        return self.out(y.transpose(1, 2).flatten(2))


class PlainLayerNorm(nn.Module):
    """LayerNorm without learned affine parameters (the adaLN modulation supplies them).

    nn.LayerNorm(elementwise_affine=False) exports from torch 1.13 at opset 17 as a
    LayerNormalization node with an empty (required) scale input, which the ONNX checker
    rejects; constant ones/zeros buffers give a valid node and the same maths.
    """

    def __init__(self, dim: int, eps: float = 1e-6):
        super().__init__()
        self.eps = eps
        self.register_buffer("ones", torch.ones(dim), persistent=False)
        self.register_buffer("zeros", torch.zeros(dim), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.layer_norm(x, self.ones.shape, self.ones, self.zeros, self.eps)


class Mlp(nn.Sequential):
    def __init__(self, dim: int, hidden: int):
        super().__init__(nn.Linear(dim, hidden), nn.GELU(), nn.Linear(hidden, dim))


# --------------------------------------------------------------------------------------------
# Text encoder
# --------------------------------------------------------------------------------------------

class TextLayer(nn.Module):
    """Pre-norm transformer layer."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim)
        self.attn = MultiHeadAttention(dim, heads)
        self.norm2 = nn.LayerNorm(dim)
        self.mlp = Mlp(dim, dim * mlp_ratio)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        x = x + self.attn(self.norm1(x), mask=mask)
        return x + self.mlp(self.norm2(x))


class TextEncoder(nn.Module):
    """Byte-level transformer: ids [B, L] -> (embeddings [B, L, D], mask [B, L] float)."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.token = nn.Embedding(cfg.vocab_size, cfg.text_dim)
        self.position = nn.Parameter(torch.randn(1, cfg.max_text_len, cfg.text_dim) * 0.02)
        self.layers = nn.ModuleList(
            TextLayer(cfg.text_dim, cfg.text_heads, cfg.mlp_ratio) for _ in range(cfg.text_layers))
        self.norm = nn.LayerNorm(cfg.text_dim)
        nn.init.normal_(self.token.weight, std=0.02)

    def forward(self, ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        mask = (ids != 0).float()
        # Padding is masked as a key only; padded query rows still compute (their outputs are
        # masked out again by the DiT's cross-attention).
        attn_mask = additive_mask(mask)
        x = self.token(ids) + self.position
        for layer in self.layers:
            x = layer(x, attn_mask)
        return self.norm(x), mask


# --------------------------------------------------------------------------------------------
# Per-frame convolutional autoencoder (64x64x3 <-> 16x16x4)
# --------------------------------------------------------------------------------------------

class ResBlock(nn.Module):
    # GroupNorm, not BatchNorm: per-sample statistics keep the batch-invariance contract.
    def __init__(self, ch: int):
        super().__init__()
        self.block = nn.Sequential(
            nn.GroupNorm(8, ch), nn.SiLU(), nn.Conv2d(ch, ch, 3, padding=1),
            nn.GroupNorm(8, ch), nn.SiLU(), nn.Conv2d(ch, ch, 3, padding=1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.block(x)


class FrameAutoencoder(nn.Module):
    """Deterministic per-frame autoencoder with an L2 penalty on latents (train.py).

    A plain autoencoder rather than a KL-VAE: the DiT only needs a smooth, well-scaled latent
    space, which the L2 penalty plus noise injected on latents during training provides, and it
    keeps export simple (no sampling). Latent statistics computed after training are stored as
    buffers so the exported decoder can undo the normalisation the DiT was trained with.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c, z = cfg.vae_channels, cfg.latent_channels
        self.encoder = nn.Sequential(
            nn.Conv2d(3, c // 2, 3, padding=1), nn.SiLU(),
            nn.Conv2d(c // 2, c, 3, stride=2, padding=1),          # 64 -> 32
            ResBlock(c),
            nn.Conv2d(c, c, 3, stride=2, padding=1),               # 32 -> 16
            ResBlock(c),
            nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, z, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(z, c, 3, padding=1),
            ResBlock(c),
            nn.Upsample(scale_factor=2.0, mode="nearest"),         # 16 -> 32
            nn.Conv2d(c, c, 3, padding=1),
            ResBlock(c),
            nn.Upsample(scale_factor=2.0, mode="nearest"),         # 32 -> 64
            nn.Conv2d(c, c // 2, 3, padding=1),
            nn.GroupNorm(8, c // 2), nn.SiLU(), nn.Conv2d(c // 2, 3, 3, padding=1))
        self.register_buffer("latent_mean", torch.zeros(z))
        self.register_buffer("latent_std", torch.ones(z))

    def encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """[N, 3, 64, 64] pixels -> raw (unnormalised) latents [N, 4, 16, 16]."""
        return self.encoder(frames * 2.0 - 1.0)

    def decode_frames(self, z: torch.Tensor) -> torch.Tensor:
        """Raw latents [N, 4, 16, 16] -> pixels [N, 3, 64, 64] (not clamped)."""
        return self.decoder(z) * 0.5 + 0.5

    def _stat(self, name: str) -> torch.Tensor:
        return getattr(self, name).view(1, -1, 1, 1, 1)

    def encode_video(self, clips: torch.Tensor) -> torch.Tensor:
        """Clips [B, T, 3, H, W] -> normalised latents [B, C, T, h, w]."""
        b, t = clips.shape[:2]
        z = self.encode_frames(clips.flatten(0, 1))
        z = z.reshape(b, t, *z.shape[1:]).transpose(1, 2)
        return (z - self._stat("latent_mean")) / self._stat("latent_std")

    def decode_video(self, latents: torch.Tensor) -> torch.Tensor:
        """Normalised latents [B, C, F, h, w] -> pixels [B, F, 3, H, W]; F may be any count."""
        b, c = latents.shape[:2]
        z = latents * self._stat("latent_std") + self._stat("latent_mean")
        frames = self.decode_frames(z.transpose(1, 2).reshape(-1, c, *z.shape[3:]))
        return frames.reshape(b, -1, *frames.shape[1:])


# --------------------------------------------------------------------------------------------
# Video DiT
# --------------------------------------------------------------------------------------------

def sincos_1d(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """[N] positions -> [N, dim] fixed sine/cosine features (dim even)."""
    freqs = torch.exp(-math.log(10000.0) * torch.arange(dim // 2, dtype=torch.float64) / (dim // 2))
    args = positions.double()[:, None] * freqs[None]
    return torch.cat([args.sin(), args.cos()], dim=1).float()


def sincos_3d(t: int, h: int, w: int, dim: int) -> torch.Tensor:
    """[t*h*w, dim] positional table: separate channel groups for the time, row, column axes.

    Giving each axis its own channels (rather than summing per-axis sinusoids of the same
    frequencies) keeps positions (t=1, h=0) and (t=0, h=1) distinguishable.
    """
    dh = (dim // 3) // 2 * 2          # rows and columns: an even third each (84 of 256)
    dt = dim - 2 * dh                 # time: the rest (88 of 256); dim must be even
    grid_t, grid_h, grid_w = torch.meshgrid(
        torch.arange(t), torch.arange(h), torch.arange(w), indexing="ij")
    return torch.cat([sincos_1d(grid_t.flatten(), dt), sincos_1d(grid_h.flatten(), dh),
                      sincos_1d(grid_w.flatten(), dh)], dim=1)


class TimestepEmbedder(nn.Module):
    """t in [0, 1] -> [B, D]: sinusoidal embedding of t*1000 followed by an MLP."""

    def __init__(self, dim: int, freq_dim: int = 256):
        super().__init__()
        half = freq_dim // 2
        freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
        # Not persistent: derived from the config, so it needn't live in checkpoints.
        self.register_buffer("freqs", freqs, persistent=False)
        self.mlp = nn.Sequential(nn.Linear(freq_dim, dim), nn.SiLU(), nn.Linear(dim, dim))

    def forward(self, t: torch.Tensor) -> torch.Tensor:
        args = (t.float() * 1000.0)[:, None] * self.freqs[None]
        return self.mlp(torch.cat([args.cos(), args.sin()], dim=1))


def modulate(x: torch.Tensor, shift: torch.Tensor, scale: torch.Tensor) -> torch.Tensor:
    return x * (1.0 + scale[:, None]) + shift[:, None]


class DiTBlock(nn.Module):
    """Self-attention, cross-attention to text, MLP; adaLN-single modulation.

    adaLN-single (PixArt-alpha): one timestep MLP shared by all blocks produces 6*D values;
    each block adds its own learned 6*D table. A per-block 256 -> 6*256 linear would cost
    ~2.4M parameters over 6 blocks and blow the 25 MB export budget.
    """

    def __init__(self, dim: int, heads: int, mlp_ratio: int, context_dim: int):
        super().__init__()
        self.norm1 = PlainLayerNorm(dim)
        self.attn = MultiHeadAttention(dim, heads)
        self.norm_cross = nn.LayerNorm(dim, eps=1e-6)
        self.cross = MultiHeadAttention(dim, heads, context_dim)
        self.norm2 = PlainLayerNorm(dim)
        self.mlp = Mlp(dim, dim * mlp_ratio)
        # shift/scale/gate for attention, shift/scale/gate for MLP. Zero => adaLN-Zero start.
        self.modulation = nn.Parameter(torch.zeros(6, dim))

    def forward(self, x: torch.Tensor, t_mod: torch.Tensor, context: torch.Tensor,
                context_mask: torch.Tensor) -> torch.Tensor:
        shift_a, scale_a, gate_a, shift_m, scale_m, gate_m = (self.modulation[None] + t_mod).unbind(1)
        x = x + gate_a[:, None] * self.attn(modulate(self.norm1(x), shift_a, scale_a))
        x = x + self.cross(self.norm_cross(x), context, context_mask)
        return x + gate_m[:, None] * self.mlp(modulate(self.norm2(x), shift_m, scale_m))


class FinalLayer(nn.Module):
    def __init__(self, dim: int, out_dim: int):
        super().__init__()
        self.norm = PlainLayerNorm(dim)
        self.modulation = nn.Parameter(torch.zeros(2, dim))
        self.linear = nn.Linear(dim, out_dim)

    def forward(self, x: torch.Tensor, t_emb: torch.Tensor) -> torch.Tensor:
        shift, scale = (self.modulation[None] + t_emb[:, None]).unbind(1)
        return self.linear(modulate(self.norm(x), shift, scale))


class VideoDiT(nn.Module):
    """Velocity predictor v(x_t, t, text) for rectified flow on [B, C, T, H, W] latents."""

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        p, c, d = cfg.patch_size, cfg.latent_channels, cfg.dit_dim
        self.grid = (cfg.latent_frames, cfg.latent_size // p, cfg.latent_size // p)
        self.patch_embed = nn.Linear(c * p * p, d)
        # Learned 3-D position table (1,024 x 256), started from fixed sincos so that the
        # random-init export and early training already have distinct, structured positions.
        self.pos_embed = nn.Parameter(sincos_3d(*self.grid, d)[None])
        self.t_embed = TimestepEmbedder(d)
        self.t_block = nn.Sequential(nn.SiLU(), nn.Linear(d, 6 * d))
        self.blocks = nn.ModuleList(
            DiTBlock(d, cfg.dit_heads, cfg.mlp_ratio, cfg.text_dim) for _ in range(cfg.dit_depth))
        self.final = FinalLayer(d, c * p * p)
        self.zero_init_for_training()

    def zero_initialised(self) -> list:
        """Parameters that start at zero for training (adaLN-Zero gates, output projections)."""
        params = [self.t_block[1].weight, self.t_block[1].bias,
                  self.final.modulation, self.final.linear.weight, self.final.linear.bias]
        for blk in self.blocks:
            # Cross-attention has no gate, so its output projection starts at zero instead
            # (PixArt-alpha does the same): every residual branch starts as the identity.
            params += [blk.modulation, blk.cross.out.weight, blk.cross.out.bias]
        return params

    def zero_init_for_training(self) -> None:
        with torch.no_grad():
            for prm in self.zero_initialised():
                prm.zero_()

    def randomize_zero_inits(self, generator: torch.Generator, std: float = 0.05) -> None:
        """Random-init export only: give zero-initialised parameters small random values.

        With the training init the untrained DiT predicts v == 0 exactly, and downstream tests
        of batch invariance and finiteness would pass trivially.
        """
        with torch.no_grad():
            for prm in self.zero_initialised():
                prm.copy_(torch.randn(prm.shape, generator=generator) * std)

    def patchify(self, x: torch.Tensor) -> torch.Tensor:
        """[B, C, T, H, W] -> [B, T*(H/p)*(W/p), C*p*p]."""
        p = self.cfg.patch_size
        c, (t, h, w) = self.cfg.latent_channels, self.grid
        x = x.reshape(x.shape[0], c, t, h, p, w, p).permute(0, 2, 3, 5, 1, 4, 6)
        return x.reshape(x.shape[0], t * h * w, c * p * p)

    def unpatchify(self, x: torch.Tensor) -> torch.Tensor:
        p = self.cfg.patch_size
        c, (t, h, w) = self.cfg.latent_channels, self.grid
        x = x.reshape(x.shape[0], t, h, w, c, p, p).permute(0, 4, 1, 2, 5, 3, 6)
        return x.reshape(x.shape[0], c, t, h * p, w * p)

    def forward(self, x: torch.Tensor, t: torch.Tensor, context: torch.Tensor,
                context_mask: torch.Tensor) -> torch.Tensor:
        """x [B,C,T,H,W], t [B] in [0,1] (1 = noise), context [B,L,D], mask [B,L] -> v."""
        tokens = self.patch_embed(self.patchify(x)) + self.pos_embed
        t_emb = self.t_embed(t)
        t_mod = self.t_block(t_emb).reshape(t_emb.shape[0], 6, -1)
        ctx_mask = additive_mask(context_mask)
        for blk in self.blocks:
            tokens = blk(tokens, t_mod, context, ctx_mask)
        return self.unpatchify(self.final(tokens, t_emb))


def build_models(cfg: ModelConfig) -> Tuple[TextEncoder, FrameAutoencoder, VideoDiT]:
    return TextEncoder(cfg), FrameAutoencoder(cfg), VideoDiT(cfg)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
