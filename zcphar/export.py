"""Exporting a trained model for deployment: TorchScript, torch.export and ONNX.

The format follows the file name: ``.pt`` → TorchScript (traced; loads with `torch.jit.load`
and needs no zcphar), ``.pt2`` → a `torch.export` program (`torch.export.load`), ``.onnx`` →
ONNX (needs the `onnx` extra: ``pip install zcphar[onnx]``). Every export is checked by loading
it back and comparing its logits with the model's on the example input.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import torch
from torch import nn

from zcphar.errors import ZcpharError

FORMATS = {".pt": "torchscript", ".pt2": "torch.export", ".onnx": "onnx"}


def check_export_path(path: str | Path) -> str:
    """The export format of `path` (by suffix); unknown suffixes raise, listing the valid ones."""
    path = Path(path)
    fmt = FORMATS.get(path.suffix)
    if fmt is None:
        raise ZcpharError(
            f"cannot export to {path.name!r}: unknown suffix {path.suffix!r}; "
            f"choose one of: {', '.join(FORMATS)}"
        )
    return fmt


def export_model(model: nn.Module, example: torch.Tensor, path: str | Path) -> Path:
    """Write `model` (in eval mode) to `path` in the format its suffix names.

    Args:
        model: the trained network; it is put in eval mode (dropout off) for export.
        example: one input batch, (N, C, T) float32, fixing channels and window length.
        path: destination; suffix ``.pt``, ``.pt2`` or ``.onnx``.

    Returns:
        The path written.
    """
    path = Path(path)
    fmt = check_export_path(path)
    model = model.eval()
    example = example.detach().to(torch.float32)
    path.parent.mkdir(parents=True, exist_ok=True)
    with torch.inference_mode():
        expected = model(example)
    if fmt == "torchscript":
        _export_torchscript(model, example, path)
    elif fmt == "torch.export":
        with warnings.catch_warnings():
            # nn.LSTM's cached flat weights trigger a harmless "assigned during export" warning.
            warnings.simplefilter("ignore", UserWarning)
            # any batch size; a batch of one would be specialised, so trace with two
            pair = example[:1].expand(2, *example.shape[1:]).contiguous()
            batch = {0: torch.export.Dim.DYNAMIC}
            program = torch.export.export(model, (pair,), dynamic_shapes=(batch,))
        torch.export.save(program, str(path))
    else:
        _export_onnx(model, example, path)
    _check_roundtrip(path, fmt, example, expected)
    return path


def _export_torchscript(model: nn.Module, example: torch.Tensor, path: Path) -> None:
    with warnings.catch_warnings():
        # torch >= 2.10 marks tracing deprecated in favour of torch.export; TorchScript is
        # still what most mobile/edge runtimes load, so zcphar keeps offering it.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", torch.jit.TracerWarning)
        traced = torch.jit.trace(model, example, check_trace=False)
    traced.save(str(path))


def _export_onnx(model: nn.Module, example: torch.Tensor, path: Path) -> None:
    try:
        import onnx  # noqa: F401
    except ImportError as err:
        raise ZcpharError(
            "ONNX export needs the onnx extra: pip install 'zcphar[onnx]' "
            "(or export to .pt / .pt2 instead)"
        ) from err
    torch.onnx.export(
        model,
        (example,),
        str(path),
        input_names=["windows"],
        output_names=["logits"],
        dynamic_axes={"windows": {0: "batch"}, "logits": {0: "batch"}},
        dynamo=False,
    )


def _check_roundtrip(path: Path, fmt: str, example: torch.Tensor, expected: torch.Tensor) -> None:
    if fmt == "torchscript":
        loaded = torch.jit.load(str(path))
        got = loaded(example)
    elif fmt == "torch.export":
        got = torch.export.load(str(path)).module()(example)
    else:
        import onnx

        onnx.checker.check_model(onnx.load(str(path)))
        return  # running it needs onnxruntime, which zcphar does not require
    if not torch.allclose(got.detach(), expected, rtol=1e-4, atol=1e-5):
        raise RuntimeError(f"exported model {path} does not reproduce the model's logits")


def cpu_latency_ms(
    model: nn.Module, channels: int, window: int, *, repeats: int = 50, threads: int = 1
) -> float:
    """Median wall time in milliseconds of one forward on one window, on the CPU.

    Measured with `threads` intra-op threads (1 by default: what a wearable or phone gives one
    inference), after a few warm-up calls.
    """
    model = model.eval().to("cpu")
    x = torch.zeros(1, channels, window)
    previous = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        times = []
        with torch.inference_mode():
            for _ in range(5):
                model(x)
            for _ in range(repeats):
                start = time.perf_counter()
                model(x)
                times.append(time.perf_counter() - start)
    finally:
        torch.set_num_threads(previous)
    times.sort()
    return 1000.0 * times[len(times) // 2]
