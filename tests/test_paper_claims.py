"""The 16 numeric claims of "Models Got Talent", checked on its published per-architecture tables.

The claims are those of the reference implementation's reproduce/claims.py (all rows of each
table, Transformers included). The metrics are recomputed here from their definitions with
plain pandas/numpy (the `oracle_*` functions), independently of zcphar.evaluate; each claim is
then asserted on the oracle's numbers and on zcphar's, and the two are also compared directly.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import shared_path
from zcphar.evaluate import evaluate_table

DATASETS = ["myogym", "hhar", "mobiactv2", "motionsense", "pamap2", "rwhar"]
MEMBERS = ["grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow"]
PROXIES = ["ensemble", *MEMBERS, "initial_val_f1_macro"]
VAL, TEST = "best_val_f1_macro", "best_test_f1_macro"


# -- the independent oracle -------------------------------------------------------------------
def with_oracle_ensemble(df: pd.DataFrame) -> pd.DataFrame:
    """Negate grasp, then ensemble = mean percentile rank of the seven members."""
    df = df.copy()
    df["grasp"] = -df["grasp"]
    df["ensemble"] = df[MEMBERS].rank(pct=True).mean(axis=1)
    return df


def top(df: pd.DataFrame, column: str, k: int) -> pd.DataFrame:
    """The k best rows by `column`, ties by ascending model_id."""
    return df.sort_values([column, "model_id"], ascending=[False, True]).head(k)


def oracle_stats(df: pd.DataFrame, k: int, random: bool = False) -> dict:
    """Δ (pp) and talent (%) of each proxy at k, and (if `random`) random search's talent."""
    by_val = top(df, VAL, k)
    best_test = by_val[TEST].iloc[0]
    truth = set(by_val["model_id"])
    delta, talent = {}, {}
    for proxy in PROXIES:
        chosen = top(top(df, proxy, k), VAL, 1)
        delta[proxy] = 100 * (best_test - chosen[TEST].iloc[0])
        talent[proxy] = 100 * len(set(top(df, proxy, k)["model_id"]) & truth) / k
    if not random:
        return {"delta": delta, "talent": talent}
    rng = np.random.default_rng(12345)
    ids = df["model_id"].to_numpy()
    random_talent = np.mean([
        100 * len(set(rng.choice(ids, size=k, replace=False)) & truth) / k for _ in range(1000)
    ])
    return {"delta": delta, "talent": talent, "random_talent": random_talent}


@pytest.fixture(scope="module")
def tables() -> dict[str, pd.DataFrame]:
    folder = shared_path("paper_artifacts")
    return {ds: pd.read_csv(folder / f"{ds}.csv") for ds in DATASETS}


@pytest.fixture(scope="module")
def oracle(tables) -> dict:
    out = {}
    for ds, raw in tables.items():
        df = with_oracle_ensemble(raw)
        k10pct = int(round(0.1 * len(df)))
        out[ds] = {"k1": oracle_stats(df, 1), "k10": oracle_stats(df, 10),
                   "k10pct": oracle_stats(df, k10pct, random=True)}
    return out


@pytest.fixture(scope="module")
def zcphar_stats(tables) -> dict:
    """The same structure, filled from zcphar.evaluate (pool: all rows)."""
    out = {}
    for ds, raw in tables.items():
        r = evaluate_table(raw, ds, seed=0, pool="all", families=False).pooled
        m = r.metrics
        talent = m["talent"].to_dict()
        random_talent = r.random.at["talent", "mean"]
        out[ds] = {
            "k1": {"delta": m["delta1"].to_dict()},
            "k10": {"delta": m["delta10"].to_dict()},
            "k10pct": {"delta": m["delta10pct"].to_dict(), "talent": talent,
                       "random_talent": random_talent},
        }
    return out


def best_delta(stats: dict, ds: str, k: str) -> float:
    return min(stats[ds][k]["delta"].values())


def best_talent(stats: dict, ds: str) -> float:
    return max(stats[ds]["k10pct"]["talent"].values())


# -- agreement -------------------------------------------------------------------------------
def test_zcphar_agrees_with_the_oracle(oracle, zcphar_stats):
    for ds in DATASETS:
        for k in ("k1", "k10", "k10pct"):
            for proxy in PROXIES:
                assert zcphar_stats[ds][k]["delta"][proxy] == pytest.approx(
                    oracle[ds][k]["delta"][proxy], abs=1e-9), (ds, k, proxy)
        for proxy in PROXIES:
            assert zcphar_stats[ds]["k10pct"]["talent"][proxy] == pytest.approx(
                oracle[ds]["k10pct"]["talent"][proxy]), (ds, proxy)
        # Different random draws: both estimate k/N * 100 = ~10 %.
        assert zcphar_stats[ds]["k10pct"]["random_talent"] == pytest.approx(
            oracle[ds]["k10pct"]["random_talent"], abs=0.5)


