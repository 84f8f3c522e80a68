"""Bootstrap helpers against independent oracles (scipy per row, hand-computed pools)."""

import numpy as np
import pytest
from scipy import stats

from zcphar.evaluate.bootstrap import (
    bootstrap_metrics,
    gap_and_talent,
    interval,
    resamples,
    spearman_rows,
)


def test_spearman_rows_matches_scipy_per_row_with_ties():
    rng = np.random.default_rng(0)
    x = rng.integers(0, 5, size=(20, 15)).astype(float)  # many ties
    y = rng.normal(size=(20, 15))
    got = spearman_rows(x, y)
    for row in range(20):
        assert got[row] == pytest.approx(stats.spearmanr(x[row], y[row])[0], abs=1e-12)


def test_spearman_rows_constant_row_is_nan():
    assert np.isnan(spearman_rows(np.ones((1, 5)), np.arange(5.0)[None]))[0]


def test_gap_and_talent_hand_computed():
    val = np.array([0.9, 0.8, 0.7, 0.6])
    test = np.array([0.85, 0.70, 0.80, 0.50])
    score = np.array([1.0, 4.0, 3.0, 2.0])  # top 2 by score: rows 1, 2; best val among them: 1
    gap, talent = gap_and_talent(score, val, test, 2)
    assert gap == pytest.approx(100 * (0.85 - 0.70))
    assert talent == pytest.approx(50.0)  # {1, 2} ∩ {0, 1}


def test_perfect_proxy_has_no_gap_full_talent_and_unit_spearman():
    rng = np.random.default_rng(1)
    val = rng.random(40)
    test = val.copy()
    out = bootstrap_metrics({"perfect": val}, val, test, resamples(40, 50, rng))["perfect"]
    assert np.all(out["delta10pct"] == 0)
    assert np.allclose(out["spearman_test"], 1.0)
    # resampled duplicates can tie across the k-th place; talent stays high
    assert np.mean(out["talent"]) > 90


def test_identity_resample_is_the_point_estimate():
    rng = np.random.default_rng(2)
    val, test, score = rng.random(30), rng.random(30), rng.random(30)
    out = bootstrap_metrics({"s": score}, val, test, np.arange(30)[None])["s"]
    assert out["spearman_test"][0] == pytest.approx(stats.spearmanr(score, test)[0])
    gap, talent = gap_and_talent(score, val, test, 3)
    assert out["delta10pct"][0] == gap and out["talent"][0] == talent


def test_interval_percentiles():
    lo, hi = interval(np.arange(1001.0))
    assert (lo, hi) == pytest.approx((25.0, 975.0))
    assert all(np.isnan(interval(np.array([np.nan]))))
