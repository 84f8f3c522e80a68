"""The three local real datasets (../shared/data): subjects, classes, the paper split of
DATASETS.md §1.3, class coverage of every split, and window counts computed here from the raw
files and the documented formulas (never copied from the code's output). Skipped without
../shared/data."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import shared_path
from zcphar.data import ProtocolOptions, get_dataset, prepare

pytestmark = pytest.mark.realdata
LENGTH, STEP = 100, 50


def n_windows(rows: int) -> int:
    """Paper windowing over a split's concatenated rows: floor((T - 100) / 50) + 1."""
    return (rows - LENGTH) // STEP + 1 if rows >= LENGTH else 0


def expected_windows(rows_by_subject: dict, split: dict) -> dict[str, int]:
    return {s: n_windows(sum(rows_by_subject[i] for i in split[s])) for s in split}


def check_prepared(prepared, split: dict, expected: dict, n_classes: int) -> None:
    assert prepared.meta["subjects"] == {s: sorted(v) for s, v in split.items()}
    for name in ("train", "val", "test"):
        part = prepared.split(name)
        assert len(part) == expected[name], name
        assert part.X.shape[1:] == (prepared.num_channels, LENGTH)
        assert set(part.y.tolist()) == set(range(n_classes)), f"{name} lacks a class"
        assert set(part.subject.tolist()) <= set(split[name])


# ---------------------------------------------------------------- dsads
DSADS_SPLIT = {"train": ["p3", "p4", "p5", "p7"], "val": ["p1", "p8"], "test": ["p2", "p6"]}


@pytest.fixture(scope="module")
def dsads_raw():
    shared_path("dsads")
    return get_dataset("dsads").load()


def test_dsads_reader(dsads_raw):
    root = shared_path("dsads", "data")
    assert dsads_raw.subjects == [f"p{i}" for i in range(1, 9)]
    assert len(dsads_raw.classes) == 19 and dsads_raw.classes[0] == "sitting"
    assert dsads_raw.rate_hz == 25.0 and len(dsads_raw.channels) == 15
    first = dsads_raw.recordings[0]  # a01/p1, s01..s06 joined
    segments = [np.loadtxt(root / "a01" / "p1" / f"s0{i}.txt", delimiter=",") for i in range(1, 7)]
    acc = [0, 1, 2, 9, 10, 11, 18, 19, 20, 27, 28, 29, 36, 37, 38]
    np.testing.assert_array_equal(first.data, np.concatenate(segments)[:, acc])
    assert (first.subject, first.session) == ("p1", "a01")


def test_dsads_paper_split_and_windows():
    root = shared_path("dsads", "data")
    rows = {}
    for path in root.glob("a*/p*/s*.txt"):  # 25 Hz rows; polyphase x2 to 50 Hz doubles them
        rows[path.parent.name] = rows.get(path.parent.name, 0) + 2 * path.read_bytes().count(b"\n")
    prepared = prepare("dsads", use_cache=False)
    assert prepared.meta["options"]["resampler"] == "poly"
    check_prepared(prepared, DSADS_SPLIT, expected_windows(rows, DSADS_SPLIT), 19)


# ---------------------------------------------------------------- sp_sw_har
SW_SPLIT = {"val": ["s02", "s05", "s12", "s13"], "test": ["s01", "s09", "s10", "s16", "s18"]}
SW_SPLIT["train"] = [f"s{i:02d}" for i in range(1, 24)
                     if f"s{i:02d}" not in SW_SPLIT["val"] + SW_SPLIT["test"]]


