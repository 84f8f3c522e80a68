"""Protocol options: how recordings become windows.

`ProtocolOptions()` reproduces the paper (mode ``paper``); `ProtocolOptions.clean()` gives the
clean protocol of DATASETS.md §2. Every field is settable from Python and the CLI and is recorded
with each prepared dataset (`PreparedDataset.meta["options"]`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

MODES = ("paper", "clean")
LABEL_RULES = ("last", "majority")
RESAMPLERS = ("auto", "stride", "poly", "time")
SPLIT_METHODS = ("paper", "seed", "loso", "explicit")


@dataclass(frozen=True)
class ProtocolOptions:
    """Options of the preparation protocol (defaults reproduce the paper).

    Attributes:
        mode: ``paper`` (windows over each split's concatenated rows) or ``clean`` (windows
            never cross a session boundary).
        window_s: window length in seconds (paper: 2 s = 100 samples at 50 Hz).
        overlap: fraction of a window shared with the next (paper: 0.5).
        target_rate: rate in Hz after resampling (paper: 50).
        label_rule: ``last`` (label of the last sample) or ``majority``.
        purity: with ``majority``, drop windows whose majority share is below this (None: keep).
        resampler: ``stride`` (integer-stride decimation), ``poly`` (scipy resample_poly),
            ``time`` (interpolate irregular timestamps onto a grid, then poly), or ``auto``
            (paper: stride; clean: poly, or time for irregular timestamps).
        split: ``paper`` (train_test_split on sorted ids, test 0.2, random_state 42, twice),
            ``seed`` (the same with `split_seed`), ``loso`` (leave `test_subjects` out, or
            fold `fold` of leave-one-subject-out), ``explicit`` (the three lists given).
        split_seed: random_state for ``seed`` splits.
        test_size: fraction of subjects for test, and of the rest for validation.
        fold: with ``loso``, which subject (index into sorted ids) is the test subject.
        train_subjects, val_subjects, test_subjects: explicit subject lists.
        accelerometer_only: keep only accelerometer channels (paper: True).
        allow_missing_classes: do not fail when a split lacks a class (recorded).
        max_gap_s: clean/time resampling splits a session at gaps longer than this.
        nan_policy: ``interpolate`` (per recording linear interpolation, then forward/back
            fill) or ``error`` (report NaNs and stop); NaNs never reach windows.
    """

    mode: str = "paper"
    window_s: float = 2.0
    overlap: float = 0.5
    target_rate: float = 50.0
    label_rule: str = "last"
    purity: float | None = None
    resampler: str = "auto"
    split: str = "paper"
    split_seed: int = 42
    test_size: float = 0.2
    fold: int = 0
    train_subjects: tuple = field(default=())
    val_subjects: tuple = field(default=())
    test_subjects: tuple = field(default=())
    accelerometer_only: bool = True
    allow_missing_classes: bool = False
    max_gap_s: float = 1.0
    nan_policy: str = "interpolate"

    @classmethod
    def clean(cls, **overrides: Any) -> ProtocolOptions:
        """The clean protocol: session-bounded windows, majority labels, anti-aliased resampling."""
        return cls(mode="clean", label_rule="majority", **overrides)

    def with_(self, **changes: Any) -> ProtocolOptions:
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("train_subjects", "val_subjects", "test_subjects"):
            d[key] = list(d[key])
        return d
