"""Cutting rows into fixed-length windows and labelling them.

Paper mode windows each split's concatenated rows (windows straddle boundaries); clean mode
windows each session on its own. N = floor((T - length) / step) + 1; the remainder is dropped.
"""

from __future__ import annotations

import numpy as np

from zcphar.data.protocol import LABEL_RULES
from zcphar.data.types import UNLABELLED
from zcphar.errors import unknown_choice


def starts(n_rows: int, length: int, step: int) -> np.ndarray:
    """Start index of every full window: 0, step, 2*step, ... (none when n_rows < length)."""
    if n_rows < length:
        return np.zeros(0, dtype=np.int64)
    return np.arange((n_rows - length) // step + 1, dtype=np.int64) * step


def window_labels(labels: np.ndarray, begin: np.ndarray, length: int, rule: str,
                  purity: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Label each window and say which to keep.

    Args:
        labels: (T,) per-row class ids, `UNLABELLED` (-1) for rows of no class.
        begin: (N,) window starts.
        length: window length in rows.
        rule: ``last`` (label of the last row) or ``majority`` (most frequent labelled row,
            ties to the smallest id).
        purity: with ``majority``, drop windows whose majority share of all rows is below it.

    Returns:
        (y, keep): (N,) int64 labels and (N,) bool mask. A window is dropped when its label is
        unlabelled, when most of its rows are unlabelled, or when it fails the purity threshold.
    """
    if rule not in LABEL_RULES:
        raise unknown_choice("label rule", rule, LABEL_RULES)
    if len(begin) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=bool)
    rows = labels[begin[:, None] + np.arange(length)[None, :]]  # (N, length)
    unlabelled = (rows == UNLABELLED).sum(axis=1)
    keep = unlabelled * 2 <= length
    if rule == "last":
        y = rows[:, -1].astype(np.int64)
        return y, keep & (y != UNLABELLED)
    n_classes = max(int(labels.max()) + 1, 1)
    shifted = np.where(rows == UNLABELLED, n_classes, rows)  # -1 goes to an extra bin
    counts = np.zeros((len(begin), n_classes + 1), dtype=np.int64)
    np.add.at(counts, (np.arange(len(begin))[:, None], shifted), 1)
    counts = counts[:, :n_classes]
    y = counts.argmax(axis=1).astype(np.int64)  # argmax takes the first, i.e. smallest, id
    share = counts.max(axis=1) / length
    keep &= counts.max(axis=1) > 0
    if purity is not None:
        keep &= share >= purity
    return y, keep


def cut(data: np.ndarray, labels: np.ndarray, owner: np.ndarray, length: int, step: int,
        rule: str, purity: float | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Windows of one continuous array.

    Args:
        data: (T, C) rows.
        labels: (T,) class ids.
        owner: (T,) subject of each row; a window's subject is that of its last row.
        length, step: window length and step in rows.
        rule, purity: see `window_labels`.

    Returns:
        X (N, C, length) float32, y (N,) int64, subject (N,).
    """
    begin = starts(len(labels), length, step)
    y, keep = window_labels(labels, begin, length, rule, purity)
    begin, y = begin[keep], y[keep]
    index = begin[:, None] + np.arange(length)[None, :]  # (N, length)
    X = data[index].transpose(0, 2, 1).astype(np.float32)  # (N, length, C) -> (N, C, length)
    return X, y, owner[begin + length - 1]
