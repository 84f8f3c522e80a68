"""Checkpoints of trained architectures: `torch.save` of plain data, loaded with weights_only.

A checkpoint holds the state dict plus everything needed to rebuild the model without the run
that produced it: the spec as JSON, the input channels, the number of classes, the window length
and the class names. Loading uses ``torch.load(weights_only=True)`` (no pickle of arbitrary code).

    save_checkpoint(path, state_dict, spec, in_channels=3, num_classes=6, window=100, classes=...)
    model, info = load_checkpoint(path)
"""

from __future__ import annotations

import io
import json
import os
from pathlib import Path
from typing import Any

import torch
from torch import nn

from zcphar.errors import ZcpharError

FORMAT = "zcphar-checkpoint-1"


def checkpoint_bytes(
    state_dict: dict[str, torch.Tensor],
    spec,
    *,
    in_channels: int,
    num_classes: int,
    window: int,
    classes: list[str] | None = None,
) -> bytes:
    """The serialised checkpoint (what `save_checkpoint` writes), for sending between processes.

    Args:
        state_dict: the model's weights (tensors).
        spec: an architecture spec (with ``to_dict()``) or its dict.
        in_channels: input channels the model was built for.
        num_classes: output classes.
        window: window length (time steps) it was trained on.
        classes: class names, index = class id.
    """
    spec_dict = spec if isinstance(spec, dict) else spec.to_dict()
    payload = {
        "format": FORMAT,
        "state_dict": {k: v.detach().cpu() for k, v in state_dict.items()},
        "spec": json.dumps(spec_dict, sort_keys=True),
        "in_channels": int(in_channels),
        "num_classes": int(num_classes),
        "window": int(window),
        "classes": json.dumps(list(classes or [])),
    }
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    return buffer.getvalue()


def write_atomic(path: str | Path, blob: bytes) -> Path:
    """Write `blob` to `path` via a temporary file and a rename (never a half-written file)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(blob)
    os.replace(tmp, path)
    return path


def save_checkpoint(
    path: str | Path,
    state_dict: dict[str, torch.Tensor],
    spec,
    *,
    in_channels: int,
    num_classes: int,
    window: int,
    classes: list[str] | None = None,
) -> Path:
    """Save a checkpoint atomically (arguments as in `checkpoint_bytes`); returns the path."""
    blob = checkpoint_bytes(
        state_dict,
        spec,
        in_channels=in_channels,
        num_classes=num_classes,
        window=window,
        classes=classes,
    )
    return write_atomic(path, blob)


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checkpoint's contents as plain data (spec and classes decoded from JSON)."""
    path = Path(path)
    if not path.is_file():
        raise ZcpharError(f"checkpoint {str(path)!r} not found")
    payload = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise ZcpharError(f"{str(path)!r} is not a zcphar checkpoint (expected format {FORMAT})")
    payload["spec"] = json.loads(payload["spec"])
    payload["classes"] = json.loads(payload["classes"])
    return payload


def load_checkpoint(path: str | Path, device="cpu") -> tuple[nn.Module, dict[str, Any]]:
    """Rebuild the trained model from a checkpoint.

    Returns:
        (model in eval mode on `device`, info) where info has spec (dict), in_channels,
        num_classes, window and classes.
    """
    from zcphar.space import build, spec_from_dict

    payload = read_checkpoint(path)
    spec = spec_from_dict(payload["spec"])
    model = build(spec, payload["in_channels"], payload["num_classes"], seed=0)
    model.load_state_dict(payload.pop("state_dict"))
    return model.to(device).eval(), payload
