"""The paper's table layout of a run, and CSV export.

`paper_table` lays a run's trained architectures out in the columns of the paper's published
per-architecture CSVs, so the same evaluation code reads both; `export_csv` writes every table
of a run as CSV.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from zcphar.errors import ZcpharError

if TYPE_CHECKING:
    from zcphar.store import RunStore

PAPER_PROXIES = tuple("grad_norm snip grasp fisher jacob_cov plain synflow synflow_bn".split())


def noise_column(key: str) -> str:
    """Column of the test F1 at one noise variance, e.g. ``best_test_f1_macro_noise_0.001``."""
    return f"best_test_f1_macro_noise_{key}"


def paper_table(
    store: RunStore,
    coverage: str = "extended",
    dropout: str = "off",
    *,
    config_hash: str | None = None,
    batch_size: int | None = None,
) -> pd.DataFrame:
    """Trained architectures in the column layout of the paper's published CSVs.

    Columns: model_id, model_type, initial_val_f1_macro, best_val_f1_macro,
    best_test_f1_macro, the eight paper proxies (NaN where not scored), train_flops, then
    family, spec, params, flops and best_test_f1_macro_noise_<variance>. ``train_flops`` =
    3 × forward FLOPs per window × training windows × epochs (backward ≈ 2 × forward).

    Args:
        coverage, dropout, batch_size: which stored scores fill the proxy columns.
        config_hash: which training config; needed only when several were run.
    """
    train = _one_config(store.trainings(), config_hash)
    train = train[train["status"] == "ok"]
    archs = store.architectures().set_index("id")
    scores = store.scores(coverage, dropout, batch_size).set_index("arch_id")
    table = pd.DataFrame({"model_id": train["arch_id"].to_numpy()})
    ids = table["model_id"]
    table["model_type"] = archs["model_type"].reindex(ids).to_numpy()
    table["initial_val_f1_macro"] = train["initial_val_f1"].to_numpy()
    table["best_val_f1_macro"] = train["best_val_f1"].to_numpy()
    table["best_test_f1_macro"] = train["test_f1"].to_numpy()
    for proxy in PAPER_PROXIES:
        column = scores[proxy] if proxy in scores else pd.Series(dtype=float)
        table[proxy] = column.reindex(ids).astype(float).to_numpy()
    flops = archs["flops"].reindex(ids).to_numpy()
    table["train_flops"] = (
        3.0 * flops * train["train_windows"].to_numpy() * train["epochs"].to_numpy()
    )
    for column in ("family", "spec", "params", "flops"):
        table[column] = archs[column].reindex(ids).to_numpy()
    noise = [json.loads(text) for text in train["noise_test_f1"]]
    for key in sorted({k for d in noise for k in d}, key=float):
        table[noise_column(key)] = [d.get(key, float("nan")) for d in noise]
    return table



def export_csv(store: RunStore, out_dir: str | Path) -> list[Path]:
    """Write architectures.csv, scores.csv, trainings.csv and paper_table.csv (one per
    training config, ``paper_table_<hash>.csv``, when several) into `out_dir`."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = {
        "architectures": store.architectures(),
        "scores": store.score_rows(),
        "trainings": store.trainings(),
    }
    hashes = sorted(tables["trainings"]["config_hash"].unique())
    if not hashes:  # nothing trained yet: the header alone
        tables["paper_table"] = paper_table(store)
    for h in hashes:
        name = "paper_table" if len(hashes) == 1 else f"paper_table_{h}"
        tables[name] = paper_table(store, config_hash=h)
    written = []
    for name, frame in tables.items():
        frame.to_csv(out / f"{name}.csv", index=False)
        written.append(out / f"{name}.csv")
    return written


def _one_config(trainings: pd.DataFrame, config_hash: str | None) -> pd.DataFrame:
    hashes = sorted(trainings["config_hash"].unique())
    if config_hash is None and len(hashes) > 1:
        raise ZcpharError(f"the run has several training configs {hashes}; choose one of them")
    if config_hash is not None:
        if config_hash not in hashes:
            raise ZcpharError(
                f"unknown training config {config_hash!r}; choose one of: {', '.join(hashes)}"
            )
        trainings = trainings[trainings["config_hash"] == config_hash]
    return trainings.reset_index(drop=True)
