"""`zcphar compare` on a tiny hand-built run store: shapes, a zero difference where the two
modes hold identical scores, and bad input."""

import json

import numpy as np
import pytest

from zcphar.cli.main import main
from zcphar.space import CNNSpec, ConvBlock
from zcphar.store import RunStore

PROXIES = ("grad_norm", "snip", "grasp", "fisher", "jacob_cov", "plain", "synflow", "synflow_bn")


@pytest.fixture
def run_dir(tmp_path):
    rng = np.random.default_rng(0)
    specs = [CNNSpec((ConvBlock(8 * (i + 1), 3, 0.1),)) for i in range(12)]
    with RunStore(tmp_path / "run") as store:
        store.add_architectures(specs, in_channels=3, num_classes=4, window=50)
        rows = []
        for spec in specs:
            values = {p: float(rng.normal()) for p in PROXIES}
            for coverage, dropout in (("extended", "off"), ("reference", "off")):
                # the reference scores equal the extended ones: every difference must be 0
                rows += [{"arch_id": spec.id, "proxy": p, "value": v, "error": None,
                          "coverage": coverage, "dropout": dropout, "batch_size": 64,
                          "batch_hash": "h", "seconds": 0.1} for p, v in values.items()]
            f1 = float(rng.random())
            store.add_training(spec.id, "cfg", {
                "initial_val_f1": 0.1, "best_val_f1": f1, "best_epoch": 1, "test_f1": f1,
                "noise_test_f1": {}, "train_loss": [1.0], "val_f1": [f1],
                "train_windows": 100, "epochs": 1, "seconds": 1.0, "device": "cpu"})
        store.add_scores(rows)
    return tmp_path / "run"


def test_compare_json(run_dir, capsys):
    assert main(["compare", str(run_dir), "--bootstrap", "200", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["run"]
    assert out["n"] == 12
    diffs = [d for d in out["differences"] if d["metric"] == "spearman_test"]
    assert diffs and all(d["diff"] == 0 and d["lo"] == 0 and d["hi"] == 0 for d in diffs)
    # test F1 == validation F1 here, so validation ranks them perfectly: a sanity anchor
    modes = {m["mode"] for m in out["metrics"]}
    assert modes == {"extended/off", "reference/off"}


def test_compare_markdown(run_dir, capsys):
    assert main(["compare", str(run_dir), "--bootstrap", "100"]) == 0
    out = capsys.readouterr().out
    assert "| ensemble |" in out and "extended/off − reference/off" in out


def test_compare_refuses_a_folder_that_is_not_a_run(tmp_path, capsys):
    assert main(["compare", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err


def test_known_difference_and_nan_left_out(tmp_path, capsys):
    specs = [CNNSpec((ConvBlock(8 * (i + 1), 3, 0.1),)) for i in range(10)]
    f1 = np.linspace(0.2, 0.9, 10)
    with RunStore(tmp_path / "run") as store:
        store.add_architectures(specs, in_channels=3, num_classes=4, window=50)
        rows = []
        for i, spec in enumerate(specs):
            for coverage, sign in (("extended", 1.0), ("reference", -1.0)):
                for p in PROXIES:
                    value = sign * f1[i]  # extended: a perfect proxy; reference: reversed
                    if coverage == "extended" and p == "fisher" and i == 0:
                        value = float("nan")
                    rows.append({"arch_id": spec.id, "proxy": p, "value": value, "error": None,
                                 "coverage": coverage, "dropout": "off", "batch_size": 64,
                                 "batch_hash": "h", "seconds": 0.1})
            store.add_training(spec.id, "cfg", {
                "initial_val_f1": 0.1, "best_val_f1": f1[i], "best_epoch": 1, "test_f1": f1[i],
                "noise_test_f1": {}, "train_loss": [1.0], "val_f1": [f1[i]],
                "train_windows": 100, "epochs": 1, "seconds": 1.0, "device": "cpu"})
        store.add_scores(rows)
    assert main(["compare", str(tmp_path / "run"), "--bootstrap", "100", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)["run"]
    assert out["n"] == 9 and out["n_nan"] == 1
    snip = {(m["mode"], m["metric"]): m for m in out["metrics"] if m["proxy"] == "snip"}
    assert snip[("extended/off", "spearman_test")]["value"] == pytest.approx(1.0)
    assert snip[("reference/off", "spearman_test")]["value"] == pytest.approx(-1.0)
    diff = [d for d in out["differences"] if d["proxy"] == "snip"
            and d["metric"] == "spearman_test"][0]
    assert diff["diff"] == pytest.approx(2.0) and diff["lo"] == pytest.approx(2.0)
    # grasp is lower-is-better: raw values equal to F1 make it a reversed ranking
    grasp = [m for m in out["metrics"] if m["proxy"] == "grasp" and m["mode"] == "extended/off"
             and m["metric"] == "spearman_test"][0]
    assert grasp["value"] == pytest.approx(-1.0)
