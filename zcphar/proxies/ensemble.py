"""The MGT ensemble: mean percentile rank of several proxies within a pool of candidates.

Not a stored score: it depends on the pool. For each member proxy, candidates are ranked within
the pool (``rank(pct=True)``, ties averaged) after applying the proxy's direction (raw ``grasp``
is lower-is-better, so it is negated); the ensemble is the mean of those percentile ranks. A
candidate whose member value is NaN is scored from the remaining members, and the number of
members used is reported. Higher is better.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from zcphar.errors import ZcpharError
from zcphar.proxies.registry import get_proxy

DEFAULT_MEMBERS: tuple[str, ...] = (
    "grad_norm",
    "snip",
    "grasp",
    "fisher",
    "jacob_cov",
    "plain",
    "synflow",
)
"""MGT's ensemble members (not synflow_bn, not initial_val_f1)."""


def percentile_ranks(
    scores: pd.DataFrame, members: Sequence[str] = DEFAULT_MEMBERS
) -> pd.DataFrame:
    """Per-member percentile rank within the pool, oriented so that higher is better.

    Args:
        scores: one row per candidate, one column per proxy (raw values).
        members: proxy names to rank; each must be a registered proxy and a column.

    Returns:
        DataFrame with the same index and one column per member, values in (0, 1], NaN where
        the raw value is NaN.

    Raises:
        ZcpharError: a member is not a column of `scores` (or not a registered proxy).
    """
    members = list(members)
    if not members:
        raise ZcpharError("ensemble needs at least one member proxy")
    missing = [m for m in members if m not in scores.columns]
    if missing:
        raise ZcpharError(
            f"ensemble members {missing} are not columns of the scores; "
            f"available: {', '.join(map(str, scores.columns))}"
        )
    ranks = {}
    for name in members:
        values = pd.to_numeric(scores[name], errors="coerce").astype(float)
        oriented = values if get_proxy(name).higher_is_better else -values
        ranks[name] = oriented.rank(method="average", pct=True, na_option="keep")
    return pd.DataFrame(ranks, index=scores.index)


def ensemble_with_counts(
    scores: pd.DataFrame, members: Sequence[str] = DEFAULT_MEMBERS
) -> pd.DataFrame:
    """The ensemble score and how many members each candidate's score used.

    Args:
        scores: one row per candidate, one column per proxy (raw values).
        members: member proxy names.

    Returns:
        DataFrame with columns ``ensemble`` (mean percentile rank over the non-NaN members;
        NaN when every member is NaN) and ``n_members`` (int).
    """
    ranks = percentile_ranks(scores, members)
    return pd.DataFrame(
        {"ensemble": ranks.mean(axis=1, skipna=True), "n_members": ranks.notna().sum(axis=1)},
        index=scores.index,
    )


def ensemble(scores: pd.DataFrame, members: Sequence[str] = DEFAULT_MEMBERS) -> pd.Series:
    """The ensemble score of every candidate of a pool (higher is better).

    Args:
        scores: one row per candidate, one column per proxy (raw values).
        members: member proxy names (default: MGT's seven).

    Returns:
        Series named ``ensemble`` aligned with `scores.index`.
    """
    return ensemble_with_counts(scores, members)["ensemble"]
