"""
Pretrain a small GPT for a fixed time budget and report validation bits per byte.

This is the file the proposer edits: model, optimizer, schedules, training loop and the constants below.
The data, the tokenizer, the time budget and the metric live in prepare.py and are fixed.

    python train.py                              # official profile (a Hopper GPU, ~5 minutes of counted training)
    AUTORESEARCH_PROFILE=smoke python train.py   # tiny CPU run with the same code paths, well under a minute

The run ends with a summary block that the research loop reads (`val_bpb:`, `peak_vram_mb:`, ...).
"""

import os

# Before torch is imported: allocator and hub settings are read once.
os.environ.setdefault("PYTORCH_ALLOC_CONF", "expandable_segments:True")
os.environ.setdefault("PYTORCH_CUDA_ALLOC_CONF", "expandable_segments:True")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

import gc
import math
import sys
import time
from contextlib import nullcontext
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from prepare import MAX_SEQ_LEN, PROFILE, TIME_BUDGET, Tokenizer, evaluate_bpb, fa3_kernel_repo, make_dataloader

# ---------------------------------------------------------------------------------------------------------------------
# Hyperparameters

# model shape
DEPTH = 8  # number of transformer blocks
ASPECT_RATIO = 64  # model width = DEPTH * ASPECT_RATIO, rounded up to a multiple of HEAD_DIM
HEAD_DIM = 128
WINDOW_PATTERN = "SSSL"  # per layer, tiled: S = half context, L = full context; the last layer is always L
SOFTCAP = 15.0
ROPE_BASE = 10_000
# batch
TOTAL_BATCH_SIZE = 2**19  # tokens per optimizer step
DEVICE_BATCH_SIZE = 128  # rows per micro-batch
# optimizer
EMBEDDING_LR = 0.6
UNEMBEDDING_LR = 0.004
MATRIX_LR = 0.04
SCALAR_LR = 0.5
WEIGHT_DECAY = 0.2  # Muon only, decayed linearly to zero with progress
ADAM_BETAS = (0.8, 0.95)
# schedules (fractions of the time budget)
WARMUP_RATIO = 0.0
WARMDOWN_RATIO = 0.5
FINAL_LR_FRAC = 0.0
MOMENTUM_WARMUP_STEPS = 300
# runtime
SEED = 42
COMPILE = True  # torch.compile on CUDA only; CPU runs are never compiled

if PROFILE == "smoke":
    # A model small enough for a 2-core CPU, keeping two micro-batches and a short-window layer.
    DEPTH = 2
    ASPECT_RATIO = 32
    HEAD_DIM = 32
    WINDOW_PATTERN = "SL"
    DEVICE_BATCH_SIZE = 8
    TOTAL_BATCH_SIZE = 8 * MAX_SEQ_LEN * 2

H100_BF16_PEAK_FLOPS = 989.5e12
UNCOUNTED_STEPS = 11  # steps 0..10 absorb compilation and are not part of the time budget

# ---------------------------------------------------------------------------------------------------------------------
# Attention backends


BACKENDS = ("fa3", "flex", "sdpa", "manual")


def _load_fa3():
    """FlashAttention-3 from the `kernels` hub package (Hopper build on compute capability 9.0).

    `get_kernel(repo)` without a version is what `kernels` 0.11 accepts; from 0.14 on it requires a version,
    which is why pyproject.toml pins `kernels==0.11.7`.
    """
    from kernels import get_kernel

    capability = torch.cuda.get_device_capability() if torch.cuda.is_available() else (0, 0)
    return get_kernel(fa3_kernel_repo(capability)).flash_attn_interface


