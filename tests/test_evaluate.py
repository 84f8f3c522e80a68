"""Metric properties and hand-computed pools for zcphar.evaluate."""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest

from zcphar.cli.main import main
from zcphar.errors import ZcpharError
from zcphar.evaluate import (
    RankedPool,
    delta_k,
    evaluate_pool,
    evaluate_table,
    random_search,
    rank_correlation,
    read_tables,
    resolve_k,
    search_curve,
    select_pool,
    talent_rate,
)

# A hand-checkable pool: a is the best by validation F1 (its test F1 is 0.80).
HAND = pd.DataFrame({
    "model_id": list("abcde"),
    "best_val_f1_macro": [0.9, 0.8, 0.7, 0.6, 0.5],
    "best_test_f1_macro": [0.80, 0.85, 0.60, 0.90, 0.70],
})
GOOD = pd.Series([1.0, 5.0, 4.0, 3.0, 2.0])  # order b, c, d, e, a
BAD = pd.Series([0.0, 1.0, 5.0, 4.0, 2.0])  # order c, d, e, b, a


def synthetic(n: int = 40, seed: int = 0) -> pd.DataFrame:
    """A small table in the paper's layout: CNN/RNN rows, noisy proxies, one noise column."""
    rng = np.random.default_rng(seed)
    val = rng.uniform(0.3, 0.9, n)
    table = pd.DataFrame({
        "model_id": [f"m{i:03d}" for i in range(n)],
        "model_type": np.where(np.arange(n) % 3 == 0, "RNN", "CNN"),
        "initial_val_f1_macro": rng.uniform(0, 0.2, n),
        "best_val_f1_macro": val,
        "best_test_f1_macro": val - rng.uniform(0, 0.1, n),
    })
    for name in ("grad_norm", "snip", "fisher", "jacob_cov", "plain", "synflow"):
        table[name] = val + rng.normal(0, 0.2, n)
    table["grasp"] = -val + rng.normal(0, 0.2, n)
    table["best_test_f1_macro_noise_0.01"] = table["best_test_f1_macro"] - rng.uniform(0, .2, n)
    return table


def test_hand_computed_delta_and_talent():
    assert delta_k(HAND, GOOD, 1) == pytest.approx(-5.0)  # picks b: 0.80 - 0.85
    assert delta_k(HAND, GOOD, 3) == pytest.approx(-5.0)  # {b, c, d}: b has the best val
    assert delta_k(HAND, BAD, 1) == pytest.approx(20.0)  # picks c: 0.80 - 0.60
    assert delta_k(HAND, BAD, 3) == pytest.approx(20.0)  # {c, d, e}: c
    assert delta_k(HAND, BAD, 4) == pytest.approx(-5.0)  # {c, d, e, b}: b
    assert talent_rate(HAND, GOOD, 2) == pytest.approx(50.0)  # {b, c} vs {a, b}
    assert talent_rate(HAND, BAD, 2) == pytest.approx(0.0)
    assert talent_rate(HAND, GOOD, 5) == pytest.approx(100.0)
    assert np.isnan(delta_k(HAND, GOOD, 6))


def test_k_rules():
    assert resolve_k("10%", 1989) == 199
    assert resolve_k("10%", 1999) == 200
    assert resolve_k("10%", 4) == 1
    with pytest.raises(ZcpharError, match="'10%'"):
        resolve_k(0, 10)


def test_nan_scores_are_left_out():
    scores = GOOD.copy()
    scores[1] = np.nan  # b unscored: order c, d, e, a
    assert delta_k(HAND, scores, 1) == pytest.approx(20.0)
    assert np.isnan(delta_k(HAND, scores, 5))  # only 4 scored
    result = evaluate_pool(HAND.assign(initial_val_f1_macro=scores), proxies=[
        "initial_val_f1_macro"], rng=np.random.default_rng(0), n_draws=10)
    assert result.metrics.at["initial_val_f1_macro", "n_nan"] == 1
    assert result.metrics.at["initial_val_f1_macro", "n_scored"] == 4


