"""Every figure is written (PNG and SVG, non-empty) from small synthetic results."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.test_evaluate import synthetic
from zcphar.evaluate import evaluate_pool
from zcphar.plots import FIGURES, plot_all
from zcphar.plots.arch import block_label, picks


def with_specs(table):
    rng = np.random.default_rng(1)
    specs = []
    for family in table["model_type"]:
        if family == "CNN":
            blocks = [{"channels": int(rng.choice([16, 64])), "kernel": 5, "dropout": 0.1}] * 2
            specs.append(json.dumps({"family": "cnn", "blocks": blocks}))
        else:
            specs.append(json.dumps({"family": "lstm",
                                     "blocks": [{"hidden": 32, "dropout": 0.2}]}))
    return table.assign(spec=specs)


@pytest.fixture(scope="module")
def results():
    return {name: evaluate_pool(with_specs(synthetic(n=24, seed=i)), rng=np.random.default_rng(0),
                                n_draws=20)
            for i, name in enumerate(["alpha", "beta"])}


def test_every_figure_is_written(results, tmp_path):
    written, notes = plot_all({"alpha": results["alpha"]}, tmp_path)
    assert notes == {}
    expected = set(FIGURES) | {f"scatter_{p}" for p in results["alpha"].metrics.index}
    assert set(written) == expected
    for paths in written.values():
        assert [p.suffix for p in paths] == [".png", ".svg"]
        assert all(p.stat().st_size > 1000 for p in paths)
        assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "<svg" in paths[1].read_text()


def test_figures_without_specs_or_noise_are_skipped_with_a_note(tmp_path):
    table = synthetic(n=24).drop(columns=["best_test_f1_macro_noise_0.01"])
    result = {"alpha": evaluate_pool(table, rng=np.random.default_rng(0), n_draws=20)}
    written, notes = plot_all(result, tmp_path, formats=("png",), scatters=False)
    assert set(notes) == {"fig5_noise", "fig6_architectures"}
    assert "spec" in notes["fig6_architectures"]
    assert "fig2_delta" in written


def test_two_datasets_share_a_figure(results, tmp_path):
    written, _ = plot_all(results, tmp_path, formats=("svg",), scatters=False)
    svg = written["fig2_delta"][0].read_text()
    assert "alpha" in svg and "beta" in svg


def test_fig6_picks_the_best_trained_and_the_ensembles_top1(results):
    result = results["alpha"]
    chosen = picks(result)
    table = result.table
    best = table.loc[table["best_val_f1_macro"].idxmax(), "model_id"]
    top = table.loc[table["ensemble"].idxmax(), "model_id"]
    assert chosen["best trained"]["model_id"] == best
    assert chosen["best predicted (ensemble)"]["model_id"] == top
    assert block_label({"channels": 64, "kernel": 5, "dropout": 0.1}) == (64.0, "64 ch\nk5\np0.1")
    assert block_label({"hidden": 32, "dropout": 0.2}) == (32.0, "32 hid\np0.2")
