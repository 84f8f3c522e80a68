"""`zcphar score --run DIR` stores architectures and scores in the run store, resumably, with
the same values as the CSV output."""

import sqlite3

import pandas as pd
import pytest

from zcphar.cli.main import main

DATA = ["synthetic", "--option", "subjects=5"]


@pytest.fixture
def archs(tmp_path):
    path = tmp_path / "archs.jsonl"
    assert main(["sample", "-n", "3", "--seed", "2", "--max-width", "16", "--classes", "3",
                 "-o", str(path)]) == 0
    return path


def test_score_into_run_matches_csv_and_resumes(tmp_path, archs):
    common = ["score", *DATA, "--archs", str(archs), "--batch-size", "32",
              "--proxies", "snip,grad_norm,synflow"]
    csv = tmp_path / "scores.csv"
    assert main([*common, "--out", str(csv)]) == 0
    run_dir = tmp_path / "run"
    assert main([*common, "--run", str(run_dir)]) == 0
    db = run_dir / "zcphar.sqlite"
    with sqlite3.connect(db) as conn:
        stored = pd.read_sql("SELECT arch_id, proxy, value FROM scores", conn)
        archs_n = conn.execute("SELECT COUNT(*) FROM architectures").fetchone()[0]
    assert archs_n == 3 and len(stored) == 9
    expected = pd.read_csv(csv).set_index("id")
    for row in stored.itertuples():
        assert row.value == pytest.approx(expected.at[row.arch_id, row.proxy], rel=1e-12)
    assert main([*common, "--run", str(run_dir)]) == 0  # again: nothing new
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM scores").fetchone()[0] == 9


def test_score_run_refuses_per_proxy_path(tmp_path, archs, capsys):
    argv = ["score", *DATA, "--archs", str(archs), "--run", str(tmp_path / "r"),
            "--path", "per_proxy"]
    assert main(argv) == 2
    assert "--path" in capsys.readouterr().err


def test_dropout_on_gives_the_same_values_through_csv_and_run(tmp_path, archs):
    common = ["score", *DATA, "--archs", str(archs), "--batch-size", "32", "--seed", "5",
              "--proxies", "snip,grad_norm", "--dropout", "on", "--coverage", "reference"]
    csv = tmp_path / "scores.csv"
    assert main([*common, "--out", str(csv)]) == 0
    assert main([*common, "--run", str(tmp_path / "run")]) == 0
    with sqlite3.connect(tmp_path / "run" / "zcphar.sqlite") as conn:
        stored = pd.read_sql("SELECT arch_id, proxy, value FROM scores", conn)
    expected = pd.read_csv(csv).set_index("id")
    for row in stored.itertuples():
        assert row.value == pytest.approx(expected.at[row.arch_id, row.proxy], rel=1e-12)
