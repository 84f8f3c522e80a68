"""The paper's metrics on one pool of trained architectures, for one proxy's scores.

Definitions (MGT §3.4 and its public code):

* Ground truth is the validation F1 (``best_val_f1_macro``); the pool's *best* architecture is
  the one with the highest validation F1.
* Δk = test F1 of the pool's best − test F1 of the architecture with the highest validation F1
  among the proxy's top-k, in percentage points. Lower is better; it can be negative (the
  proxy's pick generalises better than the one full training would have shipped).
* Talent rate = |proxy top-k ∩ validation top-k| / k · 100.
* Rank correlations (Spearman, Kendall tau-b) of the scores with test or validation F1.

`scores` are always oriented so that higher is better (see `ranking.oriented`). NaN scores
are left out: the proxy's top-k is taken among its scored candidates (NaN when fewer than k
are scored), while the reference (best, validation top-k) stays the whole pool's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from zcphar.errors import ZcpharError
from zcphar.evaluate.ranking import TEST, VAL, order_by, resolve_k


@dataclass(frozen=True)
class RankedPool:
    """A pool's F1 columns with its validation ranking precomputed.

    Attributes:
        ids: ``model_id`` of each candidate (tie-breaker of every ranking).
        val: best validation F1 per candidate.
        test: test F1 of the best-validation checkpoint per candidate.
        val_order: candidate positions sorted by validation F1, best first.
        val_rank: ``val_rank[i]`` = place of candidate ``i`` in `val_order` (0 = best).
    """

    ids: pd.Series
    val: np.ndarray
    test: np.ndarray
    val_order: np.ndarray
    val_rank: np.ndarray

    @classmethod
    def from_table(cls, table: pd.DataFrame) -> RankedPool:
        """Build from a table with ``model_id``, validation and test F1 (no NaN F1)."""
        for column in ("model_id", VAL, TEST):
            if column not in table.columns:
                raise ZcpharError(f"the table has no {column!r} column; it has: "
                                  f"{', '.join(map(str, table.columns))}")
        val = table[VAL].to_numpy(dtype=float)
        test = table[TEST].to_numpy(dtype=float)
        if len(val) == 0 or np.isnan(val).any() or np.isnan(test).any():
            raise ZcpharError("a pool needs at least one candidate and no NaN F1 values")
        ids = table["model_id"].reset_index(drop=True)
        val_order = order_by(pd.Series(val), ids)
        val_rank = np.empty_like(val_order)
        val_rank[val_order] = np.arange(len(val_order))
        return cls(ids, val, test, val_order, val_rank)

    @property
    def n(self) -> int:
        """Number of candidates."""
        return len(self.val)

    @property
    def best_test(self) -> float:
        """Test F1 of the pool's best-validation architecture."""
        return float(self.test[self.val_order[0]])

    def pick(self, candidates: np.ndarray) -> int:
        """Position of the candidate with the highest validation F1 among `candidates`."""
        return int(candidates[np.argmin(self.val_rank[candidates])])

    def gap(self, candidates: np.ndarray) -> float:
        """Δ of training only `candidates`: best test F1 − test F1 of their pick, in pp."""
        return 100.0 * (self.best_test - float(self.test[self.pick(candidates)]))

    def overlap(self, candidates: np.ndarray, k: int) -> float:
        """Share (%) of `candidates` (k of them) that lie in the validation top-k."""
        return 100.0 * float(np.sum(self.val_rank[candidates] < k)) / k

    def top(self, scores: pd.Series, k: int) -> np.ndarray | None:
        """The proxy's top-k positions, or None when fewer than k candidates are scored."""
        order = order_by(scores.reset_index(drop=True), self.ids)
        return order[:k] if len(order) >= k else None


def _pool(table: pd.DataFrame | RankedPool) -> RankedPool:
    return table if isinstance(table, RankedPool) else RankedPool.from_table(table)


def delta_k(table: pd.DataFrame | RankedPool, scores: pd.Series, k: int | str) -> float:
    """Δk of a proxy on a pool, in percentage points of test F1.

    Args:
        table: the pool (``model_id``, ``best_val_f1_macro``, ``best_test_f1_macro``) or its
            `RankedPool`.
        scores: proxy scores aligned with the table rows, higher is better.
        k: top-k size, or ``"10%"`` (k = round(0.1·N)).

    Returns:
        Δk; NaN when fewer than k candidates have a score.
    """
    pool = _pool(table)
    top = pool.top(scores, resolve_k(k, pool.n))
    return float("nan") if top is None else pool.gap(top)


def talent_rate(table: pd.DataFrame | RankedPool, scores: pd.Series, k: int | str = "10%") -> float:
    """Talent rate: % of the proxy's top-k that are in the validation top-k.

    Args:
        table: the pool or its `RankedPool`.
        scores: proxy scores aligned with the table rows, higher is better.
        k: top-k size, default ``"10%"`` as in the paper.

    Returns:
        The rate in percent; NaN when fewer than k candidates have a score.
    """
    pool = _pool(table)
    k = resolve_k(k, pool.n)
    top = pool.top(scores, k)
    return float("nan") if top is None else pool.overlap(top, k)


def rank_correlation(scores: pd.Series, target: pd.Series, method: str = "spearman") -> float:
    """Spearman or Kendall (tau-b) correlation over the candidates where both are finite.

    Args:
        scores: proxy scores, higher is better.
        target: an F1 column aligned with `scores`.
        method: ``"spearman"`` or ``"kendall"``.

    Returns:
        The correlation; NaN with fewer than 3 pairs or a constant column.
    """
    functions = {"spearman": stats.spearmanr, "kendall": stats.kendalltau}
    if method not in functions:
        raise ZcpharError(f"unknown correlation {method!r}; choose one of: spearman, kendall")
    x = scores.to_numpy(dtype=float)
    y = target.to_numpy(dtype=float)
    keep = np.isfinite(x) & np.isfinite(y)
    x, y = x[keep], y[keep]
    if len(x) < 3 or np.ptp(x) == 0 or np.ptp(y) == 0:
        return float("nan")
    return float(functions[method](x, y)[0])
