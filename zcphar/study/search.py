"""`search`: the practitioner's answer, a good model for a new dataset while training only a few.

Sample candidates (optionally constrained to wearable sizes), score them all with zero-cost
proxies, train only the top ones by the ensemble (or one proxy), and hand back the best trained
model by validation F1, with its test F1, size, CPU latency, checkpoint and an optional export.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import torch

from zcphar.data.types import PreparedDataset
from zcphar.errors import ZcpharError
from zcphar.execute import score_architectures
from zcphar.proxies import DEFAULT_MEMBERS, get_proxy
from zcphar.space import Constraints
from zcphar.store import RunStore
from zcphar.study.steps import sample_into
from zcphar.train import TrainConfig


@dataclass
class SearchResult:
    """The chosen model and what finding it cost.

    Attributes:
        arch_id, describe, spec: the best trained architecture by validation F1.
        val_f1, test_f1: its best validation macro F1 and the test macro F1 of that checkpoint.
        params, flops: trainable parameters and forward FLOPs per window.
        latency_ms: median CPU time of one forward on one window (1 thread).
        checkpoint: path of its best-epoch weights; export: the exported file, if any.
        candidates, trained: how many were scored and how many trained.
        score_seconds, train_seconds: compute spent scoring and training.
        all_train_seconds_estimate: training every candidate, estimated from FLOPs.
        preprocessing: what a deployment must do to raw windows: channels, rate, window
            length, the per-channel z-score (mean, scale) fitted on training rows, classes.
    """

    arch_id: str
    describe: str
    spec: dict[str, Any]
    val_f1: float
    test_f1: float
    params: int
    flops: int
    latency_ms: float
    checkpoint: str
    export: str | None
    candidates: int
    trained: int
    score_seconds: float
    train_seconds: float
    all_train_seconds_estimate: float
    preprocessing: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def search(
    store: RunStore,
    data: PreparedDataset,
    data_ref: dict[str, Any],
    executor,
    *,
    candidates: int = 500,
    train: int = 10,
    by: str = "ensemble",
    constraints: Constraints | None = None,
    config: TrainConfig | None = None,
    batch_size: int = 256,
    seed: int = 0,
    device: str = "cpu",
    export: str | Path | None = None,
    progress: bool = True,
) -> SearchResult:
    """Find a good model for `data` by training only `train` of `candidates` architectures.

    Args:
        store: run store (resumable: a second call reuses scores and trainings).
        data, data_ref: the prepared dataset and its plain-data reference for jobs.
        executor: where jobs run (entered).
        candidates: architectures to sample and score.
        train: how many of the best-scored to train.
        by: ``ensemble`` or a proxy name to rank candidates by.
        constraints: limits for wearables (max params / FLOPs / layers / width).
        config: training settings (default: the paper's protocol).
        batch_size: the fixed scoring batch.
        seed: seeds sampling, the batch, initial weights and training.
        device: where jobs compute.
        export: also export the chosen model (``.pt`` TorchScript, ``.pt2``, ``.onnx``).
        progress: show progress bars.
    """
    from zcphar.execute import train_architectures

    if not 1 <= train <= candidates:
        raise ZcpharError(f"--train must be between 1 and --candidates ({candidates}), got {train}")
    proxies = _proxies_for(by)
    batch_size = min(batch_size, len(data.train))  # a small split: the batch is all of it
    config = config or TrainConfig.preset("paper", seed=seed)
    specs = sample_into(store, data, n=candidates, seed=seed, ratio={"cnn": 3.0, "lstm": 1.0},
                        constraints=constraints or Constraints())
    score_architectures(store, specs, data_ref, executor, proxies=proxies, batch_size=batch_size,
               batch_seed=seed, seed=seed, device=device, progress=progress)
    ids = store.top_k(train, by, batch_size=batch_size, ids=[s.id for s in specs])
    chosen = store.specs(ids)
    train_architectures(store, chosen, data_ref, config, executor, device=device,
                        progress=progress)
    return _summarise(store, specs, ids, config, data, batch_size, export)


def _proxies_for(by: str) -> list[str]:
    if by == "ensemble":
        return [*DEFAULT_MEMBERS, "params", "flops"]
    get_proxy(by)  # unknown names raise, listing the valid ones
    return [by, "params", "flops"]


def _summarise(store, specs, ids, config, data, batch_size, export) -> SearchResult:
    from zcphar.checkpoint import load_checkpoint
    from zcphar.export import cpu_latency_ms, export_model

    runs = store.trainings(config.hash())
    runs = runs[runs["arch_id"].isin(ids) & (runs["status"] == "ok")]
    if runs.empty:
        raise ZcpharError("every selected architecture failed to train; see zcphar export RUN")
    best = runs.sort_values(["best_val_f1", "arch_id"], ascending=[False, True]).iloc[0]
    model, info = load_checkpoint(best["checkpoint"])
    archs = store.architectures().set_index("id")
    exported = None
    if export is not None:
        example = torch.from_numpy(data.val.X[:1])
        exported = str(export_model(model, example, export))
    scores = store.score_rows()
    scores = scores[scores["arch_id"].isin([s.id for s in specs])
                    & (scores["batch_size"] == batch_size)
                    & (scores["coverage"] == "extended") & (scores["dropout"] == "off")]
    # every proxy row of an architecture carries that architecture's whole scoring time
    score_seconds = float(scores.groupby("arch_id")["seconds"].max().fillna(0).sum())
    flops = archs["flops"].reindex([s.id for s in specs]).astype(float)
    trained_flops = float(flops.reindex(runs["arch_id"]).sum())
    train_seconds = float(runs["seconds"].sum())
    estimate = train_seconds * float(flops.sum()) / trained_flops if trained_flops else math.nan
    return SearchResult(
        arch_id=str(best["arch_id"]),
        describe=str(archs.at[best["arch_id"], "describe"]),
        spec=info["spec"],
        val_f1=float(best["best_val_f1"]),
        test_f1=float(best["test_f1"]),
        params=int(archs.at[best["arch_id"], "params"]),
        flops=int(archs.at[best["arch_id"], "flops"]),
        latency_ms=cpu_latency_ms(model, data.num_channels, data.window),
        checkpoint=str(best["checkpoint"]),
        export=exported,
        candidates=len(specs),  # sample_into keeps each spec once
        trained=len(runs),
        score_seconds=score_seconds,
        train_seconds=train_seconds,
        all_train_seconds_estimate=estimate,
        preprocessing={
            "channels": data.meta.get("channels"), "rate_hz": data.meta.get("rate_hz"),
            "window": data.window, "zscore": data.meta.get("scaler"),
            "classes": data.meta.get("classes"),
        },
    )


def format_result(r: SearchResult) -> str:
    """A short human-readable summary of a search."""
    saving = r.all_train_seconds_estimate / max(r.score_seconds + r.train_seconds, 1e-9)
    lines = [
        f"best model: {r.describe}  (id {r.arch_id})",
        f"  validation F1 {r.val_f1:.3f}   test F1 {r.test_f1:.3f}",
        f"  {r.params:,} parameters, {r.flops:,} FLOPs per window, "
        f"{r.latency_ms:.2f} ms per window on this CPU (1 thread)",
        f"  checkpoint: {r.checkpoint}",
    ]
    if r.export:
        lines.append(f"  exported: {r.export}")
    lines.append(
        f"compute: scored {r.candidates} candidates in {r.score_seconds:.1f} s, trained "
        f"{r.trained} in {r.train_seconds:.1f} s; training all {r.candidates} would take about "
        f"{r.all_train_seconds_estimate:.0f} s (estimated from FLOPs), {saving:.0f}x more"
    )
    return "\n".join(lines)


def save_result(result: SearchResult, path: Path) -> None:
    """Write the result as JSON (``best.json`` in the run directory)."""
    path.write_text(json.dumps(result.to_dict(), indent=2) + "\n")
