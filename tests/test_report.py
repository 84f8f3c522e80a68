"""The report: Markdown + HTML with the tables, images that resolve, and the --run wiring."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.test_evaluate import synthetic
from zcphar.cli.main import main
from zcphar.report import build_report


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report")
    table = synthetic(n=30)
    table.loc[table.index[:9], "model_type"] = "TRANSFORMER"  # -> pools all and cnn+rnn
    build_report({"syn": table}, out, source="synthetic", n_draws=20, formats=("png",),
                 scatters=False)
    return out


def test_html_has_tables_and_images_that_resolve(report):
    page = (report / "report.html").read_text()
    assert page.startswith("<!DOCTYPE html>")
    assert len(re.findall(r'<table[^>]*class="dataframe metrics"', page)) >= 4
    for name in ("Pool: all rows", "Pool: CNN and RNN/LSTM rows only", "random search",
                 "ensemble", "Per family"):
        assert name in page
    sources = re.findall(r'<img src="([^"]+)"', page)
    assert any("fig2_delta" in s for s in sources)
    assert any(s.startswith("figures/cnn_rnn/") for s in sources)
    for src in sources:
        assert not src.startswith(("/", "http")) and (report / src).stat().st_size > 0


def test_markdown_and_json(report):
    md = (report / "report.md").read_text()
    assert "| proxy | Δ1 (pp) |" in md and "![fig2_delta](figures/all/fig2_delta.png)" in md
    for src in re.findall(r"!\[[^]]*\]\(([^)]+)\)", md):
        assert (report / src).is_file()
    numbers = json.loads((report / "results.json").read_text())
    assert set(numbers) == {"all", "cnn+rnn"}
    assert numbers["cnn+rnn"]["datasets"]["syn"]["n"] == 21


def test_cli_report_from_tables(tmp_path, capsys):
    path = tmp_path / "syn.csv"
    synthetic(n=20).to_csv(path, index=False)
    out = tmp_path / "out"
    assert main(["report", "--table", str(path), "-o", str(out), "--draws", "10",
                 "--no-scatter"]) == 0
    assert "report.html" in capsys.readouterr().out
    assert (out / "report.html").is_file() and (out / "figures" / "all").is_dir()


def test_cli_report_from_a_run(tmp_path, capsys):
    store_module = pytest.importorskip("zcphar.store", reason="run store not available")
    space = pytest.importorskip("zcphar.space", reason="search space not available")
    specs = space.sample(12, np.random.default_rng(0))
    store = store_module.RunStore(tmp_path / "run")
    store.add_architectures(specs, in_channels=3, num_classes=4, window=64)
    rng = np.random.default_rng(1)
    for spec in specs:
        val = float(rng.uniform(0.3, 0.9))
        store.add_training(spec.id, "cfg", {
            "initial_val_f1": 0.1, "best_val_f1": val, "best_epoch": 3, "test_f1": val - 0.05,
            "train_windows": 100, "epochs": 5, "noise_test_f1": {"0.01": val - 0.1}})
        store.add_scores([{"arch_id": spec.id, "proxy": p, "value": val + rng.normal(0, 0.1),
                           "coverage": "extended", "dropout": "off", "batch_size": 32}
                          for p in ("grad_norm", "snip", "fisher", "jacob_cov", "plain",
                                    "synflow")]
                         + [{"arch_id": spec.id, "proxy": "grasp", "value": -val,
                             "coverage": "extended", "dropout": "off", "batch_size": 32}])
    store.close()
    out = tmp_path / "out"
    assert main(["report", "--run", str(tmp_path / "run"), "-o", str(out), "--draws", "10"]) == 0
    page = (out / "report.html").read_text()
    assert "run " in page and "fig6_architectures" in page and "fig5_noise" in page
    assert main(["report", "--run", str(tmp_path / "nothing"), "-o", str(out)]) == 2
    assert "not a zcphar run directory" in capsys.readouterr().err
