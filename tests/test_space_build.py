"""Building modules from specs: shapes, gradients, initialisation, params and FLOPs vs oracles."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from zcphar.errors import ZcpharError
from zcphar.space import (
    CNNSpec,
    Constraints,
    ConvBlock,
    LSTMBlock,
    LSTMSpec,
    build,
    count_flops,
    count_params,
    get_family,
    list_families,
    sample,
)

LONGEST_WINDOW = 128
FAMILIES = [f.name for f in list_families()]


@pytest.fixture(autouse=True, scope="module")
def _one_thread():
    """Tiny models run fastest single-threaded (and do not fight other processes for cores)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def small_specs(family: str, n: int, seed: int = 0) -> list:
    limits = Constraints(max_width=24)
    return sample(n, np.random.default_rng(seed), ratio={family: 1}, constraints=limits)


def layout(spec, in_channels=3, num_classes=6) -> nn.Module:
    """The module structure on the meta device: free to build even at full width."""
    with torch.device("meta"):
        return get_family(spec.family).build(spec, in_channels, num_classes)


@pytest.mark.parametrize("family", FAMILIES)
def test_sampled_specs_give_logits_and_gradients_at_shortest_and_longest_window(family):
    gen = torch.Generator().manual_seed(0)
    for i, spec in enumerate(small_specs(family, 100)):
        model = build(spec, 3, 5, seed=i)
        for window in (spec.min_window, LONGEST_WINDOW):
            logits = model(torch.randn(4, 3, window, generator=gen))
            assert logits.shape == (4, 5) and logits.dtype == torch.float32
            assert torch.isfinite(logits).all()
        nn.functional.cross_entropy(logits, torch.tensor([0, 1, 2, 3])).backward()
        for name, param in model.named_parameters():
            assert param.grad is not None, (spec.describe(), name)
            assert torch.isfinite(param.grad).all() and param.grad.abs().sum() > 0, name


def test_cnn_rejects_windows_shorter_than_min_window():
    spec = CNNSpec((ConvBlock(8, 5, 0.1), ConvBlock(8, 4, 0.1)))
    model = build(spec, 2, 3, seed=0)
    assert model(torch.zeros(1, 2, 8)).shape == (1, 3)
    with pytest.raises(ZcpharError, match="needs >= 8"):
        model(torch.zeros(1, 2, 7))


def test_module_structure_uses_plain_layers():
    cnn = build(CNNSpec((ConvBlock(16, 3, 0.2), ConvBlock(8, 2, 0.4))), 3, 6)
    types = [type(m) for m in cnn.body]
    assert types == [nn.Conv1d, nn.ReLU, nn.Dropout] * 2
    assert [m.p for m in cnn.body if isinstance(m, nn.Dropout)] == [0.2, 0.4]
    conv = cnn.body[0]
    assert (conv.kernel_size, conv.stride, conv.padding) == ((3,), (1,), (0,))
    lstm = build(LSTMSpec((LSTMBlock(16, 0.3), LSTMBlock(8, 0.0))), 3, 6)
    assert [type(m) for m in lstm.body] == [nn.LSTM, nn.Dropout] * 2
    assert [m.p for m in lstm.body if isinstance(m, nn.Dropout)] == [0.3, 0.0]
    assert all(m.num_layers == 1 and m.batch_first for m in lstm.body if isinstance(m, nn.LSTM))
    for model, features in ((cnn, 8), (lstm, 8)):
        assert [type(m) for m in model.head] == [nn.Linear, nn.ReLU, nn.Linear]
        assert (model.head[0].in_features, model.head[0].out_features) == (features, 512)
        assert model.head[2].out_features == 6


