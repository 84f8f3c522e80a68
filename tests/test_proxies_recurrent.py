"""The unrolled LSTM and the saliency forms grasp is taken from, against the library LSTM and
naive autograd."""

from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from zcphar.proxies import score
from zcphar.proxies.recurrent import lstm_saliency, supported, unrolled_lstms
from zcphar.proxies.saliency import grasp_by_saliency_gradient, saliency_term


def _lstm(num_layers: int, batch_first: bool, bias: bool, dropout: float = 0.0) -> nn.LSTM:
    torch.manual_seed(num_layers + 2 * batch_first + 4 * bias)
    return nn.LSTM(3, 5, num_layers=num_layers, batch_first=batch_first, bias=bias,
                   dropout=dropout).double()  # fmt: skip


@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("batch_first", [True, False])
@pytest.mark.parametrize("bias", [True, False])
def test_unrolled_lstm_equals_library(num_layers: int, batch_first: bool, bias: bool) -> None:
    lstm = _lstm(num_layers, batch_first, bias)
    x = torch.randn(4, 7, 3, dtype=torch.float64)
    batch = 7 if not batch_first else 4
    hx = tuple(torch.randn(num_layers, batch, 5, dtype=torch.float64) for _ in range(2))
    for state in (None, hx):
        expected_out, (expected_h, expected_c) = lstm(x, state)
        with unrolled_lstms(lstm) as record:
            out, (h, c) = lstm(x, state)
        assert [t.layer for t in record.complete([lstm])] == list(range(num_layers))
        assert out.is_contiguous()
        torch.testing.assert_close(out, expected_out, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(h, expected_h, rtol=1e-12, atol=1e-12)
        torch.testing.assert_close(c, expected_c, rtol=1e-12, atol=1e-12)
    assert "forward" not in vars(lstm)  # the library forward is back


def test_unrolled_lstm_second_derivatives_equal_library() -> None:
    """H v through the unrolled graph (stack backward = unbind) equals the library's."""
    lstm, head = _lstm(2, True, True), nn.Linear(5, 3).double()
    x, y = torch.randn(6, 9, 3, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2])
    weights = list(lstm.parameters())
    v = [torch.randn_like(w) for w in weights]

    def hessian_vector(unrolled: bool) -> list[torch.Tensor]:
        with unrolled_lstms(lstm, unrolled):
            loss = F.cross_entropy(head(lstm(x)[0][:, -1]), y)
        grads = torch.autograd.grad(loss, weights, create_graph=True)
        return torch.autograd.grad(
            sum((a * b).sum() for a, b in zip(v, grads, strict=True)), weights
        )

    for a, b in zip(hessian_vector(True), hessian_vector(False), strict=True):
        torch.testing.assert_close(a, b, rtol=1e-10, atol=1e-12)


def test_unsupported_lstms_keep_the_library_forward() -> None:
    bidirectional = nn.LSTM(3, 4, bidirectional=True)
    projected = nn.LSTM(3, 4, proj_size=2)
    assert not supported(bidirectional) and not supported(projected) and supported(nn.LSTM(3, 4))

    class Custom(nn.LSTM):
        def forward(self, input, hx=None):
            return super().forward(input, hx)[0].tanh()

    custom = Custom(3, 4)
    model = nn.ModuleList([bidirectional, projected, custom])
    with unrolled_lstms(model) as record:
        for lstm in model:
            lstm(torch.randn(5, 2, 3))
        assert not any("forward" in vars(m) for m in model) and record.traces == []


def test_unrolled_lstm_falls_back_and_restores() -> None:
    """Unbatched and packed input run the library LSTM (and count as calls); the library
    forward is back after an exception."""
    lstm = _lstm(1, True, True)
    packed = nn.utils.rnn.pack_padded_sequence(torch.randn(2, 4, 3, dtype=torch.float64),
                                               [4, 2], batch_first=True)  # fmt: skip
    expected = lstm(packed)[0].data
    with unrolled_lstms(lstm) as record:
        torch.testing.assert_close(lstm(packed)[0].data, expected)
        lstm(torch.randn(4, 3, dtype=torch.float64))
        lstm(torch.randn(2, 4, 3, dtype=torch.float64))
    assert record.calls[lstm] == 3 and record.complete([lstm]) == []  # called thrice
    with pytest.raises(RuntimeError), unrolled_lstms(lstm):
        lstm(torch.randn(2, 4, 7, dtype=torch.float64))  # wrong input size
    assert "forward" not in vars(lstm)


