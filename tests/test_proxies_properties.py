"""PROXIES.md "Properties worth testing", in both coverages, on small sampled CNNs and LSTMs."""

from __future__ import annotations

import copy
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from zcphar.proxies import score
from zcphar.proxies.jacob_cov import K, jacob_cov_of
from zcphar.space import CNNSpec, Constraints, ConvBlock, LSTMBlock, LSTMSpec, build, sample

C, CLASSES, T, N = 3, 4, 20, 10
COVERAGES = ["extended", "reference"]
BATCH_PROXIES = ["grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow"]


def batch(seed: int = 0, n: int = N) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(n, C, T, generator=g), torch.randint(0, CLASSES, (n,), generator=g)


def sampled(family: str, count: int, seed: int = 0) -> list:
    rng = np.random.default_rng(seed)
    return sample(count, rng, ratio={family: 1}, constraints=Constraints(max_width=16),
                  in_channels=C, num_classes=CLASSES, window=T)  # fmt: skip


def small_models(dtype=torch.float64) -> list[nn.Module]:
    """A CNN and an LSTM of the search space, dropout 0 where p matters."""
    cnn = CNNSpec((ConvBlock(8, 3, 0.2), ConvBlock(16, 5, 0.1)))
    lstm = LSTMSpec((LSTMBlock(8, 0.3), LSTMBlock(16, 0.0)))
    return [build(s, C, CLASSES, seed=1).to(dtype) for s in (cnn, lstm)]


MODEL_IDS = ["cnn", "lstm"]


def counted_by_rule(model: nn.Module, coverage: str) -> list[torch.Tensor]:
    """Independent restatement of the coverage rule (by parameter name and module type)."""
    kinds = (nn.Conv2d, nn.Linear) + ((nn.Conv1d,) if coverage == "extended" else ())
    found = []
    for module in model.modules():
        if isinstance(module, kinds):
            found.append(module.weight)
        elif isinstance(module, nn.LSTM) and coverage == "extended":
            found += [p for n, p in module.named_parameters() if n.startswith("weight_")]
    return found


def scoring_copy(model: nn.Module) -> nn.Module:
    """A train-mode copy with dropout off (the scoring state, restated)."""
    net = copy.deepcopy(model).train()
    for m in net.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    return net


def naive_gradients(model, x, y, coverage):
    net = scoring_copy(model)
    F.cross_entropy(net(x.to(torch.float64)), y).backward()
    return [(w.detach(), w.grad) for w in counted_by_rule(net, coverage)]


@pytest.mark.parametrize("coverage", COVERAGES)
@pytest.mark.parametrize("model", small_models(), ids=MODEL_IDS)
def test_gradient_proxies_against_naive_loop(model, coverage) -> None:
    x, y = batch()
    pairs = naive_gradients(model, x, y, coverage)
    got = score(model, x, y, ["grad_norm", "snip", "plain"], coverage=coverage)
    snip = sum(float((w * g).abs().sum()) for w, g in pairs)
    plain = sum(float((w * g).sum()) for w, g in pairs)
    norm = sum(math.sqrt(float((g * g).sum())) for _, g in pairs)
    assert got["snip"] == pytest.approx(snip, rel=1e-10)
    assert got["plain"] == pytest.approx(plain, rel=1e-9, abs=1e-12 * snip)
    assert got["grad_norm"] == pytest.approx(norm, rel=1e-10)
    assert abs(got["plain"]) <= got["snip"]


def flat_grad(model, x, y, weights):
    return torch.autograd.grad(F.cross_entropy(model(x), y), weights)


@pytest.mark.parametrize("coverage", COVERAGES)
@pytest.mark.parametrize("model", small_models(), ids=MODEL_IDS)
def test_grasp_hessian_gradient_against_finite_difference(model, coverage) -> None:
    x, y = batch()
    x = x.double()
    net = scoring_copy(model)
    weights = counted_by_rule(net, coverage)
    g = [t.detach() for t in flat_grad(net, x, y, weights)]
    eps = 1e-6 / max(float(d.abs().max()) for d in g)  # small: ReLU/max kinks stay put
    with torch.no_grad():
        for w, d in zip(weights, g, strict=True):
            w.add_(eps * d)
    plus = flat_grad(net, x, y, weights)
    with torch.no_grad():
        for w, d in zip(weights, g, strict=True):
            w.sub_(2 * eps * d)
    minus = flat_grad(net, x, y, weights)
    with torch.no_grad():
        for w, d in zip(weights, g, strict=True):
            w.add_(eps * d)
    hg = [(p - m) / (2 * eps) for p, m in zip(plus, minus, strict=True)]
    expected = sum(float((-w.detach() * h).sum()) for w, h in zip(weights, hg, strict=True))
    for path in ("fused", "per_proxy"):
        got = score(model, x, y, ["grasp"], coverage=coverage, path=path)["grasp"]
        assert got == pytest.approx(expected, rel=1e-5, abs=1e-12), path


