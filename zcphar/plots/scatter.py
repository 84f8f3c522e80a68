"""Proxy-vs-F1 scatter plots: one figure per proxy, one panel per dataset, colour = family."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from matplotlib.figure import Figure

from zcphar.evaluate.pools import family_of
from zcphar.evaluate.ranking import TEST
from zcphar.evaluate.summary import PoolResult
from zcphar.plots.common import FAMILY_COLOURS, colour, new_figure, proxy_label

LOG_SCALE = {"synflow", "synflow_bn"}
"""Proxies spanning many orders of magnitude, drawn on a log (symlog if ≤ 0) axis."""


def scatter_proxy(results: dict[str, PoolResult], proxy: str) -> Figure | str:
    """Raw score of `proxy` (x) against test F1 (y), per dataset."""
    usable = {d: r for d, r in results.items() if proxy in r.table.columns}
    if not usable:
        return f"no {proxy!r} column"
    fig, axes = new_figure(len(usable), width=3.8, height=3.2)
    for ax, (dataset, result) in zip(axes, usable.items(), strict=True):
        table = result.table
        x = table[proxy].to_numpy(dtype=float)
        y = 100 * table[TEST].to_numpy(dtype=float)
        families = family_of(table)
        for i, family in enumerate(sorted(families.unique())):
            mask = (families == family).to_numpy()
            ax.scatter(x[mask], y[mask], s=5, alpha=0.5, rasterized=True, label=family,
                       color=FAMILY_COLOURS.get(family, colour(i)))
        if proxy in LOG_SCALE:
            finite = x[np.isfinite(x)]
            if len(finite) and finite.min() > 0:
                ax.set_xscale("log")
            else:
                ax.set_xscale("symlog")
        ax.set_xlabel(f"{proxy_label(proxy)} (raw score)")
        ax.set_ylabel("test F1 (%)")
        ax.set_title(dataset)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7, markerscale=2)
    pools = ", ".join(sorted({r.pool for r in usable.values()}))
    fig.suptitle(f"{proxy_label(proxy)} vs test F1 (pool: {pools})", fontsize=11)
    fig.tight_layout()
    return fig


def scatter_figures(results: dict[str, PoolResult]) -> dict[str, Callable]:
    """Figure name -> maker, one scatter per evaluated proxy."""
    proxies = list(next(iter(results.values())).metrics.index)
    return {f"scatter_{p}": (lambda r, p=p: scatter_proxy(r, p)) for p in proxies}