@pytest.mark.parametrize("bias", [True, False])
def test_lstm_saliency_equals_weight_dot_gradient(bias: bool) -> None:
    """``⟨G − b, ∂L/∂P⟩`` = Σ ⟨W, ∂L/∂W⟩ over weight_ih and weight_hh, by naive autograd."""
    lstm, head = _lstm(2, True, bias), nn.Linear(5, 3).double()
    x, y = torch.randn(6, 9, 3, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2])
    with unrolled_lstms(lstm) as record:
        loss = F.cross_entropy(head(lstm(x)[0][:, -1]), y)
    traces = record.complete([lstm])
    weights = [p for n, p in lstm.named_parameters() if n.startswith("weight")]
    found = torch.autograd.grad(loss, weights + [t.projection for t in traces])
    expected = sum(
        float((w.detach() * g).sum()) for w, g in zip(weights, found[: len(weights)], strict=True)
    )
    grad_of = {id(t.projection): g for t, g in zip(traces, found[len(weights) :], strict=True)}
    assert float(lstm_saliency(traces, grad_of).detach()) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(
    "module, shape",
    [
        (nn.Conv1d(3, 4, 3), (5, 3, 11)),
        (nn.Conv1d(3, 4, 3, bias=False, stride=2, padding=1), (5, 3, 11)),
        (nn.Conv2d(3, 4, (2, 3), groups=1), (5, 3, 6, 7)),
        (nn.Linear(3, 4), (5, 3)),
        (nn.Linear(3, 4), (5, 8, 3)),  # sequence input: bias on the last axis
    ],
)
def test_saliency_term_equals_weight_dot_gradient(module: nn.Module, shape: tuple) -> None:
    module = module.double()
    x = torch.randn(*shape, dtype=torch.float64)
    out = module(x)
    loss = (out.tanh() * torch.linspace(-1, 1, out.numel(), dtype=torch.float64).view_as(out)).sum()
    grad_w, grad_out = torch.autograd.grad(loss, [module.weight, out])
    expected = float((module.weight * grad_w).sum())
    assert float(saliency_term(module, out, grad_out)) == pytest.approx(expected, rel=1e-12)


def test_grasp_by_saliency_gradient_equals_w_dot_hessian_gradient() -> None:
    """``gᵀ∇φ − ‖g‖²`` = ``Wᵀ H g`` with H g from a float64 central difference of the gradient."""
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.Tanh(), nn.Linear(6, 3)).double()
    x, y = torch.randn(10, 4, dtype=torch.float64), torch.arange(10) % 3
    weights = [net[0].weight, net[2].weight]

    def gradient() -> list[torch.Tensor]:
        return list(torch.autograd.grad(F.cross_entropy(net(x), y), weights))

    grads = gradient()
    loss = F.cross_entropy(net(x), y)
    found = torch.autograd.grad(loss, weights, create_graph=True)
    phi = sum((w * g).sum() for w, g in zip(weights, found[: len(weights)], strict=True))
    value = grasp_by_saliency_gradient(phi, [g.detach() for g in grads], weights)
    eps, shifted = 1e-5, []
    for sign in (1, -1):
        with torch.no_grad():
            for w, g in zip(weights, grads, strict=True):
                w += sign * eps * g
        shifted.append(gradient())
        with torch.no_grad():
            for w, g in zip(weights, grads, strict=True):
                w -= sign * eps * g
    hg = [(a - b) / (2 * eps) for a, b in zip(*shifted, strict=True)]
    expected = -sum(float((w * h).sum()) for w, h in zip(weights, hg, strict=True))
    assert value == pytest.approx(expected, rel=1e-7)


