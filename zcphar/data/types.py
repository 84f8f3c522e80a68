"""The data model every reader produces and every consumer reads.

A reader turns a dataset's raw files into `Recording`s (continuous, per subject and session,
per-sample labels) gathered in a `RawDataset`. `zcphar.data.prepare` turns that into a
`PreparedDataset`: three subject-disjoint `Split`s of windows, channels first.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

UNLABELLED = -1
"""Label id of rows that belong to no class (excluded activities, transitions, null)."""

SPLITS = ("train", "val", "test")


@dataclass
class Recording:
    """One continuous stretch recorded by one device: a (subject, session).

    Attributes:
        subject: subject id, keeping the dataset's own type (int ids sort numerically).
        session: session id within the subject (trial, file, stream).
        data: (T, C) float64 samples, channels in `RawDataset.channels` order.
        labels: (T,) int64 class ids; `UNLABELLED` (-1) for rows that belong to no class.
        timestamps: optional (T,) float64 seconds; None when rows are equally spaced.
    """

    subject: Any
    session: str
    data: np.ndarray
    labels: np.ndarray
    timestamps: np.ndarray | None = None

    def __post_init__(self) -> None:
        assert self.data.ndim == 2, "Recording.data must be (T, C)"
        assert self.labels.shape == (self.data.shape[0],), "labels must be (T,)"
        assert self.timestamps is None or self.timestamps.shape == self.labels.shape

    def __len__(self) -> int:
        return self.data.shape[0]


@dataclass
class RawDataset:
    """What a reader returns: recordings plus the facts needed to prepare them.

    Attributes:
        name: registry name (e.g. ``watch``).
        recordings: in the reader's file/loop order (paper mode concatenates in this order).
        channels: channel names, e.g. ``["acc_x", "acc_y", "acc_z"]``.
        classes: class names; index = class id.
        rate_hz: nominal native sampling rate.
        irregular: True when timestamps are irregular and time-based resampling applies.
        meta: provenance and reader facts (source, units, license, reader version, ...).
    """

    name: str
    recordings: list[Recording]
    channels: list[str]
    classes: list[str]
    rate_hz: float
    irregular: bool = False
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def subjects(self) -> list:
        """Sorted unique subject ids (the paper's split order)."""
        return sorted({r.subject for r in self.recordings})


@dataclass
class Split:
    """Windows of one split.

    Attributes:
        X: (N, C, T) float32 windows, channels first (as ``nn.Conv1d`` wants).
        y: (N,) int64 class ids.
        subject: (N,) subject id of each window (of its last sample in paper mode).
    """

    X: np.ndarray
    y: np.ndarray
    subject: np.ndarray

    def __len__(self) -> int:
        return self.X.shape[0]


@dataclass
class PreparedDataset:
    """Three splits of windows plus the metadata to interpret and reproduce them.

    `meta` holds at least: ``name``, ``rate_hz`` (after resampling), ``channels``, ``classes``,
    ``options`` (the resolved protocol options) and ``subjects`` (``{"train": [...], ...}``).
    """

    train: Split
    val: Split
    test: Split
    meta: dict[str, Any]

    @property
    def num_classes(self) -> int:
        return len(self.meta["classes"])

    @property
    def num_channels(self) -> int:
        return self.train.X.shape[1]

    @property
    def window(self) -> int:
        return self.train.X.shape[2]

    def split(self, name: str) -> Split:
        return getattr(self, name)
