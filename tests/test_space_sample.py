"""Sampling: reproducibility (committed ids), distributions of Table I, constraints and errors."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
import torch
from scipy import stats

from zcphar.errors import ZcpharError
from zcphar.space import Constraints, count_flops, get_family, sample

DATA = Path(__file__).parent / "data"
P_MIN = 1e-3  # a fixed seed makes these deterministic; the threshold only says "plausible"


def committed(name: str) -> list[tuple[str, str]]:
    lines = (DATA / name).read_text().splitlines()
    return [tuple(line.split(" ", 1)) for line in lines if line and not line.startswith("#")]


def test_seed_0_reproduces_the_committed_list():
    got = [(s.id, s.describe()) for s in sample(24, np.random.default_rng(0))]
    assert got == committed("space_seed0_ids.txt")


def test_seed_0_with_constraints_reproduces_the_committed_list():
    limits = Constraints(max_params=100_000, max_flops=2_000_000, max_layers=3, max_width=64)
    specs = sample(
        12, np.random.default_rng(0), constraints=limits, in_channels=6, num_classes=8, window=40
    )
    assert [(s.id, s.describe()) for s in specs] == committed("space_seed0_constrained_ids.txt")


def test_same_seed_same_list_other_seed_other_list():
    assert sample(50, np.random.default_rng(11)) == sample(50, np.random.default_rng(11))
    assert sample(50, np.random.default_rng(11)) != sample(50, np.random.default_rng(12))
    assert sample(0, np.random.default_rng(0)) == []


def uniform_p(values, choices) -> float:
    """Chi-square p-value of `values` against the uniform distribution over `choices`."""
    counts = Counter(values)
    assert set(counts) <= set(choices), set(counts) - set(choices)
    return stats.chisquare([counts[c] for c in choices]).pvalue


@pytest.fixture(scope="module")
def many():
    return sample(4000, np.random.default_rng(2024))


def test_default_ratio_is_three_cnn_to_one_lstm(many):
    cnn = sum(s.family == "cnn" for s in many)
    assert stats.binomtest(cnn, len(many), 0.75).pvalue > P_MIN
    assert abs(cnn / len(many) - 0.75) < 0.03


def test_cnn_choices_are_uniform_over_table_1(many):
    cnns = [s for s in many if s.family == "cnn"]
    blocks = [b for s in cnns for b in s.blocks]
    assert uniform_p([len(s.blocks) for s in cnns], range(1, 8)) > P_MIN
    assert uniform_p([b.channels for b in blocks], range(8, 1025, 8)) > P_MIN
    assert uniform_p([b.kernel for b in blocks], range(2, 10)) > P_MIN
    assert uniform_p([b.dropout for b in blocks], [0.1, 0.2, 0.3, 0.4, 0.5]) > P_MIN


def test_lstm_choices_are_uniform_over_table_1(many):
    lstms = [s for s in many if s.family == "lstm"]
    blocks = [b for s in lstms for b in s.blocks]
    assert uniform_p([len(s.blocks) for s in lstms], [2, 3, 4]) > P_MIN
    assert uniform_p([b.hidden for b in blocks], range(8, 505, 8)) > P_MIN
    inner = [b.dropout for s in lstms for b in s.blocks[:-1]]
    assert uniform_p(inner, [0.1, 0.2, 0.3, 0.4, 0.5]) > P_MIN
    assert {s.blocks[-1].dropout for s in lstms} == {0.0}


@pytest.mark.parametrize("ratio, cnn_share", [({"cnn": 1, "lstm": 1}, 0.5), ({"lstm": 2}, 0.0)])
def test_ratio_sets_the_family_share(ratio, cnn_share):
    specs = sample(800, np.random.default_rng(5), ratio=ratio)
    cnn = sum(s.family == "cnn" for s in specs)
    if cnn_share == 0:
        assert cnn == 0
    else:
        assert stats.binomtest(cnn, len(specs), cnn_share).pvalue > P_MIN


def params_of_module(spec, in_channels, num_classes) -> int:
    with torch.device("meta"):
        model = get_family(spec.family).build(spec, in_channels, num_classes)
    return sum(p.numel() for p in model.parameters())


def test_constraints_are_respected_and_keep_the_ratio():
    limits = Constraints(max_params=60_000, max_flops=1_500_000, max_layers=3, max_width=96)
    specs = sample(
        600, np.random.default_rng(8), constraints=limits, in_channels=4, num_classes=5, window=30
    )
    for spec in specs:
        widths = [getattr(b, "channels", getattr(b, "hidden", None)) for b in spec.blocks]
        assert len(spec.blocks) <= 3 and max(widths) <= 96
        assert params_of_module(spec, 4, 5) <= 60_000
        assert count_flops(spec, 4, 30, 5) <= 1_500_000
    cnn = sum(s.family == "cnn" for s in specs)
    assert stats.binomtest(cnn, len(specs), 0.75).pvalue > P_MIN


def test_max_width_restricts_the_choices_uniformly():
    specs = sample(
        1000, np.random.default_rng(9), ratio={"cnn": 1}, constraints=Constraints(max_width=64)
    )
    assert uniform_p([b.channels for s in specs for b in s.blocks], range(8, 65, 8)) > P_MIN


def test_every_cnn_fits_a_short_window():
    specs = sample(300, np.random.default_rng(10), ratio={"cnn": 1}, window=6)
    assert all(1 + sum(b.kernel - 1 for b in s.blocks) <= 6 for s in specs)
    assert {len(s.blocks) for s in specs} >= {
        1,
        2,
        3,
    }  # deeper ones still drawn, with small kernels


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"constraints": Constraints(max_width=4)}, ["cnn", "max_width 4", "ratio of 0"]),
        ({"ratio": {"cnn": 1}, "window": 1}, ["no cnn", "window 1"]),
        ({"constraints": Constraints(max_layers=1)}, ["lstm", "max_layers 1"]),
        ({"constraints": Constraints(max_params=5000)}, ["smallest cnn", "max_params 5000"]),
        ({"constraints": Constraints(max_flops=1000)}, ["smallest cnn", "max_flops 1000"]),
        ({"ratio": {"gru": 1}}, ["'gru'", "cnn, lstm"]),
        ({"ratio": {"cnn": -1}}, ["cnn=-1"]),
        ({"ratio": {"cnn": 0, "lstm": 0}}, ["weight > 0"]),
        ({"window": 0}, ["window 0"]),
    ],
)
def test_impossible_or_bad_requests_raise_clear_errors(kwargs, words):
    with pytest.raises(ZcpharError) as err:
        sample(3, np.random.default_rng(0), **kwargs)
    for word in words:
        assert word in str(err.value)


def test_too_tight_constraints_stop_after_bounded_draws(monkeypatch):
    monkeypatch.setattr("zcphar.space.sampling.MAX_DRAWS", 20)
    smallest = 3 * 8 * 2 + 8 + 8 * 512 + 512 + 512 * 6 + 6  # one 8-channel kernel-2 block + head
    with pytest.raises(ZcpharError, match="20 cnn draws in a row"):
        sample(
            3,
            np.random.default_rng(0),
            ratio={"cnn": 1},
            constraints=Constraints(max_params=smallest),
        )


@pytest.mark.parametrize("bad", [{"max_params": 0}, {"max_width": -8}, {"max_layers": 2.5}])
def test_bad_constraints(bad):
    with pytest.raises(ZcpharError, match=next(iter(bad))):
        Constraints(**bad)


@pytest.mark.parametrize(
    "n, rng", [(-1, np.random.default_rng(0)), (2, 0), (2, np.random.RandomState(0))]
)
def test_bad_n_or_rng(n, rng):
    with pytest.raises(ZcpharError):
        sample(n, rng)
