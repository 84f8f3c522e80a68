"""Subject splits: disjoint, equal to scikit-learn's for the paper protocol, other methods."""

import pytest
from sklearn.model_selection import train_test_split

from zcphar.data.protocol import ProtocolOptions
from zcphar.data.split import split_subjects
from zcphar.errors import ZcpharError


@pytest.mark.parametrize("ids", [list(range(1, 11)), list(range(1, 25)), list("abcdefghi"),
                                 [f"s{i:02d}" for i in range(1, 24)]])
def test_paper_split_equals_sklearn_and_is_disjoint(ids):
    got = split_subjects(list(reversed(ids)), ProtocolOptions())
    rest, test = train_test_split(sorted(ids), test_size=0.2, random_state=42)
    train, val = train_test_split(rest, test_size=0.2, random_state=42)
    assert got == {"train": train, "val": val, "test": test}
    assert set(train) | set(val) | set(test) == set(ids)
    assert len(set(train) | set(val) | set(test)) == len(train) + len(val) + len(test)


def test_documented_splits():  # DATASETS.md §1.3
    got = split_subjects(list(range(1, 11)), ProtocolOptions())
    assert sorted(got["val"]) == [1, 5] and sorted(got["test"]) == [2, 9]
    got = split_subjects(list("abcdefghi"), ProtocolOptions())
    assert sorted(got["val"]) == ["a", "f"] and sorted(got["test"]) == ["b", "h"]
    got = split_subjects(list(range(1, 25)), ProtocolOptions())
    assert sorted(got["val"]) == [3, 10, 14, 18] and sorted(got["test"]) == [1, 9, 12, 17, 19]


def test_seed_split_changes_with_seed():
    ids = list(range(20))
    a = split_subjects(ids, ProtocolOptions(split="seed", split_seed=1))
    b = split_subjects(ids, ProtocolOptions(split="seed", split_seed=2))
    assert a != b and sorted(a["train"] + a["val"] + a["test"]) == ids


def test_explicit_split_accepts_text_ids_and_fills_train():
    opts = ProtocolOptions(split="explicit", val_subjects=("2",), test_subjects=("3", "4"))
    got = split_subjects([1, 2, 3, 4, 5], opts)
    assert got == {"train": [1, 5], "val": [2], "test": [3, 4]}


def test_loso_fold():
    got = split_subjects([1, 2, 3, 4, 5, 6], ProtocolOptions(split="loso", fold=3))
    assert got["test"] == [4]
    assert 4 not in got["train"] + got["val"] and len(got["val"]) == 1


@pytest.mark.parametrize("opts, message", [
    (ProtocolOptions(split="explicit", test_subjects=(99,), val_subjects=(1,)),
     "unknown test subject 99; choose one of: 1, 2, 3"),
    (ProtocolOptions(split="explicit", test_subjects=(1,), val_subjects=(1,)),
     "more than one split"),
    (ProtocolOptions(test_subjects=(1,)), "need split 'explicit' or 'loso'"),
    (ProtocolOptions(split="kfold"), "unknown split 'kfold'"),
])
def test_bad_split_options(opts, message):
    with pytest.raises(ZcpharError, match=message):
        split_subjects([1, 2, 3], opts)


def test_too_few_subjects_says_how_many_are_needed():
    with pytest.raises(ZcpharError, match="2 subject.*at least 3"):
        split_subjects([1, 2], ProtocolOptions())
