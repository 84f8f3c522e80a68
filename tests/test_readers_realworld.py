"""RealWorld reader on a generated copy of ``realworld2016_dataset.zip``: per proband
``data/acc_<activity>_csv.zip`` (and other sensors) holding ``acc_<activity>_<position>.csv``
(``id, attr_time, attr_x, attr_y, attr_z``), zip-in-zip climbing parts for probands 4, 7, 14,
the ``_2`` infix, unsynchronised lengths and the two missing cells, via `download --from`."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from zcphar.data import ProtocolOptions, get_dataset, prepare
from zcphar.data.download import download
from zcphar.data.readers.realworld import align_by_time

CLASSES = ["climbingdown", "climbingup", "jumping", "lying", "running", "sitting", "standing",
           "walking"]
POSITIONS = ["chest", "forearm", "head", "shin", "thigh", "upperarm", "waist"]
PAPER = ["chest", "head", "shin", "upperarm", "waist"]
MISSING = {(2, "climbingup", "forearm"), (6, "jumping", "thigh")}
PARTS = {4, 7, 14}


def csv_bytes(values: np.ndarray, part: int = 0) -> bytes:
    start = 1435993200000 + 600_000 * part  # parts are recorded minutes apart
    frame = pd.DataFrame({"id": np.arange(1, len(values) + 1),
                          "attr_time": start + 20 * np.arange(len(values)),
                          "attr_x": values[:, 0], "attr_y": values[:, 1], "attr_z": values[:, 2]})
    return frame.to_csv(index=False).encode()


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for name, blob in files.items():
            z.writestr(name, blob)
    return buffer.getvalue()


def activity_zip(rng, proband: int, activity: str, streams: dict) -> bytes:
    """One ``acc_<activity>_csv.zip``; `streams[(proband, activity, position)]` gets the parts."""
    split = proband in PARTS and activity.startswith("climbing")
    infix = "_2" if (proband, activity) == (4, "walking") else ""
    files, parts = {}, {}
    for i, pos in enumerate(POSITIONS):
        if (proband, activity, pos) in MISSING:
            continue
        lengths = [90 + 7 * i + 5 * k for k in range(2 if split else 1)]  # unsynchronised
        chunks = [rng.normal(0, 3, (n, 3)).round(6) for n in lengths]
        streams[proband, activity, pos] = chunks
        if split:
            for k, chunk in enumerate(chunks, start=2):
                parts.setdefault(k, {})[f"acc_{activity}_{k}_{pos}.csv"] = csv_bytes(chunk, k)
        else:
            files[f"acc_{activity}{infix}_{pos}.csv"] = csv_bytes(chunks[0])
    for k, part in parts.items():
        files[f"acc_{activity}_{k}_csv.zip"] = zipped(part)
    return zipped(files)


@pytest.fixture(scope="module")
def realworld(tmp_path_factory):
    rng = np.random.default_rng(3)
    root = tmp_path_factory.mktemp("realworld")
    streams: dict = {}
    outer = {}
    for p in range(1, 16):
        for activity in CLASSES:
            blob = activity_zip(rng, p, activity, streams)
            outer[f"proband{p}/data/acc_{activity}_csv.zip"] = blob
            outer[f"proband{p}/data/gyr_{activity}_csv.zip"] = zipped({"x.csv": b"id\n"})
        outer[f"proband{p}/data/readMe"] = b"entries"
    archive = root / "realworld2016_dataset.zip"
    archive.write_bytes(zipped(outer))
    target = root / "data"
    download("realworld", from_path=archive, to=target, progress=False, log=lambda m: None)
    return target, streams


def expected(streams, proband, activity, positions):
    stacked = [np.vstack(streams[proband, activity, pos]) for pos in positions]
    shortest = min(len(s) for s in stacked)
    return np.hstack([s[:shortest] for s in stacked])


def test_reader_paper_positions(realworld):
    target, streams = realworld
    raw = get_dataset("realworld").load(target)
    assert raw.channels == [f"{p}_acc_{a}" for p in PAPER for a in "xyz"]
    assert raw.classes == CLASSES and raw.rate_hz == 50.0
    assert raw.subjects == list(range(1, 16)) and len(raw.recordings) == 15 * 8
    by_key = {(r.subject, r.session): r for r in raw.recordings}
    for key in [(1, "walking"), (4, "climbingdown"), (4, "walking"), (14, "climbingup")]:
        np.testing.assert_array_equal(by_key[key].data, expected(streams, *key, PAPER))
    assert (by_key[5, "running"].labels == 4).all()
    assert raw.meta["skipped"] == []


def test_all_seven_positions_skip_the_missing_cells(realworld):
    target, streams = realworld
    raw = get_dataset("realworld").load(target, positions=POSITIONS)
    assert len(raw.channels) == 21 and len(raw.recordings) == 15 * 8 - 2
    assert raw.meta["skipped"] == ["proband2/climbingup", "proband6/jumping"]
    first = raw.recordings[0]
    np.testing.assert_array_equal(first.data, expected(streams, 1, "climbingdown", POSITIONS))


def test_paper_split_and_windows(realworld):
    target, streams = realworld
    prepared = prepare("realworld", ProtocolOptions(), data_dir=target, use_cache=False)
    split = {"train": [2, 3, 5, 6, 7, 8, 9, 11, 15], "val": [4, 13, 14], "test": [1, 10, 12]}
    assert prepared.meta["subjects"] == split
    for name, ids in split.items():
        rows = sum(len(expected(streams, p, a, PAPER)) for p in ids for a in CLASSES)
        part = prepared.split(name)
        assert len(part) == (rows - 100) // 50 + 1
        assert part.X.shape[1:] == (15, 100) and set(part.y.tolist()) == set(range(8))


def test_time_alignment_oracle():
    t_a = np.arange(0, 201, 20.0)  # position A: 0 .. 200 ms
    t_b = np.arange(10, 212, 20.0)  # position B starts 10 ms later: 10 .. 210 ms
    a = np.stack([t_a, t_a, t_a, t_a], axis=1)  # values = time
    b = np.stack([t_b, 2 * t_b, 2 * t_b, 2 * t_b], axis=1)  # values = 2 * time
    (piece,) = align_by_time([a, b[::-1]])  # order within a stream does not matter
    grid = np.arange(10, 191, 20.0)  # the common span 10 .. 200 ms, every 20 ms
    np.testing.assert_allclose(piece, np.stack([grid] * 3 + [2 * grid] * 3, axis=1))
    gap = np.concatenate([a[:4], a[4:] + 3000])  # A stops at 60 ms and resumes at 3080 ms
    b_long = np.stack([np.arange(0, 3300, 20.0)] * 4, axis=1)
    first, second = align_by_time([gap, b_long])
    assert len(first) == 4 and len(second) == len(np.arange(3080, 3201, 20))


def test_time_alignment_on_the_archive(realworld):
    target, streams = realworld
    raw = get_dataset("realworld").load(target, align="time")
    by_key = {(r.subject, r.session): r for r in raw.recordings}
    np.testing.assert_allclose(by_key[1, "walking.0"].data,
                               expected(streams, 1, "walking", PAPER))
    for k in (0, 1):  # two parts recorded apart: two sessions, each cut to its shortest part
        parts = [streams[4, "climbingdown", p][k] for p in PAPER]
        shortest = min(len(p) for p in parts)
        np.testing.assert_allclose(by_key[4, f"climbingdown.{k}"].data,
                                   np.hstack([p[:shortest] for p in parts]))
