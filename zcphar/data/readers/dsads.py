"""DSADS: UCI Daily and Sports Activities (Altun, Barshan, Tunçel 2010; Barshan, Yüksek 2014).

Five Xsens MTx units (torso T, right arm RA, left arm LA, right leg RL, left leg LL), 25 Hz,
19 activities (folders ``a01``..``a19`` → ids 0-18), 8 subjects kept as the folder names
``p1``..``p8``. Each ``aAA/pP/sSS.txt`` is a 5-s segment (125 rows × 45 columns, no header); the
segments of one (activity, subject) are consecutive chunks of one recording, so they are joined
in segment order into one session. Default channels: the accelerometers of all five units
(15 channels, m/s²), standing in for RealWorld; ``units=T,RA,RL`` gives the PAMAP2-like 9.

Not a paper dataset. 25 Hz is below the 50 Hz target: paper mode upsamples (polyphase ×2), which
the preparation step records. License CC BY 4.0 (UCI dataset 256).
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from zcphar.data.readers._common import choose, downloaded_dir, local_dir, resolve_dir
from zcphar.data.registry import register_dataset
from zcphar.data.types import RawDataset, Recording
from zcphar.errors import ZcpharError

UNITS = ("T", "RA", "LA", "RL", "LL")
SENSORS = ("acc", "gyro", "mag")
ACTIVITIES = [
    "sitting", "standing", "lying on back", "lying on right side", "ascending stairs",
    "descending stairs", "standing in an elevator", "moving around in an elevator",
    "walking in a parking lot", "treadmill 4 km/h flat", "treadmill 4 km/h 15 deg inclined",
    "running on treadmill 8 km/h", "stepper", "cross trainer", "exercise bike horizontal",
    "exercise bike vertical", "rowing", "jumping", "playing basketball",
]
RATE_HZ = 25.0


def locate() -> Path | None:
    """``../shared/data/dsads`` or a downloaded copy, if present."""
    return local_dir("dsads") or downloaded_dir("dsads")


def column_indices(units: Sequence[str], sensors: Sequence[str]) -> list[int]:
    """0-based columns of the chosen sensors of the chosen units (9 columns per unit)."""
    return [9 * UNITS.index(u) + 3 * SENSORS.index(s) + axis
            for u in units for s in sensors for axis in range(3)]


def _activity_folders(root: Path) -> Path:
    hits = sorted(p.parent for p in root.rglob("a01") if p.is_dir() and "__MACOSX" not in p.parts)
    if not hits:
        raise ZcpharError(f"dsads: no activity folders a01..a19 under {str(root)!r}")
    return hits[0]


@register_dataset(
    "dsads", "UCI Daily & Sports Activities, 5 IMUs, 8 subjects, 19 classes, 25 Hz (local)",
    locate=locate, version="1",
    options={"units": "comma list of T, RA, LA, RL, LL (default: all five)",
             "sensors": "comma list of acc, gyro, mag (default: acc)"},
)
def load_dsads(data_dir: Path | None = None, *, units: Sequence[str] | None = None,
               sensors: Sequence[str] = ("acc",)) -> RawDataset:
    """Read ``aAA/pP/sSS.txt``; one session per (activity, subject), activity-major order.

    Args:
        data_dir: dataset folder (default: ``../shared/data/dsads``).
        units: body units to keep, in channel order (default: T, RA, LA, RL, LL).
        sensors: sensors per unit (default: accelerometer only).
    """
    root = _activity_folders(resolve_dir(
        "dsads", data_dir, locate(), "run `zcphar download dsads` or pass --data-dir"))
    units = choose("unit", units, UNITS)
    sensors = choose("sensor", sensors, SENSORS)
    columns = column_indices(units, sensors)
    recordings = []
    for a, _ in enumerate(tqdm(ACTIVITIES, desc="dsads", leave=False)):
        for person in sorted((root / f"a{a + 1:02d}").glob("p*"), key=lambda p: int(p.name[1:])):
            segments = sorted(person.glob("s*.txt"))
            text = "\n".join(s.read_text().rstrip() for s in segments)  # joined in time order
            data = pd.read_csv(io.StringIO(text), header=None).to_numpy(dtype=np.float64)
            data = data[:, columns]  # (125 * segments, len(columns))
            labels = np.full(len(data), a, dtype=np.int64)
            recordings.append(Recording(person.name, f"a{a + 1:02d}", data, labels))
    return RawDataset(
        name="dsads", recordings=recordings,
        channels=[f"{u}_{s}_{axis}" for u in units for s in sensors for axis in "xyz"],
        classes=list(ACTIVITIES), rate_hz=RATE_HZ,
        meta={"source": str(root), "units": {"acc": "m/s^2", "gyro": "rad/s (unverified)"},
              "segments_joined": True, "license": "CC BY 4.0 (UCI 256)",
              "citation": "Altun, Barshan, Tuncel, Pattern Recognition 43(10), 2010"},
    )
