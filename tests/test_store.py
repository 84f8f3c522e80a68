"""The run store: no duplicates, failed/ok semantics, wide scores, ranking, the paper's layout."""

from __future__ import annotations

import json
import math
import sqlite3

import pandas as pd
import pytest

from zcphar.errors import ZcpharError
from zcphar.space import CNNSpec, ConvBlock, LSTMBlock, LSTMSpec
from zcphar.store import RunStore

SPECS = [
    CNNSpec((ConvBlock(8, 3, 0.1),)),
    CNNSpec((ConvBlock(16, 5, 0.2), ConvBlock(8, 2, 0.1))),
    LSTMSpec((LSTMBlock(8, 0.1), LSTMBlock(16, 0.0))),
]
# The published tables' header (../shared/data/paper_artifacts/*.csv), written out by hand.
PAPER_COLUMNS = [
    "model_id", "model_type", "initial_val_f1_macro", "best_val_f1_macro", "best_test_f1_macro",
    "grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow", "synflow_bn",
    "train_flops",
]  # fmt: skip


def score_row(arch_id, proxy, value, *, batch_size=4, error=None):
    return {"arch_id": arch_id, "proxy": proxy, "value": value, "error": error,
            "coverage": "extended", "dropout": "off", "batch_size": batch_size,
            "batch_hash": "h", "seconds": 0.1}  # fmt: skip


def result(val, test, *, epochs=2, windows=100, error=None):
    if error:
        return {"error": error}
    return {"initial_val_f1": 0.2, "best_val_f1": val, "best_epoch": 1, "test_f1": test,
            "noise_test_f1": {"0.001": test - 0.01, "0.5": test - 0.2}, "train_loss": [1.0, 0.5],
            "val_f1": [val, val - 0.1], "train_windows": windows, "epochs": epochs, "seed": 0,
            "seconds": 1.5, "device": "cpu"}  # fmt: skip


@pytest.fixture
def store(tmp_path):
    with RunStore(tmp_path / "run") as s:
        s.add_architectures(SPECS, in_channels=3, num_classes=4, window=20)
        yield s


def count(store, table):
    with sqlite3.connect(store.path / "zcphar.sqlite") as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def test_architectures_are_added_once(store):
    assert store.add_architectures(SPECS + SPECS[:1], in_channels=3, num_classes=4, window=20) == 0
    table = store.architectures()
    assert list(table["id"]) == [s.id for s in SPECS]
    assert list(table["model_type"]) == ["CNN", "CNN", "RNN"]
    # one Conv1d(3->8, k3) over 20 steps: 18 outputs x 8 channels x 9 MACs x 2 FLOPs, then the
    # head 8->512->4 (2 FLOPs per MAC)
    assert table["flops"].iloc[0] == 2 * 18 * 8 * 9 + 2 * (8 * 512 + 512 * 4)
    assert table["params"].iloc[0] == (3 * 3 * 8 + 8) + (8 * 512 + 512) + (512 * 4 + 4)
    assert [s.id for s in store.specs()] == [s.id for s in SPECS]
    with pytest.raises(ZcpharError, match="'nope'"):
        store.specs(["nope"])


def test_scores_are_wide_and_never_duplicated(store):
    a, b, _ = (s.id for s in SPECS)
    rows = [score_row(a, "snip", 1.0), score_row(a, "grasp", -2.0), score_row(b, "snip", 3.0),
            score_row(b, "grasp", float("nan"), error="boom")]  # fmt: skip
    assert store.add_scores(rows) == 4
    assert store.add_scores(rows + [score_row(a, "snip", 99.0)]) == 0
    assert count(store, "scores") == 4
    wide = store.scores().set_index("arch_id")
    assert wide.loc[a, "snip"] == 1.0 and wide.loc[b, "snip"] == 3.0
    assert math.isnan(wide.loc[b, "grasp"])
    assert store.done_scores(["snip", "grasp"], batch_size=4) == {a, b}
    assert store.done_scores(["snip", "fisher"], batch_size=4) == set()
    assert store.scores(coverage="reference").empty
    store.add_scores([score_row(a, "snip", 5.0, batch_size=8)])
    with pytest.raises(ZcpharError, match="batch sizes"):
        store.scores()
    assert store.scores(batch_size=8).set_index("arch_id").loc[a, "snip"] == 5.0


def test_top_k_by_proxy_direction_and_ensemble(store):
    a, b, c = (s.id for s in SPECS)
    rows = []
    for arch, base in ((a, 1.0), (b, 3.0), (c, 2.0)):
        for proxy in ("grad_norm", "snip", "fisher", "jacob_cov", "plain", "synflow"):
            rows.append(score_row(arch, proxy, base))
        rows.append(score_row(arch, "grasp", -base))  # raw grasp: lower is better
    store.add_scores(rows)
    assert store.top_k(2, "snip") == [b, c]
    assert store.top_k(3, "grasp") == [b, c, a]
    assert store.top_k(1) == [b]  # every member agrees
    with pytest.raises(ZcpharError, match="'snap'"):
        store.top_k(1, "snap")


