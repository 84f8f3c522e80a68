"""Score architectures of a pool: build each spec with a seed, score it on the fixed batch.

`score_spec` returns one flat row (what ``zcphar score`` writes per architecture and what the
run store keeps); a spec that fails to build or score gives a row of NaNs with the reason, so
one bad architecture never stops a pool.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

import torch

from zcphar.data.types import PreparedDataset
from zcphar.proxies.batch import FixedBatch
from zcphar.proxies.coverage import model_device
from zcphar.proxies.engine import resolve_names, score_detailed
from zcphar.space import ArchSpec, build

GROUPS = ("first_order", "grasp", "jacob_cov", "synflow", "initial_val_f1", "counts")


def score_spec(
    spec: ArchSpec,
    data: PreparedDataset,
    batch: FixedBatch,
    names: Sequence[str] | None = None,
    *,
    seed: int = 0,
    coverage: str = "extended",
    dropout: str = "off",
    path: str = "fused",
    chunk_size: int | None = None,
    device: str | torch.device = "cpu",
    head_init: str = "xavier",
) -> dict[str, Any]:
    """Build `spec` with `seed` and score it; one flat row.

    Args:
        spec: the architecture.
        data: the prepared dataset (channels, classes, and the validation split for
            initial_val_f1).
        batch: the pool's fixed batch (`fixed_batch`).
        names: proxies (default: every registered proxy, initial_val_f1 included).
        seed: weight-initialisation seed passed to `zcphar.space.build`, and the seed of the
            dropout masks when dropout is on.
        coverage, dropout, path, chunk_size: see `zcphar.proxies.score_detailed`.
        device: where the model and batch go.
        head_init: head initialisation passed to `build`.

    Returns:
        ``{"id", "family", "describe", <proxy>..., "coverage", "dropout", "batch_size",
        "batch_hash", "seed", "seconds_<group>"..., "errors"}``; ``errors`` is a JSON object
        (name → reason), ``"{}"`` when every value is finite.
    """
    names = resolve_names(names, has_val=True)
    row: dict[str, Any] = {"id": spec.id, "family": spec.family, "describe": spec.describe()}
    try:
        model = build(spec, data.num_channels, data.num_classes, seed=seed, head_init=head_init)
        model = model.to(device)
        val = (torch.from_numpy(data.val.X), torch.from_numpy(data.val.y))
        # dropout masks (dropout "on") come from torch's global generator: seed it with the
        # architecture's seed inside a fork, so every caller gets the same reproducible values
        # and its own random state is untouched
        cuda = [model_device(model).index or 0] if model_device(model).type == "cuda" else []
        with torch.random.fork_rng(devices=cuda):
            torch.manual_seed(seed)
            result = score_detailed(
                model,
                batch.x,
                batch.y,
                names,
                coverage=coverage,
                dropout=dropout,
                val=val,
                chunk_size=chunk_size,
                path=path,
            )
        values, errors, seconds = result.values, result.errors, result.seconds
    except Exception as err:  # a spec that cannot be built or scored is one NaN row
        values = dict.fromkeys(names, math.nan)
        errors = dict.fromkeys(names, f"{type(err).__name__}: {err}")
        seconds = {}
    row.update(values)
    row.update(
        coverage=coverage,
        dropout=dropout,
        batch_size=len(batch.x),
        batch_hash=batch.digest,
        seed=seed,
    )
    row.update({f"seconds_{g}": round(seconds.get(g, 0.0), 6) for g in GROUPS})
    row["errors"] = json.dumps(errors, sort_keys=True)
    return row