def test_cnn_forward_matches_a_hand_written_forward():
    spec = CNNSpec((ConvBlock(8, 3, 0.1), ConvBlock(16, 2, 0.1)))
    model = build(spec, 2, 4, seed=3).eval()
    x = torch.randn(5, 2, 10, generator=torch.Generator().manual_seed(1))
    c1, c2 = model.body[0], model.body[3]
    h = torch.relu(nn.functional.conv1d(x, c1.weight, c1.bias))
    h = torch.relu(nn.functional.conv1d(h, c2.weight, c2.bias))
    h = h.max(dim=2).values
    expected = model.head[2](torch.relu(model.head[0](h)))
    torch.testing.assert_close(model(x), expected)


def test_lstm_forward_uses_the_last_time_step():
    spec = LSTMSpec((LSTMBlock(8, 0.1), LSTMBlock(16, 0.0)))
    model = build(spec, 3, 4, seed=3).eval()
    x = torch.randn(2, 3, 7, generator=torch.Generator().manual_seed(1))
    h = naive_lstm(model.body[0], x.transpose(1, 2))
    h = naive_lstm(model.body[2], h)
    expected = model.head[2](torch.relu(model.head[0](h[:, -1])))
    torch.testing.assert_close(model(x), expected)


def naive_lstm(lstm: nn.LSTM, x: torch.Tensor) -> torch.Tensor:
    """Textbook LSTM with explicit matrix products per step; x (N, T, in) -> (N, T, hidden)."""
    n, hidden = x.shape[0], lstm.hidden_size
    h, c, out = x.new_zeros(n, hidden), x.new_zeros(n, hidden), []
    for t in range(x.shape[1]):
        gates = torch.mm(x[:, t], lstm.weight_ih_l0.T) + torch.mm(h, lstm.weight_hh_l0.T)
        gates = gates + lstm.bias_ih_l0 + lstm.bias_hh_l0
        i, f, g, o = gates.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        h = torch.sigmoid(o) * torch.tanh(c)
        out.append(h)
    return torch.stack(out, dim=1)


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_weights_other_seed_other_weights(family):
    spec = small_specs(family, 1, seed=4)[0]
    a, b, c = (build(spec, 3, 6, seed=s).state_dict() for s in (7, 7, 8))
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=0, atol=0)
    assert any(not torch.equal(a[k], c[k]) for k in a if "weight" in k)


def test_seeded_build_leaves_the_global_rng_alone_and_unseeded_uses_it():
    spec = CNNSpec((ConvBlock(8, 3, 0.1),))
    with torch.random.fork_rng():
        torch.manual_seed(0)
        state = torch.get_rng_state()
        build(spec, 3, 6, seed=1)
        assert torch.equal(torch.get_rng_state(), state)
        first = build(spec, 3, 6).state_dict()
        torch.manual_seed(0)
        second = build(spec, 3, 6).state_dict()
    assert all(torch.equal(first[k], second[k]) for k in first)


def test_xavier_normal_weights_and_zero_biases():
    spec = CNNSpec((ConvBlock(512, 9, 0.1),))
    model = build(spec, 64, 6, seed=0)
    for name, param in model.named_parameters():
        if "bias" in name:
            assert torch.count_nonzero(param) == 0, name
    conv, head = model.body[0].weight, model.head[0].weight
    for w, fan_in, fan_out in ((conv, 64 * 9, 512 * 9), (head, 512, 512)):
        expected_std = math.sqrt(2.0 / (fan_in + fan_out))
        assert abs(w.std().item() / expected_std - 1) < 0.02
        assert abs(w.mean().item()) < 0.02 * expected_std * 10
    lstm = build(LSTMSpec((LSTMBlock(256, 0.1), LSTMBlock(8, 0.0))), 3, 6, seed=0).body[0]
    expected_std = math.sqrt(2.0 / (3 + 4 * 256))  # (4 x 256, 3) matrix
    assert abs(lstm.weight_ih_l0.std().item() / expected_std - 1) < 0.05
    assert torch.count_nonzero(lstm.bias_ih_l0) + torch.count_nonzero(lstm.bias_hh_l0) == 0


