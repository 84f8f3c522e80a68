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
        f"{'proxy':<22}{'Δ1 (pp)':>12}{'Δ10 (pp)':>12}{'talent %':>12}{'Spearman':>10}",
    ]
    order = m.sort_values("delta1", kind="stable").index
    for name in order:
        row = m.loc[name]
        lines.append(
            f"{name:<22}{_num(row['delta1']):>12}{_num(row['delta10']):>12}"
            f"{_num(row['talent'], 1):>12}{_num(row['spearman_test']):>10}"
        )
    lines.append(
        f"{'random (mean ± sd)':<22}"
        f"{_num(r.at['delta1', 'mean']) + ' ± ' + _num(r.at['delta1', 'std'], 1):>12}"
        f"{_num(r.at['delta10', 'mean']) + ' ± ' + _num(r.at['delta10', 'std'], 1):>12}"
        f"{_num(r.at['talent', 'mean'], 1) + ' ± ' + _num(r.at['talent', 'std'], 1):>12}"
        f"{'0 (exp.)':>10}"
    )
    return "\n".join(lines)