def time_rows(stamps: np.ndarray, per_second: int, unit: int, up: int, down: int) -> int:
    """Rows after time-based resampling, in integer arithmetic: sort, drop duplicates, split at
    gaps > 1 s, a grid of floor(span * rate) + 1 points per piece, then polyphase up/down."""
    t = np.unique(stamps)  # sorted, duplicates dropped
    pieces = np.split(t, np.flatnonzero(np.diff(t) > unit) + 1)
    grid = [int((p[-1] - p[0]) * per_second // unit) + 1 for p in pieces]
    return sum(math.ceil(n * up / down) for n in grid)


def test_sp_sw_har_reader_and_paper_split():
    root = shared_path("sp_sw_har", "DATA")
    raw = get_dataset("sp_sw_har").load()
    assert raw.subjects == [f"s{i:02d}" for i in range(1, 24)]
    assert raw.classes == ["SEATED", "STANDING_UP", "WALKING", "TURNING", "SITTING_DOWN"]
    assert raw.irregular and raw.rate_hz == 100.0 and raw.channels == ["acc_x", "acc_y", "acc_z"]
    assert len(raw.recordings) == 223 and sum(len(r) for r in raw.recordings) == 262_553
    rows: dict[str, int] = {}
    for path in sorted(root.glob("s*/s*_sw.csv")):
        stamps = pd.read_csv(path, usecols=["timestamp"])["timestamp"].to_numpy(np.int64)  # ms
        subject = path.name[:3]
        rows[subject] = rows.get(subject, 0) + time_rows(stamps, 100, 1000, 1, 2)
    prepared = prepare("sp_sw_har", ProtocolOptions(resampler="time"), use_cache=False)
    check_prepared(prepared, SW_SPLIT, expected_windows(rows, SW_SPLIT), 5)


def test_sp_sw_har_assume_regular_decimates_by_stride():
    root = shared_path("sp_sw_har", "DATA")
    rows: dict[str, int] = {}
    for path in sorted(root.glob("s*/s*_sw.csv")):
        n = path.read_bytes().count(b"\n") - 1  # minus the header line
        rows[path.name[:3]] = rows.get(path.name[:3], 0) + math.ceil(n / 2)  # rows 0, 2, 4, ...
    prepared = prepare("sp_sw_har", ProtocolOptions(), use_cache=False,
                       reader_options={"assume_regular": True})
    assert prepared.meta["options"]["resampler"] == "stride"
    check_prepared(prepared, SW_SPLIT, expected_windows(rows, SW_SPLIT), 5)


# ---------------------------------------------------------------- mobifall
MF_SPLIT = {"train": [4, 5, 7, 9, 11], "val": [2, 8], "test": [3, 10]}
MF_ADL = ["STD", "WAL", "JOG", "JUM", "STU", "STN", "SCH", "CSI", "CSO"]


def _mobifall_stamps(root: Path, folder: str) -> dict[Path, np.ndarray]:
    out = {}
    for path in sorted(root.glob(f"sub*/{folder}/*/*_acc_*.txt")):
        lines = path.read_bytes().split(b"@DATA", 1)[1].split()
        out[path] = np.array([int(line.rstrip(b",")) for line in lines[::4]], dtype=np.int64)
    return out


@pytest.fixture(scope="module")
def mobifall_raw():
    shared_path("mobifall_v2")
    return get_dataset("mobifall").load()


def test_mobifall_reader_classes_subjects_and_rate(mobifall_raw):
    root = shared_path("mobifall_v2")
    stamps = _mobifall_stamps(root, "ADL")
    raw = mobifall_raw
    assert raw.classes == MF_ADL and raw.irregular
    assert raw.subjects == [2, 3, 4, 5, 7, 8, 9, 10, 11]
    assert all(type(s) is int for s in raw.subjects)
    assert sum(len(r) for r in raw.recordings) == sum(len(t) for t in stamps.values()) == 803_334
    median_ns = np.median(np.concatenate([np.diff(t) for t in stamps.values()]))
    assert raw.rate_hz == round(1e9 / median_ns)
    with_falls = get_dataset("mobifall").load(falls=True)
    assert with_falls.classes == MF_ADL + ["FOL", "FKL", "BSC", "SDL"]
    assert len(with_falls.subjects) == 24
    sdl = [r for r in with_falls.recordings if r.subject == 21 and r.session.startswith("SDL")]
    assert len(sdl) == 3 and all((r.labels == 12).all() for r in sdl)  # filed under FOL/


def test_mobifall_paper_split_and_windows(mobifall_raw):
    root = shared_path("mobifall_v2")
    rate = mobifall_raw.rate_hz
    frac = Fraction(50, int(rate))
    rows: dict[int, int] = {}
    for path, t in _mobifall_stamps(root, "ADL").items():
        subject = int(path.name.split("_")[2])
        rows[subject] = rows.get(subject, 0) + time_rows(
            t, int(rate), 10**9, frac.numerator, frac.denominator)
    prepared = prepare("mobifall", ProtocolOptions(resampler="time"), use_cache=False)
    check_prepared(prepared, MF_SPLIT, expected_windows(rows, MF_SPLIT), 9)
