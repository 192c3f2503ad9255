import math
import os
import re
import shutil
import subprocess
import sys

import pytest
import torch
from conftest import EXAMPLE_DIR, smoke_env

SUMMARY_KEYS = [
    "val_bpb",
    "training_seconds",
    "total_seconds",
    "peak_vram_mb",
    "mfu_percent",
    "total_tokens_M",
    "num_steps",
    "num_params_M",
    "depth",
]
SUMMARY_DECIMALS = [6, 1, 1, 1, 2, 1, 0, 1, 0]


def run_train(directory, **env):
    return subprocess.run(
        [sys.executable, "train.py"], cwd=directory, env=smoke_env(**env), capture_output=True, text=True, timeout=180
    )


def parse_summary(stdout: str) -> dict[str, str]:
    lines = stdout.split("\n")
    start = lines.index("---")
    block = lines[start + 1 : start + 1 + len(SUMMARY_KEYS)]
    summary = {}
    for line, key, decimals in zip(block, SUMMARY_KEYS, SUMMARY_DECIMALS):
        assert line[:18] == f"{key}:".ljust(18), line
        value = line[18:]
        pattern = r"-?\d+" if decimals == 0 else rf"-?\d+\.\d{{{decimals}}}|inf|nan"
        assert re.fullmatch(pattern, value), line
        summary[key] = value
    return summary


def test_default_model_has_the_reference_parameter_count():
    code = (
        "import json, torch, train\n"
        "model = train.GPT(train.build_config(8192), device='meta')\n"
        "print(json.dumps({**model.parameter_counts(), 'flops': model.flops_per_token(), 'windows': model.windows}))\n"
    )
    env = smoke_env()
    env.pop("AUTORESEARCH_PROFILE")
    result = subprocess.run([sys.executable, "-c", code], cwd=EXAMPLE_DIR, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    import json

    counts = json.loads(result.stdout.strip().splitlines()[-1])
    assert counts["total"] == 50_332_176
    assert [counts[k] for k in ("wte", "value_embeds", "lm_head", "transformer_matrices", "scalars")] == [
        4_194_304,
        16_777_216,
        4_194_304,
        25_166_336,
        16,
    ]
    assert counts["flops"] == 239_078_400
    assert counts["windows"] == [1024, 1024, 1024, 2048, 1024, 1024, 1024, 2048]


def test_smoke_run_prints_the_summary_with_a_useful_val_bpb(prepared, tokenizer):
    result = run_train(EXAMPLE_DIR)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    summary = parse_summary(result.stdout)
    assert "attention: " in result.stdout
    val_bpb = float(summary["val_bpb"])
    # uniform prediction over the vocabulary, measured on the rows evaluate_bpb scores
    steps = prepared.EVAL_TOKENS // (8 * prepared.MAX_SEQ_LEN)
    loader = prepared.make_dataloader(tokenizer, 8, prepared.MAX_SEQ_LEN, "val", device="cpu")
    lengths = torch.tensor(tokenizer.token_byte_lengths())
    counted, nbytes = 0, 0
    for _ in range(steps):
        _, targets, _ = next(loader)
        b = lengths[targets]
        counted += int((b > 0).sum())
        nbytes += int(b.sum())
    uniform_bound = math.log2(tokenizer.vocab_size) * counted / nbytes
    assert math.isfinite(val_bpb) and 0 < val_bpb < uniform_bound
    assert int(summary["num_steps"]) > 11
    assert float(summary["training_seconds"]) >= prepared.TIME_BUDGET
    assert float(summary["peak_vram_mb"]) == 0.0
    assert int(summary["depth"]) == 2
    assert sum(line.startswith("val_bpb:") for line in result.stdout.split("\n")) == 1


def test_a_nan_loss_fails_fast_without_a_summary(prepared, tmp_path):
    for name in ("prepare.py", "train.py"):
        shutil.copy(EXAMPLE_DIR / name, tmp_path / name)
    source = (tmp_path / "train.py").read_text()
    target = "                loss = model(x, y)\n"
    assert source.count(target) == 1
    (tmp_path / "train.py").write_text(source.replace(target, target.rstrip("\n") + ' * float("nan")\n'))
    result = run_train(tmp_path)
    assert result.returncode == 1
    assert "FAIL" in result.stdout
    assert "\nval_bpb:" not in result.stdout and "---" not in result.stdout.split("\n")


@pytest.fixture(scope="module")
def train_module(prepared):
    import train

    return train


@pytest.mark.parametrize("window", [3, 7, 16])
def test_attention_backends_agree_on_sliding_windows(train_module, window):
    generator = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 16, 2, 8, generator=generator) for _ in range(3))
    backends = ["manual"] + (["sdpa"] if hasattr(torch.nn.functional, "scaled_dot_product_attention") else [])
    # reference: query i attends to keys max(0, i - window)..i, written out one query at a time
    reference = torch.empty_like(q)
    for i in range(16):
        lo = max(0, i - window)
        scores = torch.einsum("bhd,bjhd->bhj", q[:, i], k[:, lo : i + 1]) / 8**0.5
        reference[:, i] = torch.einsum("bhj,bjhd->bhd", scores.softmax(-1), v[:, lo : i + 1])
    for backend in backends:
        train_module._ATTENTION_STATE["backend"] = backend
        assert torch.allclose(train_module.attention(q, k, v, window), reference, atol=1e-5), backend


