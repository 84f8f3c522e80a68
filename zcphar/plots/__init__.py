"""The paper's figures (Figs. 2-7) and proxy-vs-F1 scatter plots, from evaluation results.

    from zcphar.evaluate import evaluate_table
    from zcphar.plots import plot_all
    results = {name: evaluate_table(t, name).pooled for name, t in tables.items()}
    written, notes = plot_all(results, "figures/")   # PNG + SVG per figure

matplotlib with the Agg backend (no display needed); colours from the Okabe-Ito palette,
which stays distinguishable under the common colour-vision deficiencies.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from tqdm import tqdm  # noqa: E402

from zcphar.evaluate.summary import PoolResult  # noqa: E402
from zcphar.plots.arch import fig6_architectures  # noqa: E402
from zcphar.plots.common import FORMATS, save  # noqa: E402
from zcphar.plots.scatter import scatter_figures  # noqa: E402
from zcphar.plots.summary import (  # noqa: E402
    fig2_delta,
    fig3_talent,
    fig4_spearman,
    fig5_noise,
    fig7_random_curve,
)

FIGURES = {
    "fig2_delta": fig2_delta,
    "fig3_talent": fig3_talent,
    "fig4_spearman": fig4_spearman,
    "fig5_noise": fig5_noise,
    "fig6_architectures": fig6_architectures,
    "fig7_random_search": fig7_random_curve,
}
"""Figure file stem -> function(results) returning a Figure, or a string saying why not."""


def plot_all(
    results: dict[str, PoolResult],
    out_dir: str | Path,
    formats: Sequence[str] = FORMATS,
    *,
    scatters: bool = True,
) -> tuple[dict[str, list[Path]], dict[str, str]]:
    """Write every figure for a set of datasets evaluated on the same pool.

    Args:
        results: dataset name -> its `PoolResult`.
        out_dir: folder for the files (created).
        formats: file formats, default PNG and SVG.
        scatters: also draw one proxy-vs-test-F1 scatter figure per proxy.

    Returns:
        ``(written, notes)``: figure name -> files written, and figure name -> why it was
        skipped (e.g. no ``spec`` column for Fig. 6, no noise columns for Fig. 5).
    """
    written: dict[str, list[Path]] = {}
    notes: dict[str, str] = {}
    figures = dict(FIGURES)
    if scatters:
        figures.update(scatter_figures(results))
    for name, make in tqdm(figures.items(), desc="figures", unit="fig", disable=None):
        fig = make(results)
        if isinstance(fig, str):
            notes[name] = fig
        else:
            written[name] = save(fig, Path(out_dir), name, formats)
    return written, notes


__all__ = [
    "FIGURES",
    "FORMATS",
    "fig2_delta",
    "fig3_talent",
    "fig4_spearman",
    "fig5_noise",
    "fig6_architectures",
    "fig7_random_curve",
    "plot_all",
    "save",
    "scatter_figures",
]
