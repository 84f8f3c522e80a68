"""One job = one architecture to train or score, as plain data in and plain data out.

A job is a JSON-able dict, so it can cross a process pool or a Ray cluster unchanged:

    {"kind": "train",
     "data": {"dataset": "watch", "options": {...ProtocolOptions...} | None,
              "reader_options": {...} | None, "data_dir": str | None},
     "spec": {...spec dict...}, "config": {...TrainConfig dict...}, "seed": 0,
     "device": "cpu", "progress": False}

`run_job(job)` never raises: a job that fails returns ``{"error": "<type>: <message>"}`` plus
its traceback, so the driver can record it. The prepared dataset is loaded from zcphar's cache
once per process and kept (memoised on the data dict).
"""

from __future__ import annotations

import json
import traceback
from functools import lru_cache
from pathlib import Path
from typing import Any

from zcphar.data.types import PreparedDataset
from zcphar.errors import unknown_choice


def data_ref(
    dataset: str, options=None, *, reader_options: dict | None = None, data_dir=None
) -> dict[str, Any]:
    """The plain-data reference to a prepared dataset that jobs carry.

    Args:
        dataset: registry name or path (as for `zcphar.data.prepare`).
        options: `ProtocolOptions`, its dict, or None (the paper's protocol).
        reader_options: reader options of the dataset.
        data_dir: where the raw data lives (None: the reader's default).
    """
    if options is not None and not isinstance(options, dict):
        options = options.to_dict()
    if Path(dataset).exists():  # your own data: workers may run elsewhere
        dataset = Path(dataset).resolve()
    return {
        "dataset": str(dataset),
        "options": options,
        "reader_options": dict(reader_options or {}) or None,
        "data_dir": None if data_dir is None else str(data_dir),
    }


def load_data(ref: dict[str, Any]) -> PreparedDataset:
    """The prepared dataset a `data_ref` names, prepared (or read from the cache) once per
    process."""
    return _load_data(json.dumps(ref, sort_keys=True))


@lru_cache(maxsize=4)
def _load_data(key: str) -> PreparedDataset:
    from dataclasses import fields

    from zcphar.data import prepare
    from zcphar.data.protocol import ProtocolOptions

    ref = json.loads(key)
    options = None
    if ref.get("options") is not None:
        valid = {f.name for f in fields(ProtocolOptions)}
        given = {k: v for k, v in ref["options"].items() if k in valid}
        for name in ("train_subjects", "val_subjects", "test_subjects"):
            if name in given:
                given[name] = tuple(given[name])
        options = ProtocolOptions(**given)
    return prepare(
        ref["dataset"],
        options,
        data_dir=ref.get("data_dir"),
        reader_options=ref.get("reader_options"),
    )


def train_job(job: dict[str, Any]) -> dict[str, Any]:
    """Train one architecture; returns `zcphar.train.train`'s results with the checkpoint as
    bytes (``checkpoint``) instead of the state dict, plus ``arch_id``."""
    from zcphar.checkpoint import checkpoint_bytes
    from zcphar.space import spec_from_dict
    from zcphar.train import TrainConfig, train

    data = load_data(job["data"])
    spec = spec_from_dict(job["spec"])
    config = TrainConfig.from_dict(job["config"])
    result = train(
        spec,
        data,
        config,
        device=job.get("device", "cpu"),
        seed=job.get("seed"),
        progress=bool(job.get("progress")),
    )
    state = result.pop("state_dict")
    result["checkpoint"] = checkpoint_bytes(
        state,
        spec,
        in_channels=data.num_channels,
        num_classes=data.num_classes,
        window=data.window,
        classes=list(data.meta.get("classes", [])),
    )
    result["arch_id"] = spec.id
    return result


def score_job(job: dict[str, Any]) -> dict[str, Any]:
    """Score one architecture with zero-cost proxies on the pool's fixed batch.

    Job keys besides ``data`` and ``spec``: ``proxies`` (names, or None for all),
    ``coverage``, ``dropout``, ``batch_size``, ``batch_seed`` (draws the fixed batch from the
    training split), ``seed`` (initial weights), ``device``. Returns ``arch_id`` and ``rows``:
    one `RunStore.add_scores` row per proxy (``seconds`` = the architecture's scoring time).
    """
    from zcphar.proxies import fixed_batch, score_spec
    from zcphar.proxies.engine import resolve_names
    from zcphar.space import spec_from_dict

    data = load_data(job["data"])
    spec = spec_from_dict(job["spec"])
    batch = fixed_batch(data.train, int(job["batch_size"]), int(job.get("batch_seed", 0)))
    names = resolve_names(job.get("proxies"), has_val=True)
    seed = int(job.get("seed", 0))
    row = score_spec(
        spec,
        data,
        batch,
        names,
        seed=seed,  # also seeds dropout masks (see score_spec)
        coverage=job["coverage"],
        dropout=job["dropout"],
        device=job.get("device", "cpu"),
    )
    errors = json.loads(row["errors"])
    seconds = sum(v for k, v in row.items() if k.startswith("seconds_"))
    common = {
        "coverage": row["coverage"],
        "dropout": row["dropout"],
        "batch_size": row["batch_size"],
        "batch_hash": row["batch_hash"],
        "seconds": seconds,
    }
    rows = [
        {
            "arch_id": spec.id,
            "proxy": name,
            "value": float(row[name]),
            "error": errors.get(name),
            **common,
        }
        for name in names
    ]
    return {"arch_id": spec.id, "rows": rows}


JOB_KINDS = {"train": train_job, "score": score_job}


def run_job(job: dict[str, Any]) -> dict[str, Any]:
    """Run a job of any kind; failures come back as ``{"error", "traceback"}``, never raised."""
    try:
        kind = job.get("kind")
        if kind not in JOB_KINDS:
            raise unknown_choice("job kind", kind, sorted(JOB_KINDS))
        return JOB_KINDS[kind](job)
    except Exception as err:  # one failed job must not stop the run; the error is recorded
        return {"error": f"{type(err).__name__}: {err}", "traceback": traceback.format_exc()}
