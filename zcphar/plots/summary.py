"""Figs. 2, 3, 4, 5 and 7: per-dataset bars, the Spearman heat map, noise and random search."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from zcphar.evaluate.summary import PoolResult
from zcphar.plots.common import RANDOM_COLOUR, colour, new_figure, proxy_label

TITLES = {
    "delta1": "Δ1: gap of the top-1 pick (pp test F1, lower is better)",
    "delta10": "Δ10: gap of the best of the top 10 (pp)",
    "delta10pct": "Δ10%: gap of the best of the top 10% (pp)",
    "talent": "talent rate: top 10% ∩ validation top 10% (%)",
}


def _pool_note(results: dict[str, PoolResult]) -> str:
    pools = sorted({r.pool for r in results.values()})
    return f"pool: {', '.join(pools)}"


def _bars(ax, results: dict[str, PoolResult], metric: str) -> None:
    """Grouped bars: one group per dataset, one bar per proxy, random mean ± std in black."""
    datasets = list(results)
    proxies = list(next(iter(results.values())).metrics.index)
    width = 0.8 / (len(proxies) + 1)
    x = np.arange(len(datasets))
    for i, proxy in enumerate(proxies):
        values = [r.metrics.at[proxy, metric] if proxy in r.metrics.index else np.nan
                  for r in results.values()]
        ax.bar(x + (i - len(proxies) / 2) * width, values, width, color=colour(i),
               label=proxy_label(proxy), edgecolor="white", linewidth=0.3)
    mean = [r.random.at[metric, "mean"] for r in results.values()]
    std = [r.random.at[metric, "std"] for r in results.values()]
    ax.errorbar(x + (len(proxies) / 2) * width, mean, yerr=std, fmt="s", color=RANDOM_COLOUR,
                markersize=4, capsize=3, label="random search (mean ± std)")
    ax.axhline(0, color="black", linewidth=0.6)
    ax.set_xticks(x, datasets)
    ax.set_title(TITLES[metric], fontsize=10)
    ax.grid(axis="y", alpha=0.3)


def _two_bar_panels(results: dict[str, PoolResult], metrics: tuple[str, str], title: str):
    fig, axes = plt.subplots(2, 1, figsize=(max(8.0, 1.9 * len(results)), 7.5))
    for ax, metric in zip(axes, metrics, strict=True):
        _bars(ax, results, metric)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="lower center", ncol=5, fontsize=8)
    fig.suptitle(f"{title} ({_pool_note(results)})", fontsize=11)
    fig.tight_layout(rect=(0, 0.07, 1, 1))
    return fig


def fig2_delta(results: dict[str, PoolResult]) -> Figure:
    """Fig. 2: Δ1 and Δ10 per dataset and proxy, random search as mean ± std."""
    return _two_bar_panels(results, ("delta1", "delta10"), "Performance gap")


def fig3_talent(results: dict[str, PoolResult]) -> Figure:
    """Fig. 3: talent rate and Δ10% per dataset and proxy, random search as mean ± std."""
    return _two_bar_panels(results, ("talent", "delta10pct"), "Talent rate and Δ10%")


def fig4_spearman(results: dict[str, PoolResult]) -> Figure:
    """Fig. 4: heat maps of Spearman correlation of each proxy with test and validation F1."""
    datasets = list(results)
    proxies = list(next(iter(results.values())).metrics.index)
    fig, axes = plt.subplots(1, 2, figsize=(3 + 1.7 * len(datasets), 0.45 * len(proxies) + 2))
    for ax, target in zip(axes, ("spearman_test", "spearman_val"), strict=True):
        grid = np.array([[r.metrics.at[p, target] if p in r.metrics.index else np.nan
                          for r in results.values()] for p in proxies])
        image = ax.imshow(grid, cmap="RdBu_r", vmin=-1, vmax=1, aspect="auto")
        for (i, j), value in np.ndenumerate(grid):
            if np.isfinite(value):
                ax.text(j, i, f"{value:.2f}", ha="center", va="center", fontsize=8,
                        color="white" if abs(value) > 0.6 else "black")
        ax.set_xticks(range(len(datasets)), datasets, rotation=30, ha="right")
        first = ax is axes[0]
        ax.set_yticks(range(len(proxies)), [proxy_label(p) for p in proxies] if first else [])
        ax.set_title(f"Spearman ρ with {target.split('_')[1]} F1", fontsize=10)
    fig.colorbar(image, ax=axes, shrink=0.8)
    fig.suptitle(f"Rank correlation ({_pool_note(results)})", fontsize=11)
    return fig


def fig5_noise(results: dict[str, PoolResult]) -> Figure | str:
    """Fig. 5: Spearman with test F1 against the noise variance added to the test inputs."""
    with_noise = {d: r for d, r in results.items() if r.noise.shape[1] > 1}
    if not with_noise:
        return "no best_test_f1_macro_noise_<variance> columns in the tables"
    fig, axes = new_figure(len(with_noise))
    for ax, (dataset, result) in zip(axes, with_noise.items(), strict=True):
        variances = list(result.noise.columns)
        x = np.arange(len(variances))
        for i, proxy in enumerate(result.noise.index):
            ax.plot(x, result.noise.loc[proxy].to_numpy(dtype=float), marker="o",
                    color=colour(i), label=proxy_label(proxy))
        ax.set_xticks(x, [f"{v:g}" for v in variances])
        ax.set_xlabel("noise variance (0 = clean test set)")
        ax.set_ylabel("Spearman ρ with test F1")
        ax.set_title(dataset)
        ax.grid(alpha=0.3)
    handles, labels = axes[0].get_legend_handles_labels()
    fig.legend(handles, labels, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=5,
               fontsize=8)
    fig.suptitle(f"Noise robustness ({_pool_note(results)})", fontsize=11)
    fig.tight_layout()
    return fig


def fig7_random_curve(results: dict[str, PoolResult]) -> Figure:
    """Fig. 7: Δ of random search (mean ± std) vs number of trained architectures, vs proxy."""
    fig, axes = new_figure(len(results))
    for ax, (dataset, result) in zip(axes, results.items(), strict=True):
        curve = result.curve
        n = curve.index.to_numpy()
        mean, std = curve["random_mean"].to_numpy(), curve["random_std"].to_numpy()
        ax.plot(n, mean, color=RANDOM_COLOUR, label="random search (mean)")
        ax.fill_between(n, mean - std, mean + std, color=RANDOM_COLOUR, alpha=0.15,
                        label="± 1 std")
        for i, proxy in enumerate(c for c in curve.columns if not c.startswith("random")):
            ax.plot(n, curve[proxy], color=colour(i), marker=".", label=f"{proxy} top-n")
        ax.set_xscale("log")
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xlabel("architectures trained")
        ax.set_ylabel("Δ (pp test F1)")
        ax.set_title(dataset)
        ax.grid(alpha=0.3)
    axes[0].legend(fontsize=7)
    fig.suptitle(f"Random search vs proxy ranking ({_pool_note(results)})", fontsize=11)
    fig.tight_layout()
    return fig
