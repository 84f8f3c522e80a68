"""HHAR, Heterogeneity Activity Recognition (Stisen et al., SenSys 2015), UCI dataset 344.

Reproduces the MGT ``hhar`` input as far as it is known (the reference inherited a pickle with no
script): ``Watch_accelerometer.csv`` of both watch models, x, y, z (m/s²), 6 classes encoded
alphabetically as the group's older script does (bike 0, sit 1, stairsdown 2, stairsup 3,
stand 4, walk 5); ``null`` rows become unlabelled (-1). Subjects are the letters a-i. Each
(User, Device) stream is one session, sorted by its own ``Creation_Time`` (never compared across
devices: units differ; the unit of each stream is inferred from its median interval), gear
streams first, then LG streams, as the older script concatenates them.

Rates: Samsung Gear ≈ 100 Hz, LG G Watch ≈ 200 Hz, both irregular. A dataset has one nominal
rate, so LG streams are decimated by 2 in the reader (``lgwatch_stride=2``) and the dataset is
declared 100 Hz: paper mode's stride 2 then gives the older script's stride 4 for LG and 2 for
gear. Deliberate difference: the older script decimates over all rows of a model in file order,
zcphar per stream, so the kept phase can differ. ``lgwatch_stride=1`` keeps every LG row for the
time-based resampler of clean mode. The streams are declared irregular, so preparation
resamples them by time; ``assume_regular=True`` declares them regular at 100 Hz instead, which
gives the reference's stride decimation in paper mode.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from zcphar.data.readers._common import (
    acc_names,
    choose,
    downloaded_dir,
    encode,
    find_one,
    resolve_dir,
)
from zcphar.data.registry import register_dataset
from zcphar.data.types import RawDataset, Recording
from zcphar.errors import ZcpharError

CLASSES = ["bike", "sit", "stairsdown", "stairsup", "stand", "walk"]
DEVICES = ("gear_1", "gear_2", "lgwatch_1", "lgwatch_2")
NOMINAL_HZ = {"gear": 100.0, "lgwatch": 200.0}
COLUMNS = ["Creation_Time", "x", "y", "z", "User", "Device", "gt"]
RATE_HZ = 100.0


def seconds(creation_time: np.ndarray, nominal_hz: float) -> np.ndarray:
    """Creation_Time of one stream in seconds, its unit (ns, us or ms) inferred.

    The unit is the one that puts the median interval closest (in log scale) to 1 / nominal rate.
    """
    steps = np.diff(creation_time)
    step = float(np.median(steps[steps > 0])) if (steps > 0).any() else 1.0
    units = np.array([1e-9, 1e-6, 1e-3])
    best = units[np.argmin(np.abs(np.log(step * units * nominal_hz)))]
    return (creation_time - creation_time[0]) * best


def read_watch_csv(path: Path, chunksize: int = 1_000_000) -> pd.DataFrame:
    """The needed columns of a (possibly very large) HHAR CSV, read in chunks with progress."""
    chunks = pd.read_csv(path, usecols=COLUMNS, chunksize=chunksize,
                         dtype={"User": str, "Device": str, "gt": str})
    return pd.concat(list(tqdm(chunks, desc="hhar", unit="chunk", leave=False)), ignore_index=True)


def _stream(frame: pd.DataFrame, user: str, device: str, stride: int) -> Recording:
    frame = frame.sort_values("Creation_Time", kind="stable").iloc[::stride]
    model = device.split("_")[0]
    times = seconds(frame["Creation_Time"].to_numpy(np.float64), NOMINAL_HZ[model] / stride)
    data = frame[["x", "y", "z"]].to_numpy(dtype=np.float64)
    return Recording(user, device, data, encode(frame["gt"].to_numpy(), CLASSES), times)


@register_dataset(
    "hhar", "HHAR watch accelerometer (Gear + LG), 9 subjects, 6 classes (download; paper)",
    locate=lambda: downloaded_dir("hhar"), paper=True, version="1",
    options={"devices": "comma list of gear_1, gear_2, lgwatch_1, lgwatch_2 (default: all)",
             "lgwatch_stride": "keep every k-th LG row in the reader (default 2: 200 → 100 Hz)",
             "file": "CSV to read (default Watch_accelerometer.csv)",
             "assume_regular": "declare rows equally spaced at 100 Hz, as the reference does, so "
                               "paper mode decimates by stride (default: false, irregular)"},
)
def load_hhar(data_dir: Path | None = None, *, devices: Sequence[str] | None = None,
              lgwatch_stride: int = 2, file: str = "Watch_accelerometer.csv",
              assume_regular: bool = False) -> RawDataset:
    """Read HHAR's watch accelerometer CSV into per-(User, Device) recordings.

    Args:
        data_dir: extracted dataset folder (default: where `zcphar download` put it).
        devices: watch devices to keep (default: all four).
        lgwatch_stride: decimation applied to LG streams here (1 keeps all rows).
        file: CSV name to read below `data_dir`.
        assume_regular: declare the streams regular (``irregular=False``): paper mode then
            keeps every 2nd row like the reference instead of resampling by time.
    """
    root = resolve_dir("hhar", data_dir, downloaded_dir("hhar"), "run `zcphar download hhar`")
    devices = choose("device", devices, DEVICES)
    if int(lgwatch_stride) < 1:
        raise ZcpharError(f"hhar: lgwatch_stride must be a positive integer, "
                          f"got {lgwatch_stride!r}")
    frame = read_watch_csv(find_one(root, file, "hhar"))
    frame = frame[frame["Device"].isin(devices)]
    recordings = []
    for model in ("gear", "lgwatch"):
        stride = int(lgwatch_stride) if model == "lgwatch" else 1
        mine = frame[frame["Device"].str.startswith(model)]
        for (user, device), part in mine.groupby(["User", "Device"], sort=True):
            recordings.append(_stream(part, user, device, stride))
    return RawDataset(
        name="hhar", recordings=recordings, channels=acc_names(), classes=list(CLASSES),
        rate_hz=RATE_HZ, irregular=not assume_regular,
        meta={"source": str(root), "units": {"acc": "m/s^2 (unverified)"},
              "lgwatch_stride": int(lgwatch_stride), "license": "CC BY 4.0 (UCI 344)",
              "citation": "Stisen et al., SenSys 2015"},
    )
