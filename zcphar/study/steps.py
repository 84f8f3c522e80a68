"""The steps a study or a search is made of, each resumable through the run store.

    specs = sample_into(store, data, n=..., seed=0, ...)   # architectures table
    score_architectures(store, specs, ref, executor, coverage="extended", dropout="off")
    ids = training_pool(store, k=10, by=["ensemble"])       # what to train

Every step skips what the store already holds, so running the same command again resumes.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from zcphar.data.types import PreparedDataset
from zcphar.proxies import DEFAULT_MEMBERS
from zcphar.space import Constraints, sample
from zcphar.store import RunStore


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

    Sampling is seeded, so the same command gives the same architectures; a spec drawn twice is
    kept once (small capped spaces repeat draws), and the store ignores architectures it
    already holds.
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
    specs = list({s.id: s for s in specs}.values())  # the space can repeat a draw: keep one
    store.add_architectures(
        specs, in_channels=data.num_channels, num_classes=data.num_classes, window=data.window
    )
    return specs


def training_pool(
    store: RunStore,
    k: int,
    by: Sequence[str] = ("ensemble", *DEFAULT_MEMBERS),
    *,
    coverage: str = "extended",
    dropout: str = "off",
    batch_size: int | None = None,
    ids: Sequence[str] | None = None,
) -> list[str]:
    """The union of the top `k` architectures by each ranking in `by`, in first-seen order,
    among `ids` (None: every scored architecture of the run)."""
    chosen: dict[str, None] = {}
    for name in by:
        for arch_id in store.top_k(k, name, coverage=coverage, dropout=dropout,
                                   batch_size=batch_size, ids=ids):
            chosen.setdefault(arch_id)
    return list(chosen)
