"""Reference models for Framecast: byte-level text encoder, per-frame autoencoder, video DiT.

Sized to train on a 2-core CPU in well under an hour (see ../README.md for the ablations that
chose these sizes) and to run unchanged on a GPU. Everything here must also run on torch 1.13
(Debian's python3-torch, used by CI's smoke test), so attention is written out by hand
(q @ k^T * scale + additive mask, softmax), and nothing batch-wide (BatchNorm and the like)
appears: the serving contract requires that a sample's result never depends on the other
samples in its batch.

Tensor layouts (B = batch):
  token ids        [B, L]                 L = 64 bytes (UTF-8 byte + 1, 0 = padding)
  text embeddings  [B, L, D]              D = text_dim (128)
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
# label_cond's "no label" index (7 colours x 4 directions come first).
LABEL_NONE = 28


@dataclass
class ModelConfig:
    """Hyperparameters of all three models; stored in checkpoints so export rebuilds them."""

    vocab_size: int = 257          # UTF-8 byte + 1; 0 is padding
    max_text_len: int = 64
    text_dim: int = 128
    text_layers: int = 2
    text_heads: int = 4
    latent_channels: int = 4
    latent_frames: int = 16
    latent_size: int = 16          # latent height == width
    text_conv: int = 5             # width of a convolution over the byte embeddings (0: none)
    word_buckets: int = 4096       # > 0: each word's own embedding (hashed into this many
                                   # buckets) added to its bytes' outputs
    word_init: float = 1.0         # std of the word embeddings' initial values
    word_bag: bool = True          # ... and their sum / sqrt(words) added to every byte
    patch_frames: int = 2          # DiT tokens cover patch_frames x patch_size^2 latent pixels
    patch_size: int = 4
    dit_dim: int = 128
    dit_depth: int = 4
    dit_heads: int = 4
    mlp_ratio: int = 4
    mix_ffn: bool = True           # depthwise 3x3x3 convolution over the token grid in each MLP
    pooled_text: bool = True       # masked mean of the text added to the adaLN conditioning
    pool_queries: int = 4          # > 0: pool the text by attention with this many learned
                                   # queries (concatenated, projected) instead of the mean
    caption_tokens: bool = True    # ... and to every DiT token
    learned_pos: bool = True       # a learned residual (started at 0) on the fixed 3-D sincos
    # Research diagnostic, never exported: the clip's colour and direction as a learned
    # embedding added to the adaLN condition (index colour * 4 + direction, LABEL_NONE for a
    # dropped caption), bypassing the text encoder.
    label_cond: bool = False
    frame_size: int = 64           # pixels; the autoencoder compresses 4x spatially
    vae_channels: int = 64
    vae_blocks: int = 2            # residual blocks in the decoder

    def to_dict(self) -> dict:
        return asdict(self)

    @staticmethod
    def from_dict(d: dict) -> "ModelConfig":
        known = {k: v for k, v in d.items() if k in ModelConfig.__dataclass_fields__}
        return ModelConfig(**known)

    @property
    def tokens(self) -> int:
        return ((self.latent_frames // self.patch_frames)
                * (self.latent_size // self.patch_size) ** 2)


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
    fewer multiplies. The scale is a Python float so that it exports as a constant.
    """
    scores = (q * scale) @ k.transpose(-2, -1)
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


