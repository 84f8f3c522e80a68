"""MyoGym (Koskimäki, Siirtola, Röning, UbiComp/ISWC '17 Adjunct): Myo armband, gym exercises.

Reproduces the MGT ``myogym`` preparation: ``MyoGym.mat`` read with `scipy.io.loadmat`, the
accelerometer columns 10-12 (0-based) of ``raw_data``, 50 Hz, labels from ``raw_data_labels``
column 1 with NULL (99) mapped to 0 and **kept** (31 classes: NULL 0, exercises 1-30), integer
participant ids from column 2. No resampling, sorting or de-duplication, as the reference.

One session per contiguous run of one participant's rows in file order. BLE buffering leaves
duplicate readings with identical accelerometer timestamps (column 9, unit unverified):
``dedupe=True`` sorts each session by that time and drops duplicates (for clean mode; a
deliberate difference from the reference, off by default). ``null=False`` turns NULL rows into
unlabelled rows and keeps the 30 exercises (ids 0-29).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.io import loadmat

from zcphar.data.readers._common import choose, downloaded_dir, find_one, resolve_dir
from zcphar.data.registry import register_dataset
from zcphar.data.types import UNLABELLED, RawDataset, Recording
from zcphar.errors import ZcpharError

EXERCISES = [
    "Seated Cable Rows", "One-Arm Dumbbell Row", "Wide-Grip Pulldown Behind The Neck",
    "Bent Over Barbell Row", "Reverse Grip Bent-Over Row", "Wide-Grip Front Pulldown",
    "Bench Press", "Incline Dumbbell Flyes", "Incline Dumbbell Press", "Dumbbell Flyes",
    "Pushups", "Leverage Chest Press", "Close-Grip Barbell Bench Press", "Bar Skullcrusher",
    "Triceps Pushdown", "Bench Dip / Dip", "Overhead Triceps Extension",
    "Tricep Dumbbell Kickback", "Spider Curl", "Dumbbell Alternate Bicep Curl",
    "Incline Hammer Curl", "Concentration Curl", "Cable Curl", "Hammer Curl",
    "Upright Barbell Row", "Side Lateral Raise", "Front Dumbbell Raise",
    "Seated Dumbbell Shoulder Press", "Car Drivers", "Lying Rear Delt Raise",
]
NULL_RAW = 99
SENSOR_COLUMNS = {"acc": (10, 11, 12), "gyro": (14, 15, 16)}
ACC_TIME_COLUMN = 9
RATE_HZ = 50.0
HOW_TO_GET = ("MyoGym has no stable download URL: get MyoGym.mat from the authors (University of "
              "Oulu BISG) and run `zcphar download myogym --from MyoGym.mat`")


def _runs(participants: np.ndarray) -> list[slice]:
    """Slices of contiguous rows with the same participant id."""
    edges = np.flatnonzero(np.diff(participants)) + 1
    bounds = [0, *edges.tolist(), len(participants)]
    return [slice(a, b) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _labels(raw: np.ndarray, null: bool) -> np.ndarray:
    raw = raw.astype(np.int64)
    if null:
        return np.where(raw == NULL_RAW, 0, np.where((raw >= 1) & (raw <= 30), raw, UNLABELLED))
    return np.where((raw >= 1) & (raw <= 30), raw - 1, UNLABELLED)


@register_dataset(
    "myogym", "MyoGym Myo armband acc, 10 participants, 31 classes with NULL, 50 Hz (paper)",
    locate=lambda: downloaded_dir("myogym"), paper=True, version="1",
    options={"sensors": "comma list of acc, gyro (default: acc)",
             "null": "keep NULL as class 0 (default: true, as the reference)",
             "dedupe": "sort each session by time and drop duplicate readings (default: false)"},
)
def load_myogym(data_dir: Path | None = None, *, sensors: Sequence[str] = ("acc",),
                null: bool = True, dedupe: bool = False) -> RawDataset:
    """Read ``MyoGym.mat``.

    Args:
        data_dir: folder holding ``MyoGym.mat``, or the file itself.
        sensors: from ``acc`` and ``gyro``.
        null: keep NULL as class 0.
        dedupe: sort sessions by the accelerometer time and drop duplicate timestamps.
    """
    root = resolve_dir("myogym", data_dir, downloaded_dir("myogym"), HOW_TO_GET)
    sensors = choose("sensor", sensors, list(SENSOR_COLUMNS))
    mat = loadmat(find_one(root, "MyoGym.mat", "myogym"))
    if "raw_data" not in mat or "raw_data_labels" not in mat:
        raise ZcpharError("myogym: MyoGym.mat lacks 'raw_data' or 'raw_data_labels'")
    raw, meta = np.asarray(mat["raw_data"], np.float64), np.asarray(mat["raw_data_labels"])
    columns = [c for s in sensors for c in SENSOR_COLUMNS[s]]
    labels, participants = _labels(meta[:, 0], null), meta[:, 1].astype(np.int64)
    recordings = []
    for i, rows in enumerate(_runs(participants)):
        data, y, t = raw[rows][:, columns], labels[rows], raw[rows, ACC_TIME_COLUMN]
        if dedupe:
            order = np.argsort(t, kind="stable")
            keep = order[np.r_[True, np.diff(t[order]) != 0]]
            data, y = data[keep], y[keep]
        recordings.append(Recording(int(participants[rows.start]), f"run{i:02d}", data, y))
    return RawDataset(
        name="myogym", recordings=recordings,
        channels=[f"{s}_{axis}" for s in sensors for axis in "xyz"],
        classes=(["NULL"] if null else []) + list(EXERCISES), rate_hz=RATE_HZ,
        meta={"source": str(root), "units": {"acc": "g (unverified)"}, "dedupe": dedupe,
              "citation": "Koskimaki, Siirtola, Roning, UbiComp/ISWC '17 Adjunct"},
    )
