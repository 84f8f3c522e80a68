"""Fig. 6: the best predicted and the best trained architecture of each dataset, as blocks.

Each block is a rectangle whose height grows with its width (CNN channels or LSTM hidden
units, log scale) and whose label gives width, kernel and dropout; the shade darkens with
dropout. Needs the ``spec`` column (JSON) that zcphar runs add to their tables.
"""

from __future__ import annotations

import json

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle

from zcphar.evaluate.ranking import ENSEMBLE, VAL, order_by
from zcphar.evaluate.summary import PoolResult


def picks(result: PoolResult, proxy: str = ENSEMBLE) -> dict[str, dict] | None:
    """Specs (as dicts) of the proxy's top-1 and of the best trained (highest validation F1).

    Returns:
        ``{"best predicted (<proxy>)": spec, "best trained": spec}``, or None without ``spec``
        values for both.
    """
    table = result.table
    if "spec" not in table.columns or proxy not in table.columns:
        return None
    from zcphar.evaluate.ranking import oriented

    ids = table["model_id"]
    predicted = order_by(oriented(table, proxy), ids)
    trained = order_by(table[VAL].astype(float), ids)
    if len(predicted) == 0 or len(trained) == 0:  # every score NaN: nothing to draw
        return None
    rows = {f"best predicted ({proxy})": predicted[0], "best trained": trained[0]}
    out = {}
    for label, row in rows.items():
        text = table["spec"].iloc[row]
        if not isinstance(text, str) or not text.strip():
            return None
        spec = json.loads(text)
        spec["model_id"] = str(ids.iloc[row])
        spec["test_f1"] = float(table["best_test_f1_macro"].iloc[row])
        out[label] = spec
    return out


def block_label(block: dict) -> tuple[float, str]:
    """(width, label) of one block: CNN ``{channels, kernel, dropout}``, LSTM ``{hidden, ...}``."""
    if "channels" in block:
        width = float(block["channels"])
        label = f"{block['channels']} ch\nk{block.get('kernel', '?')}"
    else:
        width = float(block.get("hidden", 1))
        label = f"{block.get('hidden', '?')} hid"
    return width, f"{label}\np{block.get('dropout', 0):g}"


def draw_spec(ax, spec: dict, title: str, slots: int = 7) -> None:
    """Draw one architecture as a row of blocks on `ax`, which has room for `slots` blocks."""
    blocks = spec.get("blocks", [])
    for i, block in enumerate(blocks):
        width, label = block_label(block)
        height = 0.25 + 0.75 * min(1.0, np.log2(max(width, 1.0)) / 9)
        shade = plt.cm.Blues(0.35 + 0.6 * min(1.0, float(block.get("dropout", 0)) / 0.5))
        ax.add_patch(Rectangle((i, (1 - height) / 2), 0.85, height, facecolor=shade,
                               edgecolor="black", linewidth=0.6))
        ax.text(i + 0.425, 0.5, label, ha="center", va="center", fontsize=7)
    ax.set_xlim(-0.1, max(slots, len(blocks), 1))
    ax.set_ylim(0, 1)
    ax.axis("off")
    family = spec.get("family", "?").upper()
    ax.set_title(f"{title}: {family}, {spec['model_id']}\ntest F1 {100 * spec['test_f1']:.1f}",
                 fontsize=8)


def fig6_architectures(results: dict[str, PoolResult]) -> Figure | str:
    """Fig. 6: per dataset, the ensemble's top-1 architecture next to the best trained one."""
    chosen = {d: picks(r) for d, r in results.items()}
    chosen = {d: p for d, p in chosen.items() if p}
    if not chosen:
        return "no 'spec' column (architecture specs) in the tables; Fig. 6 needs a zcphar run"
    fig, axes = plt.subplots(len(chosen), 2, figsize=(11, 1.7 * len(chosen) + 0.5),
                             squeeze=False)
    slots = max(len(s.get("blocks", [])) for p in chosen.values() for s in p.values())
    for row, (dataset, specs) in zip(axes, chosen.items(), strict=True):
        for ax, (label, spec) in zip(row, specs.items(), strict=True):
            draw_spec(ax, spec, f"{dataset} — {label}", max(slots, 4))
    fig.suptitle("Best predicted vs best trained architectures (block height ~ log width, "
                 "darker = more dropout)", fontsize=10)
    fig.tight_layout()
    return fig