def test_forcing_fa3_loads_the_kernel_or_says_why_not(train_module, monkeypatch):
    """Forcing fa3 used to return the name without loading it (KeyError: 'fa3' at the first attention call)."""
    import types

    monkeypatch.setenv("AUTORESEARCH_ATTENTION", "fa3")
    state = train_module._ATTENTION_STATE
    state.pop("fa3", None)
    # Without the `kernels` package (or without a GPU): a clear error, not a KeyError later.
    monkeypatch.setitem(sys.modules, "kernels", None)
    with pytest.raises(RuntimeError, match="AUTORESEARCH_ATTENTION=fa3 but FlashAttention-3 did not load"):
        train_module.select_attention_backend("cpu")
    assert "fa3" not in state

    # With a `kernels` package that provides the kernel (stands in for the hub, which needs a GPU and the network):
    # the kernel is loaded, and attention calls it.
    calls = []

    def flash_attn_func(q, k, v, causal, window_size):
        calls.append((causal, window_size))
        return q

    interface = types.SimpleNamespace(flash_attn_func=flash_attn_func)
    fake = types.SimpleNamespace(get_kernel=lambda repo: types.SimpleNamespace(flash_attn_interface=interface))
    monkeypatch.setitem(sys.modules, "kernels", fake)
    try:
        assert train_module.select_attention_backend("cpu") == "fa3"
        state["backend"] = "fa3"
        q = torch.randn(1, 4, 2, 8)
        assert train_module.attention(q, q, q, 3) is q
        assert calls == [(True, (3, 0))]
    finally:
        state.pop("fa3", None)
        state["backend"] = "sdpa"

    monkeypatch.setenv("AUTORESEARCH_ATTENTION", "flash")
    with pytest.raises(ValueError, match="expected one of fa3, flex, sdpa, manual"):
        train_module.select_attention_backend("cpu")


def test_polar_express_is_close_to_orthogonal(train_module):
    generator = torch.Generator().manual_seed(0)
    for shape in ((3, 256, 64), (3, 64, 256), (2, 512, 128)):
        out = train_module.polar_express(torch.randn(*shape, generator=generator))
        singular_values = torch.linalg.svdvals(out)
        assert singular_values.min() > 0.8 and singular_values.max() < 1.2, shape


def test_schedules(train_module):
    assert train_module.lr_multiplier(0.0) == 1.0
    assert train_module.lr_multiplier(0.5) == 1.0
    assert train_module.lr_multiplier(0.75) == pytest.approx(0.5)
    assert train_module.lr_multiplier(1.0) == pytest.approx(0.0)
    assert train_module.muon_momentum(0) == pytest.approx(0.85)
    assert train_module.muon_momentum(150) == pytest.approx(0.90)
    assert train_module.muon_momentum(10_000) == pytest.approx(0.95)


def test_optimizer_groups_cover_every_parameter_once(train_module):
    model = train_module.GPT(train_module.build_config(512))
    model.init_weights()
    optimizer = train_module.build_optimizer(model, compile_steps=False)
    seen = [id(p) for g in optimizer.param_groups for p in g["params"]]
    assert sorted(seen) == sorted(id(p) for p in model.parameters())
    muon_shapes = [tuple(g["params"][0].shape) for g in optimizer.param_groups if g["kind"] == "muon"]
    assert muon_shapes == sorted(muon_shapes)
