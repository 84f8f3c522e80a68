"""Every metric of a result table, pooled and per family, as data frames and as JSON."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from zcphar.evaluate.baseline import N_DRAWS, random_search, search_curve
from zcphar.evaluate.metrics import RankedPool, rank_correlation
from zcphar.evaluate.pools import clean_pool, family_of, select_pool, with_ensemble
from zcphar.evaluate.ranking import (
    ENSEMBLE,
    TEST,
    VAL,
    ZC_PROXIES,
    noise_columns,
    oriented,
    proxy_columns,
    resolve_k,
)

K_VALUES = {"delta1": 1, "delta10": 10, "delta10pct": "10%"}
"""The Δ columns and their k."""
METRIC_COLUMNS = [
    "delta1", "delta10", "delta10pct", "talent",
    "spearman_test", "spearman_val", "kendall_test", "kendall_val", "n_scored", "n_nan",
]


@dataclass
class PoolResult:
    """All metrics of one pool.

    Attributes:
        pool: name of the pool (``all``, ``cnn+rnn``, ``CNN``, ...).
        n: candidates evaluated; n_dropped: rows left out for a missing F1.
        k10pct: the k of Δ10% and of the talent rate.
        best_model_id, best_test_f1: the pool's best-validation architecture and its test F1.
        metrics: one row per proxy, `METRIC_COLUMNS` (Δ in pp, talent in %).
        random: the random baseline, rows delta1/delta10/delta10pct/talent, columns mean/std.
        noise: Spearman of each proxy (rows) with test F1 at each noise variance (columns;
            0.0 = clean test F1); empty without noise columns.
        curve: Δ vs number of architectures, random search vs the ensemble (Fig. 7).
        top_families: % of each proxy's top 10 % (rows) from each family (columns): a pooled
            ranking can mostly pick a family.
        table: the pool's rows, with the ensemble column.
    """

    pool: str
    n: int
    n_dropped: int
    k10pct: int
    best_model_id: str
    best_test_f1: float
    metrics: pd.DataFrame
    random: pd.DataFrame
    noise: pd.DataFrame
    curve: pd.DataFrame
    top_families: pd.DataFrame
    table: pd.DataFrame = field(repr=False)

    def to_json(self) -> dict:
        """Plain-JSON dict (NaN -> None)."""
        proxies = {p: _clean(row.to_dict()) for p, row in self.metrics.iterrows()}
        random = {m: _clean(row.to_dict()) for m, row in self.random.iterrows()}
        return {
            "pool": self.pool, "n": self.n, "n_dropped": self.n_dropped, "k10pct": self.k10pct,
            "best_model_id": self.best_model_id, "best_test_f1": self.best_test_f1,
            "proxies": proxies, "random": random,
            "noise_spearman": {p: _clean(row.to_dict()) for p, row in self.noise.iterrows()},
            "top10pct_families": {
                p: _clean(row.to_dict()) for p, row in self.top_families.iterrows()
            },
        }


def _clean(d: dict) -> dict:
    out = {}
    for key, value in d.items():
        key, value = str(key), float(value)
        out[key] = None if np.isnan(value) else (int(value) if key.startswith("n_") else value)
    return out


def proxy_metrics(pool: RankedPool, table: pd.DataFrame, name: str) -> dict[str, float]:
    """Δ1, Δ10, Δ10%, talent, correlations and NaN count of one proxy column of the pool."""
    scores = oriented(table, name)
    row: dict[str, float] = {}
    for column, k in K_VALUES.items():
        kk = resolve_k(k, pool.n)
        top = pool.top(scores, kk) if kk <= pool.n else None
        row[column] = float("nan") if top is None else pool.gap(top)
    kk = resolve_k("10%", pool.n)
    top = pool.top(scores, kk)
    row["talent"] = float("nan") if top is None else pool.overlap(top, kk)
    for target, column in (("test", TEST), ("val", VAL)):
        for method in ("spearman", "kendall"):
            row[f"{method}_{target}"] = rank_correlation(scores, table[column], method)
    row["n_nan"] = int(scores.isna().sum())
    row["n_scored"] = pool.n - row["n_nan"]
    return row


def noise_spearman(table: pd.DataFrame, proxies: Sequence[str]) -> pd.DataFrame:
    """Spearman of each proxy with test F1 at each noise variance (0.0 = clean)."""
    columns = noise_columns(table)
    if not columns:
        return pd.DataFrame(index=pd.Index(list(proxies), name="proxy"))
    columns = {0.0: TEST, **columns}
    data = {
        var: [rank_correlation(oriented(table, p), table[col]) for p in proxies]
        for var, col in columns.items()
    }
    return pd.DataFrame(data, index=pd.Index(list(proxies), name="proxy"))


def top_families(pool: RankedPool, table: pd.DataFrame, proxies: Sequence[str]) -> pd.DataFrame:
    """Share (%) of each family among each proxy's top 10 % of the pool."""
    families = family_of(table).reset_index(drop=True)
    k = resolve_k("10%", pool.n)
    rows = {}
    for name in proxies:
        top = pool.top(oriented(table, name), k)
        counts = families.iloc[top].value_counts() if top is not None else pd.Series(dtype=float)
        rows[name] = (100.0 * counts / k).reindex(sorted(families.unique()), fill_value=0.0)
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("proxy")


