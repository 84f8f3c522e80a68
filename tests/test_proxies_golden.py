"""Golden values of ../shared/docs/PROXIES.md (produced by foresight), the registry, the ensemble."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from zcphar.errors import ZcpharError
from zcphar.proxies import (
    DEFAULT_MEMBERS,
    ensemble,
    ensemble_with_counts,
    get_proxy,
    list_proxies,
    score_detailed,
)


class TinyCNN1d(nn.Module):
    """PROXIES.md fixture: x (N, T, C) -> (N, C, T) -> body -> max over time -> head."""

    def __init__(self, bn: bool = False) -> None:
        super().__init__()
        norm = [nn.BatchNorm1d(4)] if bn else []
        self.body = nn.Sequential(
            nn.Conv1d(3, 4, 3), *norm, nn.ReLU(), nn.Conv1d(4, 5, 3), nn.ReLU()
        )
        self.head = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(x.transpose(1, 2)).amax(dim=2))


class TinyLSTM(nn.Module):
    """PROXIES.md fixture: l1 -> l2 -> last time step -> head."""

    def __init__(self) -> None:
        super().__init__()
        self.l1 = nn.LSTM(3, 4, batch_first=True)
        self.l2 = nn.LSTM(4, 5, batch_first=True)
        self.head = nn.Sequential(nn.Linear(5, 6), nn.ReLU(), nn.Linear(6, 3))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.l2(self.l1(x)[0])[0][:, -1])


def golden_weights(model: nn.Module) -> nn.Module:
    """p-th parameter, flat element j: 0.3 sin(0.7 j + 1.3 p + 0.1), float64 then float32."""
    with torch.no_grad():
        for p, (_, w) in enumerate(model.named_parameters()):
            j = torch.arange(w.numel(), dtype=torch.float64)
            w.copy_((0.3 * torch.sin(0.7 * j + 1.3 * p + 0.1)).reshape(w.shape).float())
    return model


def golden_batch() -> tuple[torch.Tensor, torch.Tensor]:
    """x[n, t, c] = sin(0.05 (n+1)(t+1) + 0.3 c), N=8, T=16, C=3; y[n] = n mod 3."""
    n = torch.arange(8, dtype=torch.float64)[:, None, None]
    t = torch.arange(16, dtype=torch.float64)[None, :, None]
    c = torch.arange(3, dtype=torch.float64)[None, None, :]
    return torch.sin(0.05 * (n + 1) * (t + 1) + 0.3 * c).float(), torch.arange(8) % 3


COLUMNS = ["grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow_bn", "synflow"]
GOLDEN = {
    "tiny_cnn1d": [0.02943258360028267, 0.0156417153775692, -0.0004171275650151074,
                   0.002533626975491643, -32.83213305276645, 0.00663622235879302,
                   29.73692272603911, 29.73692272603911],
    "tiny_cnn1d_bn": [0.07127619534730911, 0.02652900479733944, -0.0020250040106475353,
                      0.0006786196026951075, -2496.9784455874405, -0.012772170826792717,
                      4.698309769107847, 30.206910725312465],
    "tiny_lstm": [0.02448897995054722, 0.01463242992758751, -0.0009876959957182407,
                  0.003212270326912403, -5427.166470556074, 0.007913973182439804,
                  6.41947524623505, 6.41947524623505],
}  # fmt: skip
MODELS = {
    "tiny_cnn1d": lambda: TinyCNN1d(),
    "tiny_cnn1d_bn": lambda: TinyCNN1d(bn=True),
    "tiny_lstm": lambda: TinyLSTM(),
}


def tolerance(name: str) -> dict:
    if name in ("plain", "grasp"):
        return {"rel": 1e-4, "abs": 1e-9}
    return {"rel": 1e-6 if name == "fisher" else 1e-5}


@pytest.mark.parametrize("path", ["fused", "per_proxy"])
@pytest.mark.parametrize("model_name", list(GOLDEN))
def test_golden_values_reference_coverage(model_name: str, path: str) -> None:
    model = golden_weights(MODELS[model_name]())
    x, y = golden_batch()
    result = score_detailed(model, x, y, COLUMNS, coverage="reference", path=path)
    assert result.errors == {}
    for name, expected in zip(COLUMNS, GOLDEN[model_name], strict=True):
        assert result.values[name] == pytest.approx(expected, **tolerance(name)), name


def test_golden_values_with_chunks() -> None:
    model = golden_weights(TinyLSTM())
    x, y = golden_batch()
    values = score_detailed(model, x, y, COLUMNS, coverage="reference", chunk_size=3).values
    for name, expected in zip(COLUMNS, GOLDEN["tiny_lstm"], strict=True):
        assert values[name] == pytest.approx(expected, **tolerance(name)), name


EXPECTED = {"synflow", "synflow_bn", "jacob_cov", "snip", "grasp", "fisher", "grad_norm", "plain",
            "initial_val_f1", "params", "flops"}  # fmt: skip


def test_registry_holds_exactly_the_expected_names() -> None:
    assert set(list_proxies()) == EXPECTED
    assert len(list_proxies()) == len(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_registry_directions_and_needs(name: str) -> None:
    info = get_proxy(name)
    assert info.higher_is_better is (name != "grasp")
    assert info.second_order is (name == "grasp")
    assert info.needs_val is (name == "initial_val_f1")
    assert info.description


def test_unknown_proxy_lists_valid_names() -> None:
    with pytest.raises(ZcpharError, match="unknown proxy 'snipp'.*grad_norm.*synflow_bn"):
        get_proxy("snipp")


def test_ensemble_hand_computed_pool() -> None:
    pool = pd.DataFrame(
        {"snip": [1.0, 3.0, 2.0, 2.0], "grasp": [0.5, -1.0, 0.0, 2.0]}, index=list("abcd")
    )
    # snip ranks 1, 4, 2.5, 2.5 (of 4); grasp negated: -0.5, 1, 0, -2 -> ranks 2, 4, 3, 1.
    expected = pd.Series([(1 / 4 + 2 / 4) / 2, 1.0, (2.5 / 4 + 3 / 4) / 2, (2.5 / 4 + 1 / 4) / 2],
                         index=list("abcd"), name="ensemble")  # fmt: skip
    pd.testing.assert_series_equal(ensemble(pool, ["snip", "grasp"]), expected)


def test_ensemble_skips_nan_member_and_counts() -> None:
    pool = pd.DataFrame({"snip": [1.0, np.nan, 3.0], "fisher": [3.0, 2.0, 1.0]})
    # snip among non-NaN: 1 -> 1/2, 3 -> 2/2; fisher: 3 -> 1, 2 -> 2/3, 1 -> 1/3.
    out = ensemble_with_counts(pool, ["snip", "fisher"])
    assert out["ensemble"].tolist() == pytest.approx([(0.5 + 1) / 2, 2 / 3, (1 + 1 / 3) / 2])
    assert out["n_members"].tolist() == [2, 1, 2]


def test_ensemble_all_nan_and_errors() -> None:
    pool = pd.DataFrame({m: [np.nan, 1.0] for m in DEFAULT_MEMBERS})
    out = ensemble_with_counts(pool)
    assert math.isnan(out["ensemble"][0]) and out["n_members"].tolist() == [0, 7]
    with pytest.raises(ZcpharError, match="not columns"):
        ensemble(pool.drop(columns="snip"))
