"""Which columns are proxies, which way they point, and how a pool is ranked.

Every ranking in zcphar's evaluation goes through `order_by`: candidates sorted by a value,
best first, with **ties broken by ``model_id`` (ascending string order)**. That makes top-k
selection deterministic and independent of the row order of the table (two identical
architectures sampled twice fall on the same side of a top-k boundary in every ranking).
Rank correlations use average ranks for ties (scipy's default).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from zcphar.errors import ZcpharError
from zcphar.proxies.ensemble import DEFAULT_MEMBERS

VAL = "best_val_f1_macro"
"""Ground truth of every ranking: the best validation F1 over training."""
TEST = "best_test_f1_macro"
"""Test F1 of the best-validation checkpoint: the gaps are reported on it."""
INITIAL_VAL = "initial_val_f1_macro"
"""Validation F1 of the untrained network, MGT's ninth "proxy"."""
ENSEMBLE = "ensemble"
NOISE_PREFIX = "best_test_f1_macro_noise_"

ZC_PROXIES: tuple[str, ...] = DEFAULT_MEMBERS
"""The seven zero-cost proxies the paper evaluates (and ensembles)."""
PAPER_PROXIES: tuple[str, ...] = (ENSEMBLE, *ZC_PROXIES, INITIAL_VAL)
"""The nine proxies the paper evaluates, in its order (synflow_bn is never evaluated)."""


def higher_is_better(name: str) -> bool:
    """Ranking direction of a proxy column.

    F1 columns and the ensemble are higher-is-better; every other name is looked up in the
    proxy registry (raw ``grasp`` is lower-is-better).

    Raises:
        ZcpharError: the name is neither an F1 column, the ensemble, nor a registered proxy.
    """
    if name in (ENSEMBLE, INITIAL_VAL, VAL, TEST):
        return True
    from zcphar.proxies.registry import get_proxy

    return get_proxy(name).higher_is_better


def oriented(table: pd.DataFrame, name: str) -> pd.Series:
    """A proxy column as floats, negated when lower is better, so that higher always wins."""
    values = pd.to_numeric(table[name], errors="coerce").astype(float)
    return values if higher_is_better(name) else -values


def order_by(values: pd.Series, ids: pd.Series) -> np.ndarray:
    """Positions of the candidates sorted best first (highest value), NaN values left out.

    Args:
        values: one value per candidate (already oriented, higher is better).
        ids: the candidates' ``model_id``; ties in `values` are broken by ascending id.

    Returns:
        Integer positions (into `values`) of the non-NaN candidates, best first.
    """
    v = values.to_numpy(dtype=float)
    keep = np.flatnonzero(~np.isnan(v))
    # np.lexsort sorts by the last key first: -value, then id as the tie-breaker.
    ranked = np.lexsort((ids.astype(str).to_numpy()[keep], -v[keep]))
    return keep[ranked]


def resolve_k(k: int | str, n: int) -> int:
    """The k of a top-k metric for a pool of `n` candidates.

    Args:
        k: a positive int, or ``"10%"`` for ``round(0.1 * n)`` (at least 1), as the paper.
        n: pool size.

    Returns:
        k as an int; may exceed `n` (callers then report NaN).
    """
    if k == "10%":
        return max(1, int(round(0.1 * n)))
    if isinstance(k, (int, np.integer)) and k >= 1:
        return int(k)
    raise ZcpharError(f"invalid k {k!r}; choose a positive integer or '10%'")


def proxy_columns(table: pd.DataFrame, proxies: Sequence[str] | None = None) -> list[str]:
    """The proxies to evaluate on `table`.

    Args:
        table: a table in the paper's layout.
        proxies: names to evaluate; None means the paper's nine that the table can provide
            (``ensemble`` counts as available when all its members are columns).

    Raises:
        ZcpharError: a requested proxy is not a column of the table (nor the ensemble).
    """
    available = [c for c in table.columns if c not in (VAL, TEST)] + [ENSEMBLE]
    if proxies is None:
        wanted = [p for p in PAPER_PROXIES if p != ENSEMBLE and p in table.columns]
        if all(p in table.columns for p in ZC_PROXIES):
            wanted.insert(0, ENSEMBLE)
        return wanted
    missing = [p for p in proxies if p not in available]
    if missing:
        raise ZcpharError(
            f"proxies {missing} are not columns of the table; choose from: {', '.join(available)}"
        )
    return list(proxies)


def noise_columns(table: pd.DataFrame) -> dict[float, str]:
    """Noise-robustness columns, ``{variance: column}``, sorted by variance."""
    found = {}
    for column in table.columns:
        if column.startswith(NOISE_PREFIX):
            try:
                found[float(column[len(NOISE_PREFIX):])] = column
            except ValueError:
                continue
    return dict(sorted(found.items()))