def gated_fisher(model, x, y, coverage) -> float:
    """Brute force: per-sample, per-channel gates m = 1 after each counted module."""
    net = scoring_copy(model)
    kinds = (nn.Conv2d, nn.Linear) + ((nn.Conv1d, nn.LSTM) if coverage == "extended" else ())
    modules = [m for m in net.modules() if isinstance(m, kinds)]
    gates = []

    def hook(module, inputs, output):
        act = output[0] if isinstance(module, nn.LSTM) else output
        shape = (len(x), 1, act.shape[-1]) if act.dim() == 3 and not isinstance(
            module, nn.Conv1d) else (len(x), act.shape[1]) + (1,) * (act.dim() - 2)  # fmt: skip
        gate = torch.ones(shape, dtype=act.dtype, requires_grad=True)
        gates.append((module, gate))
        gated = act * gate
        return (gated, output[1]) if isinstance(module, nn.LSTM) else gated

    handles = [m.register_forward_hook(hook) for m in modules]
    loss = F.cross_entropy(net(x), y)
    for h in handles:
        h.remove()
    total = 0.0
    for (module, _), grad in zip(gates, torch.autograd.grad(loss, [g for _, g in gates]),
                                    strict=True):  # fmt: skip
        delta = 0.5 * grad.reshape(len(x), -1).pow(2).mean(0)  # (K,)
        fan_in = (4 * (module.input_size + module.hidden_size) if isinstance(module, nn.LSTM)
                  else module.weight[0].numel())  # fmt: skip
        total += float(delta.sum()) * fan_in
    return total


@pytest.mark.parametrize("coverage", COVERAGES)
@pytest.mark.parametrize("model", small_models(), ids=MODEL_IDS)
def test_fisher_against_gated_brute_force(model, coverage) -> None:
    x, y = batch()
    expected = gated_fisher(model, x.double(), y, coverage)
    for path in ("fused", "per_proxy"):
        got = score(model, x, y, ["fisher"], coverage=coverage, path=path)["fisher"]
        assert got == pytest.approx(expected, rel=1e-9), path


@pytest.mark.parametrize("coverage", COVERAGES)
def test_synflow_of_bias_free_relu_maxpool_net(coverage) -> None:
    torch.manual_seed(0)
    net = nn.Sequential(
        nn.Conv1d(C, 6, 3, bias=False), nn.ReLU(), nn.MaxPool1d(2),
        nn.Conv1d(6, 5, 3, bias=False), nn.ReLU(), nn.Flatten(), nn.Linear(5 * 7, CLASSES, bias=False),
    )  # fmt: skip
    x, y = batch()
    absolute = copy.deepcopy(net).double()
    with torch.no_grad():
        for p in absolute.parameters():
            p.abs_()
        r = float(absolute(torch.ones(1, C, T, dtype=torch.float64)).sum())
    layers = 3 if coverage == "extended" else 1
    for path in ("fused", "per_proxy"):
        got = score(net, x, y, ["synflow"], coverage=coverage, path=path)["synflow"]
        assert got == pytest.approx(layers * r, rel=1e-12), path


def test_jacob_cov_bound_and_equality() -> None:
    basis = torch.cat([torch.ones(40, 1), torch.randn(40, 6)], 1).double()
    q, _ = torch.linalg.qr(basis)
    rows = q[:, 1:].T  # 6 orthogonal rows, each orthogonal to ones (zero mean): rho = I
    identity = -6 * (math.log(1 + K) + 1 / (1 + K))
    assert jacob_cov_of(rows) == pytest.approx(identity, rel=1e-12)
    correlated = rows + 0.5 * rows[0]
    assert jacob_cov_of(correlated) < identity <= -6 + 1e-9


