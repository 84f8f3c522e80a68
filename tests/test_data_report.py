"""The validation report against a hand-built dataset."""

import numpy as np

from zcphar.data.report import format_report, validate
from zcphar.data.types import RawDataset, Recording


def _raw():
    a = Recording(1, "a", np.array([[0.0, 0, 1], [np.nan, 0, 1], [0, 0, 1], [0, 0, 1]]),
                  np.array([0, 0, 1, -1]), np.array([0.0, 0.01, 0.01, 0.02]))  # duplicate
    b = Recording(2, "b", np.array([[1.0, 0, 1], [2, 0, 1], [3, 0, 1]]),
                  np.array([1, 1, 1]), np.array([0.0, 2.0, 1.99]))  # gap + non-monotonic
    return RawDataset("hand", [a, b], ["acc_x", "acc_y", "acc_z"], ["sit", "walk"], 100.0)


def test_report_facts():
    r = validate(_raw(), window=4, max_gap_s=1.0)
    assert (r["rows"], r["subjects"], r["sessions"]) == (7, 2, 2)
    # deltas 0.01, 0, 0.01, 2.0, -0.01 -> median 0.01 s -> 100 Hz
    assert r["effective_rate_hz"] == 100.0
    assert r["duplicate_timestamps"] == ["1/a"] and r["non_monotonic"] == ["2/b"]
    assert r["gaps"] == 1
    assert r["nan_fraction"] == {"acc_x": round(1 / 7, 6), "acc_y": 0.0, "acc_z": 0.0}
    assert r["constant_channels"] == ["acc_y", "acc_z"]
    assert r["unlabelled_fraction"] == round(1 / 7, 6)
    assert r["rows_per_class"] == {"sit": 2, "walk": 4}
    assert r["classes_per_subject"] == {"1": 2, "2": 1}
    assert r["short_sessions"] == ["2/b"]  # 3 rows < 4
    # norms 1, 1, 1, sqrt 2, sqrt 5, sqrt 10 (the NaN row ignored): median (1 + sqrt 2) / 2
    assert r["median_acc_magnitude"] == round((1 + np.sqrt(2)) / 2, 3)
    text = format_report(r)
    assert "rows 7, subjects 2, sessions 2" in text
    assert "warning: 1 session(s) with non-monotonic timestamps" in text
    assert "warning: NaN/inf values in channels acc_x (14.29%)" in text