def test_default_head_init_is_pytorch_linear_init():
    spec = CNNSpec((ConvBlock(256, 2, 0.1),))
    model = build(spec, 3, 6, seed=0, head_init="default")
    first = model.head[0]
    bound = 1 / math.sqrt(256)  # kaiming_uniform(a=sqrt 5) and bias bound are both 1/sqrt(fan_in)
    for param in (first.weight, first.bias):
        assert param.abs().max() <= bound and param.abs().max() > 0.95 * bound
    assert abs(first.weight.std().item() / (bound / math.sqrt(3)) - 1) < 0.02  # uniform(-b, b)
    assert torch.count_nonzero(model.body[0].bias) == 0
    again = build(spec, 3, 6, seed=0, head_init="default")
    assert torch.equal(again.head[0].weight, first.weight)
    with pytest.raises(ZcpharError, match="'kaiming'; choose one of: xavier, default"):
        build(spec, 3, 6, head_init="kaiming")


@pytest.mark.parametrize("bad", [0, -1, 2.0, True])
def test_bad_shapes_are_rejected(bad):
    with pytest.raises(ZcpharError, match="positive integer"):
        build(CNNSpec((ConvBlock(8, 2, 0.1),)), bad, 6)


@pytest.mark.parametrize("family", FAMILIES)
def test_param_count_matches_the_built_module(family):
    for spec in sample(40, np.random.default_rng(2), ratio={family: 1}):  # full widths, on meta
        model = layout(spec, 9, 11)
        expected = sum(p.numel() for p in model.parameters() if p.requires_grad)
        assert count_params(spec, 9, 11) == expected


def test_param_count_by_hand():
    spec = CNNSpec((ConvBlock(8, 3, 0.1), ConvBlock(16, 2, 0.1)))
    # conv1 3*8*3+8 = 80, conv2 8*16*2+16 = 272, head 16*512+512 + 512*6+6 = 11270
    assert count_params(spec, 3, 6) == 80 + 272 + 8704 + 3078
    spec = LSTMSpec((LSTMBlock(8, 0.1), LSTMBlock(16, 0.0)))
    # lstm1 4*8*(3+8) + 2*4*8 = 416, lstm2 4*16*(8+16) + 2*4*16 = 1664
    assert count_params(spec, 3, 6) == 416 + 1664 + (16 * 512 + 512) + (512 * 6 + 6)


def test_cnn_flops_match_torch_flop_counter():
    specs = sample(10, np.random.default_rng(6), ratio={"cnn": 1}, in_channels=7, window=90)
    for spec in specs + [CNNSpec((ConvBlock(1024, 9, 0.1),) * 7)]:
        model = layout(spec, 7, 12)
        with FlopCounterMode(display=False) as counter:
            model(torch.empty(3, 7, 90, device="meta"))
        assert count_flops(spec, 7, 90, 12) * 3 == counter.get_total_flops(), spec.describe()


def test_lstm_flops_by_hand_and_by_flop_counter_on_a_naive_lstm():
    spec = LSTMSpec((LSTMBlock(8, 0.1), LSTMBlock(16, 0.0)))
    # per step 2 FLOPs x 4 gates x hidden x (in + hidden): 2*4*8*(3+8) = 704, 2*4*16*(8+16) = 3072
    head = 2 * 16 * 512 + 2 * 512 * 6
    assert count_flops(spec, 3, 5, 6) == 5 * 704 + 5 * 3072 + head
    model = build(spec, 3, 6, seed=0).eval()
    x = torch.randn(2, 3, 5, generator=torch.Generator().manual_seed(0))
    with FlopCounterMode(display=False) as counter:
        h = naive_lstm(model.body[2], naive_lstm(model.body[0], x.transpose(1, 2)))
        model.head(h[:, -1])
    assert counter.get_total_flops() == 2 * count_flops(spec, 3, 5, 6)


def test_flops_reject_too_short_windows():
    with pytest.raises(ZcpharError, match="needs >= 3"):
        count_flops(CNNSpec((ConvBlock(8, 3, 0.1),)), 3, 2, 6)
