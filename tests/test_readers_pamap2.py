"""PAMAP2 reader on a generated copy of the official UCI archive (zip → PAMAP2_Dataset.zip →
Protocol/Optional/subject10N.dat, 54 space-separated columns, NaN drop-outs), put through
the `zcphar download --from` path (`download(from_path=...)`)."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pandas as pd
import pytest

from zcphar.data import ProtocolOptions, get_dataset, prepare
from zcphar.data.download import download
from zcphar.data.readers.pamap2 import fill_gaps

PROTOCOL = [1, 2, 3, 4, 5, 6, 7, 12, 13, 16, 17, 24]
BLOCK = 200  # rows per activity block at 100 Hz (even, so decimation halves it exactly)
OPTIONAL_SUBJECTS = (101, 105, 106, 108, 109)


def make_file(rng: np.random.Generator, activities: list[int]) -> np.ndarray:
    """(T, 54): label-0 and optional-activity blocks between the activity blocks, NaN gaps."""
    blocks = [a for act in activities for a in (0, act)] + [9]
    ids = np.repeat(blocks, BLOCK)
    table = rng.normal(0, 5, size=(len(ids), 54)).round(5)
    table[:, 0] = (np.arange(len(ids)) * 0.01 + 5.64).round(2)
    table[:, 1] = ids
    table[np.arange(len(ids)) % 11 != 0, 2] = np.nan  # heart rate ~9 Hz
    table[10:14, 3:20] = np.nan  # a hand drop-out
    table[:, 16:20] = [1, 0, 0, 0]  # orientation (invalid)
    return table


@pytest.fixture(scope="module")
def pamap2_dir(tmp_path_factory):
    rng = np.random.default_rng(0)
    root = tmp_path_factory.mktemp("pamap2")
    inner, tables = io.BytesIO(), {}
    with zipfile.ZipFile(inner, "w") as z:
        z.writestr("PAMAP2_Dataset/readme.pdf", b"%PDF-1.4")
        for s in range(101, 110):
            tables["Protocol", s] = make_file(rng, PROTOCOL)
            if s in OPTIONAL_SUBJECTS:
                tables["Optional", s] = make_file(rng, [10, 18, 19, 20])
        for (group, s), table in tables.items():
            text = pd.DataFrame(table).to_csv(sep=" ", header=False, index=False, na_rep="NaN")
            z.writestr(f"PAMAP2_Dataset/{group}/subject{s}.dat", text)
    archive = root / "pamap2+physical+activity+monitoring.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.writestr("readme.pdf", b"%PDF-1.4")
        z.writestr("PAMAP2_Dataset.zip", inner.getvalue())
    target = root / "data"
    download("pamap2", from_path=archive, to=target, progress=False, log=lambda m: None)
    assert (target / "PAMAP2_Dataset/Protocol/subject101.dat").is_file()
    return target, tables


def test_channels_classes_subjects_and_labels(pamap2_dir):
    target, tables = pamap2_dir
    raw = get_dataset("pamap2").load(target, fill="none")
    assert raw.channels == [f"{p}_acc_{a}" for p in ("hand", "chest", "ankle") for a in "xyz"]
    assert raw.classes[0] == "lying" and raw.classes[-1] == "rope jumping"
    assert len(raw.classes) == 12 and raw.rate_hz == 100.0 and not raw.irregular
    assert raw.subjects == list(range(1, 10))
    keys = [(r.subject, r.session) for r in raw.recordings]
    assert keys[:2] == [(1, "protocol"), (2, "protocol")]
    assert [r.session for r in raw.recordings].count("optional") == len(OPTIONAL_SUBJECTS)
    first, table = raw.recordings[0], tables["Protocol", 101]
    cols = [4, 5, 6, 21, 22, 23, 38, 39, 40]  # ±16 g acc of hand, chest, ankle (0-based)
    np.testing.assert_allclose(first.data, table[:, cols], equal_nan=True)
    expected = [PROTOCOL.index(a) if a in PROTOCOL else -1 for a in table[:, 1].astype(int)]
    assert first.labels.tolist() == expected
    np.testing.assert_allclose(first.timestamps, table[:, 0])


def test_nan_fill_matches_the_reference_rows(pamap2_dir):
    target, tables = pamap2_dir
    x = tables["Protocol", 101][:, 4]
    paper = get_dataset("pamap2").load(target, positions=["hand"]).recordings[0].data[:, 0]
    linear = get_dataset("pamap2").load(target, positions=["hand"], fill="linear")
    # rows 10..13 are NaN. Reference (after stride 2): rows 10, 12 between kept rows 8 and 14
    assert paper[10] == pytest.approx(x[8] + (x[14] - x[8]) * 1 / 3)
    assert paper[12] == pytest.approx(x[8] + (x[14] - x[8]) * 2 / 3)
    assert paper[11] == pytest.approx(x[9] + (x[15] - x[9]) * 1 / 3)  # odd rows: 9 and 15
    lin = linear.recordings[0].data[:, 0]
    assert lin[10] == pytest.approx(x[9] + (x[14] - x[9]) * 1 / 5)
    assert np.isfinite(paper).all()
    edge = fill_gaps(np.array([[np.nan], [1.0], [np.nan], [3.0], [np.nan]]))
    assert edge[:, 0].tolist() == [1.0, 1.0, 2.0, 3.0, 3.0]  # ends held


def test_options_and_bad_values(pamap2_dir):
    from zcphar.errors import ZcpharError

    target, _ = pamap2_dir
    raw = get_dataset("pamap2").load(target, positions="ankle", activities=[1, 24, 9],
                                     optional=False)
    assert raw.channels == ["ankle_acc_x", "ankle_acc_y", "ankle_acc_z"]
    assert raw.classes == ["lying", "watching TV", "rope jumping"]  # ascending original id
    assert {r.session for r in raw.recordings} == {"protocol"}
    as_cli = get_dataset("pamap2").load(target, activities="24,1", positions="chest")  # --option
    assert as_cli.classes == ["lying", "rope jumping"]
    assert get_dataset("pamap2").load(target, activities=24).classes == ["rope jumping"]
    with pytest.raises(ZcpharError, match="unknown position 'wrist'; choose one of: hand"):
        get_dataset("pamap2").load(target, positions=["wrist"])
    with pytest.raises(ZcpharError, match="unknown fill 'zero'"):
        get_dataset("pamap2").load(target, fill="zero")


def test_paper_windows(pamap2_dir):
    target, _ = pamap2_dir
    prepared = prepare("pamap2", ProtocolOptions(), data_dir=target, use_cache=False)
    assert prepared.meta["subjects"] == {"train": [3, 4, 5, 7, 9], "val": [1, 6], "test": [2, 8]}
    per_subject = len(PROTOCOL) * BLOCK // 2  # labelled rows after stride 2
    for name, n in (("train", 5), ("val", 2), ("test", 2)):
        split = prepared.split(name)
        assert len(split) == (n * per_subject - 100) // 50 + 1
        assert split.X.shape[1:] == (9, 100)
        assert set(split.y.tolist()) == set(range(12))
