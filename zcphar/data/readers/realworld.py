"""RealWorld HAR (Sztyler & Stuckenschmidt, PerCom 2016), University of Mannheim.

Reproduces the MGT ``rwhar`` preparation: accelerometers of chest, head, shin, upperarm and waist
(15 channels, m/s², that order; forearm and thigh dropped because proband 2 lacks forearm for
climbingup and proband 6 thigh for jumping), 8 classes (climbingdown 0 ... walking 7), probands
1-15 as integer subjects, 50 Hz. Per (proband, activity): the parts of each position are stacked
in sorted file-name order, then positions are aligned by truncating to the shortest stream (the
positions are not synchronised; no timestamp alignment), as the reference does. One session per
(proband, activity), proband-major, activities in class order. ``align="time"`` (for clean mode)
instead interpolates every position onto one 20 ms grid over their common ``attr_time`` span,
cut at gaps over 1 s (sessions ``<activity>.<k>``).

Reads ``proband<N>/data/acc_<activity>_csv.zip`` directly, including the zip-in-zip parts of
probands 4, 7 and 14 (``acc_<activity>_<n>_csv.zip``), or the same folders already extracted.
``positions`` picks other positions (all seven: sessions lacking one are skipped and listed in
``meta["skipped"]``, a deliberate difference: the reference cannot run with all seven).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from zcphar.data.readers._common import choose, downloaded_dir, resolve_dir
from zcphar.data.registry import register_dataset
from zcphar.data.types import RawDataset, Recording
from zcphar.errors import ZcpharError

CLASSES = ["climbingdown", "climbingup", "jumping", "lying", "running", "sitting", "standing",
           "walking"]
POSITIONS = ("chest", "forearm", "head", "shin", "thigh", "upperarm", "waist")
PAPER_POSITIONS = ("chest", "head", "shin", "upperarm", "waist")
RATE_HZ = 50.0


def _csv_members(source: Path) -> Iterator[tuple[str, bytes]]:
    """(name, bytes) of every CSV in an activity zip or folder, descending into inner zips."""
    if source.is_dir():
        for path in sorted(source.rglob("*")):
            if path.suffix == ".csv":
                yield str(path.relative_to(source)), path.read_bytes()
            elif path.suffix == ".zip":
                yield from _zip_members(zipfile.ZipFile(path), path.name)
    else:
        yield from _zip_members(zipfile.ZipFile(source), "")


def _zip_members(archive: zipfile.ZipFile, prefix: str) -> Iterator[tuple[str, bytes]]:
    with archive:
        for name in sorted(archive.namelist()):
            if name.endswith(".csv"):
                yield f"{prefix}/{name}", archive.read(name)
            elif name.endswith(".zip"):
                inner = zipfile.ZipFile(io.BytesIO(archive.read(name)))
                yield from _zip_members(inner, f"{prefix}/{name}")


def read_streams(source: Path, activity: str, positions: Sequence[str]) -> dict[str, list] | None:
    """Per position, its parts as (file name, (T, 4) [attr_time ms, x, y, z]); None if one lacks."""
    streams: dict[str, list[tuple[str, np.ndarray]]] = {p: [] for p in positions}
    for name, blob in _csv_members(source):
        match = re.search(rf"acc_{activity}(_\d+)?_([a-z]+)\.csv$", name)
        if match and match.group(2) in streams:
            columns = ["attr_time", "attr_x", "attr_y", "attr_z"]
            frame = pd.read_csv(io.BytesIO(blob), usecols=columns)[columns]
            streams[match.group(2)].append((name.rsplit("/", 1)[-1], frame.to_numpy(np.float64)))
    return None if any(not parts for parts in streams.values()) else streams


def truncate(streams: dict[str, list]) -> list[np.ndarray]:
    """The reference: parts stacked in file-name order, positions cut to the shortest."""
    stacked = [np.vstack([a[:, 1:] for _, a in sorted(parts, key=lambda s: s[0])])
               for parts in streams.values()]
    shortest = min(len(a) for a in stacked)
    return [np.hstack([a[:shortest] for a in stacked])]  # [(T, 3 * positions)]


def align_by_time(streams: list[np.ndarray], max_gap_ms: float = 1000.0) -> list[np.ndarray]:
    """Interpolate every position onto one 20 ms grid over their common time span.

    Args:
        streams: per position, (T, 4) rows [time ms, x, y, z] (any order, parts together).
        max_gap_ms: grid points inside a longer gap of any position are dropped, splitting the
            result into pieces.

    Returns:
        (T_i, 3 * positions) pieces at 50 Hz.
    """
    clean = []
    for rows in streams:
        _, first = np.unique(rows[:, 0], return_index=True)  # sorted, duplicate times dropped
        clean.append(rows[first])
    start, end = max(r[0, 0] for r in clean), min(r[-1, 0] for r in clean)
    step = 1000.0 / RATE_HZ
    count = int(np.floor((end - start) / step + 1e-9)) + 1 if end >= start else 0
    grid = start + step * np.arange(count)  # (not arange(start, end): ms epochs lose the end)
    ok, columns = np.ones(len(grid), dtype=bool), []
    for rows in clean:
        t = rows[:, 0]
        right = np.searchsorted(t, grid, side="right")  # first sample after each grid point
        before, after = t[right - 1], t[np.clip(right, None, len(t) - 1)]
        ok &= (before == grid) | (after - before <= max_gap_ms)
        columns += [np.interp(grid, t, rows[:, c]) for c in (1, 2, 3)]
    data = np.stack(columns, axis=1) if len(grid) else np.zeros((0, 3 * len(clean)))
    cuts = np.flatnonzero(np.diff(ok.astype(np.int8))) + 1
    return [piece for piece, good in zip(np.split(data, cuts), np.split(ok, cuts), strict=True)
            if len(good) and good[0]]


def _activity_source(data: Path, activity: str) -> Path | None:
    for candidate in (data / f"acc_{activity}_csv.zip", data / f"acc_{activity}_csv"):
        if candidate.exists():
            return candidate
    return None


def _probands(root: Path) -> list[tuple[int, Path]]:
    found = {int(p.name[7:]): p / "data" for p in root.rglob("proband*")
             if p.is_dir() and p.name[7:].isdigit() and "__MACOSX" not in p.parts}
    if not found:
        raise ZcpharError(f"realworld: no proband<N>/data folders under {str(root)!r}")
    return sorted(found.items())


@register_dataset(
    "realworld", "RealWorld HAR acc, 5 positions, 15 probands, 8 classes, 50 Hz (download; paper)",
    locate=lambda: downloaded_dir("realworld"), paper=True, version="1",
    options={"positions": "comma list from chest, forearm, head, shin, thigh, upperarm, waist",
             "align": "truncate (reference: cut to the shortest position) or time"},
)
def load_realworld(data_dir: Path | None = None, *,
                   positions: Sequence[str] = PAPER_POSITIONS,
                   align: str = "truncate") -> RawDataset:
    """Read RealWorld accelerometer zips per proband and activity.

    Args:
        data_dir: extracted dataset folder holding ``proband1`` ... ``proband15``.
        positions: body positions, in channel order (default: the paper's five).
        align: ``truncate`` (the reference) or ``time`` (timestamp alignment).
    """
    root = resolve_dir("realworld", data_dir, downloaded_dir("realworld"),
                       "run `zcphar download realworld`")
    positions = choose("position", positions, POSITIONS)
    align = choose("alignment", [align], ("truncate", "time"))[0]
    recordings, skipped = [], []
    for proband, data in tqdm(_probands(root), desc="realworld", leave=False):
        for label, activity in enumerate(CLASSES):
            source = _activity_source(data, activity)
            streams = read_streams(source, activity, positions) if source else None
            if streams is None:
                skipped.append(f"proband{proband}/{activity}")
                continue
            pieces = truncate(streams) if align == "truncate" else align_by_time(
                [np.vstack([a for _, a in streams[p]]) for p in positions])
            for k, acc in enumerate(pieces):
                session = activity if align == "truncate" else f"{activity}.{k}"
                labels = np.full(len(acc), label, dtype=np.int64)
                recordings.append(Recording(proband, session, acc, labels))
    return RawDataset(
        name="realworld", recordings=recordings,
        channels=[f"{p}_acc_{axis}" for p in positions for axis in "xyz"],
        classes=list(CLASSES), rate_hz=RATE_HZ,
        meta={"source": str(root), "units": {"acc": "m/s^2"}, "skipped": skipped,
              "alignment": align,
              "citation": "Sztyler & Stuckenschmidt, PerCom 2016"},
    )
