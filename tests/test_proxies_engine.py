"""The engine: fused == per-proxy on sampled architectures, chunking, out-of-memory retry,
failure policy, baselines, the fixed pool batch and score_spec rows."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import torch
from torch import nn

from zcphar.data.types import PreparedDataset, Split
from zcphar.errors import ZcpharError
from zcphar.proxies import fixed_batch, score, score_detailed, score_spec
from zcphar.space import CNNSpec, Constraints, ConvBlock, build, count_flops, count_params, sample

C, CLASSES, T, N = 3, 4, 16, 8
PAPER = ["grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow", "synflow_bn"]


def batch(seed: int = 0, n: int = N) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, C, T, generator=g), torch.randint(0, CLASSES, (n,), generator=g)


def sampled(family: str, count: int, seed: int = 0) -> list:
    return sample(count, np.random.default_rng(seed), ratio={family: 1},
                  constraints=Constraints(max_width=16), in_channels=C, num_classes=CLASSES,
                  window=T)  # fmt: skip


def relative(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


@pytest.mark.parametrize("family", ["cnn", "lstm"])
def test_fused_equals_per_proxy_on_20_sampled(family: str) -> None:
    x, y = batch()
    for i, spec in enumerate(sampled(family, 20)):
        model = build(spec, C, CLASSES, seed=i).double()
        coverage = ("extended", "reference")[i % 2]
        fused = score_detailed(model, x, y, PAPER, coverage=coverage)
        ref = score_detailed(model, x, y, PAPER, coverage=coverage, path="per_proxy")
        assert fused.errors == {} and ref.errors == {}
        for name in PAPER:
            assert relative(fused.values[name], ref.values[name]) <= 1e-6, (spec.describe(), name)


@pytest.mark.parametrize("family", ["cnn", "lstm"])
def test_fused_equals_per_proxy_in_float32(family: str) -> None:
    """float32: rel 1e-6 (CNNs) or 1e-5 (LSTMs: the saliency form's unrolled LSTM takes the cell
    gate as 2σ(2z) − 1, off tanh by float32 rounding; the jets take a true tanh), except the
    signed sums (plain, grasp) whose rounding error scales with the unsigned sums: there |fused - per_proxy| <= 1e-5 *
    (snip or |W|·|Hg|-sized) scale. float64 agreement is tested to 1e-6 above."""
    x, y = batch(1)
    tolerance = 1e-6 if family == "cnn" else 1e-5
    for i, spec in enumerate(sampled(family, 5, seed=1)):
        model = build(spec, C, CLASSES, seed=i)
        fused = score(model, x, y, PAPER)
        ref = score(model, x, y, PAPER, path="per_proxy")
        for name in ("grad_norm", "snip", "fisher", "jacob_cov", "synflow"):
            assert relative(fused[name], ref[name]) <= tolerance, (spec.describe(), name)
        assert fused["plain"] == pytest.approx(ref["plain"], abs=1e-5 * ref["snip"])
        assert fused["grasp"] == pytest.approx(ref["grasp"], rel=1e-4, abs=1e-9)


@pytest.mark.parametrize("family", ["cnn", "lstm"])
def test_chunked_equals_unchunked(family: str) -> None:
    x, y = batch(2)
    for i, spec in enumerate(sampled(family, 4, seed=2)):
        model = build(spec, C, CLASSES, seed=i).double()
        whole = score(model, x, y, PAPER)
        for chunk in (2, 5):
            parts = score_detailed(model, x, y, PAPER, chunk_size=chunk)
            assert parts.chunk_size == chunk
            for name in PAPER:
                assert relative(parts.values[name], whole[name]) <= 1e-9, (chunk, name)


def test_chunked_jvp_hessian_product_matches() -> None:
    from zcphar.proxies.fused import fused_scores
    from zcphar.proxies.state import scoring_state

    model = build(sampled("cnn", 1, seed=3)[0], C, CLASSES, seed=0).double()
    x, y = batch(3)
    expected = score(model, x.double(), y, ["grasp"])["grasp"]
    with scoring_state(model):
        for chunk in (None, 3):
            out = fused_scores(model, x.double(), y, ["grasp"], chunk_size=chunk, hvp="jvp")
            assert relative(out.values["grasp"], expected) <= 1e-9


@pytest.mark.parametrize("family", ["cnn", "lstm"])
def test_grasp_methods_agree_with_per_proxy(family: str) -> None:
    """saliency, the H g vector by double backward (and jvp for CNNs, jets for LSTMs), on
    models with random biases, all equal the per-proxy path (the library LSTM, two forwards,
    H g vector)."""
    from zcphar.proxies.fused import fused_scores
    from zcphar.proxies.state import scoring_state

    x, y = batch(5)
    methods = ["saliency", "double_backward"] + (["jvp"] if family == "cnn" else ["jet"])
    for i, spec in enumerate(sampled(family, 4, seed=5)):
        model = build(spec, C, CLASSES, seed=i).double()
        with torch.no_grad():
            for name, p in model.named_parameters():
                if "bias" in name:
                    p.uniform_(-0.5, 0.5)
        expected = score(model, x.double(), y, ["grasp"], path="per_proxy")["grasp"]
        with scoring_state(model):
            for m in methods:
                found = fused_scores(model, x.double(), y, ["grasp"], hvp=m)
                assert found.errors == {}
                assert relative(found.values["grasp"], expected) <= 1e-9, (spec.describe(), m)


def test_unknown_or_inexact_grasp_method_is_refused() -> None:
    from zcphar.proxies.fused import fused_scores

    model = build(sampled("cnn", 1)[0], C, CLASSES, seed=0)
    with pytest.raises(ZcpharError, match="saliency.*jet.*double_backward.*jvp"):
        fused_scores(model, *batch(), ["grasp"], hvp="newton")
    with pytest.raises(ZcpharError, match="jvp.*dropout off"):
        fused_scores(model, *batch(), ["grasp"], hvp="jvp", dropout="on")


class ChunkLimited(nn.Module):
    """Raises torch.OutOfMemoryError for batches above `limit` windows."""

    def __init__(self, inner: nn.Module, limit: int) -> None:
        super().__init__()
        self.inner, self.limit, self.sizes = inner, limit, []

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        self.sizes.append(len(x))
        if len(x) > self.limit:
            raise torch.OutOfMemoryError(f"batch of {len(x)} does not fit")
        return self.inner(x)


def test_out_of_memory_retries_with_smaller_chunks() -> None:
    inner = build(sampled("cnn", 1, seed=4)[0], C, CLASSES, seed=0).double()
    x, y = batch(4)
    limited = ChunkLimited(inner, limit=3)
    result = score_detailed(limited, x, y, ["snip", "fisher", "jacob_cov", "grasp"])
    assert result.chunk_size == 2 and result.errors == {}
    expected = score(inner, x, y, ["snip", "fisher", "jacob_cov", "grasp"])
    for name, value in expected.items():
        assert relative(result.values[name], value) <= 1e-9, name


class Blowup(nn.Module):
    """Logits are inf: every loss-based proxy fails."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(C * T, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x.flatten(1)) * math.inf


