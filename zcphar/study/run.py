"""`run_study`: the whole study on one dataset, resumable through its run directory.

prepare → sample → score (every score mode) → train → evaluate → report. Each step skips what
the run store already holds, so the same call after an interruption finishes the study.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pandas as pd

from zcphar.data.types import PreparedDataset
from zcphar.evaluate import TableResult, evaluate_table
from zcphar.execute import score_architectures
from zcphar.store import RunStore
from zcphar.study.presets import StudyPreset
from zcphar.study.steps import training_pool


@dataclass
class StudyResult:
    """What a study produced.

    Attributes:
        results: evaluation per score mode, keyed ``"<coverage>/<dropout>"``.
        report: path of the HTML report (None when no report was written).
        trained: how many architectures have a training result.
    """

    results: dict[str, TableResult]
    report: Path | None
    trained: int


def run_study(
    store: RunStore,
    data: PreparedDataset,
    data_ref: dict[str, Any],
    preset: StudyPreset,
    executor,
    *,
    seed: int = 0,
    device: str = "cpu",
    report: bool = True,
    progress: bool = True,
) -> StudyResult:
    """Run (or resume) a study in `store`.

    Args:
        store: the run store.
        data: the prepared dataset (sets the models' input shape).
        data_ref: the plain-data reference jobs use to load the same dataset.
        preset: what to sample, score and train.
        executor: where jobs run (`zcphar.execute.get_executor`, already entered).
        seed: seeds the sample, the scoring batch, initial weights and training.
        device: where jobs compute.
        report: write the Markdown/HTML report into ``<run>/report``.
        progress: show progress bars.
    """
    from zcphar.execute import train_architectures
    from zcphar.study.steps import sample_into

    specs = sample_into(
        store, data, n=preset.architectures, seed=seed, ratio=preset.ratio,
        constraints=preset.constraints,
    )
    # the fixed batch holds every training window when the split is smaller than the batch
    preset = preset.with_(batch_size=min(preset.batch_size, len(data.train)))
    for coverage, dropout in preset.score_modes:
        score_architectures(
            store, specs, data_ref, executor, coverage=coverage, dropout=dropout,
            batch_size=preset.batch_size, batch_seed=seed, seed=seed, device=device,
            progress=progress,
        )
    if preset.train_top is not None:
        keep = set(training_pool(store, preset.train_top, batch_size=preset.batch_size,
                                 ids=[s.id for s in specs]))
        specs = [s for s in specs if s.id in keep]
    config = replace(preset.train, seed=seed)
    train_architectures(
        store, specs, data_ref, config, executor, preset=preset.name, device=device,
        progress=progress,
    )
    dataset = str(data.meta.get("name", "dataset"))
    tables = mode_tables(store, preset, config.hash(), [s.id for s in specs])
    results = {mode: evaluate_table(t, dataset, seed=seed) for mode, t in tables.items()}
    path = write_study_report(store, dataset, tables, preset) if report and tables else None
    trained = len(store.done_trainings(config.hash(), include_failed=False))
    return StudyResult(results, path, trained)


def mode_tables(
    store: RunStore, preset: StudyPreset, config_hash: str, ids: list[str]
) -> dict[str, pd.DataFrame]:
    """The paper-layout table of this study's trained architectures (`ids`) per score mode,
    keyed ``"<coverage>/<dropout>"``; modes with fewer than two rows are left out."""
    tables = {}
    for coverage, dropout in preset.score_modes:
        table = store.paper_table(coverage, dropout, config_hash=config_hash,
                                  batch_size=preset.batch_size)
        table = table[table["model_id"].isin(set(ids))].reset_index(drop=True)
        if len(table) >= 2:
            tables[f"{coverage}/{dropout}"] = table
    return tables


def write_study_report(
    store: RunStore, dataset: str, tables: dict[str, pd.DataFrame], preset: StudyPreset
) -> Path:
    """Write the study's report into ``<run>/report``, one column of figures per score mode;
    returns the HTML path."""
    from zcphar.report import build_report

    named = {f"{dataset} {mode.replace('/', '/dropout-')}": t for mode, t in tables.items()}
    source = f"run {store.path} ({preset.describe()})"
    if preset.train_top is not None:
        source += ("; only each proxy's top architectures were trained, so the pool is "
                   "selected by the proxies it evaluates (talent and Δ are optimistic)")
    return build_report(named, store.path / "report", source=source)