def evaluate_pool(
    table: pd.DataFrame,
    *,
    rng: np.random.Generator,
    proxies: Sequence[str] | None = None,
    pool: str = "all",
    n_draws: int = N_DRAWS,
) -> PoolResult:
    """Every metric on one pool (the table's rows are the pool).

    Args:
        table: the pool's rows, in the paper's column layout.
        rng: source of the random-search draws.
        proxies: proxies to evaluate (default: the paper's nine present); the ensemble is
            recomputed within this pool.
        pool: the pool's name, carried into the result.
        n_draws: random-search draws.

    Returns:
        A `PoolResult`.
    """
    table, dropped = clean_pool(table)
    names = proxy_columns(table, proxies)
    if ENSEMBLE in names:
        table = with_ensemble(table)
    ranked = RankedPool.from_table(table)
    metrics = pd.DataFrame(
        {name: proxy_metrics(ranked, table, name) for name in names}, index=METRIC_COLUMNS
    ).T.rename_axis("proxy")
    k10 = resolve_k("10%", ranked.n)
    base = random_search(ranked, sorted({1, 10, k10}), rng, n_draws)
    ks = [1, 10, k10, k10]
    random = pd.DataFrame({
        "mean": [*base.loc[ks[:3], "delta_mean"], base.at[k10, "talent_mean"]],
        "std": [*base.loc[ks[:3], "delta_std"], base.at[k10, "talent_std"]],
    }, index=[*K_VALUES, "talent"])
    curve_scores = {p: oriented(table, p) for p in names if p == ENSEMBLE} or {
        p: oriented(table, p) for p in names[:1]
    }
    curve = search_curve(ranked, curve_scores, rng, n_draws=n_draws)
    best = ranked.val_order[0]
    return PoolResult(
        pool, ranked.n, dropped, k10, str(ranked.ids.iloc[best]), float(ranked.test[best]),
        metrics, random, noise_spearman(table, names), curve,
        top_families(ranked, table, names), table,
    )


@dataclass
class TableResult:
    """One dataset's results: the chosen pool and each family on its own."""

    dataset: str
    pooled: PoolResult
    families: dict[str, PoolResult]

    def to_json(self) -> dict:
        """Plain-JSON dict: the pooled result plus ``families``."""
        out = self.pooled.to_json()
        out["families"] = {f: r.to_json() for f, r in self.families.items()}
        return out


def evaluate_table(
    table: pd.DataFrame,
    dataset: str,
    *,
    seed: int = 0,
    pool: str = "all",
    proxies: Sequence[str] | None = None,
    families: bool = True,
    n_draws: int = N_DRAWS,
) -> TableResult:
    """Evaluate one dataset's table on a pool and on each family in it.

    Args:
        table: the dataset's result table.
        dataset: its name.
        seed: seed of the random-search draws (a fresh generator per pool, so each pool's
            numbers do not depend on which other pools were evaluated).
        pool: the pooled selection (``all``, ``cnn+rnn``, a family).
        proxies: proxies to evaluate (default: the paper's nine present).
        families: also evaluate each family of the pool separately.
        n_draws: random-search draws.
    """
    rows = select_pool(table, pool)
    pooled = evaluate_pool(rows, rng=np.random.default_rng(seed), proxies=proxies, pool=pool,
                           n_draws=n_draws)
    per_family = {}
    kinds = sorted(family_of(rows).unique()) if families else []
    for family in kinds if len(kinds) > 1 else []:
        subset = rows[family_of(rows) == family]
        if len(subset) >= 2:
            per_family[family] = evaluate_pool(
                subset, rng=np.random.default_rng(seed), proxies=proxies, pool=family,
                n_draws=n_draws,
            )
    return TableResult(dataset, pooled, per_family)


def evaluate_tables(tables: dict[str, pd.DataFrame], **options) -> dict[str, TableResult]:
    """`evaluate_table` on each dataset; options as for `evaluate_table`."""
    return {name: evaluate_table(t, name, **options) for name, t in tables.items()}


def to_json(results: dict[str, TableResult], **meta) -> dict:
    """One JSON object: ``meta`` (seed, pool, ...) and ``datasets`` -> per dataset results."""
    return {**meta, "members": list(ZC_PROXIES),
            "datasets": {name: r.to_json() for name, r in results.items()}}
