"""SP-SW HAR (Matey-Sanz, Casteleyn, Granell 2023): the smartwatch files only.

23 subjects (``s01``..``s23``, kept as strings: they sort correctly), 223 executions of a
Timed-Up-and-Go-style sequence, per-sample labels SEATED 0, STANDING_UP 1, WALKING 2, TURNING 3,
SITTING_DOWN 4 (the order they occur in), accelerometer in m/s² with gravity (gyroscope in rad/s
as an option). One execution file = one session, with its UNIX-ms timestamps converted to
seconds. Nominal 100 Hz with jitter and ms-resolution duplicates, hence ``irregular=True``
(``assume_regular=True`` declares the rows regular, for paper-mode stride 2 as HHAR's reference).

Not a paper dataset: it stands in for HHAR's watch accelerometer (wrist, 3 channels); its classes
differ from HHAR's. License CC BY 4.0 (doi:10.5281/zenodo.8398688).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from zcphar.data.readers._common import choose, downloaded_dir, encode, local_dir, resolve_dir
from zcphar.data.registry import register_dataset
from zcphar.data.types import RawDataset, Recording
from zcphar.errors import ZcpharError

CLASSES = ["SEATED", "STANDING_UP", "WALKING", "TURNING", "SITTING_DOWN"]
SENSORS = {"acc": ["x_acc", "y_acc", "z_acc"], "gyro": ["x_gyro", "y_gyro", "z_gyro"]}
RATE_HZ = 100.0


def locate() -> Path | None:
    """``../shared/data/sp_sw_har`` or a downloaded copy, if present."""
    return local_dir("sp_sw_har") or downloaded_dir("sp_sw_har")


@register_dataset(
    "sp_sw_har", "Smartwatch TUG sequences, 23 subjects, 5 classes, ~100 Hz irregular (local)",
    locate=locate, version="1",
    options={"sensors": "comma list of acc, gyro (default: acc)",
             "assume_regular": "declare rows equally spaced at 100 Hz so paper mode decimates "
                               "by stride 2 (default: false, irregular)"},
)
def load_sp_sw_har(data_dir: Path | None = None, *,
                   sensors: Sequence[str] = ("acc",), assume_regular: bool = False) -> RawDataset:
    """Read the smartwatch executions ``DATA/sXX/sXX_YY_sw.csv``, in (subject, execution) order.

    Args:
        data_dir: dataset folder (default: ``../shared/data/sp_sw_har``).
        sensors: which sensors to read, from ``acc`` and ``gyro``.
        assume_regular: declare the rows regular at 100 Hz (``irregular=False``).
    """
    root = resolve_dir("sp_sw_har", data_dir, locate(),
                       "get it from https://doi.org/10.5281/zenodo.8398688 and pass --data-dir")
    sensors = choose("sensor", sensors, list(SENSORS))
    columns = [c for s in sensors for c in SENSORS[s]]
    files = sorted(p for p in root.rglob("s*_*_sw.csv") if "__MACOSX" not in p.parts)
    if not files:
        raise ZcpharError(f"sp_sw_har: no sXX_YY_sw.csv files under {str(root)!r}")
    recordings = []
    for path in files:
        subject, execution, _ = path.stem.split("_")
        frame = pd.read_csv(path, usecols=[*columns, "timestamp", "label"])
        data = frame[columns].to_numpy(dtype=np.float64)
        labels = encode(frame["label"].to_numpy(), CLASSES)
        times = frame["timestamp"].to_numpy(dtype=np.float64) * 1e-3
        recordings.append(Recording(subject, execution, data, labels, times))
    return RawDataset(
        name="sp_sw_har", recordings=recordings,
        channels=[f"{s}_{axis}" for s in sensors for axis in "xyz"],
        classes=list(CLASSES), rate_hz=RATE_HZ, irregular=not assume_regular,
        meta={"source": str(root), "units": {"acc": "m/s^2 incl. gravity", "gyro": "rad/s"},
              "license": "CC BY 4.0",
              "citation": "Matey-Sanz, Casteleyn, Granell, Data in Brief 51:109809, 2023"},
    )