# -- the 16 claims, each on the oracle's numbers and on zcphar's ---------------------------
@pytest.fixture(scope="module", params=["oracle", "zcphar"])
def stats(request, oracle, zcphar_stats) -> dict:
    return oracle if request.param == "oracle" else zcphar_stats


def test_claim_pool_size(tables):
    assert all(1950 <= len(t) <= 2000 for t in tables.values())


def test_claim_200_fold_saving(tables):
    assert all(abs(len(t) / 10 - 200) <= 5 for t in tables.values())


def test_claim_model_type_mix(tables):
    for t in tables.values():
        counts = t["model_type"].value_counts()
        assert counts["TRANSFORMER"] == 500 and counts["RNN"] == 300
        assert 1150 <= counts["CNN"] <= 1200


def test_claim_delta1_within_7(stats):
    assert max(best_delta(stats, ds, "k1") for ds in DATASETS) < 7.0


def test_claim_delta1_under_5_on_most(stats):
    assert sum(best_delta(stats, ds, "k1") < 5.0 for ds in DATASETS) >= 5


def test_claim_pamap2_negative_delta1(stats):
    negative = {p for p, v in stats["pamap2"]["k1"]["delta"].items() if v < 0}
    assert negative == {"ensemble", "fisher", "jacob_cov", "initial_val_f1_macro"}


def test_claim_delta10_within_2(stats):
    assert max(best_delta(stats, ds, "k10") for ds in DATASETS) < 2.0


def test_claim_delta10_negative_except_myogym(stats):
    assert all(best_delta(stats, ds, "k10") < 0 for ds in DATASETS if ds != "myogym")
    assert 0 <= best_delta(stats, "myogym", "k10") < 2.0


def test_claim_talent_about_20(stats):
    assert sum(best_talent(stats, ds) >= 20.0 for ds in DATASETS) >= 4


def test_claim_talent_over_15_on_four(stats):
    assert sum(best_talent(stats, ds) > 15.0 for ds in DATASETS) >= 4


def test_claim_myogym_ensemble_talent_38(stats):
    assert abs(stats["myogym"]["k10pct"]["talent"]["ensemble"] - 38.0) < 1.0


def test_claim_gradient_proxies_beat_ensemble(stats):
    high = [ds for ds in DATASETS if best_talent(stats, ds) > 15.0]
    talent = {ds: stats[ds]["k10pct"]["talent"] for ds in high}
    beaten = [ds for ds in high
              if max(talent[ds][p] for p in ("grasp", "snip", "grad_norm")) > talent[ds]["ensemble"]]
    assert len(beaten) >= 3


def test_claim_synflow_only_high_talent_on_hhar(stats):
    talent = stats["hhar"]["k10pct"]["talent"]
    runner_up = max(v for p, v in talent.items() if p != "synflow")
    assert talent["synflow"] > 15.0 and talent["synflow"] > 5 * max(runner_up, 1e-9)


def test_claim_talent_beats_random_search(stats):
    for ds in ("myogym", "mobiactv2", "pamap2", "rwhar"):
        assert best_talent(stats, ds) >= stats[ds]["k10pct"]["random_talent"]


def test_claim_ensemble_delta10pct_below_delta1_on_four(stats):
    better = [ds for ds in DATASETS
              if stats[ds]["k10pct"]["delta"]["ensemble"] < stats[ds]["k1"]["delta"]["ensemble"]]
    assert len(better) == 4


def test_claim_flops_orders_of_magnitude(tables):
    """Training FLOPs of the ensemble's top 1 / 10 / 10 % (ceil) / all: 1e10, 1e11, 1e12, 1e13
    (median over datasets, rounded order of magnitude)."""
    sums = {"top1": [], "top10": [], "top10pct": [], "all": []}
    for raw in tables.values():
        df = with_oracle_ensemble(raw)
        ranked = df.sort_values(["ensemble", "model_id"], ascending=[False, True])
        n = len(ranked)
        for label, k in (("top1", 1), ("top10", 10), ("top10pct", int(np.ceil(0.1 * n))),
                         ("all", n)):
            sums[label].append(ranked["train_flops"].head(k).sum())
    orders = {label: int(round(np.log10(np.median(v)))) for label, v in sums.items()}
    assert orders == {"top1": 10, "top10": 11, "top10pct": 12, "all": 13}
