"""The embedded default dataset: seglearn's smartwatch shoulder-exercise recordings.

Burns et al. 2018 (arXiv 1802.01489), shipped in the `seglearn` wheel (BSD-3-Clause) as
``seglearn/data/watch_dataset.npy``: 140 series of 6 IMU channels at 50 Hz, 10 subjects,
7 exercises, one label per series. The file is a NumPy pickle inside an installed dependency, so
loading it trusts installed code (never do this for files from elsewhere). It is read directly,
without importing seglearn (whose import needs pandas for no reason here).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np

from zcphar.data.registry import register_dataset
from zcphar.data.types import RawDataset, Recording
from zcphar.errors import ZcpharError

CHANNELS = ["acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z"]
RATE_HZ = 50.0


def locate() -> Path | None:
    """Path of ``watch_dataset.npy`` in the installed seglearn package, or None."""
    spec = importlib.util.find_spec("seglearn")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "data" / "watch_dataset.npy"
        if path.is_file():
            return path
    return None


@register_dataset(
    "watch",
    "Smartwatch shoulder exercises, 10 subjects, 7 classes, 50 Hz (embedded in seglearn)",
    locate=locate,
    version="1",
)
def load_watch(data_dir: Path | None = None) -> RawDataset:
    """Read the embedded watch dataset; one `Recording` per series, in file order.

    Args:
        data_dir: folder holding ``watch_dataset.npy`` (default: the installed seglearn copy).

    Returns:
        6 channels (accelerometer first, in g; gyroscope), labels 0-6, subjects 1-10.
    """
    path = Path(data_dir) / "watch_dataset.npy" if data_dir is not None else locate()
    if path is None or not path.is_file():
        raise ZcpharError(
            f"watch dataset file not found ({path or 'seglearn is not installed'}); "
            "install it with: pip install seglearn"
        )
    raw = np.load(path, allow_pickle=True).item()  # trusted: ships inside an installed wheel
    recordings = []
    for i, (series, label, subject) in enumerate(zip(raw["X"], raw["y"], raw["subject"], strict=True)):
        data = np.asarray(series, dtype=np.float64)  # (T, 6)
        labels = np.full(data.shape[0], int(label), dtype=np.int64)
        recordings.append(Recording(int(subject), f"series{i:03d}", data, labels))
    return RawDataset(
        name="watch",
        recordings=recordings,
        channels=list(CHANNELS),
        classes=[str(c) for c in raw["y_labels"]],
        rate_hz=RATE_HZ,
        meta={
            "source": "seglearn/data/watch_dataset.npy (seglearn 1.2.5)",
            "license": "BSD-3-Clause, (c) 2018 David M. Burns",
            "citation": "Burns et al. 2018, arXiv 1802.01489",
            "units": {"acc": "g (inferred)", "gyro": "unverified"},
            "original_channels": [str(c) for c in raw["X_labels"]],
        },
    )