class _DepthwiseConv3dCpu(torch.autograd.Function):
    """3x3x3 depthwise convolution (padding 1) for CPU training, in fp32, channels-last.

    PyTorch's own CPU path for this layer took ~50 ms of a ~450 ms training step per block
    (the input gradient of a contiguous NCDHW tensor alone ~40 ms); here the forward pass and
    the input gradient run as channels-last convolutions (~1 ms each) and only the weight
    gradient goes through convolution_backward (~17 ms). Same arithmetic, same parameters
    (an nn.Conv3d's weight and bias), same results up to float rounding (smoke_test.py checks
    the values and both gradients against nn.Conv3d). Runs under autocast in fp32: the layer is
    memory-bound, so bf16 saves nothing here and would cost precision.
    """

    @staticmethod
    def forward(ctx, h: torch.Tensor, weight: torch.Tensor, bias: torch.Tensor) -> torch.Tensor:
        with torch.autocast("cpu", enabled=False):
            h = h.float().contiguous(memory_format=torch.channels_last_3d)
            ctx.save_for_backward(h, weight)
            return F.conv3d(h, weight.float(), bias.float(), padding=1, groups=weight.shape[0])

    @staticmethod
    def backward(ctx, grad: torch.Tensor):
        h, weight = ctx.saved_tensors
        channels = weight.shape[0]
        grad = grad.float().contiguous(memory_format=torch.channels_last_3d)
        grad_h = grad_w = grad_b = None
        with torch.autocast("cpu", enabled=False):
            if ctx.needs_input_grad[0]:
                # The transposed convolution of a 3x3x3 stride-1 kernel with padding 1 is the
                # same convolution with the kernel flipped in all three axes.
                grad_h = F.conv3d(grad, weight.float().flip(2, 3, 4), None, padding=1,
                                  groups=channels)
            if ctx.needs_input_grad[1]:
                grad_w = torch.ops.aten.convolution_backward(
                    grad, h, weight.float(), None, [1, 1, 1], [1, 1, 1], [1, 1, 1], False,
                    [0, 0, 0], channels, [False, True, False])[1].to(weight.dtype)
            if ctx.needs_input_grad[2]:
                grad_b = grad.sum((0, 2, 3, 4))
        return grad_h, grad_w, grad_b


class MixFfn(nn.Module):
    """fc1 -> depthwise 3x3x3 convolution over the (t, h, w) token grid -> GELU -> fc2.

    SANA's Mix-FFN made 3-D: each token's hidden features see its neighbours in time and space
    before the non-linearity. Measured on this CPU (triton-models/README.md): without it samples
    break into several blobs a frame; with it each frame holds one coherent shape.
    """

    def __init__(self, dim: int, hidden: int, grid: Tuple[int, int, int]):
        super().__init__()
        self.grid = grid
        self.fc1 = nn.Linear(dim, hidden)
        self.conv = nn.Conv3d(hidden, hidden, 3, padding=1, groups=hidden)
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b, n, _ = x.shape
        h = self.fc1(x).transpose(1, 2).reshape(b, -1, *self.grid)
        if (h.device.type == "cpu" and torch.is_grad_enabled() and self.conv.weight.requires_grad
                and not torch.jit.is_tracing()):
            h = _DepthwiseConv3dCpu.apply(h, self.conv.weight, self.conv.bias)
        else:   # inference and ONNX export: the plain layer (same weights)
            h = self.conv(h)
        h = h.flatten(2).transpose(1, 2)
        return self.fc2(F.gelu(h))


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


# Space and padding end words (byte + 1, as in the tokenizer).
SPACE_ID = ord(" ") + 1


def word_buckets(ids: torch.Tensor, coeffs: torch.Tensor, buckets: int) -> torch.Tensor:
    """ids [B, L] -> [B, L] int64: each byte's word hashed into 1..buckets-1, 0 for spaces
    and padding. A word is a run of bytes between spaces; its hash is sum(byte_k * coeffs[k])
    over its bytes k = 0, 1, ... mod (buckets - 1), the same for every byte of the word.

    Written with [B, L, L] comparisons and reductions only (no cumulative max, no loops), so
    that it traces to ONNX opset 17 and runs on torch 1.13.
    """
    length = ids.shape[1]
    sep = (ids == SPACE_ID) | (ids == 0)                              # [B, L]
    word = torch.cumsum(sep.long(), dim=1)                            # word index, per byte
    inside = ~sep
    same = (word[:, :, None] == word[:, None, :]) & inside[:, None, :]  # [B, L(i), L(j)]
    pos = torch.arange(length, device=ids.device)
    start = torch.where(same, pos[None, None, :], torch.full_like(pos, length)[None, None, :])
    start = start.min(dim=2).values                                   # first byte of i's word
    offset = (pos[None, :] - start).clamp(0, length - 1)              # j's place in its word
    terms = ids * coeffs[offset]                                      # [B, L]
    h = (same.long() * terms[:, None, :]).sum(dim=2)                  # [B, L]
    return torch.where(inside, h % (buckets - 1) + 1, torch.zeros_like(h))