def test_ties_broken_by_model_id():
    tied = pd.Series([0.0, 1.0, 1.0, 0.0, 0.0])  # b and c tie: b (smaller id) is taken first
    assert delta_k(HAND, tied, 1) == pytest.approx(-5.0)
    flipped = HAND.assign(model_id=["a", "z", "c", "d", "e"])  # now c comes before z
    assert delta_k(flipped, tied, 1) == pytest.approx(20.0)


def test_perfect_and_reversed_proxy():
    table = synthetic()
    pool = RankedPool.from_table(table)
    perfect = table["best_val_f1_macro"]
    for k in (1, 10, "10%"):
        assert delta_k(pool, perfect, k) == 0.0
    assert talent_rate(pool, perfect) == 100.0
    assert rank_correlation(perfect, table["best_val_f1_macro"]) == pytest.approx(1.0)
    assert rank_correlation(-perfect, table["best_val_f1_macro"]) == pytest.approx(-1.0)
    assert rank_correlation(-perfect, perfect, "kendall") == pytest.approx(-1.0)


def test_correlations_match_naive_formulas():
    rng = np.random.default_rng(3)
    x, y = pd.Series(rng.normal(size=12)), pd.Series(rng.normal(size=12))
    n = len(x)
    d = x.rank().to_numpy() - y.rank().to_numpy()
    spearman = 1 - 6 * np.sum(d**2) / (n * (n**2 - 1))
    pairs = list(itertools.combinations(range(n), 2))
    signs = [np.sign((x[i] - x[j]) * (y[i] - y[j])) for i, j in pairs]
    kendall = sum(signs) / len(pairs)
    assert rank_correlation(x, y) == pytest.approx(spearman)
    assert rank_correlation(x, y, "kendall") == pytest.approx(kendall)


def test_invariant_to_monotone_transforms_and_row_order():
    table = synthetic(seed=1)
    base = evaluate_pool(table, rng=np.random.default_rng(0), n_draws=50)
    transformed = table.assign(snip=np.exp(table["snip"]), plain=3 * table["plain"] + 7,
                               grasp=table["grasp"] ** 3)
    shuffled = table.sample(frac=1.0, random_state=5)
    for other in (transformed, shuffled):
        result = evaluate_pool(other, rng=np.random.default_rng(0), n_draws=50)
        pd.testing.assert_frame_equal(result.metrics, base.metrics)


def test_grasp_is_lower_is_better():
    table = synthetic()
    table["grasp"] = -table["best_val_f1_macro"]
    result = evaluate_pool(table, rng=np.random.default_rng(0), n_draws=10)
    assert result.metrics.at["grasp", "talent"] == 100.0
    assert result.metrics.at["grasp", "spearman_val"] == pytest.approx(1.0)


def test_random_baseline_matches_exact_expectation():
    pool = RankedPool.from_table(HAND)
    k = 2
    subsets = list(itertools.combinations(range(5), k))
    best_test = 0.80
    deltas, talents = [], []
    for s in subsets:
        pick = max(s, key=lambda i: HAND["best_val_f1_macro"][i])
        deltas.append(100 * (best_test - HAND["best_test_f1_macro"][pick]))
        talents.append(100 * len(set(s) & {0, 1}) / k)
    table = random_search(pool, [k, 5], np.random.default_rng(0), n_draws=20000)
    se = np.std(deltas) / np.sqrt(20000)
    assert table.at[k, "delta_mean"] == pytest.approx(np.mean(deltas), abs=4 * se)
    assert table.at[k, "delta_std"] == pytest.approx(np.std(deltas), rel=0.05)
    assert table.at[k, "talent_mean"] == pytest.approx(np.mean(talents), abs=1.0)
    assert table.at[5, "delta_mean"] == 0.0 and table.at[5, "delta_std"] == 0.0
    again = random_search(pool, [k, 5], np.random.default_rng(0), n_draws=20000)
    pd.testing.assert_frame_equal(table, again)


