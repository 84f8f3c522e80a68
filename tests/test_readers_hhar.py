"""HHAR reader on a generated copy of the UCI archive (outer zip → ``Activity recognition
exp.zip`` → ``Watch_accelerometer.csv`` with ``Index, Arrival_Time, Creation_Time, x, y, z, User,
Model, Device, gt``; ``null`` labels; Creation_Time in ns for gear and µs for LG; rows slightly
out of order), via `download --from`. Window counts follow the documented time-based resampling,
computed here in integer arithmetic."""

from __future__ import annotations

import io
import math
import zipfile

import numpy as np
import pandas as pd
import pytest

from zcphar.data import ProtocolOptions, get_dataset, prepare
from zcphar.data.download import download

CLASSES = ["bike", "sit", "stairsdown", "stairsup", "stand", "walk"]
BLOCK = {"gear": 120, "lgwatch": 240}  # rows per label block: 1.2 s at 100 / 200 Hz
STEP_NS = {"gear": 10_000_000, "lgwatch": 5_000_000}
UNIT_NS = {"gear": 1, "lgwatch": 1000}  # Creation_Time units differ between models


def stream(rng, user: str, device: str) -> pd.DataFrame:
    model = device.split("_")[0]
    labels = np.repeat(["null", "bike", "sit", "stand", "walk", "stairsup", "stairsdown"],
                       BLOCK[model])
    n = len(labels)
    jitter = np.r_[0, rng.integers(2, 400, n - 1)] * 1000  # ns, >= 2 µs: no ties with a grid
    t_ns = 27_920_678_471_000 + np.arange(n) * STEP_NS[model] + jitter
    frame = pd.DataFrame({"Arrival_Time": 1424696638740 + np.arange(n) * 10,
                          "Creation_Time": t_ns // UNIT_NS[model],
                          "x": rng.normal(0, 3, n).round(6), "y": rng.normal(-9.8, 1, n).round(6),
                          "z": rng.normal(0, 3, n).round(6),
                          "User": user, "Model": model, "Device": device, "gt": labels})
    return frame


@pytest.fixture(scope="module")
def hhar(tmp_path_factory):
    rng = np.random.default_rng(4)
    root = tmp_path_factory.mktemp("hhar")
    streams = {(u, d): stream(rng, u, d) for u in "abcdefghi"
               for d in ("gear_1", "gear_2", "lgwatch_1", "lgwatch_2")}
    table = pd.concat(streams.values(), ignore_index=True)
    order = np.arange(len(table))
    order[100:102] = [101, 100]  # two rows arrive out of Creation_Time order
    table = table.iloc[order].reset_index(drop=True)
    table.insert(0, "Index", np.arange(len(table)))
    inner = io.BytesIO()
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("Activity recognition exp/Watch_accelerometer.csv", table.to_csv(index=False))
        z.writestr("Activity recognition exp/Readme.txt", "HHAR\n")
    archive = root / "heterogeneity+activity+recognition.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("Activity recognition exp.zip", inner.getvalue())
        z.writestr("Still exp.zip", b"PK\x05\x06" + b"\0" * 18)  # an (empty) zip left as is
    target = root / "data"
    download("hhar", from_path=archive, to=target, progress=False, log=lambda m: None)
    return target, streams


def test_reader(hhar):
    target, streams = hhar
    raw = get_dataset("hhar").load(target)
    assert raw.classes == CLASSES and raw.channels == ["acc_x", "acc_y", "acc_z"]
    assert raw.subjects == list("abcdefghi") and raw.irregular and raw.rate_hz == 100.0
    keys = [(r.subject, r.session) for r in raw.recordings]
    assert keys[:2] == [("a", "gear_1"), ("a", "gear_2")] and keys[18] == ("a", "lgwatch_1")
    gear = raw.recordings[0]
    source = streams["a", "gear_1"]
    np.testing.assert_array_equal(gear.data, source[["x", "y", "z"]].to_numpy())
    expected = [CLASSES.index(g) if g in CLASSES else -1 for g in source["gt"]]
    assert gear.labels.tolist() == expected
    t_ns = source["Creation_Time"].to_numpy()
    np.testing.assert_allclose(gear.timestamps, (t_ns - t_ns[0]) * 1e-9)
    lg = raw.recordings[18]  # LG: every 2nd row, µs inferred
    t_us = streams["a", "lgwatch_1"]["Creation_Time"].to_numpy()[::2]
    np.testing.assert_allclose(lg.timestamps, (t_us - t_us[0]) * 1e-6)
    assert len(get_dataset("hhar").load(target, lgwatch_stride=1).recordings[18]) == 7 * 240


def labelled_rows_after_time_resampling(frame: pd.DataFrame, model: str) -> int:
    """Documented rule: grid at 100 Hz over the span, polyphase 1/2 (every 2nd grid point at
    20 ms), label = last sample at or before each point, null rows dropped (paper mode)."""
    t = frame["Creation_Time"].to_numpy(np.int64) * UNIT_NS[model]
    labels = frame["gt"].to_numpy()
    if model == "lgwatch":
        t, labels = t[::2], labels[::2]
    t = t - t[0]
    grid = (t[-1] * 100) // 10**9 + 1
    points = np.arange(math.ceil(grid / 2)) * 20_000_000
    held = labels[np.searchsorted(t, points, side="right") - 1]
    return int((held != "null").sum())


def test_paper_split_and_windows(hhar):
    target, streams = hhar
    prepared = prepare("hhar", ProtocolOptions(resampler="time"), data_dir=target,
                       use_cache=False)
    split = {"train": list("cdegi"), "val": ["a", "f"], "test": ["b", "h"]}
    assert prepared.meta["subjects"] == split
    for name, users in split.items():
        rows = sum(labelled_rows_after_time_resampling(f, d.split("_")[0])
                   for (u, d), f in streams.items() if u in users)
        part = prepared.split(name)
        assert len(part) == (rows - 100) // 50 + 1
        assert set(part.y.tolist()) == set(range(6))


def test_assume_regular_gives_the_reference_stride(hhar):
    target, _ = hhar
    options = ProtocolOptions()
    prepared = prepare("hhar", options, data_dir=target, use_cache=False,
                       reader_options={"assume_regular": True})
    assert prepared.meta["options"]["resampler"] == "stride"
    per_user = 4 * 6 * 120 // 2  # 4 streams, 6 labelled blocks of 120 rows at 100 Hz, stride 2
    for name, n in (("train", 5), ("val", 2), ("test", 2)):
        assert len(prepared.split(name)) == (n * per_user - 100) // 50 + 1
