"""MotionSense reader on a generated copy of ``B_Accelerometer_data.zip`` (``<act>_<trial>/
sub_<n>.csv`` with an unnamed index column, ``__MACOSX`` junk, units g), through the
`download --from` path; also the doubled-folder layout of the Kaggle copy."""

from __future__ import annotations

import io
import shutil
import zipfile

import numpy as np
import pandas as pd
import pytest

from zcphar.data import ProtocolOptions, get_dataset, prepare
from zcphar.data.download import download

TRIALS = {"dws": (1, 2, 11), "ups": (3, 4, 12), "wlk": (7, 8, 15), "jog": (9, 16),
          "sit": (5, 13), "std": (6, 14)}
ROWS = 120  # per trial file; every class has >= 240 contiguous rows per subject


@pytest.fixture(scope="module")
def motionsense(tmp_path_factory):
    rng = np.random.default_rng(1)
    root = tmp_path_factory.mktemp("motionsense")
    frames = {}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for act, trials in TRIALS.items():
            for t in trials:
                for n in range(1, 25):
                    frame = pd.DataFrame(rng.normal(0, 0.5, (ROWS, 3)).round(6),
                                         columns=["x", "y", "z"])
                    frames[n, f"{act}_{t}"] = frame
                    z.writestr(f"B_Accelerometer_data/{act}_{t}/sub_{n}.csv", frame.to_csv())
                    z.writestr(f"__MACOSX/B_Accelerometer_data/{act}_{t}/._sub_{n}.csv", b"\0\5")
    archive = root / "B_Accelerometer_data.zip"
    archive.write_bytes(buffer.getvalue())
    target = root / "data"
    download("motionsense", from_path=archive, to=target, progress=False, log=lambda m: None)
    return target, frames


def test_reader(motionsense):
    target, frames = motionsense
    assert not (target / "__MACOSX").exists()
    raw = get_dataset("motionsense").load(target)
    assert raw.classes == ["dws", "ups", "wlk", "jog", "std", "sit"]
    assert raw.channels == ["acc_x", "acc_y", "acc_z"] and raw.rate_hz == 50.0
    assert raw.subjects == list(range(1, 25)) and len(raw.recordings) == 24 * 15
    first = raw.recordings[0]
    assert (first.subject, first.session) == (1, "dws_1")
    np.testing.assert_array_equal(first.data, frames[1, "dws_1"].to_numpy())
    by_key = {(r.subject, r.session): r for r in raw.recordings}
    assert (by_key[7, "sit_13"].labels == 5).all() and (by_key[7, "std_6"].labels == 4).all()


def test_doubled_folder_and_class_option(motionsense, tmp_path):
    target, _ = motionsense
    shutil.copytree(target / "B_Accelerometer_data",
                    tmp_path / "B_Accelerometer_data" / "B_Accelerometer_data")
    raw = get_dataset("motionsense").load(tmp_path, classes=["wlk", "jog"])
    assert raw.classes == ["wlk", "jog"] and len(raw.recordings) == 24 * 5


def test_paper_split_and_windows(motionsense):
    target, _ = motionsense
    prepared = prepare("motionsense", ProtocolOptions(), data_dir=target, use_cache=False)
    assert prepared.meta["subjects"]["val"] == [3, 10, 14, 18]
    assert prepared.meta["subjects"]["test"] == [1, 9, 12, 17, 19]
    per_subject = 15 * ROWS
    for name, n in (("train", 15), ("val", 4), ("test", 5)):
        split = prepared.split(name)
        assert len(split) == (n * per_subject - 100) // 50 + 1
        assert set(split.y.tolist()) == set(range(6))
