"""PAMAP2 Physical Activity Monitoring (Reiss & Stricker, ISWC 2012), UCI dataset 231.

Reproduces the MGT ``pamap2`` preparation: Protocol then Optional ``subject10N.dat`` files (each
sorted by name; one session each), the ±16 g accelerometers of the hand, chest and ankle IMUs
(9 channels, m/s², in that order), the 12 protocol activities encoded in ascending original id
(lying 0 ... rope jumping 11); label 0 (transient) and the optional activities become unlabelled
rows (-1), which paper mode deletes. Subject ids are the last digit of the file name (1-9), as in
the reference. Timestamps (s) are kept; the IMUs run at 100 Hz.

NaN (wireless drop-outs): the reference decimates by 2 first, then interpolates each channel
linearly and forward/back-fills the ends. ``fill="paper"`` does the same interpolation within
every residue class of the row index modulo 2, so the rows that stride-2 decimation keeps get
exactly the reference's values; ``fill="linear"`` interpolates over all rows (better for clean
mode); ``fill="none"`` keeps the NaNs.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from zcphar.data.readers._common import as_list, choose, downloaded_dir, resolve_dir
from zcphar.data.registry import register_dataset
from zcphar.data.types import UNLABELLED, RawDataset, Recording
from zcphar.errors import ZcpharError

IMU_FIRST_COLUMN = {"hand": 3, "chest": 20, "ankle": 37}  # 0-based temperature column
ACTIVITIES = {
    1: "lying", 2: "sitting", 3: "standing", 4: "walking", 5: "running", 6: "cycling",
    7: "Nordic walking", 9: "watching TV", 10: "computer work", 11: "car driving",
    12: "ascending stairs", 13: "descending stairs", 16: "vacuum cleaning", 17: "ironing",
    18: "folding laundry", 19: "house cleaning", 20: "playing soccer", 24: "rope jumping",
}
PROTOCOL = (1, 2, 3, 4, 5, 6, 7, 12, 13, 16, 17, 24)
FILLS = ("paper", "linear", "none")
RATE_HZ = 100.0


def acc_columns(positions: Sequence[str]) -> list[int]:
    """0-based columns of the ±16 g accelerometer (x, y, z) of each position."""
    return [IMU_FIRST_COLUMN[p] + 1 + axis for p in positions for axis in range(3)]


def fill_gaps(data: np.ndarray, stride: int = 1) -> np.ndarray:
    """Linear interpolation of NaN per channel, ends held, within each residue class mod `stride`.

    Args:
        data: (T, C) samples with NaN gaps; left untouched.
        stride: 1 interpolates over all rows; k interpolates rows r, r+k, ... separately.

    Returns:
        (T, C) copy; channels that are all NaN stay NaN.
    """
    out = data.copy()
    for r in range(stride):
        block = out[r::stride]  # view, (T_r, C)
        index = np.arange(len(block))
        for c in range(block.shape[1]):
            ok = np.isfinite(block[:, c])
            if ok.any() and not ok.all():
                block[:, c] = np.interp(index, index[ok], block[ok, c])
    return out


def read_file(path: Path, positions: Sequence[str], fill: str) -> tuple[np.ndarray, ...]:
    """One ``subject10N.dat`` → (timestamps s, activity ids, (T, 3 * positions) acc)."""
    columns = acc_columns(positions)
    table = pd.read_csv(path, sep=r"\s+", header=None, usecols=[0, 1, *columns])
    if table.shape[1] != 2 + len(columns):
        raise ZcpharError(f"{path}: expected 54 space-separated columns")
    data = table[columns].to_numpy(dtype=np.float64)
    if fill != "none":
        data = fill_gaps(data, stride=2 if fill == "paper" else 1)
    return table[0].to_numpy(np.float64), table[1].to_numpy(np.int64), data


def _files(root: Path, optional: bool) -> list[tuple[str, Path]]:
    found = sorted(p for p in root.rglob("subject10*.dat") if "__MACOSX" not in p.parts)
    groups = ["protocol", "optional"] if optional else ["protocol"]
    files = [(g, p) for g in groups for p in found if p.parent.name.lower() == g]
    if not files:
        raise ZcpharError(f"pamap2: no Protocol/subject10N.dat files under {str(root)!r}")
    return files


@register_dataset(
    "pamap2", "PAMAP2 hand/chest/ankle acc, 9 subjects, 12 classes, 100 Hz (download; paper)",
    locate=lambda: downloaded_dir("pamap2"), paper=True, version="1",
    options={"positions": "comma list of hand, chest, ankle (default: all three)",
             "activities": "original activity ids to keep, in id order (default: the 12)",
             "optional": "also read the Optional files (default: true, as the reference)",
             "fill": "NaN handling: paper, linear or none"},
)
def load_pamap2(data_dir: Path | None = None, *, positions: Sequence[str] | None = None,
                activities: Sequence[int] = PROTOCOL, optional: bool = True,
                fill: str = "paper") -> RawDataset:
    """Read PAMAP2 ``.dat`` files.

    Args:
        data_dir: extracted dataset folder (default: where `zcphar download` put it).
        positions: IMUs to keep, in channel order (default: hand, chest, ankle).
        activities: original activity ids that become classes, encoded in ascending order.
        optional: also read ``Optional/`` files.
        fill: NaN handling, one of ``paper``, ``linear``, ``none``.
    """
    root = resolve_dir("pamap2", data_dir, downloaded_dir("pamap2"), "run `zcphar download pamap2`")
    positions = choose("position", positions, list(IMU_FIRST_COLUMN))
    fill = choose("fill", [fill], FILLS)[0]
    ids = sorted(int(a) for a in choose("activity id", [str(a) for a in as_list(activities)],
                                        [str(a) for a in ACTIVITIES]))
    lookup = np.full(max(ACTIVITIES) + 1, UNLABELLED, dtype=np.int64)
    lookup[ids] = np.arange(len(ids))
    recordings = []
    for group, path in tqdm(_files(root, optional), desc="pamap2", leave=False):
        times, raw, data = read_file(path, positions, fill)
        labels = lookup[np.where((raw > 0) & (raw < len(lookup)), raw, 0)]  # id 0 → -1
        recordings.append(Recording(int(path.stem[-1]), group, data, labels, times))
    return RawDataset(
        name="pamap2", recordings=recordings,
        channels=[f"{p}_acc_{axis}" for p in positions for axis in "xyz"],
        classes=[ACTIVITIES[i] for i in ids], rate_hz=RATE_HZ,
        meta={"source": str(root), "units": {"acc": "m/s^2 (±16 g sensor)"}, "fill": fill,
              "license": "CC BY 4.0 (UCI 231)", "citation": "Reiss & Stricker, ISWC 2012"},
    )