def test_search_curve():
    table = synthetic()
    pool = RankedPool.from_table(table)
    curve = search_curve(pool, {"perfect": table["best_val_f1_macro"]},
                         np.random.default_rng(0), n_draws=100)
    assert list(curve.index) == [1, 2, 5, 10, 20]
    assert (curve["perfect"] == 0).all()
    assert (curve["random_mean"] >= 0).all()
    assert curve["random_mean"].iloc[0] > curve["random_mean"].iloc[-1]


def test_pools_and_ensemble_within_pool():
    table = synthetic()
    assert len(select_pool(table, "cnn+rnn")) == len(table)
    assert set(select_pool(table, "lstm")["model_type"]) == {"RNN"}
    with pytest.raises(ZcpharError, match="choose one of: all, cnn\\+rnn, cnn, rnn"):
        select_pool(table, "gru")
    result = evaluate_table(table, "syn", seed=0, n_draws=20)
    assert set(result.families) == {"CNN", "RNN"}
    cnn = result.families["CNN"].table
    members = ["grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow"]
    oriented = cnn[members].assign(grasp=-cnn["grasp"])
    expected = oriented.rank(pct=True).mean(axis=1)  # ranks within the CNN rows only
    np.testing.assert_allclose(cnn["ensemble"], expected)


def test_noise_robustness():
    table = synthetic()
    result = evaluate_pool(table, rng=np.random.default_rng(0), n_draws=10)
    assert list(result.noise.columns) == [0.0, 0.01]
    noisy = table["best_test_f1_macro_noise_0.01"]
    expected = rank_correlation(table["snip"], noisy)
    assert result.noise.at["snip", 0.01] == pytest.approx(expected)
    assert result.noise.at["snip", 0.0] == result.metrics.at["snip", "spearman_test"]


def test_cli_json_and_text(tmp_path, capsys):
    path = tmp_path / "syn.csv"
    synthetic().to_csv(path, index=False)
    assert main(["evaluate", "--table", str(tmp_path), "--json", "--draws", "20"]) == 0
    out = json.loads(capsys.readouterr().out)
    snip = out["datasets"]["syn"]["proxies"]["snip"]
    assert set(snip) >= {"delta1", "delta10", "delta10pct", "talent", "spearman_test",
                         "spearman_val", "kendall_test"}
    assert set(out["datasets"]["syn"]["random"]["delta1"]) == {"mean", "std"}
    assert set(out["datasets"]["syn"]["families"]) == {"CNN", "RNN"}
    assert main(["evaluate", "--table", str(path), "--pool", "cnn", "--draws", "20"]) == 0
    assert "syn — pool cnn" in capsys.readouterr().out
    assert main(["evaluate", "--table", str(path), "--pool", "gru"]) == 2
    assert "unknown pool 'gru'" in capsys.readouterr().err


def test_read_tables_errors(tmp_path):
    with pytest.raises(ZcpharError, match="does not exist"):
        read_tables([tmp_path / "missing.csv"])
    with pytest.raises(ZcpharError, match="no \\*.csv"):
        read_tables([tmp_path])


def test_family_mix_of_the_top_ten_percent():
    table = synthetic(n=40)  # k = 4; 14 RNN rows
    table["snip"] = (table["model_type"] == "RNN") * 10.0 + table["best_val_f1_macro"]
    result = evaluate_pool(table, rng=np.random.default_rng(0), n_draws=10)
    mix = result.top_families
    assert mix.loc["snip"].to_dict() == {"CNN": 0.0, "RNN": 100.0}
    np.testing.assert_allclose(mix.sum(axis=1), 100.0)
    top4 = table.nlargest(4, "fisher")["model_type"]
    assert mix.at["fisher", "RNN"] == pytest.approx(100 * (top4 == "RNN").mean())
