"""The headline table printed at the end of a study: per proxy Δ1, Δ10, talent and Spearman,
next to the random-search baseline."""

from __future__ import annotations

import math

from zcphar.evaluate import PoolResult


def _num(value: float, digits: int = 2) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f}"


def headline(result: PoolResult) -> str:
    """A fixed-width text table of one pool's results (Δ in percentage points of test F1)."""
    m, r = result.metrics, result.random
    lines = [
        f"pool '{result.pool}': {result.n} trained architectures; best validation F1 has test F1 "
        f"{result.best_test_f1:.3f}; talent and Δ10% use k = {result.k10pct}",
        f"{'proxy':<16}{'Δ1 (pp)':>9}{'Δ10 (pp)':>10}{'talent %':>10}{'Spearman':>10}",
    ]
    order = m.sort_values("delta1", kind="stable").index
    for name in order:
        row = m.loc[name]
        lines.append(
            f"{name:<16}{_num(row['delta1']):>9}{_num(row['delta10']):>10}"
            f"{_num(row['talent'], 1):>10}{_num(row['spearman_test']):>10}"
        )
    lines.append(
        f"{'random (mean±sd)':<16}"
        f"{_num(r.at['delta1', 'mean']) + '±' + _num(r.at['delta1', 'std'], 1):>9}"
        f"{_num(r.at['delta10', 'mean']) + '±' + _num(r.at['delta10', 'std'], 1):>10}"
        f"{_num(r.at['talent', 'mean'], 1) + '±' + _num(r.at['talent', 'std'], 1):>10}"
        f"{'0 (exp.)':>10}"
    )
    return "\n".join(lines)
