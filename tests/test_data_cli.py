"""`zcphar prepare` and `zcphar datasets` through `main([...])`: output, options, bad input."""

import json

import numpy as np
import pandas as pd
import pytest

from zcphar.cli.main import main
from zcphar.data.cache import cache_dir


@pytest.fixture(autouse=True)
def _own_home(tmp_path, monkeypatch):
    monkeypatch.setenv("ZCPHAR_HOME", str(tmp_path / "home"))


def _json(capsys, *argv):
    assert main(["prepare", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_prepare_watch_json(capsys):
    info = _json(capsys, "watch")
    assert {"dataset", "protocol", "channels", "classes", "window", "subjects",
            "windows"} <= set(info)
    assert info["windows"] == {"train": 2724, "val": 1090, "test": 1063}
    assert info["subjects"] == {"train": [3, 4, 6, 7, 8, 10], "val": [1, 5], "test": [2, 9]}
    assert info["protocol"] == "paper" and info["window"] == 100
    again = _json(capsys, "watch")
    assert again["from_cache"] is True and again["windows"] == info["windows"]


def test_prepare_text_summary_and_report(capsys):
    assert main(["prepare", "synthetic", "--protocol", "clean", "--report"]) == 0
    out = capsys.readouterr().out
    assert "dataset synthetic (clean protocol" in out and "per class: class0" in out
    assert "validation report" in out and "rows 6000, subjects 5, sessions 10" in out


def test_protocol_options_reach_prepare(capsys):
    info = _json(capsys, "synthetic", "--option", "subjects=6", "--window-s", "1",
                 "--overlap", "0", "--test-subjects", "1,2", "--val-subjects", "3", "--no-cache")
    assert info["window"] == 50
    assert info["subjects"] == {"train": [4, 5, 6], "val": [3], "test": [1, 2]}
    info = _json(capsys, "synthetic", "--rate", "25", "--target-rate", "25", "--no-cache")
    assert info["rate_hz"] == 25 and info["window"] == 50 and info["resampler"] == "stride"


def test_datasets_lists_every_registered_dataset(capsys):
    assert main(["datasets"]) == 0
    out = capsys.readouterr().out
    for name in ("watch", "synthetic"):
        line = next(line for line in out.splitlines() if line.startswith(name + " "))
        assert "available" in line


def test_byo_csv_with_rate_only(tmp_path, capsys):
    rows = 400
    frame = pd.DataFrame({
        "subject": np.repeat([1, 2, 3, 4, 5], rows),
        "acc_x": np.sin(np.arange(5 * rows) / 7), "acc_y": 0.0 + np.arange(5 * rows) % 3,
        "acc_z": np.cos(np.arange(5 * rows) / 5),
        "label": np.tile(np.repeat(["a", "b"], rows // 2), 5)})
    frame.to_csv(tmp_path / "data.csv", index=False)
    info = _json(capsys, str(tmp_path / "data.csv"), "--rate", "100")
    assert info["dataset"] == "data" and info["classes"] == ["a", "b"]
    assert info["windows"]["train"] == 11  # 3 subjects x 200 rows -> (600 - 100) // 50 + 1


def _write(tmp_path, frame):
    path = tmp_path / "bad.csv"
    frame.to_csv(path, index=False)
    return str(path)


def _good_frame():
    n = 600
    return pd.DataFrame({"subject": np.repeat([1, 2, 3, 4, 5], n),
                         "acc_x": np.arange(5 * n) % 7, "acc_y": 1.0, "acc_z": np.arange(5 * n) % 5,
                         "label": np.tile(np.repeat(["a", "b"], n // 2), 5)})


BAD = {
    "unknown dataset": (lambda tmp: ["pamap"], "unknown dataset 'pamap'; choose one of:"),
    "missing file": (lambda tmp: [str(tmp / "none.csv")], "file not found"),
    "missing column": (lambda tmp: [_write(tmp, _good_frame().drop(columns="acc_z")), "--option",
                                    'channels=["acc_x","acc_y","acc_z"]', "--rate", "50"],
                       "missing required column 'acc_z'"),
    "non-numeric": (lambda tmp: [_write(tmp, _good_frame().astype({"acc_x": object}).assign(
        acc_x=lambda f: f.acc_x.where(f.index != 3, "x"))), "--rate", "50"],
        "non-numeric value 'x' in column 'acc_x'"),
    "nans": (lambda tmp: [_write(tmp, _good_frame().assign(
        acc_y=lambda f: f.acc_y.where(f.index != 5))), "--rate", "50", "--nan-policy", "error"],
        "1 NaN/inf values in subject 1"),
    "few subjects": (lambda tmp: ["synthetic", "--option", "subjects=2"], "at least 3"),
    "missing class": (lambda tmp: ["synthetic", "--window-s", "4", "--overlap", "0",
                                   "--option", "seconds=2", "--option", "sessions=1"],
                      "has no windows of class"),
    "short recordings": (lambda tmp: ["synthetic", "--protocol", "clean",
                                      "--option", "seconds=0.5"], "shorter than one window"),
    "no rate": (lambda tmp: [_write(tmp, _good_frame())], "sampling rate is not given"),
    "bad option": (lambda tmp: ["watch", "--option", "speed"], "is not KEY=VALUE"),
    "stride on irregular": (lambda tmp: ["synthetic", "--option", "jitter=0.1", "--resampler",
                                         "stride"], "resampler 'stride' cannot apply"),
}


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_input_exits_2_with_message_and_caches_nothing(case, tmp_path, capsys):
    argv, message = BAD[case]
    assert main(["prepare", *argv(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("zcphar prepare: error: ") and message in err
    assert not cache_dir().exists() or not any(cache_dir().iterdir())
