"""A self-contained Markdown + HTML report of an evaluation, with its figures and numbers.

    out/
      report.md, report.html     the same content; open report.html in a browser (no server)
      results.json               every number (as `zcphar evaluate --json`), one key per pool
      figures/<pool>/*.png|svg   the figures, referenced by relative paths

The report is a list of blocks (heading, paragraph, table, image) rendered twice, so the
Markdown and the HTML always say the same thing.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
from tqdm import tqdm

from zcphar import __version__
from zcphar.errors import ZcpharError
from zcphar.evaluate import N_DRAWS, TableResult, evaluate_table, family_of, to_json
from zcphar.evaluate.text import metrics_frame, pool_heading
from zcphar.plots import plot_all

EXPLANATION = (
    "**How to read the numbers.** For every pool, the architecture with the highest validation "
    "F1 is the one full training would ship ('best'). **Δk** is its test F1 minus the test F1 of "
    "the architecture that training only a proxy's top-k would ship (the best validation F1 "
    "among them), in percentage points: 0 means the proxy lost nothing, negative means its "
    "pick generalises better. Δ10% uses k = round(0.1·N). The **talent rate** is the share of "
    "the proxy's top 10 % that is also in the validation top 10 % (random ≈ 10 %). ρ and τ are "
    "Spearman and Kendall rank correlations with test / validation F1 (grasp negated, so "
    "positive is good). **Random search** trains k random architectures "
    "({draws} seeded draws; mean ± population std). The **ensemble** is the mean percentile "
    "rank of grad_norm, snip, grasp, fisher, jacob_cov, plain and synflow, computed inside "
    "each pool. Ties are broken by model_id; NaN scores are left out and counted."
)
POOL_TEXT = {
    "all": "all rows (as the paper's reproduction code)",
    "cnn+rnn": "CNN and RNN/LSTM rows only (as the paper's text)",
}


@dataclass(frozen=True)
class Block:
    """One piece of the report: kind is heading/paragraph/table/image."""

    kind: str
    text: str = ""
    level: int = 2
    table: pd.DataFrame | None = None


def _markdown_table(frame: pd.DataFrame) -> str:
    header = [frame.index.name or ""] + [str(c) for c in frame.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for index, row in frame.iterrows():
        lines.append("| " + " | ".join([str(index), *map(str, row.tolist())]) + " |")
    return "\n".join(lines)


def render_markdown(blocks: Sequence[Block]) -> str:
    """The blocks as Markdown."""
    parts = []
    for b in blocks:
        if b.kind == "heading":
            parts.append("#" * b.level + " " + b.text)
        elif b.kind == "table":
            parts.append(_markdown_table(b.table))
        elif b.kind == "image":
            parts.append(f"![{Path(b.text).stem}]({b.text})")
        else:
            parts.append(b.text)
    return "\n\n".join(parts) + "\n"


def _inline(text: str) -> str:
    """Escape, then turn **bold** into <strong>."""
    pieces = html.escape(text).split("**")
    return "".join(f"<strong>{p}</strong>" if i % 2 else p for i, p in enumerate(pieces))


def render_html(blocks: Sequence[Block], title: str) -> str:
    """The blocks as one standalone HTML page (inline CSS, relative image paths)."""
    body = []
    for b in blocks:
        if b.kind == "heading":
            body.append(f"<h{b.level}>{html.escape(b.text)}</h{b.level}>")
        elif b.kind == "table":
            body.append(b.table.to_html(escape=True, border=0, classes="metrics"))
        elif b.kind == "image":
            src = html.escape(b.text)
            body.append(f'<figure><a href="{src}"><img src="{src}" alt="{src}"></a></figure>')
        else:
            body.append(f"<p>{_inline(b.text)}</p>")
    style = (
        "body{font-family:sans-serif;max-width:1200px;margin:2em auto;padding:0 1em;}"
        "table.metrics{border-collapse:collapse;font-size:13px;margin:0.5em 0 1.5em;}"
        "table.metrics td,table.metrics th{padding:2px 8px;text-align:right;"
        "border-bottom:1px solid #ddd;}img{max-width:100%;}"
    )
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{html.escape(title)}</title><style>{style}</style></head>\n<body>\n"
            + "\n".join(body) + "\n</body></html>\n")


def default_pools(tables: dict[str, pd.DataFrame]) -> list[str]:
    """``all``, plus ``cnn+rnn`` when some table also has other families (e.g. Transformers)."""
    families = set().union(*(set(family_of(t)) for t in tables.values()))
    return ["all", "cnn+rnn"] if families - {"CNN", "RNN"} and families & {"CNN", "RNN"} else [
        "all"]


def _best_frame(results: dict[str, TableResult]) -> pd.DataFrame:
    """Per dataset: the best proxy by Δ1, Δ10 and talent, with the random baseline."""
    rows = {}
    for name, r in results.items():
        m, rnd = r.pooled.metrics, r.pooled.random
        row = {}
        for metric, pick in (("delta1", "idxmin"), ("delta10", "idxmin"), ("talent", "idxmax")):
            column = m[metric].dropna()
            best = getattr(column, pick)() if len(column) else None
            row[metric] = "—" if best is None else f"{best} ({column[best]:.2f})"
            row[f"random {metric}"] = f"{rnd.at[metric, 'mean']:.2f} ± {rnd.at[metric, 'std']:.2f}"
        rows[name] = row
    return pd.DataFrame.from_dict(rows, orient="index").rename_axis("dataset")


def pool_blocks(pool: str, results: dict[str, TableResult], figures: dict, notes: dict,
                out: Path) -> list[Block]:
    """The report section of one pool: summary, per-dataset tables, figures, per family."""
    blocks = [Block("heading", f"Pool: {POOL_TEXT.get(pool, pool)}"),
              Block("paragraph", f"Every number in this section ranks among the {pool!r} rows."),
              Block("heading", "Best proxy per dataset", 3), Block("table", table=_best_frame(
                  results))]
    for name, r in results.items():
        blocks += [Block("heading", name, 3), Block("paragraph", pool_heading(name, r.pooled)),
                   Block("table", table=metrics_frame(r.pooled))]
        if r.pooled.top_families.shape[1] > 1:
            blocks += [Block("paragraph", f"{name}: families in each proxy's top 10 % (%)"),
                       Block("table", table=r.pooled.top_families.round(1))]
    blocks.append(Block("heading", "Figures", 3))
    for paths in figures.values():
        png = [p for p in paths if p.suffix == ".png"] or paths
        blocks.append(Block("image", png[0].relative_to(out).as_posix()))
    blocks += [Block("paragraph", f"{name} not drawn: {why}.") for name, why in notes.items()]
    family_results = [(n, f) for n, r in results.items() for f in r.families.values()]
    if family_results:
        blocks.append(Block("heading", f"Per family (each family ranked on its own, within "
                                       f"{pool!r})", 3))
        for name, f in family_results:
            blocks += [Block("paragraph", pool_heading(name, f)),
                       Block("table", table=metrics_frame(f))]
    return blocks


def build_report(
    tables: dict[str, pd.DataFrame],
    out_dir: str | Path,
    *,
    source: str,
    seed: int = 0,
    pools: Sequence[str] | None = None,
    n_draws: int = N_DRAWS,
    formats: Sequence[str] = ("png", "svg"),
    scatters: bool = True,
) -> Path:
    """Evaluate `tables` on each pool, draw the figures and write the report.

    Args:
        tables: dataset name -> table in the paper's layout.
        out_dir: output folder (created).
        source: where the tables came from (printed in the report).
        seed: seed of the random-search draws.
        pools: pools to report (default: `default_pools`).
        n_draws: random-search draws.
        formats: figure formats (PNG is what the report shows).
        scatters: include the proxy-vs-F1 scatter figures.

    Returns:
        Path of ``report.html``.
    """
    if not tables:
        raise ZcpharError("no tables to report on")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    pools = list(pools or default_pools(tables))
    title = "zcphar report: " + ", ".join(tables)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    blocks = [Block("heading", title, 1),
              Block("paragraph", f"Source: {source}. zcphar {__version__}, {stamp}, seed {seed}, "
                                 f"{n_draws} random draws. Pools: {', '.join(pools)}."),
              Block("paragraph", EXPLANATION.format(draws=n_draws))]
    numbers = {}
    for pool in pools:
        results = {n: evaluate_table(t, n, seed=seed, pool=pool, n_draws=n_draws)
                   for n, t in tqdm(tables.items(), desc=f"evaluate {pool}", unit="table",
                                    disable=None)}
        figures, notes = plot_all({n: r.pooled for n, r in results.items()},
                                  out / "figures" / pool.replace("+", "_"), formats,
                                  scatters=scatters)
        blocks += pool_blocks(pool, results, figures, notes, out)
        numbers[pool] = to_json(results, seed=seed, draws=n_draws, pool=pool)
    (out / "results.json").write_text(json.dumps(numbers, indent=1))
    (out / "report.md").write_text(render_markdown(blocks))
    path = out / "report.html"
    path.write_text(render_html(blocks, title))
    return path