@pytest.mark.parametrize("model", small_models(), ids=MODEL_IDS)
def test_jacob_cov_at_most_minus_n_and_permutation_invariant(model) -> None:
    x, y = batch()
    perm = torch.randperm(N, generator=torch.Generator().manual_seed(3))
    for coverage in COVERAGES:
        a = score(model, x, y, ["jacob_cov"], coverage=coverage)["jacob_cov"]
        b = score(model, x[perm], y[perm], ["jacob_cov"], coverage=coverage)["jacob_cov"]
        assert a <= -N and a == pytest.approx(b, rel=1e-9)


def model_state(model: nn.Module) -> list:
    params = [(n, p.detach().clone(), p.requires_grad) for n, p in model.named_parameters()]
    buffers = [(n, b.clone()) for n, b in model.named_buffers()]
    modes = [m.training for m in model.modules()]
    rates = [getattr(m, "p", None) for m in model.modules()]
    return [params, buffers, modes, rates]


def assert_same_state(a: list, b: list) -> None:
    for (n1, t1, r1), (n2, t2, r2) in zip(a[0], b[0], strict=True):
        assert n1 == n2 and r1 == r2 and torch.equal(t1, t2)
    for (n1, t1), (n2, t2) in zip(a[1], b[1], strict=True):
        assert n1 == n2 and torch.equal(t1, t2)
    assert a[2:] == b[2:]


@pytest.mark.parametrize("coverage", COVERAGES)
@pytest.mark.parametrize("model", small_models(torch.float32), ids=MODEL_IDS)
def test_repeatable_and_model_unchanged(model, coverage) -> None:
    model.eval()
    next(model.parameters()).requires_grad_(False)
    before = model_state(model)
    x, y = batch()
    first = score(model, x, y, coverage=coverage)
    second = score(model, x, y, coverage=coverage)
    assert first == second  # bit-identical, no NaN (NaN != NaN would fail too)
    assert_same_state(before, model_state(model))
    score(model, x, y, ["snip", "fisher"], coverage=coverage, dropout="on", path="per_proxy")
    assert_same_state(before, model_state(model))


def test_batchnorm_buffers_restored() -> None:
    model = nn.Sequential(nn.Conv1d(C, 4, 3), nn.BatchNorm1d(4), nn.ReLU(), nn.Flatten(),
                          nn.Linear(4 * (T - 2), CLASSES))  # fmt: skip
    before = model_state(model)
    score(model, *batch(), ["snip", "synflow_bn", "synflow"])
    assert_same_state(before, model_state(model))


def synflow_terms(model: nn.Module) -> dict[int, float]:
    """Per-tensor |W * dR/dW| of a float64 |theta| copy on an all-ones input, by tensor id."""
    net = scoring_copy(model).double()
    with torch.no_grad():
        for p in net.parameters():
            p.abs_()
    net(torch.ones(1, C, T, dtype=torch.float64)).sum().backward()
    return {i: float((p.detach() * p.grad).abs().sum()) for i, p in enumerate(net.parameters())}


@pytest.mark.parametrize("model", small_models(), ids=MODEL_IDS)
def test_every_conv_and_lstm_weight_counts_in_extended(model) -> None:
    """extended - reference = the naive terms of the body's Conv1d/LSTM weights, each > 0."""
    x, y = batch()
    names = ["grad_norm", "snip", "synflow"]
    ext, ref = score(model, x, y, names), score(model, x, y, names, coverage="reference")
    extra = {id(w) for w in counted_by_rule(model, "extended")} - {
        id(w) for w in counted_by_rule(model, "reference")}  # fmt: skip
    body = [i for i, p in enumerate(model.parameters()) if id(p) in extra]
    assert len(body) >= 2
    grads = [p.grad for p in _all_grads(model, x, y)]
    params = list(model.parameters())
    terms = {
        "grad_norm": [float(grads[i].norm()) for i in body],
        "snip": [float((params[i].detach() * grads[i]).abs().sum()) for i in body],
        "synflow": [synflow_terms(model)[i] for i in body],
    }
    for proxy in names:
        assert all(t > 0 for t in terms[proxy]), proxy
        assert ext[proxy] - ref[proxy] == pytest.approx(sum(terms[proxy]), rel=1e-9), proxy


def _all_grads(model, x, y) -> list[nn.Parameter]:
    net = scoring_copy(model)
    F.cross_entropy(net(x.double()), y).backward()
    return list(net.parameters())
