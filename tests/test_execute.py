"""Jobs and executors: local == pool == Ray, failures recorded, kill -9 of the driver resumed."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
import torch

from zcphar.data.protocol import ProtocolOptions
from zcphar.errors import ZcpharError
from zcphar.execute import (
    LocalExecutor,
    RayExecutor,
    data_ref,
    get_executor,
    run_job,
    score_architectures,
    train_architectures,
    train_jobs,
)
from zcphar.space import CNNSpec, ConvBlock, LSTMBlock, LSTMSpec, write_archs
from zcphar.store import RunStore
from zcphar.train import TrainConfig


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """One intra-op thread: the test machine is shared, oversubscribed threads only spin."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


# 0.5 s windows (25 samples): small and fast.
DATA = data_ref("synthetic", ProtocolOptions(window_s=0.5))
CONFIG = TrainConfig(epochs=2, lr=1e-3, batch_size=32, noise_variances=(0.05,))
SPECS = [CNNSpec((ConvBlock(8, 3, 0.1),)), LSTMSpec((LSTMBlock(8, 0.1), LSTMBlock(8, 0.0)))]


def assert_same(results, expected):
    """Executors agree: F1s exactly, losses up to float reduction order (thread counts)."""
    keys = ("arch_id", "val_f1", "best_epoch", "test_f1", "noise_test_f1")
    assert [[r[k] for k in keys] for r in results] == [[r[k] for k in keys] for r in expected]
    for r, e in zip(results, expected, strict=True):
        assert r["train_loss"] == pytest.approx(e["train_loss"], rel=1e-4)


def run_all(executor, jobs):
    with executor:
        results = dict(executor.run(jobs))
    return [results[i] for i in range(len(jobs))]


@pytest.fixture(scope="module")
def local_results():
    """The two jobs run in-process: the reference the other executors must reproduce."""
    results = run_all(LocalExecutor(0), train_jobs(SPECS, DATA, CONFIG))
    assert [r.get("error") for r in results] == [None, None]
    return results


def test_in_process_and_process_pool_agree(local_results):
    pooled = run_all(LocalExecutor(2), train_jobs(SPECS, DATA, CONFIG))
    assert [r.get("error") for r in pooled] == [None, None]
    assert_same(pooled, local_results)
    assert pooled[0]["arch_id"] == SPECS[0].id and isinstance(pooled[0]["checkpoint"], bytes)


def test_failed_job_is_recorded_and_retried_only_when_asked(tmp_path, monkeypatch):
    import zcphar.train

    real_train = zcphar.train.train

    def train_or_fail(spec, *args, **kwargs):
        if spec.id == SPECS[1].id:
            raise RuntimeError("boom")
        return real_train(spec, *args, **kwargs)

    monkeypatch.setattr(zcphar.train, "train", train_or_fail)
    with RunStore(tmp_path / "run") as store:
        store.add_architectures(SPECS, in_channels=3, num_classes=3, window=25)
        counts = train_architectures(store, SPECS, DATA, CONFIG, LocalExecutor(0), progress=False)
        assert counts == {"skipped": 0, "ok": 1, "failed": 1}
        rows = store.trainings().set_index("arch_id")
        assert rows.loc[SPECS[1].id, "status"] == "failed"
        assert rows.loc[SPECS[1].id, "error"] == "RuntimeError: boom"
        assert rows.loc[SPECS[0].id, "status"] == "ok"
        assert os.path.isfile(rows.loc[SPECS[0].id, "checkpoint"])
        again = train_architectures(store, SPECS, DATA, CONFIG, LocalExecutor(0), progress=False)
        assert again == {"skipped": 2, "ok": 0, "failed": 0}
        monkeypatch.setattr(zcphar.train, "train", real_train)
        retry = train_architectures(store, SPECS, DATA, CONFIG, LocalExecutor(0), progress=False,
                                    retry_failed=True)  # fmt: skip
        assert retry == {"skipped": 1, "ok": 1, "failed": 0}
        rows = store.trainings().set_index("arch_id")
        assert len(rows) == 2 and set(rows["status"]) == {"ok"}