def select_attention_backend(device_type: str) -> str:
    """fa3 > flex > sdpa on CUDA; sdpa > manual on CPU. `AUTORESEARCH_ATTENTION` forces one (for checks)."""
    forced = os.environ.get("AUTORESEARCH_ATTENTION")
    if forced:
        if forced not in BACKENDS:
            raise ValueError(f"AUTORESEARCH_ATTENTION={forced!r}: expected one of {', '.join(BACKENDS)}")
        if forced == "fa3":
            # Forced, so a missing kernel is an error, not a silent fallback.
            try:
                _ATTENTION_STATE["fa3"] = _load_fa3()
            except Exception as error:
                raise RuntimeError(
                    f"AUTORESEARCH_ATTENTION=fa3 but FlashAttention-3 did not load ({type(error).__name__}: {error}); "
                    "it needs the `kernels` package (pinned in pyproject.toml), a CUDA GPU and the Hugging Face hub "
                    "or its cache"
                ) from error
        return forced
    if device_type == "cuda":
        if torch.cuda.get_device_capability()[0] >= 8:
            try:
                _ATTENTION_STATE["fa3"] = _load_fa3()
                return "fa3"
            except Exception as error:  # noqa: BLE001 - offline machines or missing package: fall through
                print(f"FA3 unavailable ({type(error).__name__}: {error}); falling back")
        try:
            from torch.nn.attention.flex_attention import create_block_mask, flex_attention  # noqa: F401

            return "flex"
        except ImportError:
            pass
    if hasattr(F, "scaled_dot_product_attention"):
        return "sdpa"
    return "manual"


_ATTENTION_STATE: dict = {"backend": "sdpa", "masks": {}}


def _window_mask(T: int, window: int, device) -> torch.Tensor:
    key = ("bool", T, window, str(device))
    mask = _ATTENTION_STATE["masks"].get(key)
    if mask is None:
        i = torch.arange(T, device=device)[:, None]
        j = torch.arange(T, device=device)[None, :]
        mask = (j <= i) & (i - j <= window)
        _ATTENTION_STATE["masks"][key] = mask
    return mask


def _flex_block_mask(T: int, window: int, device):
    from torch.nn.attention.flex_attention import create_block_mask

    key = ("flex", T, window, str(device))
    mask = _ATTENTION_STATE["masks"].get(key)
    if mask is None:

        def allowed(b, h, q_idx, kv_idx):
            return (q_idx >= kv_idx) & (q_idx - kv_idx <= window)

        mask = create_block_mask(allowed, B=None, H=None, Q_LEN=T, KV_LEN=T, device=device)
        _ATTENTION_STATE["masks"][key] = mask
    return mask


def prepare_attention(backend: str, windows, T: int, device) -> None:
    """Select the backend and build its masks up front, outside any compiled graph."""
    _ATTENTION_STATE["backend"] = backend
    for window in sorted(set(windows)):
        if backend == "flex":
            _flex_block_mask(T, window, device)
        elif backend in ("sdpa", "manual"):
            _window_mask(T, window, device)


def attention(q, k, v, window: int):
    """Causal attention where query t sees keys t-window..t. Inputs and output are (B, T, heads, head_dim)."""
    backend = _ATTENTION_STATE["backend"]
    T = q.size(1)
    if backend == "fa3":
        out = _ATTENTION_STATE["fa3"].flash_attn_func(q, k, v, causal=True, window_size=(window, 0))
        return out[0] if isinstance(out, tuple) else out
    if k.size(2) != q.size(2):  # grouped-query attention: share each kv head across its query heads
        repeat = q.size(2) // k.size(2)
        k, v = k.repeat_interleave(repeat, dim=2), v.repeat_interleave(repeat, dim=2)
    q, k, v = q.transpose(1, 2), k.transpose(1, 2), v.transpose(1, 2)
    if backend == "flex":
        if "flex_fn" not in _ATTENTION_STATE:
            from torch.nn.attention.flex_attention import flex_attention

            _ATTENTION_STATE["flex_fn"] = torch.compile(flex_attention, dynamic=False)
        y = _ATTENTION_STATE["flex_fn"](q, k, v, block_mask=_flex_block_mask(T, window, q.device))
    elif backend == "sdpa":
        if window >= T - 1:
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        else:
            y = F.scaled_dot_product_attention(q, k, v, attn_mask=_window_mask(T, window, q.device))
    else:
        scores = (q @ k.transpose(-2, -1)) * (q.size(-1) ** -0.5)
        scores = scores.masked_fill(~_window_mask(T, window, q.device), float("-inf"))
        y = torch.softmax(scores.float(), dim=-1).to(v.dtype) @ v
    return y.transpose(1, 2)


