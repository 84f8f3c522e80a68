"""Compare how the score modes of a study rank architectures, with bootstrap intervals.

For each run (one dataset) and pool, every proxy is evaluated under every score mode
(`extended`/`reference` coverage, dropout off/on): Spearman with test F1, Δ10% and talent rate,
each with a 95 % bootstrap interval over architectures; and paired differences between modes
(``extended/off − reference/off``: what counting every weight changes; ``reference/off −
reference/on``: what deterministic scoring changes) on the same resamples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from zcphar.errors import ZcpharError
from zcphar.evaluate import oriented, select_pool
from zcphar.evaluate.bootstrap import METRICS, bootstrap_metrics, interval, resamples
from zcphar.proxies import DEFAULT_MEMBERS, ensemble
from zcphar.store import RunStore

PROXIES = ("ensemble", *DEFAULT_MEMBERS)
BASELINES = ("initial_val_f1_macro", "params", "flops")
PAIRS = (("extended/off", "reference/off"), ("reference/off", "reference/on"))


@dataclass
class Comparison:
    """Per (mode, proxy, metric): value and interval; per (pair, proxy, metric): difference."""

    dataset: str
    pool: str
    n: int
    n_nan: int
    metrics: pd.DataFrame
    differences: pd.DataFrame


def mode_tables(store: RunStore, pool: str = "all") -> dict[str, pd.DataFrame]:
    """The paper-layout table of each score mode in the run (only trained architectures)."""
    modes = store.score_rows()[["coverage", "dropout"]].drop_duplicates()
    tables = {}
    for coverage, dropout in modes.itertuples(index=False):
        table = select_pool(store.paper_table(coverage, dropout), pool)
        table["ensemble"] = ensemble(table).to_numpy()  # within this pool
        tables[f"{coverage}/{dropout}"] = table
    return tables


def _scores(table: pd.DataFrame, names) -> dict[str, np.ndarray]:
    return {name: oriented(table, name).to_numpy() for name in names if name in table}


def compare(
    store: RunStore, dataset: str, *, pool: str = "all", n_boot: int = 1000, seed: int = 0
) -> Comparison:
    """Bootstrap every proxy under every score mode of one run (see the module docstring)."""
    tables = mode_tables(store, pool)
    if not tables:
        raise ZcpharError(f"the run {str(store.path)!r} has no scores; run zcphar score first")
    ids = sorted(set.intersection(*(set(t["model_id"]) for t in tables.values())))
    tables = {m: t.set_index("model_id").loc[ids].reset_index() for m, t in tables.items()}
    # NaN scores are left out: only candidates every compared proxy scored are kept
    finite = np.logical_and.reduce([np.isfinite(v) for t in tables.values()
                                    for v in _scores(t, PROXIES).values()])
    n_nan = int((~finite).sum())
    tables = {m: t[finite].reset_index(drop=True) for m, t in tables.items()}
    ids = list(np.asarray(ids)[finite])
    first = next(iter(tables.values()))
    val = first["best_val_f1_macro"].to_numpy(float)
    test = first["best_test_f1_macro"].to_numpy(float)
    idx = resamples(len(ids), n_boot, np.random.default_rng(seed))
    full = np.arange(len(ids))[None, :]
    boot, point = {}, {}
    for mode, table in tables.items():
        names = PROXIES + (BASELINES if mode == next(iter(tables)) else ())
        scores = _scores(table, names)
        boot[mode] = bootstrap_metrics(scores, val, test, idx)
        point[mode] = bootstrap_metrics(scores, val, test, full)
    rows = [
        {"mode": mode, "proxy": p, "metric": m, "value": float(point[mode][p][m][0]),
         **dict(zip(("lo", "hi"), interval(boot[mode][p][m]), strict=True))}
        for mode in boot for p in boot[mode] for m in METRICS
    ]
    diffs = []
    for a, b in PAIRS:
        if a in boot and b in boot:
            for p in PROXIES:
                for m in METRICS:
                    d = boot[a][p][m] - boot[b][p][m]
                    diffs.append({"pair": f"{a} − {b}", "proxy": p, "metric": m,
                                  "diff": float(point[a][p][m][0] - point[b][p][m][0]),
                                  **dict(zip(("lo", "hi"), interval(d), strict=True))})
    return Comparison(dataset, pool, len(ids), n_nan, pd.DataFrame(rows), pd.DataFrame(diffs))


def _cell(value: float, lo: float, hi: float, digits: int) -> str:
    return f"{value:.{digits}f} [{lo:.{digits}f}, {hi:.{digits}f}]"


def to_markdown(c: Comparison, metric: str = "spearman_test") -> str:
    """Two Markdown tables: the metric per proxy and mode, and the paired differences."""
    digits = 2 if metric == "spearman_test" else 1
    m = c.metrics[c.metrics["metric"] == metric]
    wide = m.assign(cell=[_cell(v, lo, hi, digits) for v, lo, hi in
                          zip(m["value"], m["lo"], m["hi"], strict=True)])
    wide = wide.pivot(index="proxy", columns="mode", values="cell").fillna("")
    order = [p for p in PROXIES + BASELINES if p in wide.index]
    left_out = f", {c.n_nan} left out for a NaN score" if c.n_nan else ""
    lines = [f"**{c.dataset}**, pool `{c.pool}` ({c.n} trained architectures{left_out}), "
             f"{metric} with 95 % bootstrap intervals", "",
             "| proxy | " + " | ".join(wide.columns) + " |",
             "|---" * (len(wide.columns) + 1) + "|"]
    lines += [f"| {p} | " + " | ".join(wide.loc[p]) + " |" for p in order]
    d = c.differences[c.differences["metric"] == metric]
    if not d.empty:
        d = d.assign(cell=[_cell(v, lo, hi, digits) for v, lo, hi in
                           zip(d["diff"], d["lo"], d["hi"], strict=True)])
        dw = d.pivot(index="proxy", columns="pair", values="cell")
        lines += ["", "| proxy | " + " | ".join(dw.columns) + " |",
                  "|---" * (len(dw.columns) + 1) + "|"]
        lines += [f"| {p} | " + " | ".join(dw.loc[p]) + " |" for p in PROXIES if p in dw.index]
    return "\n".join(lines)
