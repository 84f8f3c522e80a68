"""Exact size of the space, and trainable parameters / forward FLOPs of any spec (no model built).

FLOPs convention: 2 FLOPs per multiply-accumulate of the matrix products (convolutions, linear
layers, LSTM gate products), as `torch.utils.flop_counter` counts Conv1d and Linear; bias
additions, activations, pooling and the LSTM's elementwise gate arithmetic are not counted.
"""

from __future__ import annotations

from zcphar.errors import ZcpharError
from zcphar.space.registry import family_of, list_families
from zcphar.space.spec import ArchSpec


def space_size() -> dict[str, int]:
    """Exact number of architectures per family, e.g. ``{"cnn": ..., "lstm": ...}``."""
    return {family.name: family.size() for family in list_families()}


def count_params(spec: ArchSpec, in_channels: int, num_classes: int) -> int:
    """Trainable parameters of ``build(spec, in_channels, num_classes)``."""
    check_shape(in_channels=in_channels, num_classes=num_classes)
    return family_of(spec).count_params(spec, in_channels, num_classes)


def count_flops(spec: ArchSpec, in_channels: int, window: int, num_classes: int) -> int:
    """Forward FLOPs of ``build(spec, in_channels, num_classes)`` on one window of `window` steps.

    Raises:
        ZcpharError: `window` shorter than ``spec.min_window``.
    """
    check_shape(in_channels=in_channels, num_classes=num_classes, window=window)
    if window < spec.min_window:
        raise ZcpharError(
            f"window {window} too short for {spec.describe()} (needs >= {spec.min_window})"
        )
    return family_of(spec).count_flops(spec, in_channels, window, num_classes)


def check_shape(**sizes: int) -> None:
    """Raise a ZcpharError unless every given size (in_channels, window, ...) is a positive int."""
    for what, value in sizes.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ZcpharError(f"bad {what} {value!r}; expected a positive integer")