class SharedHead(nn.Module):
    """The head is registered before the body and one Linear is called twice: the saliency form
    of grasp falls back to ``⟨W, ĝ_W⟩`` for it, and fisher refuses a module called twice."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(6, 3)
        self.conv = nn.Conv1d(3, 6, 3)
        self.mix = nn.Linear(6, 6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x).relu().amax(2)
        return self.head(self.mix(self.mix(h).tanh()))


def test_module_order_and_shared_modules_agree_with_per_proxy() -> None:
    torch.manual_seed(1)
    model = SharedHead().double()
    x, y = torch.randn(8, 3, 12, dtype=torch.float64), torch.arange(8) % 3
    names = ["grasp", "snip", "jacob_cov"]
    fused, ref = score(model, x, y, names), score(model, x, y, names, path="per_proxy")
    for name in names:
        assert fused[name] == pytest.approx(ref[name], rel=1e-9), name


class HeadFirst(nn.Module):
    """Registered head, then body; called body, then head."""

    def __init__(self) -> None:
        super().__init__()
        self.head = nn.Linear(6, 3)
        self.conv = nn.Conv1d(3, 6, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.conv(x).relu().amax(2))


def test_fisher_pairs_activations_with_their_modules() -> None:
    torch.manual_seed(2)
    model = HeadFirst().double()
    x, y = torch.randn(8, 3, 12, dtype=torch.float64), torch.arange(8) % 3
    fused = score(model, x, y, ["fisher", "grasp"])
    ref = score(model, x, y, ["fisher", "grasp"], path="per_proxy")
    assert fused["fisher"] == pytest.approx(ref["fisher"], rel=1e-9)
    assert fused["grasp"] == pytest.approx(ref["grasp"], rel=1e-9)


def test_fisher_sums_the_calls_of_a_module_called_twice() -> None:
    model = SharedHead().double()
    x, y = torch.randn(8, 3, 12, dtype=torch.float64), torch.arange(8) % 3
    fused = score(model, x, y, ["fisher"])["fisher"]
    assert fused == pytest.approx(score(model, x, y, ["fisher"], path="per_proxy")["fisher"],
                                  rel=1e-9)  # fmt: skip


class Tricky(nn.Module):
    """What the saliency form of grasp must notice: an output changed in place (with a bias),
    a weight also used outside its module, or weights tied between two modules."""

    def __init__(self, case: str) -> None:
        super().__init__()
        self.case = case
        self.conv = nn.Conv1d(3, 6, 3)
        self.fc, self.out = nn.Linear(6, 6), nn.Linear(6, 3)
        if case == "tied":
            self.out2 = nn.Linear(6, 3)
            self.out2.weight = self.out.weight
        with torch.no_grad():
            for p in self.parameters():
                p.uniform_(-0.6, 0.6)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv(x)
        h = nn.functional.relu(h, inplace=True) if self.case == "inplace" else h.relu()
        h = self.fc(h.amax(2) + h.mean(2))
        if self.case == "outside":
            h = h + nn.functional.linear(h.tanh(), self.fc.weight)
        z = self.out(h.tanh())
        return z + self.out2(h.sin()) if self.case == "tied" else z


@pytest.mark.parametrize("case", ["inplace", "outside", "tied"])
def test_saliency_grasp_falls_back_where_its_assumptions_fail(case: str) -> None:
    torch.manual_seed(3)
    model = Tricky(case).double()
    x, y = torch.randn(8, 3, 12, dtype=torch.float64), torch.arange(8) % 3
    # (per-proxy snip's functional_call refuses tied weights)
    names = ["grasp", "fisher"] + (["snip"] if case != "tied" else [])
    fused, ref = score(model, x, y, names), score(model, x, y, names, path="per_proxy")
    for name in names:
        assert fused[name] == pytest.approx(ref[name], rel=1e-9), name


def test_a_fisher_failure_leaves_the_other_proxies() -> None:
    from zcphar.proxies import score_detailed

    class TwoLayer(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lstm, self.head = nn.LSTM(3, 4, num_layers=2, batch_first=True), nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return self.head(self.lstm(x.transpose(1, 2))[0][:, -1])

    torch.manual_seed(4)
    model = TwoLayer().double()
    x, y = torch.randn(8, 3, 12, dtype=torch.float64), torch.arange(8) % 3
    result = score_detailed(model, x, y, ["fisher", "grasp", "snip", "jacob_cov"])
    assert "single-layer" in result.errors["fisher"] and set(result.errors) == {"fisher"}
    ref = score(model, x, y, ["grasp", "snip", "jacob_cov"], path="per_proxy")
    for name, value in ref.items():
        assert result.values[name] == pytest.approx(value, rel=1e-9), name


def test_fisher_of_a_time_first_lstm_equals_its_batch_first_twin() -> None:
    class Net(nn.Module):
        def __init__(self, batch_first: bool) -> None:
            super().__init__()
            self.batch_first = batch_first
            self.lstm, self.head = nn.LSTM(3, 4, batch_first=batch_first), nn.Linear(4, 3)

        def forward(self, x: torch.Tensor) -> torch.Tensor:  # x (N, C, T)
            seq = x.transpose(1, 2) if self.batch_first else x.permute(2, 0, 1)
            out = self.lstm(seq)[0]
            return self.head(out[:, -1] if self.batch_first else out[-1])

    torch.manual_seed(5)
    first, twin = Net(True).double(), Net(False).double()
    twin.load_state_dict(first.state_dict())
    x, y = torch.randn(8, 3, 12, dtype=torch.float64), torch.arange(8) % 3
    expected = score(first, x, y, ["fisher"])["fisher"]
    for path in ("fused", "per_proxy"):
        assert score(twin, x, y, ["fisher"], path=path)["fisher"] == pytest.approx(
            expected, rel=1e-9
        )


def test_unrolled_lstm_in_eval_mode_skips_inter_layer_dropout() -> None:
    lstm = _lstm(2, True, True, dropout=0.5).eval()
    x = torch.randn(4, 6, 3, dtype=torch.float64)
    expected = lstm(x)[0]
    with unrolled_lstms(lstm):
        torch.testing.assert_close(lstm(x)[0], expected, rtol=1e-12, atol=1e-12)
    lstm.train()
    with unrolled_lstms(lstm):  # train mode: inter-layer dropout is drawn, so outputs differ
        assert not torch.allclose(lstm(x)[0], expected)