class TextEncoder(nn.Module):
    """Byte-level transformer: ids [B, L] -> (embeddings [B, L, D], mask [B, L] float).

    Fixed sine/cosine positions, and (text_conv) a convolution over neighbouring bytes before
    the attention layers, so the first layer already sees words ("up", "blue") rather than a
    bag of letters. With word_buckets, every byte's output also gets its word's own embedding
    (hashed, see word_buckets), added after the final LayerNorm, and (word_bag) the caption's
    bag of words, sum / sqrt(words), is added to every byte: a word such as "left" then has a
    vector of its own, distinct from the start (random init, std word_init) and carried at full
    strength into the DiT's pooled condition, as a class label's embedding would be, instead of
    a feature of a normalised byte transformer diluted by the caption's other bytes (see
    ../README.md, "Motion"). Export zeroes the buckets no training caption uses, so a word the
    model never saw adds nothing.
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.token = nn.Embedding(cfg.vocab_size, cfg.text_dim)
        self.register_buffer(
            "position", sincos_1d(torch.arange(cfg.max_text_len), cfg.text_dim)[None],
            persistent=False)
        k = cfg.text_conv
        self.conv = nn.Conv1d(cfg.text_dim, cfg.text_dim, k, padding=k // 2) if k else None
        self.layers = nn.ModuleList(
            TextLayer(cfg.text_dim, cfg.text_heads, cfg.mlp_ratio) for _ in range(cfg.text_layers))
        self.norm = nn.LayerNorm(cfg.text_dim)
        nn.init.normal_(self.token.weight, std=0.02)
        self.buckets, self.bag = cfg.word_buckets, cfg.word_bag
        if self.buckets:
            self.words = nn.Embedding(self.buckets, cfg.text_dim)
            nn.init.normal_(self.words.weight, std=cfg.word_init)
            # Fixed odd multipliers per place in a word (seeded, so every build hashes alike).
            g = torch.Generator().manual_seed(0x5EED)
            coeffs = torch.randint(1, 1 << 20, (cfg.max_text_len,), generator=g) * 2 + 1
            self.register_buffer("word_coeffs", coeffs, persistent=False)
        else:
            self.words = None

    def forward(self, ids: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
        mask = (ids != 0).float()
        # Padding is masked as a key only; padded query rows still compute (their outputs are
        # masked out again by the DiT's cross-attention and pooling).
        attn_mask = additive_mask(mask)
        x = self.token(ids) + self.position
        if self.conv is not None:
            x = x + self.conv(x.transpose(1, 2)).transpose(1, 2)
        for layer in self.layers:
            x = layer(x, attn_mask)
        x = self.norm(x)
        if self.words is not None:
            buckets = word_buckets(ids, self.word_coeffs, self.buckets)
            per_byte = self.words(buckets)
            x = x + per_byte
            if self.bag:
                # One vector per word (at its first byte), summed and scaled by 1/sqrt(words):
                # every byte of the caption carries the whole bag of words.
                inside = buckets != 0
                first = inside & ~F.pad(inside[:, :-1], (1, 0), value=False)
                n = first.sum(dim=1, keepdim=True).clamp_min(1).to(x.dtype)
                bag = (per_byte * first[..., None].to(x.dtype)).sum(dim=1) / n.sqrt()
                x = x + bag[:, None, :] * mask[..., None]
        return x, mask


# --------------------------------------------------------------------------------------------
# Per-frame autoencoder (64x64x3 <-> 16x16x4), working at 16x16 only
# --------------------------------------------------------------------------------------------

def space_to_depth(x: torch.Tensor, r: int) -> torch.Tensor:
    """[N, C, H, W] -> [N, C*r*r, H/r, W/r] (channel order c, dy, dx), as reshapes.

    The result is laid out channels-last in memory (a view of [N, H/r, W/r, C*r*r]): CPU
    convolutions run ~3x faster on that layout, and ONNX sees one more Transpose."""
    n, c, h, w = x.shape
    x = x.reshape(n, c, h // r, r, w // r, r).permute(0, 2, 4, 1, 3, 5)
    return x.reshape(n, h // r, w // r, c * r * r).permute(0, 3, 1, 2)


def depth_to_space(x: torch.Tensor, r: int) -> torch.Tensor:
    """Inverse of space_to_depth."""
    n, c, h, w = x.shape
    x = x.reshape(n, c // (r * r), r, r, h, w).permute(0, 1, 4, 2, 5, 3)
    return x.reshape(n, c // (r * r), h * r, w * r)


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

    Pixels are folded 4x4 into channels first (space-to-depth, 64x64x3 -> 16x16x48), so every
    convolution runs at the latent's 16x16: 16x fewer positions than convolving at 64x64,
    which is what makes it trainable on a CPU in minutes. A plain autoencoder rather than a
    KL-VAE: the DiT only needs a smooth, well-scaled latent space, which the L2 penalty plus
    noise injected on latents during training provides, and export needs no sampling. Latent
    statistics computed after training are stored as buffers so the exported decoder can undo
    the normalisation the DiT was trained with.
    """

    FOLD = 4

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        c, z, folded = cfg.vae_channels, cfg.latent_channels, 3 * self.FOLD ** 2
        assert cfg.frame_size == cfg.latent_size * self.FOLD, "the autoencoder compresses 4x"
        # The encoder runs once per frame of the latent bank (16k clips x 16 frames), so it is
        # kept plain: two 3x3 convolutions, no normalisation.
        self.encoder = nn.Sequential(
            nn.Conv2d(folded, c, 3, padding=1), nn.SiLU(),
            nn.Conv2d(c, c, 3, padding=1), nn.SiLU(), nn.Conv2d(c, z, 1))
        self.decoder = nn.Sequential(
            nn.Conv2d(z, c, 3, padding=1), *[ResBlock(c) for _ in range(cfg.vae_blocks)],
            nn.GroupNorm(8, c), nn.SiLU(), nn.Conv2d(c, folded, 3, padding=1))
        self.register_buffer("latent_mean", torch.zeros(z))
        self.register_buffer("latent_std", torch.ones(z))

    def encode_frames(self, frames: torch.Tensor) -> torch.Tensor:
        """[N, 3, 64, 64] pixels -> raw (unnormalised) latents [N, 4, 16, 16]."""
        return self.encoder(space_to_depth(frames * 2.0 - 1.0, self.FOLD))

    def decode_frames(self, z: torch.Tensor) -> torch.Tensor:
        """Raw latents [N, 4, 16, 16] -> pixels [N, 3, 64, 64] (not clamped)."""
        return depth_to_space(self.decoder(z), self.FOLD) * 0.5 + 0.5

    def _stat(self, name: str) -> torch.Tensor:
        return getattr(self, name).view(1, -1, 1, 1, 1)

    def encode_video_raw(self, clips: torch.Tensor) -> torch.Tensor:
        """Clips [B, T, 3, H, W] -> raw latents [B, C, T, h, w]."""
        b, t = clips.shape[:2]
        z = self.encode_frames(clips.flatten(0, 1))
        return z.reshape(b, t, *z.shape[1:]).transpose(1, 2)

    def encode_video(self, clips: torch.Tensor) -> torch.Tensor:
        """Clips [B, T, 3, H, W] -> normalised latents [B, C, T, h, w]."""
        z = self.encode_video_raw(clips)
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
    dh = (dim // 3) // 2 * 2          # rows and columns: an even third each
    dt = dim - 2 * dh                 # time: the rest; dim must be even
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


def masked_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """[B, L, D] x [B, L] -> [B, D]; an all-padding row (the empty prompt) gives zeros."""
    return (x * mask[..., None]).sum(dim=1) / mask.sum(dim=1, keepdim=True).clamp_min(1.0)


class AttentionPool(nn.Module):
    """[B, L, D] text, [B, L] mask -> [B, D]: `queries` learned queries attend over the text
    (one head each, keys are the LayerNorm'd embeddings), their results are concatenated and
    projected back to D. Unlike the mean, each query can pick out one word ("right", "blue")
    however many bytes the rest of the caption has. An all-padding caption (the empty prompt)
    gives zeros, as the mean does."""

    def __init__(self, dim: int, queries: int):
        super().__init__()
        self.queries = nn.Parameter(torch.randn(queries, dim) * dim ** -0.5)
        self.norm = nn.LayerNorm(dim)
        self.proj = nn.Linear(queries * dim, dim)

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        keys = self.norm(x)
        scores = (torch.einsum("qd,bld->bql", self.queries, keys)
                  + ((1.0 - mask) * MASK_NEG)[:, None, :])
        pooled = torch.einsum("bql,bld->bqd", scores.softmax(dim=-1), x)
        present = (mask.sum(dim=1) > 0).to(x.dtype)[:, None]
        return self.proj(pooled.flatten(1)) * present


class DiTBlock(nn.Module):
    """Self-attention, cross-attention to text, MLP; adaLN-Zero modulation from the condition."""

    def __init__(self, dim: int, heads: int, mlp_ratio: int, context_dim: int,
                 grid: Optional[Tuple[int, int, int]] = None):
        super().__init__()
        self.norm1 = PlainLayerNorm(dim)
        self.attn = MultiHeadAttention(dim, heads)
        self.norm_cross = nn.LayerNorm(dim, eps=1e-6)
        self.cross = MultiHeadAttention(dim, heads, context_dim)
        self.norm2 = PlainLayerNorm(dim)
        self.mlp = MixFfn(dim, dim * mlp_ratio, grid) if grid else Mlp(dim, dim * mlp_ratio)
        # shift/scale/gate for attention, shift/scale/gate for the MLP, from the condition.
        self.ada = nn.Linear(dim, 6 * dim)

    def forward(self, x: torch.Tensor, cond: torch.Tensor, context: torch.Tensor,
                context_mask: torch.Tensor) -> torch.Tensor:
        shift_a, scale_a, gate_a, shift_m, scale_m, gate_m = self.ada(cond).chunk(6, dim=-1)
        x = x + gate_a[:, None] * self.attn(modulate(self.norm1(x), shift_a, scale_a))
        x = x + self.cross(self.norm_cross(x), context, context_mask)
        return x + gate_m[:, None] * self.mlp(modulate(self.norm2(x), shift_m, scale_m))


class FinalLayer(nn.Module):
    def __init__(self, dim: int, out_dim: int):
        super().__init__()
        self.norm = PlainLayerNorm(dim)
        self.ada = nn.Linear(dim, 2 * dim)
        self.linear = nn.Linear(dim, out_dim)

    def forward(self, x: torch.Tensor, cond: torch.Tensor) -> torch.Tensor:
        shift, scale = self.ada(cond).chunk(2, dim=-1)
        return self.linear(modulate(self.norm(x), shift, scale))


class VideoDiT(nn.Module):
    """Velocity predictor v(x_t, t, text) for rectified flow on [B, C, T, H, W] latents.

    Tokens are spatio-temporal patches (patch_frames x patch_size x patch_size latent pixels):
    at the reference sizes 8 x 4 x 4 = 128 tokens, an eighth of 2x2 spatial patches per frame,
    which is what lets a CPU see enough clips in its budget. The condition for the adaLN
    modulation is the timestep embedding plus (pooled_text) an MLP of the prompt's masked mean
    embedding, and (caption_tokens) a projection of that mean is added to every token: direct,
    global paths for "what colour, which way" besides the per-token cross-attention. Each MLP
    convolves its hidden features over the token grid (mix_ffn, see MixFfn).
    """

    def __init__(self, cfg: ModelConfig):
        super().__init__()
        self.cfg = cfg
        pt, p, c, d = cfg.patch_frames, cfg.patch_size, cfg.latent_channels, cfg.dit_dim
        assert cfg.latent_frames % pt == 0 and cfg.latent_size % p == 0, "patches must tile"
        self.grid = (cfg.latent_frames // pt, cfg.latent_size // p, cfg.latent_size // p)
        self.patch_dim = c * pt * p * p
        self.patch_embed = nn.Linear(self.patch_dim, d)
        # Fixed 3-D sincos positions (a real positional signal from the first step: without
        # one, shapes fragment), plus an optional learned residual started at zero.
        self.register_buffer("pos_fixed", sincos_3d(*self.grid, d)[None], persistent=False)
        self.pos_learned = nn.Parameter(torch.zeros(1, cfg.tokens, d)) if cfg.learned_pos else None
        self.t_embed = TimestepEmbedder(d)
        self.text_pool = (nn.Sequential(nn.Linear(cfg.text_dim, d), nn.SiLU(), nn.Linear(d, d))
                          if cfg.pooled_text else None)
        self.caption_tokens = nn.Linear(cfg.text_dim, d) if cfg.caption_tokens else None
        self.labels = nn.Embedding(LABEL_NONE + 1, d) if cfg.label_cond else None
        self.pool = AttentionPool(cfg.text_dim, cfg.pool_queries) if cfg.pool_queries else None
        grid = self.grid if cfg.mix_ffn else None
        self.blocks = nn.ModuleList(
            DiTBlock(d, cfg.dit_heads, cfg.mlp_ratio, cfg.text_dim, grid)
            for _ in range(cfg.dit_depth))
        self.final = FinalLayer(d, self.patch_dim)
        self.zero_init_for_training()

    def zero_initialised(self) -> list:
        """Parameters that start at zero for training (adaLN-Zero, output projections)."""
        params = [self.final.ada.weight, self.final.ada.bias,
                  self.final.linear.weight, self.final.linear.bias]
        for blk in self.blocks:
            # Cross-attention has no gate, so its output projection starts at zero instead
            # (PixArt-alpha does the same): every residual branch starts as the identity.
            params += [blk.ada.weight, blk.ada.bias, blk.cross.out.weight, blk.cross.out.bias]
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
        """[B, C, T, H, W] -> [B, tokens, C*pt*p*p] (tokens in t, h, w order)."""
        pt, p, c = self.cfg.patch_frames, self.cfg.patch_size, self.cfg.latent_channels
        t, h, w = self.grid
        x = x.reshape(x.shape[0], c, t, pt, h, p, w, p).permute(0, 2, 4, 6, 1, 3, 5, 7)
        return x.reshape(x.shape[0], t * h * w, self.patch_dim)

    def unpatchify(self, x: torch.Tensor) -> torch.Tensor:
        pt, p, c = self.cfg.patch_frames, self.cfg.patch_size, self.cfg.latent_channels
        t, h, w = self.grid
        x = x.reshape(x.shape[0], t, h, w, c, pt, p, p).permute(0, 4, 1, 5, 2, 6, 3, 7)
        return x.reshape(x.shape[0], c, t * pt, h * p, w * p)

    def forward(self, x: torch.Tensor, t: torch.Tensor, context: torch.Tensor,
                context_mask: torch.Tensor, labels: Optional[torch.Tensor] = None) -> torch.Tensor:
        """x [B,C,T,H,W], t [B] in [0,1] (1 = noise), context [B,L,D], mask [B,L] -> v.
        labels [B] (label_cond only)."""
        tokens = self.patch_embed(self.patchify(x)) + self.pos_fixed
        if self.pos_learned is not None:
            tokens = tokens + self.pos_learned
        cond = self.t_embed(t)
        pooled = (self.pool(context, context_mask) if self.pool is not None
                  else masked_mean(context, context_mask))
        if self.text_pool is not None:
            cond = cond + self.text_pool(pooled)
        if self.caption_tokens is not None:
            tokens = tokens + self.caption_tokens(pooled)[:, None]
        if self.labels is not None:
            if labels is None:
                raise ValueError("a label_cond DiT needs labels")
            cond = cond + self.labels(labels)
        cond = F.silu(cond)
        ctx_mask = additive_mask(context_mask)
        for blk in self.blocks:
            tokens = blk(tokens, cond, context, ctx_mask)
        return self.unpatchify(self.final(tokens, cond))


def build_models(cfg: ModelConfig) -> Tuple[TextEncoder, FrameAutoencoder, VideoDiT]:
    return TextEncoder(cfg), FrameAutoencoder(cfg), VideoDiT(cfg)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())