def test_scores_are_stored_once_and_rank_the_pool(tmp_path):
    with RunStore(tmp_path / "run") as store:
        store.add_architectures(SPECS, in_channels=3, num_classes=3, window=25)
        kwargs = {"proxies": ["snip", "synflow"], "batch_size": 16, "progress": False}
        counts = score_architectures(store, SPECS, DATA, LocalExecutor(0), **kwargs)
        assert counts == {"skipped": 0, "ok": 2, "failed": 0}
        again = score_architectures(store, SPECS, DATA, LocalExecutor(0), **kwargs)
        assert again == {"skipped": 2, "ok": 0, "failed": 0}
        rows = store.score_rows()
        assert len(rows) == 4 and set(rows["batch_size"]) == {16} and rows["value"].notna().all()
        assert rows["batch_hash"].nunique() == 1  # one fixed batch for the whole pool
        wide = store.scores().set_index("arch_id")
        assert store.top_k(1, "snip") == [wide["snip"].idxmax()]


def test_train_command_trains_the_top_k_of_the_run(tmp_path, capsys):
    from zcphar.cli.main import main

    run = tmp_path / "run"
    with RunStore(run) as store:
        store.add_architectures(SPECS, in_channels=3, num_classes=3, window=25)
        store.add_scores(
            [
                {
                    "arch_id": s.id,
                    "proxy": "snip",
                    "value": v,
                    "coverage": "extended",
                    "dropout": "off",
                    "batch_size": 8,
                }
                for s, v in zip(SPECS, (1, 2), strict=True)
            ]
        )
    argv = [
        "train",
        "synthetic",
        "--window-s",
        "0.5",
        "--run",
        str(run),
        "--top-k",
        "1",
        "--by",
        "snip",
        "--preset",
        "quick",
        "--epochs",
        "1",
        "--device",
        "cpu",
        "--quiet",
    ]
    assert main(argv) == 0
    assert "trained 1, failed 0, already done 0" in capsys.readouterr().out
    with RunStore(run) as store:
        assert list(store.trainings()["arch_id"]) == [SPECS[1].id]  # the higher snip
        assert store.config()["train"]["config"]["epochs"] == 1
    assert main(argv[:-1] + ["--top-k", "0", "--quiet"]) == 2


def test_bad_jobs_and_engines_are_refused():
    assert "unknown job kind 'fly'" in run_job({"kind": "fly"})["error"]
    with pytest.raises(ZcpharError, match="'spark'.*local, ray"):
        get_executor("spark")
    with pytest.raises(ZcpharError, match="--engine ray"):
        get_executor("local", gpus_per_job=0.5)


def rows_of(db):
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT arch_id, status, best_val_f1, finished FROM trainings ORDER BY arch_id"
        ).fetchall()


def test_sigkill_of_the_driver_then_rerun_finishes_without_loss_or_duplicates(tmp_path):
    widths = (8, 16, 24, 32, 40, 48, 56, 64)
    specs = [CNNSpec((ConvBlock(w, 3, 0.1),)) for w in widths]
    write_archs(tmp_path / "archs.jsonl", specs, in_channels=3, num_classes=3, window=25)
    run_dir, db = tmp_path / "run", tmp_path / "run" / "zcphar.sqlite"
    command = [sys.executable, "-m", "zcphar", "train", "synthetic", "--window-s", "0.5",
               "--run", str(run_dir), "--archs", str(tmp_path / "archs.jsonl"), "--preset",
               "quick", "--epochs", "3", "--device", "cpu", "--quiet"]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    driver = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    deadline = time.time() + 120
    while time.time() < deadline and driver.poll() is None:
        if db.exists() and len(rows_of(db)) >= 2:
            break
        time.sleep(0.05)
    killed = driver.poll() is None
    driver.send_signal(signal.SIGKILL)
    driver.wait()
    before = rows_of(db)
    assert killed and 2 <= len(before) < len(specs), "the driver was not killed mid-run"
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    after = rows_of(db)
    assert sorted(r[0] for r in after) == sorted(s.id for s in specs)  # all there, once each
    assert all(r[1] == "ok" for r in after)
    assert set(before) <= set(after)  # rows stored before the kill were kept untouched
    assert f"already done {len(before)}" in done.stdout


def test_ray_executor_matches_local_and_refuses_missing_gpus(local_results):
    pytest.importorskip("ray", reason="ray is not installed (pip install 'zcphar[ray]')")
    jobs = train_jobs(SPECS, DATA, CONFIG)
    with RayExecutor(num_cpus=2) as executor:
        results = dict(executor.run(jobs))
        with pytest.raises(ZcpharError, match="has 0 GPUs"):
            RayExecutor(gpus_per_job=0.25).__enter__()
    on_ray = [results[i] for i in range(len(jobs))]
    assert [r.get("error") for r in on_ray] == [None, None]
    assert_same(on_ray, local_results)
    assert json.dumps(jobs)  # jobs are plain data