# ---------------------------------------------------------------------------------------------------------------------
# Model


def norm(x: torch.Tensor) -> torch.Tensor:
    """Parameter-free RMS norm over the last dimension, computed in fp32."""
    if hasattr(F, "rms_norm"):
        return F.rms_norm(x, (x.size(-1),))
    xf = x.float()
    return (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + torch.finfo(torch.float32).eps)).to(x.dtype)


def apply_rotary(x, cos, sin):
    half = x.size(-1) // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos + x2 * sin, x2 * cos - x1 * sin], dim=-1)


def has_value_embedding(layer: int, n_layer: int) -> bool:
    """Alternating layers, always including the last one."""
    return layer % 2 == (n_layer - 1) % 2


@dataclass
class GPTConfig:
    sequence_len: int
    vocab_size: int
    n_layer: int
    n_head: int
    n_kv_head: int
    n_embd: int
    window_pattern: str = "SSSL"
    ve_gate_channels: int = 32


class CausalSelfAttention(nn.Module):
    def __init__(self, config: GPTConfig, layer: int, device=None):
        super().__init__()
        self.n_head, self.n_kv_head = config.n_head, config.n_kv_head
        self.head_dim = config.n_embd // config.n_head
        assert self.n_head % self.n_kv_head == 0
        C, D = config.n_embd, self.head_dim
        self.c_q = nn.Linear(C, self.n_head * D, bias=False, device=device)
        self.c_k = nn.Linear(C, self.n_kv_head * D, bias=False, device=device)
        self.c_v = nn.Linear(C, self.n_kv_head * D, bias=False, device=device)
        self.c_proj = nn.Linear(C, C, bias=False, device=device)
        self.ve_gate_channels = config.ve_gate_channels
        self.ve_gate = None
        if has_value_embedding(layer, config.n_layer):
            self.ve_gate = nn.Linear(config.ve_gate_channels, self.n_kv_head, bias=False, device=device)

    def forward(self, x, ve, cos, sin, window: int):
        B, T, C = x.shape
        q = self.c_q(x).view(B, T, self.n_head, self.head_dim)
        k = self.c_k(x).view(B, T, self.n_kv_head, self.head_dim)
        v = self.c_v(x).view(B, T, self.n_kv_head, self.head_dim)
        if ve is not None:
            # value residual: a per-head gate in (0, 2) mixes a token-indexed embedding into the values
            gate = 2 * torch.sigmoid(self.ve_gate(x[..., : self.ve_gate_channels]))
            v = v + gate.unsqueeze(-1) * ve.view(B, T, self.n_kv_head, self.head_dim)
        q, k = apply_rotary(q, cos, sin), apply_rotary(k, cos, sin)
        q, k = norm(q), norm(k)
        y = attention(q, k, v, window)
        return self.c_proj(y.reshape(B, T, C))


class MLP(nn.Module):
    def __init__(self, config: GPTConfig, device=None):
        super().__init__()
        self.c_fc = nn.Linear(config.n_embd, 4 * config.n_embd, bias=False, device=device)
        self.c_proj = nn.Linear(4 * config.n_embd, config.n_embd, bias=False, device=device)

    def forward(self, x):
        return self.c_proj(F.relu(self.c_fc(x)).square())


class Block(nn.Module):
    def __init__(self, config: GPTConfig, layer: int, device=None):
        super().__init__()
        self.attn = CausalSelfAttention(config, layer, device)
        self.mlp = MLP(config, device)

    def forward(self, x, ve, cos, sin, window):
        x = x + self.attn(norm(x), ve, cos, sin, window)
        return x + self.mlp(norm(x))


