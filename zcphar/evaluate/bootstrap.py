"""Bootstrap confidence intervals for proxy metrics, and paired differences between scorings.

Candidates are resampled with replacement; on each resample the metric is recomputed from the
resampled rows. Intervals are percentile intervals. A paired difference (e.g. the Spearman of
`extended` minus that of `reference` coverage) is computed on the *same* resamples, so the
interval reflects the comparison and not the pool's luck.

Ties: Spearman uses average ranks; top-k selection breaks ties by row order (stable sort).
Callers that sort rows by ``model_id`` (as `zcphar.study.compare` does) get the point estimate
with the same tie-breaking as `zcphar.evaluate`; within a resample, ties follow draw order.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

METRICS = ("spearman_test", "delta10pct", "talent")


def resamples(n: int, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """(n_boot, n) row indices drawn with replacement."""
    return rng.integers(0, n, size=(n_boot, n))


def spearman_rows(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Spearman correlation of each row of `x` with the same row of `y` ((B, n) arrays).

    NaN for a row where either side is constant.
    """
    rx = stats.rankdata(x, axis=1)
    ry = stats.rankdata(y, axis=1)
    rx -= rx.mean(axis=1, keepdims=True)
    ry -= ry.mean(axis=1, keepdims=True)
    denom = np.sqrt((rx**2).sum(axis=1) * (ry**2).sum(axis=1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom > 0, (rx * ry).sum(axis=1) / denom, np.nan)


def gap_and_talent(score: np.ndarray, val: np.ndarray, test: np.ndarray, k: int):
    """Δk (percentage points of test F1) and talent rate (%) on one pool.

    Δk = test F1 of the best-validation candidate − test F1 of the best-validation candidate
    among the top `k` by `score`; talent = overlap of the score's and validation's top `k`.
    """
    by_val = np.argsort(-val, kind="stable")
    top = np.argsort(-score, kind="stable")[:k]
    chosen = top[np.argmax(val[top])]
    gap = 100.0 * (test[by_val[0]] - test[chosen])
    talent = 100.0 * len(np.intersect1d(top, by_val[:k])) / k
    return gap, talent


def bootstrap_metrics(
    scores: dict[str, np.ndarray],
    val: np.ndarray,
    test: np.ndarray,
    idx: np.ndarray,
) -> dict[str, dict[str, np.ndarray]]:
    """Every metric of every score column on every resample.

    Args:
        scores: name -> oriented scores (higher is better), finite, aligned with val/test.
        val, test: validation and test F1 of each candidate.
        idx: resamples from `resamples`.

    Returns:
        name -> metric (`METRICS`) -> (B,) values.
    """
    n = len(val)
    k = max(1, int(round(0.1 * n)))
    out = {}
    for name, s in scores.items():
        sb, vb, tb = s[idx], val[idx], test[idx]
        pairs = np.array([gap_and_talent(sb[b], vb[b], tb[b], k) for b in range(len(idx))])
        out[name] = {
            "spearman_test": spearman_rows(sb, tb),
            "delta10pct": pairs[:, 0],
            "talent": pairs[:, 1],
        }
    return out


def interval(values: np.ndarray, level: float = 0.95) -> tuple[float, float]:
    """Percentile interval of the finite values (NaN, NaN when there are none)."""
    values = values[np.isfinite(values)]
    if values.size == 0:
        return float("nan"), float("nan")
    tail = 50.0 * (1.0 - level)
    lo, hi = np.percentile(values, [tail, 100.0 - tail])
    return float(lo), float(hi)
