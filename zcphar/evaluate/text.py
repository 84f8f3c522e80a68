"""Readable tables of evaluation results (used by ``zcphar evaluate`` and the report)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from zcphar.evaluate.summary import PoolResult

LABELS = {
    "delta1": "Δ1 (pp)",
    "delta10": "Δ10 (pp)",
    "delta10pct": "Δ10% (pp)",
    "talent": "talent (%)",
    "spearman_test": "ρ test",
    "spearman_val": "ρ val",
    "kendall_test": "τ test",
    "kendall_val": "τ val",
    "n_nan": "NaN",
}


def metrics_frame(result: PoolResult, decimals: int = 2) -> pd.DataFrame:
    """The pool's per-proxy metrics plus a ``random search`` row (mean ± std), as strings."""
    table = result.metrics[list(LABELS)].copy()
    out = pd.DataFrame(index=table.index)
    for column, label in LABELS.items():
        values = table[column]
        if column == "n_nan":
            out[label] = values.map(lambda v: f"{int(v)}")
        else:
            out[label] = values.map(lambda v: _num(v, decimals))
    random = {
        LABELS[m]: f"{_num(result.random.at[m, 'mean'], decimals)} ± "
        f"{_num(result.random.at[m, 'std'], decimals)}"
        for m in ("delta1", "delta10", "delta10pct", "talent")
    }
    out.loc["random search"] = [random.get(label, "") for label in out.columns]
    return out


def _num(value: float, decimals: int) -> str:
    return "—" if value is None or np.isnan(value) else f"{value:.{decimals}f}"


def pool_heading(dataset: str, result: PoolResult) -> str:
    """One line saying which pool the numbers come from."""
    dropped = f", {result.n_dropped} rows without F1 left out" if result.n_dropped else ""
    return (
        f"{dataset} — pool {result.pool}: {result.n} architectures{dropped}; "
        f"k for Δ10%/talent = {result.k10pct}; best (by val F1) = {result.best_model_id}, "
        f"test F1 {100 * result.best_test_f1:.2f}"
    )


def format_pool(dataset: str, result: PoolResult) -> str:
    """Heading plus the metrics table, as plain text."""
    return pool_heading(dataset, result) + "\n" + metrics_frame(result).to_string() + "\n"