class GPT(nn.Module):
    def __init__(self, config: GPTConfig, device=None):
        super().__init__()
        self.config = config
        C, V = config.n_embd, config.vocab_size
        kv_dim = config.n_kv_head * (C // config.n_head)
        self.wte = nn.Embedding(V, C, device=device)
        self.blocks = nn.ModuleList([Block(config, i, device) for i in range(config.n_layer)])
        self.value_embeds = nn.ModuleDict(
            {str(i): nn.Embedding(V, kv_dim, device=device) for i in range(config.n_layer) if has_value_embedding(i, config.n_layer)}
        )
        self.lm_head = nn.Linear(C, V, bias=False, device=device)
        self.resid_lambdas = nn.Parameter(torch.empty(config.n_layer, device=device))
        self.x0_lambdas = nn.Parameter(torch.empty(config.n_layer, device=device))
        self.windows = self._window_sizes()
        self.rotary_len = 10 * config.sequence_len
        half = (C // config.n_head) // 2
        self.register_buffer("cos", torch.empty(1, self.rotary_len, 1, half, device=device), persistent=False)
        self.register_buffer("sin", torch.empty(1, self.rotary_len, 1, half, device=device), persistent=False)

    def _window_sizes(self) -> list[int]:
        pattern, T = self.config.window_pattern.upper(), self.config.sequence_len
        assert pattern and set(pattern) <= {"S", "L"}, f"WINDOW_PATTERN must use S and L, got {pattern!r}"
        sizes = [T if pattern[i % len(pattern)] == "L" else T // 2 for i in range(self.config.n_layer)]
        sizes[-1] = T
        return sizes

    @torch.no_grad()
    def init_weights(self):
        """All real values are written here (construction may have happened on the meta device)."""
        C = self.config.n_embd
        bound = math.sqrt(3) / math.sqrt(C)  # uniform with std 1/sqrt(C)
        nn.init.normal_(self.wte.weight, mean=0.0, std=1.0)
        nn.init.normal_(self.lm_head.weight, mean=0.0, std=0.001)
        for block in self.blocks:
            for linear in (block.attn.c_q, block.attn.c_k, block.attn.c_v, block.mlp.c_fc):
                nn.init.uniform_(linear.weight, -bound, bound)
            nn.init.zeros_(block.attn.c_proj.weight)
            nn.init.zeros_(block.mlp.c_proj.weight)
            if block.attn.ve_gate is not None:
                nn.init.zeros_(block.attn.ve_gate.weight)
        for table in self.value_embeds.values():
            nn.init.uniform_(table.weight, -bound, bound)
        self.resid_lambdas.fill_(1.0)
        self.x0_lambdas.fill_(0.1)
        head_dim = C // self.config.n_head
        inv_freq = ROPE_BASE ** (-torch.arange(0, head_dim, 2, dtype=torch.float32, device=self.cos.device) / head_dim)
        t = torch.arange(self.rotary_len, dtype=torch.float32, device=self.cos.device)
        angles = torch.outer(t, inv_freq)[None, :, None, :]
        table_dtype = torch.bfloat16 if self.cos.device.type == "cuda" else torch.float32
        self.cos = angles.cos().to(table_dtype)
        self.sin = angles.sin().to(table_dtype)
        if self.wte.weight.device.type == "cuda":  # bf16 tables save memory; CPU bf16 math is slow, keep fp32 there
            self.wte.to(dtype=torch.bfloat16)
            for table in self.value_embeds.values():
                table.to(dtype=torch.bfloat16)

    def parameter_counts(self) -> dict:
        counts = {
            "wte": self.wte.weight.numel(),
            "value_embeds": sum(p.numel() for p in self.value_embeds.parameters()),
            "lm_head": self.lm_head.weight.numel(),
            "transformer_matrices": sum(p.numel() for p in self.blocks.parameters()),
            "scalars": self.resid_lambdas.numel() + self.x0_lambdas.numel(),
        }
        counts["total"] = sum(p.numel() for p in self.parameters())
        assert counts["total"] == sum(v for key, v in counts.items() if key != "total")
        return counts

    def flops_per_token(self) -> float:
        """Forward+backward matmul FLOPs per token (embedding lookups excluded) plus attention."""
        counts = self.parameter_counts()
        dense = counts["total"] - counts["wte"] - counts["value_embeds"] - counts["scalars"]
        head_dim = self.config.n_embd // self.config.n_head
        T = self.config.sequence_len
        attention_flops = sum(12 * self.config.n_head * head_dim * min(w, T) for w in self.windows)
        return 6 * dense + attention_flops

    def forward(self, idx, targets=None, reduction="mean"):
        B, T = idx.shape
        assert T <= self.rotary_len
        cos, sin = self.cos[:, :T], self.sin[:, :T]
        x = norm(self.wte(idx))
        x0 = x
        for i, block in enumerate(self.blocks):
            x = self.resid_lambdas[i] * x + self.x0_lambdas[i] * x0
            ve = self.value_embeds[str(i)](idx) if str(i) in self.value_embeds else None
            x = block(x, ve, cos, sin, self.windows[i])
        x = norm(x)
        logits = self.lm_head(x).float()
        logits = SOFTCAP * torch.tanh(logits / SOFTCAP)
        if targets is None:
            return logits
        return F.cross_entropy(
            logits.view(-1, logits.size(-1)), targets.reshape(-1), ignore_index=-1, reduction=reduction
        )


def build_config(vocab_size: int) -> GPTConfig:
    base_dim = DEPTH * ASPECT_RATIO
    model_dim = -(-base_dim // HEAD_DIM) * HEAD_DIM
    n_head = model_dim // HEAD_DIM
    return GPTConfig(
        sequence_len=MAX_SEQ_LEN,
        vocab_size=vocab_size,
        n_layer=DEPTH,
        n_head=n_head,
        n_kv_head=n_head,
        n_embd=model_dim,
        window_pattern=WINDOW_PATTERN,
    )


# ---------------------------------------------------------------------------------------------------------------------
# Optimizer: AdamW for embeddings and scalars, Muon for the matrices inside the blocks

POLAR_EXPRESS_COEFFICIENTS = [
    (8.156554524902461, -22.48329292557795, 15.878769915207462),
    (4.042929935166739, -2.808917465908714, 0.5000178451051316),
    (3.8916678022926607, -2.772484153217685, 0.5060648178503393),
    (3.285753657755655, -2.3681294933425376, 0.46449024233003106),
    (2.3465413258596377, -1.7097828382687081, 0.42323551169305323),
]


def maybe_compile(fn, enabled: bool):
    if enabled and hasattr(torch, "compile"):
        return torch.compile(fn, dynamic=False, fullgraph=True)
    return fn


def polar_express(G: torch.Tensor, steps: int = 5) -> torch.Tensor:
    """Approximate the orthogonal polar factor of each matrix in a (K, rows, cols) stack."""
    X = G.bfloat16() if G.is_cuda else G.float()
    X = X / (X.norm(dim=(-2, -1), keepdim=True) * 1.02 + 1e-6)
    tall = X.size(-2) > X.size(-1)
    for a, b, c in POLAR_EXPRESS_COEFFICIENTS[:steps]:
        if tall:
            A = X.mT @ X
            X = a * X + X @ (b * A + c * (A @ A))
        else:
            A = X @ X.mT
            X = a * X + (b * A + c * (A @ A)) @ X
    return X


def adamw_step(p, grad, exp_avg, exp_avg_sq, step, lr, beta1, beta2, eps, weight_decay):
    """One AdamW update, computed in fp32 whatever the parameter's dtype."""
    pf, g = p.float(), grad.float()
    pf.mul_(1 - lr * weight_decay)
    exp_avg.lerp_(g, 1 - beta1)
    exp_avg_sq.lerp_(g.square(), 1 - beta2)
    denominator = (exp_avg_sq / (1 - beta2**step)).sqrt() + eps
    pf.sub_((lr / (1 - beta1**step)) * exp_avg / denominator)
    p.copy_(pf)


def muon_step(params, grads, momentum_buffer, second_moment, momentum, lr, weight_decay, beta2, ns_steps: int, red_dim: int):
    """Nesterov momentum -> Polar Express -> NorMuon variance reduction -> cautious weight decay, on a stack."""
    momentum_buffer.lerp_(grads, 1 - momentum)
    update = grads.lerp(momentum_buffer, momentum)
    update = polar_express(update, ns_steps).float()
    mean_square = update.square().mean(dim=red_dim, keepdim=True)
    second_moment.lerp_(mean_square, 1 - beta2)
    scaled = update * second_moment.clamp_min(1e-10).rsqrt()
    norm_before = update.norm(dim=(-2, -1), keepdim=True)
    norm_after = scaled.norm(dim=(-2, -1), keepdim=True).clamp_min(1e-10)
    update = scaled * (norm_before / norm_after)
    decay_mask = (update * params) >= 0
    params.sub_(lr * update + lr * weight_decay * params * decay_mask)


class MuonAdamW(torch.optim.Optimizer):
    """Groups carry `kind` = "adamw" or "muon"; every group keeps its `initial_lr` for the schedule."""

    def __init__(self, groups, compile_steps: bool = False):
        for group in groups:
            group.setdefault("weight_decay", 0.0)
            group["initial_lr"] = group["lr"]
        super().__init__(groups, {})
        self._compiled = compile_steps and hasattr(torch, "compile")
        self._adamw = maybe_compile(adamw_step, self._compiled)
        self._muon = maybe_compile(muon_step, self._compiled)
        # Compiled steps take 0-dim CPU tensors, so changing values never trigger a recompile; eager steps take floats.
        self._scalars = {name: torch.tensor(0.0) for name in ("step", "lr", "b1", "b2", "eps", "wd", "mom")}

    def _set(self, **values):
        if not self._compiled:
            return [float(value) for value in values.values()]
        for name, value in values.items():
            self._scalars[name].fill_(value)
        return [self._scalars[name] for name in values]

    @torch.no_grad()
    def step(self):
        for group in self.param_groups:
            if group["kind"] == "adamw":
                self._step_adamw(group)
            else:
                self._step_muon(group)

    def _step_adamw(self, group):
        beta1, beta2 = group["betas"]
        for p in group["params"]:
            if p.grad is None:
                continue
            state = self.state[p]
            if not state:
                state["step"] = 0
                state["exp_avg"] = torch.zeros_like(p, dtype=torch.float32)
                state["exp_avg_sq"] = torch.zeros_like(p, dtype=torch.float32)
            state["step"] += 1
            step, lr, b1, b2, eps, wd = self._set(
                step=state["step"], lr=group["lr"], b1=beta1, b2=beta2, eps=group["eps"], wd=group["weight_decay"]
            )
            self._adamw(p, p.grad, state["exp_avg"], state["exp_avg_sq"], step, lr, b1, b2, eps, wd)

    def _step_muon(self, group):
        params = [p for p in group["params"] if p.grad is not None]
        if not params:
            return
        rows, cols = params[0].shape
        state = self.state[params[0]]
        stacked_grads = torch.stack([p.grad for p in params])
        stacked_params = torch.stack([p.detach() for p in params])
        red_dim = -1 if rows >= cols else -2  # statistics along the longer side
        if not state:
            state["momentum_buffer"] = torch.zeros_like(stacked_grads)
            shape = (len(params), rows, 1) if red_dim == -1 else (len(params), 1, cols)
            state["second_moment"] = torch.zeros(shape, dtype=torch.float32, device=stacked_grads.device)
        lr = group["lr"] * math.sqrt(max(1.0, rows / cols))
        momentum, lr_t, wd, b2 = self._set(mom=group["momentum"], lr=lr, wd=group["weight_decay"], b2=group["beta2"])
        self._muon(
            stacked_params, stacked_grads, state["momentum_buffer"], state["second_moment"],
            momentum, lr_t, wd, b2, group["ns_steps"], red_dim,
        )  # fmt: skip
        for p, new in zip(params, stacked_params.unbind(0)):
            p.copy_(new)


def build_optimizer(model: GPT, compile_steps: bool) -> MuonAdamW:
    width_scale = (model.config.n_embd / 768) ** -0.5  # AdamW rates were tuned at width 768
    groups = [
        {"kind": "adamw", "params": [model.lm_head.weight], "lr": UNEMBEDDING_LR * width_scale},
        {"kind": "adamw", "params": [model.wte.weight], "lr": EMBEDDING_LR * width_scale},
        {"kind": "adamw", "params": list(model.value_embeds.parameters()), "lr": EMBEDDING_LR * width_scale},
        {"kind": "adamw", "params": [model.resid_lambdas], "lr": SCALAR_LR * 0.01},
        {"kind": "adamw", "params": [model.x0_lambdas], "lr": SCALAR_LR, "betas": (0.96, 0.95)},
    ]
    for group in groups:
        group.setdefault("betas", ADAM_BETAS)
        group["eps"] = 1e-10
    by_shape: dict = {}
    for p in model.blocks.parameters():
        by_shape.setdefault(tuple(p.shape), []).append(p)
    for shape in sorted(by_shape):
        groups.append(
            {"kind": "muon", "params": by_shape[shape], "lr": MATRIX_LR, "momentum": 0.95, "beta2": 0.95,
             "weight_decay": WEIGHT_DECAY, "ns_steps": 5}
        )  # fmt: skip
    covered = sum(len(g["params"]) for g in groups)
    assert covered == len(list(model.parameters())), "every parameter belongs to exactly one group"
    return MuonAdamW(groups, compile_steps)


def lr_multiplier(progress: float) -> float:
    if progress < WARMUP_RATIO:
        return progress / WARMUP_RATIO
    if progress <= 1 - WARMDOWN_RATIO:
        return 1.0
    cooldown = (1 - progress) / WARMDOWN_RATIO
    return cooldown + (1 - cooldown) * FINAL_LR_FRAC


def muon_momentum(step: int) -> float:
    fraction = min(step / MOMENTUM_WARMUP_STEPS, 1.0)
    return (1 - fraction) * 0.85 + fraction * 0.95


# ---------------------------------------------------------------------------------------------------------------------
# Training


def main():
    device_type = "cuda" if torch.cuda.is_available() else "cpu"
    # the kernel lookup (possibly a download) happens before the wall clock starts
    backend = select_attention_backend(device_type)
    t_start = time.time()
    device = torch.device(device_type)
    torch.manual_seed(SEED)
    if device_type == "cuda":
        torch.cuda.manual_seed(SEED)
        torch.set_float32_matmul_precision("high")
    else:
        torch.set_num_threads(os.cpu_count() or 1)
    autocast = torch.autocast(device_type="cuda", dtype=torch.bfloat16) if device_type == "cuda" else nullcontext()
    compile_enabled = COMPILE and device_type == "cuda" and hasattr(torch, "compile")
    synchronize = torch.cuda.synchronize if device_type == "cuda" else (lambda: None)

    print(f"profile: {PROFILE}; device: {device_type}; torch {torch.__version__}; attention: {backend}")

    tokenizer = Tokenizer.from_directory()
    vocab_size = tokenizer.get_vocab_size()
    print(f"vocab size: {vocab_size:,}")

    config = build_config(vocab_size)
    print(f"model config: {config}")
    try:
        model = GPT(config, device="meta")
        model.to_empty(device=device)
    except (TypeError, RuntimeError, NotImplementedError):  # old PyTorch without a usable meta device
        model = GPT(config, device=device)
    model.init_weights()
    prepare_attention(backend, model.windows, MAX_SEQ_LEN, device)
    counts = model.parameter_counts()
    for name, count in counts.items():
        print(f"parameters {name:<22} {count:,}")
    flops_per_token = model.flops_per_token()
    print(f"estimated FLOPs per token: {flops_per_token:e}")

    tokens_per_micro_batch = DEVICE_BATCH_SIZE * MAX_SEQ_LEN
    assert TOTAL_BATCH_SIZE % tokens_per_micro_batch == 0, "TOTAL_BATCH_SIZE must be a multiple of rows x context"
    grad_accum_steps = TOTAL_BATCH_SIZE // tokens_per_micro_batch

    optimizer = build_optimizer(model, compile_enabled)
    if compile_enabled:
        model = torch.compile(model, dynamic=False)

    loader = make_dataloader(tokenizer, DEVICE_BATCH_SIZE, MAX_SEQ_LEN, "train", device=device)
    x, y, epoch = next(loader)
    print(f"time budget: {TIME_BUDGET}s; gradient accumulation steps: {grad_accum_steps}")

    total_training_time = 0.0
    smooth_loss = 0.0
    step = 0
    while True:
        synchronize()
        t0 = time.time()
        step_loss = torch.zeros((), device=device)
        for _ in range(grad_accum_steps):
            with autocast:
                loss = model(x, y)
            step_loss += loss.detach()
            (loss / grad_accum_steps).backward()
            x, y, epoch = next(loader)
        progress = min(total_training_time / TIME_BUDGET, 1.0)
        lrm = lr_multiplier(progress)
        momentum = muon_momentum(step)
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"] * lrm
            if group["kind"] == "muon":
                group["momentum"] = momentum
                group["weight_decay"] = WEIGHT_DECAY * (1 - progress)
        optimizer.step()
        model.zero_grad(set_to_none=True)
        loss_value = step_loss.item() / grad_accum_steps
        if not math.isfinite(loss_value) or loss_value > 100:
            print(f"\nFAIL: loss is {loss_value} at step {step}")
            sys.exit(1)
        synchronize()
        dt = time.time() - t0
        if step >= UNCOUNTED_STEPS:
            total_training_time += dt

        smooth_loss = 0.9 * smooth_loss + 0.1 * loss_value
        debiased = smooth_loss / (1 - 0.9 ** (step + 1))
        tokens_per_second = TOTAL_BATCH_SIZE / dt
        mfu = 100 * flops_per_token * TOTAL_BATCH_SIZE / dt / H100_BF16_PEAK_FLOPS
        remaining = max(0.0, TIME_BUDGET - total_training_time)
        print(
            f"\rstep {step:05d} ({100 * progress:.1f}%) | loss: {debiased:.6f} | lrm: {lrm:.2f} | dt: {dt * 1000:.0f}ms"
            f" | tok/sec: {tokens_per_second:,.0f} | mfu: {mfu:.1f}% | epoch: {epoch} | remaining: {remaining:.0f}s    ",
            end="",
            flush=True,
        )
        if step == 0:
            # the cycle collector causes long stalls once millions of objects exist; collect by hand instead
            gc.collect()
            if hasattr(gc, "freeze"):
                gc.freeze()
            gc.disable()
        elif step % 5000 == 0:
            gc.collect()
        step += 1
        if step >= UNCOUNTED_STEPS and total_training_time >= TIME_BUDGET:
            break

    print()
    num_steps = step
    counted_steps = num_steps - UNCOUNTED_STEPS
    total_tokens = num_steps * TOTAL_BATCH_SIZE
    model.eval()
    with autocast:
        val_bpb = evaluate_bpb(model, tokenizer, DEVICE_BATCH_SIZE)
    synchronize()
    total_seconds = time.time() - t_start
    peak_vram_mb = torch.cuda.max_memory_allocated() / 1024**2 if device_type == "cuda" else 0.0
    steady_mfu = 100 * flops_per_token * TOTAL_BATCH_SIZE * counted_steps / total_training_time / H100_BF16_PEAK_FLOPS

    print("---")
    print(f"{'val_bpb:':<18}{val_bpb:.6f}")
    print(f"{'training_seconds:':<18}{total_training_time:.1f}")
    print(f"{'total_seconds:':<18}{total_seconds:.1f}")
    print(f"{'peak_vram_mb:':<18}{peak_vram_mb:.1f}")
    print(f"{'mfu_percent:':<18}{steady_mfu:.2f}")
    print(f"{'total_tokens_M:':<18}{total_tokens / 1e6:.1f}")
    print(f"{'num_steps:':<18}{num_steps}")
    print(f"{'num_params_M:':<18}{counts['total'] / 1e6:.1f}")
    print(f"{'depth:':<18}{DEPTH}")


if __name__ == "__main__":
    main()
