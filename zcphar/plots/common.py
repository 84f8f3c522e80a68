"""Palette, labels and saving shared by the figures."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib.pyplot as plt
from matplotlib.figure import Figure

FORMATS: tuple[str, ...] = ("png", "svg")

OKABE_ITO = [
    "#E69F00",  # orange
    "#56B4E9",  # sky blue
    "#009E73",  # bluish green
    "#F0E442",  # yellow
    "#0072B2",  # blue
    "#D55E00",  # vermillion
    "#CC79A7",  # reddish purple
    "#000000",  # black
    "#999999",  # grey
]
RANDOM_COLOUR = "#444444"
FAMILY_COLOURS = {"CNN": "#0072B2", "RNN": "#E69F00", "TRANSFORMER": "#009E73"}

PROXY_LABELS = {"initial_val_f1_macro": "initial_val_f1"}


def proxy_label(name: str) -> str:
    """Short display name of a proxy column."""
    return PROXY_LABELS.get(name, name)


def colour(i: int) -> str:
    """The i-th colour of the Okabe-Ito palette (cycled)."""
    return OKABE_ITO[i % len(OKABE_ITO)]


def new_figure(n_panels: int, *, width: float = 4.2, height: float = 3.4, cols: int = 3):
    """A figure with `n_panels` axes in a grid of at most `cols` columns (unused axes hidden)."""
    cols = max(1, min(cols, n_panels))
    rows = -(-n_panels // cols)
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    flat = list(axes.ravel())
    for ax in flat[n_panels:]:
        ax.set_visible(False)
    return fig, flat[:n_panels]


def save(fig: Figure, out_dir: Path, name: str, formats: Sequence[str] = FORMATS) -> list[Path]:
    """Save `fig` as ``out_dir/name.<format>`` for each format, close it, return the paths."""
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for fmt in formats:
        path = out_dir / f"{name}.{fmt}"
        fig.savefig(path, dpi=110, bbox_inches="tight")
        paths.append(path)
    plt.close(fig)
    return paths
