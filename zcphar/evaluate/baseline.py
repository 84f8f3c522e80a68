"""The random-search baseline: train k architectures drawn at random instead of a proxy's top-k.

Each draw takes k candidates uniformly without replacement and applies the same rules as a
proxy (`metrics.RankedPool.gap` and `.overlap`); the baseline is the mean and the population
standard deviation (``ddof=0``) over the draws. Draw ``d`` for every k is the first k entries of
one random permutation, so the curve of Δ against the number of random architectures
(Fig. 7) is nested: a larger budget always contains the smaller one.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from zcphar.evaluate.metrics import RankedPool

N_DRAWS = 1000
"""The paper's number of random draws."""


def permutations(n: int, n_draws: int, rng: np.random.Generator) -> np.ndarray:
    """`n_draws` independent random permutations of ``range(n)``, shape ``(n_draws, n)``."""
    return np.argsort(rng.random((n_draws, n)), axis=1)


def draw_stats(pool: RankedPool, draws: np.ndarray, ks: Sequence[int]) -> pd.DataFrame:
    """Δ and talent of the first k candidates of each draw, for each k.

    Args:
        pool: the ranked pool.
        draws: permutations from `permutations` (one per row).
        ks: how many architectures each draw trains (each at most the pool size).

    Returns:
        One row per k: ``delta_mean``, ``delta_std`` (pp), ``talent_mean``, ``talent_std`` (%).
    """
    ranks = pool.val_rank[draws]  # (n_draws, n): validation place of each drawn candidate
    best = np.minimum.accumulate(ranks, axis=1)  # best place among the first j + 1 drawn
    gaps = 100.0 * (pool.best_test - pool.test[pool.val_order[best]])  # (n_draws, n)
    rows = {}
    for k in ks:
        talents = 100.0 * np.sum(ranks[:, :k] < k, axis=1) / k
        deltas = gaps[:, k - 1]
        rows[k] = {
            "delta_mean": float(np.mean(deltas)),
            "delta_std": float(np.std(deltas)),
            "talent_mean": float(np.mean(talents)),
            "talent_std": float(np.std(talents)),
        }
    return pd.DataFrame.from_dict(rows, orient="index")


def random_search(
    pool: RankedPool, ks: Sequence[int], rng: np.random.Generator, n_draws: int = N_DRAWS
) -> pd.DataFrame:
    """The random-search baseline at several k.

    Args:
        pool: the ranked pool.
        ks: top-k sizes; those larger than the pool give NaN.
        rng: source of the draws.
        n_draws: number of random draws (the paper: 1000).

    Returns:
        One row per k (index ``k``), columns delta_mean, delta_std, talent_mean, talent_std.
    """
    draws = permutations(pool.n, n_draws, rng)
    inside = [k for k in ks if k <= pool.n]
    table = draw_stats(pool, draws, inside) if inside else pd.DataFrame(
        columns=["delta_mean", "delta_std", "talent_mean", "talent_std"], dtype=float)
    return table.reindex(list(ks)).rename_axis("k")


def curve_counts(n: int) -> list[int]:
    """Budgets of the Fig. 7 curve: 1, 2, 5, 10, 20, 50, 100, 150, ... (step 50) up to `n`."""
    counts = [c for c in (1, 2, 5, 10, 20, 50) if c <= n]
    counts += list(range(100, n + 1, 50))
    return counts


def search_curve(
    pool: RankedPool,
    scores: dict[str, pd.Series],
    rng: np.random.Generator,
    counts: Sequence[int] | None = None,
    n_draws: int = N_DRAWS,
) -> pd.DataFrame:
    """Δ against the number of trained architectures: random search vs proxies' top-k (Fig. 7).

    Args:
        pool: the ranked pool.
        scores: proxy name -> oriented scores aligned with the pool (e.g. the ensemble).
        rng: source of the random draws.
        counts: budgets; default `curve_counts`.
        n_draws: random draws per budget.

    Returns:
        One row per budget (index ``n``): random_mean, random_std and one Δ column per proxy
        (NaN where the proxy has fewer scored candidates than the budget).
    """
    counts = list(curve_counts(pool.n) if counts is None else counts)
    table = random_search(pool, counts, rng, n_draws)
    out = pd.DataFrame(
        {"random_mean": table["delta_mean"], "random_std": table["delta_std"]}
    ).rename_axis("n")
    for name, values in scores.items():
        column = []
        for k in counts:
            top = pool.top(values, k) if k <= pool.n else None
            column.append(float("nan") if top is None else pool.gap(top))
        out[name] = column
    return out