def test_failed_training_is_kept_then_replaced_by_a_retry_but_ok_is_final(store):
    a, b, _ = (s.id for s in SPECS)
    store.add_training(a, "cfg", result(0.7, 0.6))
    store.add_training(b, "cfg", result(0, 0, error="RuntimeError: boom"))
    assert store.done_trainings("cfg") == {a, b}
    assert store.done_trainings("cfg", include_failed=False) == {a}
    failed = store.trainings().set_index("arch_id").loc[b]
    assert failed["status"] == "failed" and failed["error"] == "RuntimeError: boom"
    store.add_training(b, "cfg", result(0.5, 0.4))
    store.add_training(a, "cfg", result(0.1, 0.1))  # ignored: a finished result is final
    rows = store.trainings().set_index("arch_id")
    assert count(store, "trainings") == 2
    assert rows.loc[b, "status"] == "ok" and rows.loc[b, "best_val_f1"] == 0.5
    assert rows.loc[a, "best_val_f1"] == 0.7
    assert json.loads(rows.loc[a, "val_f1"]) == [0.7, pytest.approx(0.6)]


def test_paper_table_has_the_published_layout(store, tmp_path):
    a, b, c = (s.id for s in SPECS)
    store.add_scores([score_row(a, "snip", 1.5), score_row(b, "synflow", 2.5)])
    store.add_training(a, "cfg", result(0.7, 0.6, epochs=2, windows=100))
    store.add_training(b, "cfg", result(0.8, 0.5, epochs=3, windows=50))
    store.add_training(c, "cfg", result(0, 0, error="boom"))
    table = store.paper_table()
    assert list(table.columns[:14]) == PAPER_COLUMNS
    assert list(table.columns[14:]) == ["family", "spec", "params", "flops",
                                        "best_test_f1_macro_noise_0.001",
                                        "best_test_f1_macro_noise_0.5"]  # fmt: skip
    assert list(table["model_id"]) == [a, b]  # the failed one is not a trained model
    row = table.set_index("model_id").loc[a]
    assert row["model_type"] == "CNN" and row["best_val_f1_macro"] == 0.7
    assert row["best_test_f1_macro"] == 0.6 and row["snip"] == 1.5 and math.isnan(row["grasp"])
    flops_b = store.architectures().set_index("id").loc[b, "flops"]
    assert table.set_index("model_id").loc[b, "train_flops"] == 3 * flops_b * 50 * 3
    assert row["best_test_f1_macro_noise_0.5"] == pytest.approx(0.4)
    assert json.loads(row["spec"]) == SPECS[0].to_dict()
    store.add_training(a, "other", result(0.1, 0.1))
    with pytest.raises(ZcpharError, match="several training configs"):
        store.paper_table()
    assert list(store.paper_table(config_hash="other")["model_id"]) == [a]


def test_export_writes_every_table(store, tmp_path):
    a = SPECS[0].id
    store.add_scores([score_row(a, "snip", 1.5)])
    store.add_training(a, "cfg", result(0.7, 0.6))
    written = store.export_csv(tmp_path / "csv")
    assert sorted(p.name for p in written) == ["architectures.csv", "paper_table.csv",
                                               "scores.csv", "trainings.csv"]  # fmt: skip
    paper = pd.read_csv(tmp_path / "csv" / "paper_table.csv")
    assert list(paper.columns[:14]) == PAPER_COLUMNS and paper["snip"].iloc[0] == 1.5
    assert len(pd.read_csv(tmp_path / "csv" / "architectures.csv")) == 3
    with RunStore(tmp_path / "empty") as empty:
        empty.export_csv(tmp_path / "empty_csv")
    header = pd.read_csv(tmp_path / "empty_csv" / "paper_table.csv")
    assert header.empty and list(header.columns[:14]) == PAPER_COLUMNS


def test_config_json_records_options_and_versions(store):
    store.record_config("train", {"dataset": "watch", "epochs": 5})
    store.record_config("score", {"batch_size": 256})
    config = RunStore(store.path).config()
    assert config["train"] == {"dataset": "watch", "epochs": 5}
    assert config["score"] == {"batch_size": 256}
    assert set(config["versions"]) >= {"zcphar", "torch", "numpy"}
    with sqlite3.connect(store.path / "zcphar.sqlite") as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_export_command(store, tmp_path, capsys):
    from zcphar.cli.main import main

    store.add_training(SPECS[0].id, "cfg", result(0.7, 0.6))
    assert main(["export", str(store.path), "--csv", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "paper_table.csv").is_file()
    assert main(["export", str(tmp_path / "nothing"), "--csv", str(tmp_path / "x")]) == 2
    assert "is not a run directory" in capsys.readouterr().err
