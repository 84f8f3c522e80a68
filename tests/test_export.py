"""Exported models load back without zcphar and give the model's logits."""

from __future__ import annotations

import pytest
import torch

from zcphar.errors import ZcpharError
from zcphar.export import cpu_latency_ms, export_model
from zcphar.space import CNNSpec, ConvBlock, LSTMBlock, LSTMSpec, build

SPECS = {
    "cnn": CNNSpec((ConvBlock(8, 3, 0.2), ConvBlock(16, 5, 0.1))),
    "lstm": LSTMSpec((LSTMBlock(8, 0.2), LSTMBlock(16, 0.0))),
}


@pytest.fixture(params=sorted(SPECS))
def model(request):
    return build(SPECS[request.param], 3, 4, seed=0).eval()


@pytest.mark.parametrize("suffix", [".pt", ".pt2"])
def test_torch_formats_roundtrip(tmp_path, model, suffix):
    example = torch.randn(1, 3, 40)
    path = export_model(model, example, tmp_path / f"m{suffix}")
    batch = torch.randn(6, 3, 40)
    loaded = torch.jit.load(str(path)) if suffix == ".pt" else torch.export.load(str(path)).module()
    with torch.inference_mode():
        expected = model(batch)
    got = loaded(batch)
    assert got.shape == (6, 4)
    torch.testing.assert_close(got.detach(), expected, rtol=1e-4, atol=1e-5)


def test_onnx_export_is_a_valid_graph(tmp_path, model):
    onnx = pytest.importorskip("onnx", reason="the onnx extra is not installed")
    path = export_model(model, torch.randn(1, 3, 40), tmp_path / "m.onnx")
    graph = onnx.load(str(path))
    onnx.checker.check_model(graph)
    assert [i.name for i in graph.graph.input] == ["windows"]


def test_export_puts_dropout_off(tmp_path):
    model = build(SPECS["cnn"], 3, 4, seed=0).train()
    path = export_model(model, torch.randn(1, 3, 40), tmp_path / "m.pt")
    loaded = torch.jit.load(str(path))
    x = torch.randn(4, 3, 40)
    torch.testing.assert_close(loaded(x), loaded(x))  # deterministic: no dropout


def test_unknown_suffix_is_refused(tmp_path, model):
    with pytest.raises(ZcpharError, match=r"unknown suffix '\.h5'.*\.pt, \.pt2, \.onnx"):
        export_model(model, torch.randn(1, 3, 40), tmp_path / "m.h5")
    assert not (tmp_path / "m.h5").exists()


def test_latency_is_positive(model):
    assert 0 < cpu_latency_ms(model, 3, 40, repeats=5) < 1000
