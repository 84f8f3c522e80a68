"""prepare(): the documented watch counts, normalisation from training rows, the cache."""

import json

import numpy as np
import pytest

from zcphar.data import ProtocolOptions, get_dataset, prepare
from zcphar.data.cache import cache_dir
from zcphar.errors import ZcpharError


@pytest.fixture(autouse=True)
def _own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ZCPHAR_HOME", str(tmp_path))


def _counts(p):
    return [len(p.train), len(p.val), len(p.test)]


def test_watch_paper_split_and_counts():  # DATASETS.md §5
    p = prepare("watch", use_cache=False)
    assert p.meta["subjects"] == {"train": [3, 4, 6, 7, 8, 10], "val": [1, 5], "test": [2, 9]}
    assert _counts(p) == [2724, 1090, 1063]
    assert p.train.X.shape == (2724, 3, 100) and p.train.X.dtype == np.float32
    assert p.train.y.dtype == np.int64 and p.meta["options"]["resampler"] == "stride"
    assert p.meta["channels"] == ["acc_x", "acc_y", "acc_z"] and p.num_classes == 7
    assert set(p.test.subject.tolist()) == {2, 9}


def test_watch_clean_counts():
    p = prepare("watch", ProtocolOptions.clean(), use_cache=False)
    assert _counts(p) == [2603, 1051, 1023]


def test_zscore_statistics_come_from_training_rows_only():
    opts = ProtocolOptions()
    p = prepare("synthetic", opts, use_cache=False)
    raw = get_dataset("synthetic").load()
    train = set(p.meta["subjects"]["train"])
    rows = np.concatenate([r.data for r in raw.recordings if r.subject in train])  # (T, 3)
    mean, std = rows.mean(axis=0), rows.std(axis=0)
    assert np.allclose(p.meta["scaler"]["mean"], mean) and np.allclose(p.meta["scaler"]["scale"], std)
    # first train window = the first 100 training rows, normalised, channels first
    assert np.allclose(p.train.X[0], ((rows[:100] - mean) / std).T, atol=1e-5)
    # validation rows are not re-centred on their own statistics
    val = np.concatenate([r.data for r in raw.recordings if r.subject in p.meta["subjects"]["val"]])
    assert np.allclose(p.val.X[0], ((val[:100] - mean) / std).T, atol=1e-5)


def test_window_options_and_metadata():
    opts = ProtocolOptions(window_s=1.0, overlap=0.0, split="seed", split_seed=3)
    p = prepare("synthetic", opts, reader_options={"subjects": 6}, use_cache=False)
    assert p.window == 50 and p.meta["options"]["step"] == 50
    for key in ("name", "rate_hz", "channels", "classes", "options", "subjects",
                "reader_version", "source", "report"):
        assert key in p.meta
    assert p.meta["reader_options"] == {"subjects": 6}
    assert p.meta["options"]["split_seed"] == 3
    json.dumps(p.meta)  # JSON-ready


def test_upsampling_and_irregular_data_record_the_resampler():
    p = prepare("synthetic", reader_options={"rate": 25}, use_cache=False)
    assert p.meta["options"]["resampler"] == "poly" and p.window == 100
    p = prepare("synthetic", reader_options={"rate": 100, "jitter": 0.2}, use_cache=False)
    assert p.meta["options"]["resampler"] == "time"
    with pytest.raises(ZcpharError, match="resampler 'stride' cannot apply"):
        prepare("synthetic", ProtocolOptions(resampler="stride"),
                reader_options={"rate": 100, "jitter": 0.2}, use_cache=False)


def test_cache_returns_identical_arrays_and_loads_the_second_time():
    first = prepare("synthetic", reader_options={"seed": 4})
    assert first.meta["cache"]["loaded"] is False
    second = prepare("synthetic", reader_options={"seed": 4})
    assert second.meta["cache"]["loaded"] is True
    for s in ("train", "val", "test"):
        a, b = first.split(s), second.split(s)
        assert np.array_equal(a.X, b.X) and np.array_equal(a.y, b.y)
        assert np.array_equal(a.subject, b.subject)
    assert second.meta["subjects"] == first.meta["subjects"]
    other = prepare("synthetic", reader_options={"seed": 5})
    assert other.meta["cache"]["loaded"] is False
    assert len([p for p in cache_dir().iterdir() if not p.name.startswith(".")]) == 2


@pytest.mark.parametrize("dataset, options, reader, message", [
    ("pamap", None, None, "unknown dataset 'pamap'; choose one of: .*watch"),
    ("synthetic", None, {"subjects": 2}, "2 subject.*at least 3"),
    ("synthetic", ProtocolOptions.clean(), {"seconds": 0.5},  # 75-sample sessions
     "split 'train' has no windows.*shorter than one window of 100 samples"),
    ("synthetic", None, {"colour": 1}, "no reader option 'colour'; choose one of: channels"),
    ("watch", ProtocolOptions(mode="fast"), None, "unknown protocol 'fast'"),
    ("watch", ProtocolOptions(purity=0.8), None, "purity applies to the 'majority' label rule"),
    ("watch", ProtocolOptions(overlap=1.0), None, r"overlap 1.0 must be in \[0, 1\)"),
])
def test_bad_inputs_raise_and_cache_nothing(dataset, options, reader, message):
    with pytest.raises(ZcpharError, match=message):
        prepare(dataset, options, reader_options=reader)
    assert not cache_dir().exists() or not any(cache_dir().iterdir())


def test_a_class_missing_from_a_split_is_named():
    # one 300-row session per subject and 200-row windows: a one-subject split gets 1 window
    opts = ProtocolOptions(window_s=4.0, overlap=0.0)
    with pytest.raises(ZcpharError, match=r"split '(train|val|test)' has no windows of class"):
        prepare("synthetic", opts, reader_options={"seconds": 2.0, "sessions": 1})
    p = prepare("synthetic", opts.with_(allow_missing_classes=True),
                reader_options={"seconds": 2.0, "sessions": 1}, use_cache=False)
    assert p.meta["options"]["allow_missing_classes"] is True
