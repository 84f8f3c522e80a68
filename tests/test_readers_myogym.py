"""MyoGym reader on a generated ``MyoGym.mat`` (``raw_data`` with EMG, accelerometer time and
x, y, z in columns 9-12, gyroscope in 13-16; ``raw_data_labels`` = activity, participant; NULL
99; BLE duplicate readings), through the `download --from` path."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.io import savemat

from zcphar.data import ProtocolOptions, get_dataset, prepare
from zcphar.data.download import download

BLOCK = 100


@pytest.fixture(scope="module")
def myogym(tmp_path_factory):
    rng = np.random.default_rng(2)
    root = tmp_path_factory.mktemp("myogym")
    rows, labels = [], []
    for participant in range(1, 11):
        activities = np.repeat([99, *range(1, 31)], BLOCK)
        block = rng.normal(0, 1, (len(activities), 17))
        block[:, 9] = np.arange(len(activities)) * 20.0  # acc time (ms, unverified unit)
        block[5] = block[4]  # a BLE duplicate: same reading, same time
        rows.append(block)
        labels.append(np.stack([activities, np.full(len(activities), participant)], axis=1))
    raw, meta = np.concatenate(rows), np.concatenate(labels).astype(np.uint8)
    path = root / "MyoGym.mat"
    savemat(path, {"raw_data": raw, "raw_data_labels": meta})
    target = root / "data"
    download("myogym", from_path=path, to=target, progress=False, log=lambda m: None)
    return target, raw, meta


def test_reader(myogym):
    target, raw_data, meta = myogym
    raw = get_dataset("myogym").load(target)
    assert raw.classes[0] == "NULL" and raw.classes[1] == "Seated Cable Rows"
    assert len(raw.classes) == 31 and raw.rate_hz == 50.0
    assert raw.channels == ["acc_x", "acc_y", "acc_z"] and raw.subjects == list(range(1, 11))
    data = np.concatenate([r.data for r in raw.recordings])
    np.testing.assert_array_equal(data, raw_data[:, 10:13])
    expected = np.where(meta[:, 0] == 99, 0, meta[:, 0])
    np.testing.assert_array_equal(np.concatenate([r.labels for r in raw.recordings]), expected)


def test_options(myogym):
    target, raw_data, _ = myogym
    deduped = get_dataset("myogym").load(target, dedupe=True, sensors="acc,gyro")
    assert len(deduped.recordings[0]) == 31 * BLOCK - 1  # the duplicate reading is dropped
    assert deduped.channels[3:] == ["gyro_x", "gyro_y", "gyro_z"]
    second = np.delete(raw_data[3100:6200, 14:17], 5, axis=0)  # participant 2, duplicate gone
    np.testing.assert_array_equal(deduped.recordings[1].data[:, 3:], second)
    no_null = get_dataset("myogym").load(target, null=False)
    assert len(no_null.classes) == 30 and set(no_null.recordings[0].labels[:BLOCK]) == {-1}
    assert no_null.recordings[0].labels[BLOCK] == 0


def test_paper_split_and_windows(myogym):
    target, _, _ = myogym
    prepared = prepare("myogym", ProtocolOptions(), data_dir=target, use_cache=False)
    assert prepared.meta["subjects"] == {"train": [3, 4, 6, 7, 8, 10], "val": [1, 5],
                                         "test": [2, 9]}
    for name, n in (("train", 6), ("val", 2), ("test", 2)):
        split = prepared.split(name)
        assert len(split) == (n * 31 * BLOCK - 100) // 50 + 1
        assert set(split.y.tolist()) == set(range(31))
