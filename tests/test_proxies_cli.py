"""`zcphar score` end to end on the synthetic dataset (tiny architectures, tiny batch)."""

from __future__ import annotations

import json

import pandas as pd

from zcphar.cli.main import main
from zcphar.space import CNNSpec, ConvBlock, LSTMBlock, LSTMSpec, write_archs

SPECS = [CNNSpec((ConvBlock(8, 3, 0.1),)), LSTMSpec((LSTMBlock(8, 0.2), LSTMBlock(8, 0.0)))]
DATA = ["synthetic", "--option", "subjects=5", "--window-s", "1"]


def test_score_writes_one_row_per_architecture(tmp_path, capsys) -> None:
    archs, out = tmp_path / "archs.jsonl", tmp_path / "scores.csv"
    write_archs(archs, SPECS)
    args = ["score", *DATA, "--archs", str(archs), "--batch-size", "16", "--out", str(out),
            "--proxies", "snip,grasp,initial_val_f1,params"]  # fmt: skip
    assert main(args) == 0
    table = pd.read_csv(out)
    assert table["id"].tolist() == [s.id for s in SPECS]
    assert table["family"].tolist() == ["cnn", "lstm"]
    assert (table["batch_size"] == 16).all() and table["batch_hash"].nunique() == 1
    assert {"coverage", "dropout", "seconds_grasp", "errors"} <= set(table.columns)
    assert table[["snip", "grasp", "initial_val_f1", "params"]].notna().all().all()
    assert all(json.loads(e) == {} for e in table["errors"])
    assert "scored 2 architectures" in capsys.readouterr().err
    assert main(args) == 0  # same seed, same batch, same weights: identical scores
    again = pd.read_csv(out)
    pd.testing.assert_frame_equal(table.filter(regex="^(?!seconds_)"),
                                  again.filter(regex="^(?!seconds_)"))  # fmt: skip


def test_unknown_proxy_is_a_clean_error(tmp_path, capsys) -> None:
    archs = tmp_path / "archs.jsonl"
    write_archs(archs, SPECS[:1])
    assert main(["score", *DATA, "--archs", str(archs), "--proxies", "snip,zen"]) == 2
    assert "unknown proxy 'zen'; choose one of:" in capsys.readouterr().err
