"""End to end on the synthetic dataset at a tiny scale: `zcphar run` and `zcphar search`
produce every artefact (store rows, report, figures, a checkpoint and an export that loads and
predicts), resume without duplicating anything, and refuse bad input."""

from __future__ import annotations

import json
import re
import sqlite3

import numpy as np
import pytest
import torch

from zcphar.cli.main import main
from zcphar.data import prepare

DATA = ["synthetic", "--option", "subjects=5", "--option", "seconds=6"]
N_ARCHS = 4


def _count(db, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("e2e") / "run"
    argv = ["run", *DATA, "--run", str(run_dir), "-n", str(N_ARCHS), "--epochs", "1",
            "--max-width", "16", "--quiet"]
    assert main(argv) == 0
    return run_dir, argv


def test_run_stores_every_architecture_score_and_training(study):
    run_dir, _ = study
    db = run_dir / "zcphar.sqlite"
    assert _count(db, "architectures") == N_ARCHS
    with sqlite3.connect(db) as conn:
        modes = conn.execute(
            "SELECT coverage, dropout, COUNT(DISTINCT arch_id), COUNT(DISTINCT proxy) "
            "FROM scores GROUP BY coverage, dropout ORDER BY coverage, dropout").fetchall()
        statuses = conn.execute("SELECT status FROM trainings").fetchall()
    # three score modes, every architecture, the 11 registered proxies
    assert modes == [("extended", "off", N_ARCHS, 11), ("reference", "off", N_ARCHS, 11),
                     ("reference", "on", N_ARCHS, 11)]
    assert [s for (s,) in statuses] == ["ok"] * N_ARCHS
    config = json.loads((run_dir / "config.json").read_text())
    assert "run" in json.dumps(config)


def test_run_writes_report_and_figures(study):
    run_dir, _ = study
    report = run_dir / "report" / "report.html"
    assert report.is_file() and (run_dir / "report" / "report.md").is_file()
    html = report.read_text()
    pngs = sorted((run_dir / "report" / "figures").rglob("*.png"))
    assert pngs and all(p.stat().st_size > 1000 for p in pngs)
    shown = re.findall(r'<img src="([^"]+)"', html)
    assert shown  # the report shows figures, and each one resolves relative to it
    assert all((report.parent / src).is_file() for src in shown)
    assert "extended" in html and "reference" in html


def test_run_again_resumes_without_duplicates(study, capsys):
    run_dir, argv = study
    db = run_dir / "zcphar.sqlite"
    before = {t: _count(db, t) for t in ("architectures", "scores", "trainings")}
    assert main(argv) == 0
    after = {t: _count(db, t) for t in ("architectures", "scores", "trainings")}
    assert after == before
    out = capsys.readouterr().out
    assert "Δ1" in out and "ensemble" in out and "random" in out


def test_search_returns_a_model_that_loads_and_predicts(tmp_path):
    run_dir, export = tmp_path / "search", tmp_path / "model.pt"
    argv = ["search", *DATA, "--run", str(run_dir), "--candidates", "6", "--train", "2",
            "--preset", "quick", "--epochs", "1", "--max-width", "16", "--export", str(export),
            "--quiet"]
    assert main(argv) == 0
    best = json.loads((run_dir / "best.json").read_text())
    assert best["candidates"] == 6 and best["trained"] == 2
    assert 0.0 <= best["test_f1"] <= 1.0 and best["latency_ms"] > 0
    assert best["preprocessing"]["window"] == 100
    assert len(best["preprocessing"]["zscore"]["mean"]) == 3
    with sqlite3.connect(run_dir / "zcphar.sqlite") as conn:
        trained = {a for (a,) in conn.execute("SELECT arch_id FROM trainings")}
        val = dict(conn.execute("SELECT arch_id, best_val_f1 FROM trainings"))
    assert best["arch_id"] in trained and best["val_f1"] == max(val.values())

    data = prepare("synthetic", reader_options={"subjects": 5, "seconds": 6})
    windows = torch.from_numpy(data.test.X[:5])
    scripted = torch.jit.load(str(export))
    logits = scripted(windows)
    assert logits.shape == (5, data.num_classes)

    from zcphar.checkpoint import load_checkpoint

    model, _ = load_checkpoint(best["checkpoint"])
    with torch.inference_mode():
        np.testing.assert_allclose(model(windows).numpy(), logits.detach().numpy(), rtol=1e-4,
                                   atol=1e-5)


@pytest.mark.parametrize("extra, message", [
    (["--train", "0"], "--train"),
    (["--by", "nope"], "unknown proxy"),
    (["--export", "model.h5"], "unknown suffix"),
    (["--batch-size", "0"], "--batch-size must be >= 1"),
])
def test_search_bad_input_exits_2(tmp_path, capsys, extra, message):
    argv = ["search", *DATA, "--run", str(tmp_path / "r"), "--candidates", "3", "--train", "1",
            "--preset", "quick", "--epochs", "1", "--max-width", "8", "--quiet", *extra]
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_run_bad_numbers_exit_2(tmp_path, capsys):
    assert main(["run", *DATA, "--run", str(tmp_path / "r"), "--train-top", "0"]) == 2
    assert "--train-top must be >= 1" in capsys.readouterr().err
    assert not (tmp_path / "r").exists()


def test_run_unknown_dataset_exits_2(tmp_path, capsys):
    assert main(["run", "pamap", "--run", str(tmp_path / "r")]) == 2
    err = capsys.readouterr().err
    assert "unknown dataset 'pamap'" in err and "watch" in err
    assert not (tmp_path / "r").exists()


def test_run_estimate_prints_cost_and_writes_nothing(tmp_path, capsys):
    from zcphar.space import count_flops, sample
    from zcphar.study.presets import PRESETS

    run_dir = tmp_path / "r"
    argv = ["run", *DATA, "--run", str(run_dir), "-n", "5", "--epochs", "3", "--estimate"]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert not run_dir.exists()
    data = prepare("synthetic", reader_options={"subjects": 5, "seconds": 6})
    specs = sample(5, np.random.default_rng(0), ratio={"cnn": 3, "lstm": 1},
                   constraints=PRESETS["quick"].constraints, in_channels=3, num_classes=3,
                   window=100)
    flops = 3 * sum(count_flops(s, 3, 100, 3) for s in specs) * len(data.train) * 3
    assert f"{flops:.3e} FLOPs" in out and "estimate" in out