class IgnoresInput(nn.Module):
    """Output independent of the input: the input Jacobian is zero, jacob_cov undefined."""

    def __init__(self) -> None:
        super().__init__()
        self.fc = nn.Linear(C * T, CLASSES)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.ones_like(x).flatten(1)) + 0 * x.flatten(1)[:, :1]


def test_inf_model_gives_nan_with_reasons() -> None:
    result = score_detailed(Blowup(), *batch(), PAPER)
    for name in ("grad_norm", "snip", "plain", "grasp", "fisher"):
        assert math.isnan(result.values[name]) and result.errors[name], name


def test_one_failing_proxy_leaves_the_others() -> None:
    result = score_detailed(IgnoresInput(), *batch(), PAPER)
    assert math.isnan(result.values["jacob_cov"]) and "correlation" in result.errors["jacob_cov"]
    assert all(math.isfinite(result.values[n]) for n in PAPER if n != "jacob_cov")


def test_bad_arguments_raise() -> None:
    model, (x, y) = Blowup(), batch()
    with pytest.raises(ZcpharError, match="unknown coverage 'full'"):
        score(model, x, y, coverage="full")
    with pytest.raises(ZcpharError, match="unknown dropout policy"):
        score(model, x, y, dropout="maybe")
    with pytest.raises(ZcpharError, match="unknown scoring path"):
        score(model, x, y, path="fast")
    with pytest.raises(ZcpharError, match="validation split"):
        score(model, x, y, ["initial_val_f1"])
    with pytest.raises(ZcpharError, match="unknown proxy"):
        score(model, x, y, ["snap"])


