"""The steps a study or a search is made of, each resumable through the run store.

    specs = sample_into(store, data, n=..., seed=0, ...)   # architectures table
    score_into(store, specs, ref, executor, coverage="extended", dropout="off", ...)
    ids = training_pool(store, k=10, by=["ensemble"])       # what to train

Every step skips what the store already holds, so running the same command again resumes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from zcphar.data.types import PreparedDataset
from zcphar.execute import run_jobs
from zcphar.proxies import DEFAULT_MEMBERS
from zcphar.space import Constraints, sample
from zcphar.store import RunStore

STUDY_PROXIES = (
    "grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow", "synflow_bn",
    "initial_val_f1", "params", "flops",
)
"""What a study scores: the paper's proxies, initial validation F1 and the two size baselines."""


def sample_into(
    store: RunStore,
    data: PreparedDataset,
    *,
    n: int,
    seed: int,
    ratio: dict[str, float],
    constraints: Constraints,
) -> list:
    """Sample `n` architectures for `data`'s input shape and add them to the store.

    Sampling is seeded, so the same command gives the same architectures; the store ignores
    architectures it already holds.
    """
    specs = sample(
        n,
        np.random.default_rng(seed),
        ratio=ratio,
        constraints=constraints,
        in_channels=data.num_channels,
        num_classes=data.num_classes,
        window=data.window,
    )
    store.add_architectures(
        specs, in_channels=data.num_channels, num_classes=data.num_classes, window=data.window
    )
    return specs


def score_into(
    store: RunStore,
    specs: Sequence,
    data_ref: dict[str, Any],
    executor,
    *,
    proxies: Sequence[str] = STUDY_PROXIES,
    coverage: str = "extended",
    dropout: str = "off",
    batch_size: int = 256,
    seed: int = 0,
    device: str = "cpu",
    progress: bool = True,
) -> int:
    """Score every spec not yet scored in this (coverage, dropout, batch size); returns how
    many architectures were scored now.

    All candidates are scored on one fixed batch (drawn with `seed` from the training split)
    and built with the same weight seed, so their scores compare.
    """
    done = store.done_scores(proxies, coverage=coverage, dropout=dropout, batch_size=batch_size)
    todo = [s for s in specs if s.id not in done]
    jobs = [
        {
            "kind": "score",
            "data": data_ref,
            "spec": spec.to_dict(),
            "proxies": list(proxies),
            "coverage": coverage,
            "dropout": dropout,
            "batch_size": batch_size,
            "batch_seed": seed,
            "seed": seed,
            "device": device,
        }
        for spec in todo
    ]

    def store_rows(job: dict, result: dict) -> None:
        if result.get("error"):  # the job itself broke: record every proxy as failed
            from zcphar.space import spec_from_dict

            arch_id = spec_from_dict(job["spec"]).id
            result = {"rows": [_failed_row(arch_id, name, job, result["error"]) for name in proxies]}
        store.add_scores(result["rows"])

    run_jobs(jobs, executor, store_rows, desc=f"score {coverage}/{dropout}", progress=progress)
    return len(todo)


def _failed_row(arch_id: str, proxy: str, job: dict, error: str) -> dict[str, Any]:
    return {
        "arch_id": arch_id, "proxy": proxy, "value": float("nan"), "error": error,
        "coverage": job["coverage"], "dropout": job["dropout"],
        "batch_size": job["batch_size"], "batch_hash": None, "seconds": None,
    }


def training_pool(
    store: RunStore,
    k: int,
    by: Sequence[str] = ("ensemble", *DEFAULT_MEMBERS),
    *,
    coverage: str = "extended",
    dropout: str = "off",
    batch_size: int | None = None,
) -> list[str]:
    """The union of the top `k` architectures by each ranking in `by`, in first-seen order."""
    chosen: dict[str, None] = {}
    for name in by:
        for arch_id in store.top_k(k, name, coverage=coverage, dropout=dropout,
                                   batch_size=batch_size):
            chosen.setdefault(arch_id)
    return list(chosen)
