"""MobiAct reader on a generated copy of the extracted ``MobiAct_Dataset_v2.0`` (the official RAR
cannot be extracted by zcphar, so users pass a folder or re-zipped archive with --from):
annotated per-trial CSVs with per-row labels (LYI rows, fall folders) and raw
``<CODE>_acc_<subject>_<trial>.txt`` files (CRLF, ``#`` header, ``@DATA``, ns timestamps)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.model_selection import train_test_split

from zcphar.data import ProtocolOptions, get_dataset, prepare
from zcphar.data.download import download
from zcphar.errors import ZcpharError

ADL = ["STD", "WAL", "JOG", "JUM", "STU", "STN", "SCH", "SIT", "CHU", "CSI", "CSO"]
SUBJECTS = [1, 2, 5, 7, 12]
ROWS, LYI_ROWS = 600, 40
COLUMNS = ["timestamp", "rel_time", "acc_x", "acc_y", "acc_z", "gyro_x", "gyro_y", "gyro_z",
           "azimuth", "pitch", "roll", "label"]


def annotated(rng, labels: list[str]) -> pd.DataFrame:
    n = len(labels)
    t = 1_913_248_572_000 + np.cumsum(rng.integers(4_000_000, 6_000_000, n))
    values = rng.normal(0, 4, (n, 9)).round(6)
    frame = pd.DataFrame(values, columns=COLUMNS[2:11])
    frame.insert(0, "rel_time", (t - t[0]) / 1e9)
    frame.insert(0, "timestamp", t)
    frame["label"] = labels
    return frame


def raw_text(rng, code: str, subject: int, n: int) -> tuple[str, np.ndarray, np.ndarray]:
    t = 939_489_614_000 + np.r_[0, 200_000_000 + np.cumsum(rng.integers(9_000_000, 12_000_000,
                                                                         n - 1))]
    xyz = rng.normal(0, 4, (n, 3)).round(6)
    header = ["#Acceleration force along the x y z axes (including gravity).",
              "#timestamp(ns),x,y,z(m/s^2)", "#Datetime: 05/08/2013 12:36:04", "#" * 42,
              f"#Activity: 2 - {code} - Some activity - 300s", f"#Subject ID: {subject}",
              "#First Name: sub", "#Last Name: sub", "#Age: 32", "#Height(cm): 180",
              "#Weight(kg): 85", "#Gender: Male", "#" * 42, "", "", "@DATA"]
    rows = [f"{ts}, {x}, {y}, {z}" for ts, (x, y, z) in zip(t, xyz, strict=True)]
    return "\r\n".join(header + rows) + "\r\n", t, xyz


@pytest.fixture(scope="module")
def mobiact(tmp_path_factory):
    rng = np.random.default_rng(5)
    root = tmp_path_factory.mktemp("mobiact") / "MobiAct_Dataset_v2.0"
    files = {}
    for code in ADL + ["FOL"]:
        for s in SUBJECTS:
            labels = [code] * ROWS + (["LYI"] * LYI_ROWS if code in ("STD", "FOL") else [])
            files[code, s] = annotated(rng, labels)
            folder = root / "Annotated Data" / code
            folder.mkdir(parents=True, exist_ok=True)
            files[code, s].to_csv(folder / f"{code}_{s}_1_annotated.csv", index=False)
    raws = {}
    for code, s in [("WAL", 1), ("WAL", 2), ("JOG", 1), ("FKL", 2)]:
        text, t, xyz = raw_text(rng, code, s, 250)
        (root / "Raw Data" / code).mkdir(parents=True, exist_ok=True)
        (root / "Raw Data" / code / f"{code}_acc_{s}_1.txt").write_bytes(text.encode())
        raws[code, s] = (t, xyz)
    target = root.parent / "data"
    download("mobiact", from_path=root, to=target, progress=False, log=lambda m: None)
    return target, files, raws


def test_annotated_reader(mobiact):
    target, files, _ = mobiact
    raw = get_dataset("mobiact").load(target)
    assert raw.meta["format"] == "annotated" and raw.classes == ADL
    assert raw.rate_hz == 200.0 and not raw.irregular and raw.subjects == SUBJECTS
    assert len(raw.recordings) == len(ADL) * len(SUBJECTS)
    first = raw.recordings[0]
    assert (first.subject, first.session) == (1, "STD_1")
    assert len(first) == ROWS and (first.labels == 0).all()  # the LYI rows are deleted
    source = files["STD", 1].iloc[:ROWS]
    np.testing.assert_array_equal(first.data, source[["acc_x", "acc_y", "acc_z"]].to_numpy())
    np.testing.assert_allclose(first.timestamps, source["timestamp"].to_numpy() * 1e-9)
    falls = get_dataset("mobiact").load(target, falls=True)
    fol = [r for r in falls.recordings if r.session == "FOL_1"]
    assert falls.classes == ADL + ["FOL", "FKL", "BSC", "SDL"]
    assert len(fol) == 5 and all(len(r) == ROWS and (r.labels == 11).all() for r in fol)


def test_raw_reader(mobiact):
    target, _, raws = mobiact
    raw = get_dataset("mobiact").load(target, source="raw", classes=["WAL", "JOG", "FKL"])
    assert raw.meta["format"] == "raw" and raw.irregular and raw.classes == ["WAL", "JOG", "FKL"]
    keys = [(r.subject, r.session) for r in raw.recordings]
    assert keys == [(1, "WAL_1"), (2, "WAL_1"), (1, "JOG_1"), (2, "FKL_1")]
    t, xyz = raws["JOG", 1]
    np.testing.assert_array_equal(raw.recordings[2].data, xyz)
    np.testing.assert_allclose(raw.recordings[2].timestamps, t * 1e-9)
    steps = np.concatenate([np.diff(raws[k][0]) for k in raws])
    assert raw.rate_hz == round(1e9 / np.median(steps))


def test_bad_input(mobiact, tmp_path):
    target, _, _ = mobiact
    with pytest.raises(ZcpharError, match="unknown activity code 'XYZ'; choose one of: STD"):
        get_dataset("mobiact").load(target, classes=["STD", "XYZ"])
    with pytest.raises(ZcpharError, match="unknown source 'csv'"):
        get_dataset("mobiact").load(target, source="csv")
    rar = tmp_path / "MobiAct_Dataset_v2.0.rar"
    rar.write_bytes(b"Rar!\x1a\x07\x00")
    with pytest.raises(ZcpharError, match="RAR archives are not extracted"):
        download("mobiact", from_path=rar, to=tmp_path / "x", log=lambda m: None)


def test_paper_split_and_windows(mobiact):
    target, _, _ = mobiact
    prepared = prepare("mobiact", ProtocolOptions(), data_dir=target, use_cache=False)
    rest, test = train_test_split(SUBJECTS, test_size=0.2, random_state=42)
    train, val = train_test_split(rest, test_size=0.2, random_state=42)
    split = {"train": sorted(train), "val": sorted(val), "test": sorted(test)}
    assert prepared.meta["subjects"] == split
    per_subject = len(ADL) * (ROWS // 4)  # stride 4 (200 Hz assumed) per trial file
    for name, ids in split.items():
        part = prepared.split(name)
        assert len(part) == (len(ids) * per_subject - 100) // 50 + 1
        assert set(part.y.tolist()) == set(range(11))
