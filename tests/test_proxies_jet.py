"""grasp by second-order forward mode (zcphar.proxies.jet) against independent oracles: a
float64 central finite difference of the loss, the per-proxy double backward, and the rules of
which models it may take."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch import nn

from zcphar.errors import ZcpharError
from zcphar.proxies import score
from zcphar.proxies.coverage import counted_weights
from zcphar.proxies.fused import choose_hvp, fused_scores
from zcphar.proxies.jet import jet_grasp, jet_supported, jet_synflow
from zcphar.proxies.state import scoring_state
from zcphar.space import Constraints, LSTMBlock, LSTMSpec, build, sample
from zcphar.space.families.lstm import LSTMNet

C, CLASSES, T, N = 3, 4, 12, 10


def batch(seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(seed)
    return torch.randn(N, C, T, generator=g).double(), torch.randint(0, CLASSES, (N,), generator=g)


def lstms(count: int, seed: int = 0) -> list[nn.Module]:
    specs = sample(count, np.random.default_rng(seed), ratio={"lstm": 1},
                   constraints=Constraints(max_width=16), in_channels=C, num_classes=CLASSES,
                   window=T)  # fmt: skip
    models = [build(s, C, CLASSES, seed=i).double() for i, s in enumerate(specs)]
    g = torch.Generator().manual_seed(seed)
    with torch.no_grad():  # non-zero biases, so that no bias term can hide
        for m in models:
            for name, p in m.named_parameters():
                if "bias" in name:
                    p.copy_(torch.rand(p.shape, generator=g, dtype=p.dtype) - 0.5)
    return models


def gradients(model, x, y, coverage) -> dict[int, torch.Tensor]:
    weights = counted_weights(model, coverage)
    grads = torch.autograd.grad(F.cross_entropy(model(x), y), weights)
    return {id(w): g for w, g in zip(weights, grads, strict=True)}


def mixed_difference(model, x, y, u: dict, v: dict, step: float = 1e-5) -> float:
    """``∂²L/∂ε∂δ`` of ``L(θ + εu + δv)`` by a central difference of four plain forwards (a
    small step: a ReLU kink crossed inside the step would spoil it)."""
    params = dict(model.named_parameters())
    base = {n: p.detach().clone() for n, p in params.items()}

    def loss(a: float, b: float) -> float:
        with torch.no_grad():
            for n, p in params.items():
                p.copy_(base[n] + a * u.get(n, 0) + b * v.get(n, 0))
            return float(F.cross_entropy(model(x), y))

    try:
        total = loss(step, step) - loss(step, -step) - loss(-step, step) + loss(-step, -step)
    finally:
        with torch.no_grad():
            for n, p in params.items():
                p.copy_(base[n])
    return total / (4 * step * step)


@pytest.mark.parametrize("coverage", ["extended", "reference"])
def test_jet_equals_a_finite_difference_of_the_loss(coverage: str) -> None:
    """``Wᵀ H g`` from plain forwards alone: u = W and v = g/‖g‖ on the counted weights."""
    x, y = batch()
    for model in lstms(3, seed=1):
        with scoring_state(model):
            grads = gradients(model, x, y, coverage)
            names = {id(p): n for n, p in model.named_parameters()}
            norm = float(torch.sqrt(sum((g * g).sum() for g in grads.values())))
            u = {n: p.detach().clone() for n, p in model.named_parameters() if id(p) in grads}
            v = {names[k]: g / norm for k, g in grads.items()}
            expected = -norm * mixed_difference(model, x, y, u, v)
            found = jet_grasp(model, x, y, grads, N)
        # the difference's rounding: ~1e-16 · L / step² ≈ 1e-6 in units of ‖g‖
        assert found == pytest.approx(expected, rel=1e-4, abs=1e-5 * norm)


def test_jet_equals_the_double_backward_on_sampled_lstms() -> None:
    x, y = batch(2)
    for i, model in enumerate(lstms(6, seed=2)):
        coverage = ("extended", "reference")[i % 2]
        expected = score(model, x, y, ["grasp"], coverage=coverage, path="per_proxy")["grasp"]
        with scoring_state(model):
            for chunk in (None, 3):
                out = fused_scores(model, x, y, ["grasp"], coverage=coverage, hvp="jet",
                                   chunk_size=chunk)  # fmt: skip
                assert out.errors == {}
                assert out.values["grasp"] == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("coverage", ["extended", "reference"])
def test_synflow_jet_equals_the_backward_of_the_absolute_copy(coverage: str) -> None:
    """``dR(|θ| + ε|W|)/dε`` against the per-proxy path (float64 |θ| copy, backward, Σ|W ⊙ ∂R/∂W|),
    on float32 and float64 models with signed biases."""
    x, y = batch()
    for i, model in enumerate(lstms(4, seed=4)):
        model = model.float() if i % 2 else model
        expected = score(model, x.to(model.head[0].weight.dtype), y, ["synflow"],
                         coverage=coverage, path="per_proxy")["synflow"]  # fmt: skip
        found = jet_synflow(model, x.shape[1:], counted_weights(model, coverage))
        assert found == pytest.approx(expected, rel=1e-12)


def test_jet_takes_stacked_layers_without_biases() -> None:
    """An ``nn.LSTM`` of two layers, and one without biases, in the body."""
    model = LSTMNet(LSTMSpec((LSTMBlock(8, 0.1), LSTMBlock(8, 0.0))), C, CLASSES).double()
    model.body[0] = nn.LSTM(C, 8, num_layers=2, batch_first=True).double()
    model.body[2] = nn.LSTM(8, 8, bias=False, batch_first=True).double()
    x, y = batch(3)
    for coverage in ("extended", "reference"):
        expected = score(model, x, y, ["grasp", "synflow"], coverage=coverage, path="per_proxy")
        with scoring_state(model):
            assert jet_supported(model)
            found = fused_scores(model, x, y, ["grasp", "synflow"], coverage=coverage, hvp="jet")
        for name in ("grasp", "synflow"):
            assert found.values[name] == pytest.approx(expected[name], rel=1e-9)


def test_which_models_the_jet_takes() -> None:
    (model,) = lstms(1)
    cnn = build(sample(1, np.random.default_rng(0), ratio={"cnn": 1}, in_channels=C,
                       num_classes=CLASSES, window=T)[0], C, CLASSES)  # fmt: skip
    with scoring_state(model, "off"):
        assert jet_supported(model) and choose_hvp(model, "off") == "jet"
    with scoring_state(model, "on"):
        assert not jet_supported(model) and choose_hvp(model, "on") == "saliency"
    with scoring_state(cnn):
        assert not jet_supported(cnn) and choose_hvp(cnn, "off") == "saliency"

    class Custom(LSTMNet):
        pass

    custom = Custom(LSTMSpec((LSTMBlock(8, 0.1), LSTMBlock(8, 0.0))), C, CLASSES)
    assert not jet_supported(custom)  # a subclass may change the forward
    with scoring_state(model):
        handle = model.head[0].register_forward_hook(lambda m, i, o: o * 2)
        assert not jet_supported(model)  # a hook changes what the forward computes
        handle.remove()
        handle = nn.modules.module.register_module_forward_hook(lambda m, i, o: None)
        assert not jet_supported(model)  # so may a global hook
        handle.remove()
        handle = model.head[2].register_full_backward_hook(lambda m, gi, go: gi)
        assert not jet_supported(model)  # and a backward hook changes the gradients
        handle.remove()
        assert jet_supported(model)
        dropout = model.body[1]

        class Scaled(nn.Dropout):
            def forward(self, h: torch.Tensor) -> torch.Tensor:
                return 3 * h

        model.body[1] = Scaled(0.0)
        assert not jet_supported(model)  # a dropout subclass may compute anything
        model.body[1] = dropout
        assert jet_supported(model)
        model.body[0] = nn.LSTM(C, 8, batch_first=True, bidirectional=True)
        assert not jet_supported(model)


def test_tied_weights_take_the_reverse_mode_forms() -> None:
    model = LSTMNet(LSTMSpec((LSTMBlock(8, 0.1), LSTMBlock(8, 0.0))), C, CLASSES)
    model.body[2].weight_hh_l0 = model.body[0].weight_hh_l0
    with scoring_state(model):
        assert not jet_supported(model) and choose_hvp(model, "off") == "saliency"


def test_float32_jet_keeps_the_precision_of_small_cell_values() -> None:
    """A float32 model whose grasp the cell gate's 2σ(2z) − 1 form got wrong by 5e-4: the jet
    must stay within float32 rounding of the float64 per-proxy value."""
    spec = LSTMSpec((LSTMBlock(16, 0.2), LSTMBlock(104, 0.3), LSTMBlock(112, 0.1),
                     LSTMBlock(16, 0.0)))  # fmt: skip
    model = build(spec, 9, 6, seed=1)
    g = torch.Generator().manual_seed(1)
    x, y = torch.randn(64, 9, 100, generator=g), torch.randint(0, 6, (64,), generator=g)
    expected = score(model.double(), x.double(), y, ["grasp"], path="per_proxy")["grasp"]
    model.float()
    with scoring_state(model):
        found = fused_scores(model, x, y, ["grasp"], hvp="jet").values["grasp"]
    assert found == pytest.approx(expected, rel=1e-5)


def test_jet_is_refused_where_it_does_not_apply() -> None:
    cnn = build(sample(1, np.random.default_rng(0), ratio={"cnn": 1}, in_channels=C,
                       num_classes=CLASSES, window=T)[0], C, CLASSES)  # fmt: skip
    x, y = batch()
    with pytest.raises(ZcpharError, match="jet.*LSTMNet.*saliency"):
        fused_scores(cnn, x.float(), y, ["grasp"], hvp="jet")
