"""The pool batch policy: one fixed batch, drawn once from the training split, for every candidate.

Proxy values carry ``1/N`` (gradients) or ``1/N²`` (fisher) through the mean loss and depend on
which windows are in the batch, so every candidate of a pool is scored on the same windows:
indices drawn without replacement by a seeded numpy Generator, sorted, recorded with a hash.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

import numpy as np
import torch

from zcphar.data.types import Split
from zcphar.errors import ZcpharError

DEFAULT_BATCH_SIZE = 256


class FixedBatch(NamedTuple):
    """A batch and where it came from.

    Attributes:
        x: (N, C, T) float32 windows.
        y: (N,) int64 labels.
        indices: (N,) sorted row indices into the training split.
    """

    x: torch.Tensor
    y: torch.Tensor
    indices: np.ndarray

    @property
    def digest(self) -> str:
        """Short SHA-256 of the indices (12 hex characters): identifies the batch in results."""
        return indices_digest(self.indices)


def indices_digest(indices: np.ndarray) -> str:
    """12-hex-character SHA-256 of int64 indices."""
    raw = np.ascontiguousarray(np.asarray(indices, dtype=np.int64)).tobytes()
    return hashlib.sha256(raw).hexdigest()[:12]


def fixed_batch(split: Split, batch_size: int = DEFAULT_BATCH_SIZE, seed: int = 0) -> FixedBatch:
    """Draw the pool's fixed batch from a (training) split.

    Args:
        split: the split to draw from (``X`` (N, C, T), ``y`` (N,)).
        batch_size: windows in the batch (the paper: 256); a split with fewer windows gives
            all of them.
        seed: seed of the numpy Generator that draws the indices.

    Returns:
        A `FixedBatch` (``x, y, indices = fixed_batch(...)`` unpacks it).

    Raises:
        ZcpharError: batch_size < 1, or an empty split.
    """
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ZcpharError(f"bad batch size {batch_size!r}; expected an integer >= 1")
    n = len(split)
    if n == 0:
        raise ZcpharError("cannot draw a batch from an empty split")
    rng = np.random.default_rng(seed)
    indices = np.sort(rng.choice(n, size=min(batch_size, n), replace=False)).astype(np.int64)
    x = torch.from_numpy(np.ascontiguousarray(split.X[indices], dtype=np.float32))
    y = torch.from_numpy(np.asarray(split.y[indices], dtype=np.int64))
    return FixedBatch(x, y, indices)