def test_dropout_on_is_random_but_seedable() -> None:
    model = build(CNNSpec((ConvBlock(8, 3, 0.5),)), C, CLASSES, seed=0)
    x, y = batch()
    torch.manual_seed(5)
    a = score(model, x, y, ["snip"], dropout="on")
    torch.manual_seed(5)
    b = score(model, x, y, ["snip"], dropout="on")
    off = score(model, x, y, ["snip"])
    assert a == b and a != off


@pytest.mark.parametrize("family", ["cnn", "lstm"])
def test_params_and_flops_match_the_space_formulas(family: str) -> None:
    for spec in sampled(family, 3, seed=6):
        model = build(spec, C, CLASSES, seed=0)
        for path in ("fused", "per_proxy"):
            got = score(model, *batch(), ["params", "flops"], path=path)
            assert got["params"] == count_params(spec, C, CLASSES)
            assert got["flops"] == count_flops(spec, C, T, CLASSES)


def constant_classifier(label: int) -> nn.Module:
    net = nn.Sequential(nn.Flatten(), nn.Linear(C * T, CLASSES))
    with torch.no_grad():
        net[1].weight.zero_()
        net[1].bias.copy_(torch.nn.functional.one_hot(torch.tensor(label), CLASSES).float())
    return net


def test_initial_val_f1_against_hand_computation() -> None:
    y_val = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 3])
    x_val = torch.randn(len(y_val), C, T)
    # Always class 2: precision 4/10, recall 1 -> F1 = 2*0.4/(1.4); other classes 0; mean over 4.
    expected = (2 * 0.4 / 1.4) / 4
    for path in ("fused", "per_proxy"):
        got = score(constant_classifier(2), *batch(), ["initial_val_f1"], val=(x_val, y_val),
                    path=path)  # fmt: skip
        assert got["initial_val_f1"] == pytest.approx(expected, rel=1e-12)


def toy_split(n: int = 50) -> Split:
    x = np.arange(n * C * T, dtype=np.float32).reshape(n, C, T)
    return Split(x, np.arange(n) % CLASSES, np.zeros(n, dtype=np.int64))


def test_fixed_batch_is_seeded_recorded_and_exact() -> None:
    split = toy_split()
    a, b, c = (
        fixed_batch(split, 16, seed=0),
        fixed_batch(split, 16, seed=0),
        fixed_batch(split, 16, 1),
    )
    assert np.array_equal(a.indices, b.indices) and a.digest == b.digest
    assert not np.array_equal(a.indices, c.indices) and a.digest != c.digest
    assert len(set(a.indices.tolist())) == 16 and np.all(np.diff(a.indices) > 0)
    assert torch.equal(a.x, torch.from_numpy(split.X[a.indices]))
    assert a.y.dtype == torch.int64 and torch.equal(a.y, torch.from_numpy(split.y[a.indices]))
    assert len(fixed_batch(split, 500).indices) == 50
    with pytest.raises(ZcpharError, match="bad batch size 0"):
        fixed_batch(split, 0)


def toy_data() -> PreparedDataset:
    meta = {"classes": [f"c{k}" for k in range(CLASSES)], "name": "toy"}
    return PreparedDataset(toy_split(40), toy_split(12), toy_split(12), meta)


def test_score_spec_row_and_bad_architecture() -> None:
    data = toy_data()
    batch_ = fixed_batch(data.train, 8, seed=0)
    spec = sampled("cnn", 1, seed=7)[0]
    row = score_spec(spec, data, batch_, ["snip", "initial_val_f1", "params"], seed=3)
    assert row["id"] == spec.id and row["family"] == "cnn" and json.loads(row["errors"]) == {}
    assert row["batch_size"] == 8 and row["batch_hash"] == batch_.digest and row["seed"] == 3
    model = build(spec, C, CLASSES, seed=3)
    assert row["snip"] == score(model, batch_.x, batch_.y, ["snip"])["snip"]
    assert row["params"] == count_params(spec, C, CLASSES) and row["seconds_first_order"] > 0
    too_long = CNNSpec((ConvBlock(8, 8, 0.1), ConvBlock(8, 8, 0.1), ConvBlock(8, 8, 0.1)))
    bad = score_spec(too_long, data, batch_, ["snip", "synflow"])
    assert math.isnan(bad["snip"]) and "window" in json.loads(bad["errors"])["snip"]
