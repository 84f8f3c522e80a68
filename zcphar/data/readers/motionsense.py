"""MotionSense (Malekzadeh et al., IoTDI 2019): iPhone 6s in the front trouser pocket.

Reproduces the MGT ``motionsense`` input as far as it is known (the reference inherited a pickle
with no script): ``B_Accelerometer_data`` (raw accelerometer with gravity, in g), 24 subjects
with integer ids 1-24 (strings would change the paper split), 50 Hz, 6 classes encoded as the
group's older script does (dws 0, ups 1, wlk 2, jog 3, std 4, sit 5). One session per
``<act>_<trial>/sub_<n>.csv``; subject-major order, trials in the dataset's trial order.

Handles the ``__MACOSX/`` folder and the doubled ``B_Accelerometer_data/B_Accelerometer_data``
of some copies. Deliberate difference: the older script trims accelerometer rows to the
gyroscope file's length; zcphar reads the accelerometer folder only and keeps every row.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from zcphar.data.readers._common import acc_names, choose, downloaded_dir, resolve_dir
from zcphar.data.registry import register_dataset
from zcphar.data.types import RawDataset, Recording
from zcphar.errors import ZcpharError

CLASSES = ["dws", "ups", "wlk", "jog", "std", "sit"]
TRIALS = {"dws": (1, 2, 11), "ups": (3, 4, 12), "wlk": (7, 8, 15), "jog": (9, 16),
          "sit": (5, 13), "std": (6, 14)}
RATE_HZ = 50.0


def _session_files(root: Path) -> dict[tuple[int, str], Path]:
    """(subject, '<act>_<trial>') → CSV path; the first copy wins when a folder is doubled."""
    found: dict[tuple[int, str], Path] = {}
    for path in sorted(root.rglob("sub_*.csv"), key=lambda p: (len(p.parts), str(p))):
        if "__MACOSX" in path.parts or path.parent.name.split("_")[0] not in TRIALS:
            continue
        found.setdefault((int(path.stem.split("_")[1]), path.parent.name), path)
    if not found:
        raise ZcpharError(f"motionsense: no <act>_<trial>/sub_<n>.csv files under {str(root)!r}")
    return found


@register_dataset(
    "motionsense", "MotionSense phone acc, 24 subjects, 6 classes, 50 Hz (download; paper)",
    locate=lambda: downloaded_dir("motionsense"), paper=True, version="1",
    options={"classes": "activity codes to keep, in id order (default: dws,ups,wlk,jog,std,sit)"},
)
def load_motionsense(data_dir: Path | None = None, *,
                     classes: Sequence[str] | None = None) -> RawDataset:
    """Read ``B_Accelerometer_data/<act>_<trial>/sub_<n>.csv`` files.

    Args:
        data_dir: extracted dataset folder (default: where `zcphar download` put it).
        classes: activity codes that become classes, in id order.
    """
    root = resolve_dir("motionsense", data_dir, downloaded_dir("motionsense"),
                       "run `zcphar download motionsense`")
    classes = choose("activity", classes, CLASSES)
    files = _session_files(root)
    order = [f"{act}_{t}" for act in classes for t in TRIALS[act]]
    keys = sorted((k for k in files if k[1] in order), key=lambda k: (k[0], order.index(k[1])))
    recordings = []
    for subject, session in tqdm(keys, desc="motionsense", leave=False):
        data = pd.read_csv(files[subject, session], usecols=["x", "y", "z"]).to_numpy(np.float64)
        label = classes.index(session.split("_")[0])
        recordings.append(Recording(subject, session, data, np.full(len(data), label, np.int64)))
    return RawDataset(
        name="motionsense", recordings=recordings, channels=acc_names(), classes=classes,
        rate_hz=RATE_HZ,
        meta={"source": str(root), "units": {"acc": "g incl. gravity"},
              "license": "ODbL (per the motion-sense repository; unverified)",
              "citation": "Malekzadeh et al., IoTDI 2019"},
    )
