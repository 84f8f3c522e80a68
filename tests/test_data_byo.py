"""Bring-your-own data: long CSV, folder of CSVs, pre-windowed arrays, and their bad inputs."""

import json

import numpy as np
import pandas as pd
import pytest

from zcphar.data import ProtocolOptions, prepare
from zcphar.data.cache import cache_dir
from zcphar.errors import ZcpharError

RATE = 100


@pytest.fixture(autouse=True)
def _own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ZCPHAR_HOME", str(tmp_path / "home"))


def _frame(subjects=(1, 2, 3, 4, 5), rows=600, seed=0, timestamps=False):
    """rows per subject at 100 Hz; labels walk/sit/run in 200-row blocks."""
    rng = np.random.default_rng(seed)
    parts = []
    for s in subjects:
        t = np.arange(rows) / RATE
        label = np.array(["walk", "sit", "run"])[(np.arange(rows) // 200) % 3]
        part = pd.DataFrame({"subject": s, "acc_x": np.sin(t * 2 * s), "acc_y": rng.normal(size=rows),
                             "acc_z": 1.0 + rng.normal(size=rows), "gyro_x": rng.normal(size=rows),
                             "label": label})
        if timestamps:
            part.insert(1, "timestamp", t * 1000)  # ms
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def _empty_cache():
    return not cache_dir().exists() or not any(cache_dir().iterdir())


def test_long_csv_with_rate_option_and_no_sidecar(tmp_path):
    path = tmp_path / "data.csv"
    _frame().to_csv(path, index=False)
    p = prepare(path, reader_options={"rate": RATE})
    assert p.meta["classes"] == ["run", "sit", "walk"]  # sorted unique labels
    assert p.meta["channels"] == ["acc_x", "acc_y", "acc_z"]  # gyro dropped
    assert p.meta["options"]["resampler"] == "stride" and p.meta["native_rate_hz"] == RATE
    # 3 train subjects x 300 rows after stride 2 = 900 rows -> (900 - 100) // 50 + 1 windows
    assert len(p.train) == 17
    # the windows are the decimated rows of the train subjects, normalised
    frame = _frame()
    train = frame[frame.subject.isin(p.meta["subjects"]["train"])]
    rows = train[["acc_x", "acc_y", "acc_z"]].to_numpy()[::1]
    rows = np.concatenate([rows[train.subject.to_numpy() == s][::2]
                           for s in pd.unique(train.subject)])
    expected = (rows[:100] - rows.mean(0)) / rows.std(0)
    assert np.allclose(p.train.X[0], expected.T, atol=1e-5)


def test_sidecar_gives_rate_labels_and_ignored_labels(tmp_path):
    path = tmp_path / "data.csv"
    _frame().to_csv(path, index=False)
    (tmp_path / "data.json").write_text(json.dumps({
        "name": "mine", "sampling_rate_hz": RATE, "labels": ["walk", "sit", "run", "jump"],
        "ignore_labels": [], "license": "CC0"}))
    p = prepare(path, ProtocolOptions(allow_missing_classes=True), use_cache=False)
    assert p.meta["name"] == "mine" and p.meta["classes"] == ["walk", "sit", "run", "jump"]
    assert p.meta["source"]["license"] == "CC0"
    (tmp_path / "data.json").write_text(json.dumps({"sampling_rate_hz": RATE,
                                                    "ignore_labels": ["sit"]}))
    p = prepare(path, use_cache=False)
    assert p.meta["classes"] == ["run", "walk"]


def test_timestamps_give_the_rate(tmp_path):
    path = tmp_path / "data.csv"
    _frame(timestamps=True).to_csv(path, index=False)
    p = prepare(path, reader_options={"timestamp_unit": "ms"}, use_cache=False)
    assert p.meta["native_rate_hz"] == pytest.approx(RATE)
    assert p.meta["report"]["effective_rate_hz"] == pytest.approx(RATE)


def test_folder_of_csvs_takes_subjects_from_file_names(tmp_path):
    folder = tmp_path / "csvs"
    folder.mkdir()
    frame = _frame()
    for s in range(1, 6):
        for half in (0, 1):
            part = frame[frame.subject == s].iloc[half * 300:(half + 1) * 300]
            part.drop(columns="subject").to_csv(folder / f"{s}_session{half}.csv", index=False)
    p = prepare(folder, ProtocolOptions.clean(), reader_options={"rate": RATE}, use_cache=False)
    subjects = sorted(p.meta["subjects"]["train"] + p.meta["subjects"]["val"]
                      + p.meta["subjects"]["test"])
    assert subjects == [1, 2, 3, 4, 5]
    assert p.meta["report"]["sessions"] == 10


def test_prewindowed_arrays(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 128, 3)) + 5  # (N, T, C) time-major
    y = np.tile([1, 2, 3], 20)
    subject = np.repeat(np.arange(1, 7), 10)
    for name, arr in (("X", X), ("y", y), ("subject", subject)):
        np.save(tmp_path / f"{name}.npy", arr)
    p = prepare(tmp_path, use_cache=False)
    assert p.train.X.shape[1:] == (3, 128) and p.meta["classes"] == ["1", "2", "3"]
    train = X[np.isin(subject, p.meta["subjects"]["train"])]
    mean, std = train.reshape(-1, 3).mean(0), train.reshape(-1, 3).std(0)
    assert np.allclose(p.train.X[0], ((train[0] - mean) / std).T, atol=1e-5)


def _bad(tmp_path, frame, reader_options=None, options=None):
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    with pytest.raises(ZcpharError) as err:
        prepare(path, options, reader_options=reader_options)
    assert _empty_cache()
    return str(err.value)


def test_missing_file():
    with pytest.raises(ZcpharError, match="file not found: .*nope.csv"):
        prepare("nope.csv")
    assert _empty_cache()


def test_missing_required_columns_are_named(tmp_path):
    assert "missing required column 'label'" in _bad(tmp_path, _frame().drop(columns="label"),
                                                     {"rate": RATE})
    no_acc = _frame().drop(columns=["acc_x", "acc_y", "acc_z"])
    assert "missing required column 'acc_x'" in _bad(tmp_path, no_acc, {"rate": RATE})


def test_non_numeric_sensor_values(tmp_path):
    frame = _frame()
    frame["acc_y"] = frame["acc_y"].astype(object)
    frame.loc[7, "acc_y"] = "oops"
    assert "non-numeric value 'oops' in column 'acc_y'" in _bad(tmp_path, frame, {"rate": RATE})


def test_nans_are_interpolated_or_stop(tmp_path):
    frame = _frame()
    frame.loc[10:20, "acc_x"] = np.nan
    path = tmp_path / "nan.csv"
    frame.to_csv(path, index=False)
    p = prepare(path, reader_options={"rate": RATE}, use_cache=False)
    assert all(np.isfinite(p.split(s).X).all() for s in ("train", "val", "test"))
    assert p.meta["report"]["nan_fraction"]["acc_x"] > 0
    message = _bad(tmp_path, frame, {"rate": RATE}, ProtocolOptions(nan_policy="error"))
    assert "11 NaN/inf values in subject 1" in message


def test_rate_not_given_and_not_inferable(tmp_path):
    assert "sampling rate is not given and cannot be inferred" in _bad(tmp_path, _frame())


def test_unknown_label_against_declared_labels(tmp_path):
    message = _bad(tmp_path, _frame(), {"rate": RATE, "labels": ["walk", "sit"]})
    assert "unknown label 'run'; choose one of: walk, sit" in message


def test_unlabelled_rows_paper_deletes_clean_keeps(tmp_path):
    # per subject 500 rows at 50 Hz: 200 'a', 100 unlabelled, 200 'b'
    labels = ["a"] * 200 + [""] * 100 + ["b"] * 200
    frame = pd.DataFrame({"subject": np.repeat([1, 2, 3, 4, 5], 500),
                          "acc_x": np.arange(2500) % 11, "acc_y": np.arange(2500) % 7,
                          "acc_z": 1.0, "label": labels * 5})
    path = tmp_path / "gaps.csv"
    frame.to_csv(path, index=False)
    paper = prepare(path, reader_options={"rate": 50}, use_cache=False)
    assert len(paper.train) == (3 * 400 - 100) // 50 + 1  # 23: unlabelled rows spliced out
    clean = prepare(path, ProtocolOptions.clean(), reader_options={"rate": 50}, use_cache=False)
    # starts 0..400 step 50 = 9 windows; the one at 200 is all unlabelled -> 8 per session;
    # windows at 150 and 250 are half unlabelled (kept), labelled a and b
    assert len(clean.train) == 3 * 8
    assert clean.train.y[:8].tolist() == [0, 0, 0, 0, 1, 1, 1, 1]
    pure = prepare(path, ProtocolOptions.clean(purity=0.6), reader_options={"rate": 50},
                   use_cache=False)
    assert len(pure.train) == 3 * 6  # majority share 0.5 at 150 and 250 -> dropped
