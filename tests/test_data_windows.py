"""Windowing counts and label rules against hand-computed cases."""

import numpy as np
import pytest

from zcphar.data.windows import cut, starts, window_labels
from zcphar.errors import ZcpharError


@pytest.mark.parametrize("rows, length, step, expected", [
    (100, 100, 50, [0]),
    (99, 100, 50, []),
    (149, 100, 50, [0]),
    (150, 100, 50, [0, 50]),
    (136291, 100, 50, None),  # watch train: floor((136291 - 100) / 50) + 1 = 2724
    (10, 4, 3, [0, 3, 6]),
    (10, 4, 4, [0, 4]),
])
def test_window_starts(rows, length, step, expected):
    got = starts(rows, length, step)
    if expected is None:
        assert len(got) == 2724
    else:
        assert got.tolist() == expected


def test_last_label_takes_the_last_row():
    labels = np.array([0, 0, 0, 1, 1, 2, 2, 2])
    y, keep = window_labels(labels, np.array([0, 2, 4]), 4, "last")
    assert y.tolist() == [1, 2, 2]  # rows 3, 5, 7
    assert keep.all()


def test_majority_label_with_ties_to_smallest_and_purity():
    labels = np.array([2, 2, 1, 1, 0, 0, 0, 1])
    y, keep = window_labels(labels, np.array([0, 4]), 4, "majority")
    assert y.tolist() == [1, 0]  # tie 2/1 -> 1; window 2 has three 0s
    y, keep = window_labels(labels, np.array([0, 4]), 4, "majority", purity=0.75)
    assert keep.tolist() == [False, True]  # shares 0.5 and 0.75


def test_unlabelled_rows_drop_windows():
    u = -1
    labels = np.array([u, u, u, 0, 1, 1, u, u])
    y, keep = window_labels(labels, np.array([0, 2, 4]), 4, "majority")
    # window 0: three of four unlabelled -> dropped; window 1: [u,0,1,1] -> 1;
    # window 2: [1,1,u,u] -> half unlabelled, kept, label 1
    assert keep.tolist() == [False, True, True]
    assert y[1:].tolist() == [1, 1]
    y, keep = window_labels(labels, np.array([0, 2, 4]), 4, "last")
    # window 0 ends on a labelled row but is mostly unlabelled; window 2 ends unlabelled
    assert keep.tolist() == [False, True, False]


def test_unknown_rule_is_refused():
    with pytest.raises(ZcpharError, match="choose one of: last, majority"):
        window_labels(np.zeros(4, dtype=int), np.array([0]), 4, "first")


def test_cut_shapes_values_and_subjects():
    data = np.arange(20, dtype=float).reshape(10, 2)  # row i = (2i, 2i+1)
    labels = np.array([0] * 5 + [1] * 5)
    owner = np.array([7] * 6 + [8] * 4)
    X, y, subject = cut(data, labels, owner, length=4, step=3, rule="last")
    assert X.shape == (3, 2, 4) and X.dtype == np.float32
    assert X[1, 0].tolist() == [6, 8, 10, 12]  # rows 3..6, channel 0, channels first
    assert X[2, 1].tolist() == [13, 15, 17, 19]
    assert y.tolist() == [0, 1, 1]  # last rows 3, 6, 9
    assert subject.tolist() == [7, 8, 8]  # subject of the last row
