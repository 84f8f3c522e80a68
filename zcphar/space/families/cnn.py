"""1D-CNN family (Table I of MGT): 1-7 blocks of Conv1d -> ReLU -> Dropout, global max-pool, head.

Each block is ``Conv1d(in, out, kernel, stride=1, padding=0)`` with out channels 8..1024 in
steps of 8, kernel 2..9 and dropout in {0.1, ..., 0.5}, all chosen independently per block.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import torch
from torch import nn

from zcphar.errors import ZcpharError
from zcphar.space.head import head_flops, head_params, make_head
from zcphar.space.registry import Family, register_family
from zcphar.space.spec import DROPOUTS, ArchSpec, check_dropout, check_int_choice, check_keys, up_to

LAYERS = range(1, 8)
CHANNELS = range(8, 1025, 8)
KERNELS = range(2, 10)


@dataclass(frozen=True)
class ConvBlock:
    """One ``Conv1d(in, channels, kernel)`` -> ReLU -> ``Dropout(dropout)`` block."""

    channels: int
    kernel: int
    dropout: float

    def __post_init__(self) -> None:
        check_int_choice("cnn channels", self.channels, CHANNELS)
        check_int_choice("cnn kernel", self.kernel, KERNELS)
        object.__setattr__(self, "dropout", check_dropout("cnn dropout", self.dropout, DROPOUTS))

    def describe(self) -> str:
        return f"{self.channels}k{self.kernel}p{self.dropout:g}"


@dataclass(frozen=True)
class CNNSpec(ArchSpec):
    """A 1D-CNN of the search space: its blocks, input side first."""

    blocks: tuple[ConvBlock, ...]

    family: ClassVar[str] = "cnn"
    paper_type: ClassVar[str] = "CNN"

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))
        check_int_choice("cnn number of blocks", len(self.blocks), LAYERS)
        for block in self.blocks:
            if not isinstance(block, ConvBlock):
                raise ZcpharError(f"bad cnn block {block!r}; expected a ConvBlock")

    def to_dict(self) -> dict[str, Any]:
        blocks = [
            {"channels": b.channels, "kernel": b.kernel, "dropout": b.dropout} for b in self.blocks
        ]
        return {"family": self.family, "blocks": blocks}

    def describe(self) -> str:
        return "cnn[" + "-".join(b.describe() for b in self.blocks) + "]"

    @property
    def min_window(self) -> int:
        return 1 + sum(b.kernel - 1 for b in self.blocks)

    @property
    def num_layers(self) -> int:
        return len(self.blocks)

    @property
    def max_width(self) -> int:
        return max(b.channels for b in self.blocks)


class CNN(nn.Module):
    """The network of a `CNNSpec`: ``body`` (Sequential of blocks), max-pool, ``head``."""

    def __init__(self, spec: CNNSpec, in_channels: int, num_classes: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_channels
        for b in spec.blocks:
            layers += [nn.Conv1d(width, b.channels, b.kernel), nn.ReLU(), nn.Dropout(b.dropout)]
            width = b.channels
        self.min_window = spec.min_window
        self.body = nn.Sequential(*layers)
        self.head = make_head(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, C, T)
        if x.shape[-1] < self.min_window:
            raise ZcpharError(f"window of {x.shape[-1]} steps; this CNN needs >= {self.min_window}")
        h = self.body(x)  # (N, C_last, T - min_window + 1)
        h = h.amax(dim=2)  # (N, C_last): global max-pool over time
        return self.head(h)  # (N, num_classes)


def from_dict(d: dict) -> CNNSpec:
    """Validate and rebuild a `CNNSpec` from its `to_dict()` form."""
    check_keys("cnn spec", d, ["blocks"])
    if not isinstance(d["blocks"], list):
        raise ZcpharError(f"bad cnn blocks {d['blocks']!r}; expected a list of blocks")
    blocks = []
    for b in d["blocks"]:
        check_keys("cnn block", b, ["channels", "kernel", "dropout"])
        blocks.append(ConvBlock(b["channels"], b["kernel"], b["dropout"]))
    return CNNSpec(tuple(blocks))


def _allowed(choices: range, limit: int | None, what: str) -> range:
    kept = up_to(choices, limit)
    if not kept:
        raise ZcpharError(f"max {what} {limit} leaves no cnn choice; cnn needs >= {choices[0]}")
    return kept


def draw(rng: np.random.Generator, max_layers: int | None, max_width: int | None) -> CNNSpec:
    """One uniform draw: number of blocks, then channels, kernel and dropout per block."""
    layers = _allowed(LAYERS, max_layers, "layers")
    channels = _allowed(CHANNELS, max_width, "width")
    n = layers[rng.integers(len(layers))]
    blocks = []
    for _ in range(n):
        c = channels[rng.integers(len(channels))]
        k = KERNELS[rng.integers(len(KERNELS))]
        p = DROPOUTS[rng.integers(len(DROPOUTS))]
        blocks.append(ConvBlock(c, k, p))
    return CNNSpec(tuple(blocks))


def smallest(max_width: int | None, window: int) -> list[CNNSpec]:
    """One-block, 8-channel CNNs fitting `window`: the cheapest of them is the cheapest CNN.

    (Any deeper CNN costs at least its first block alone, and a wider last block costs more.)
    """
    if max_width is not None and max_width < CHANNELS[0]:
        return []
    return [CNNSpec((ConvBlock(CHANNELS[0], k, DROPOUTS[0]),)) for k in KERNELS if k <= window]


def count_params(spec: CNNSpec, in_channels: int, num_classes: int) -> int:
    """Trainable parameters (conv weights and biases plus head)."""
    total, width = 0, in_channels
    for b in spec.blocks:
        total += width * b.channels * b.kernel + b.channels
        width = b.channels
    return total + head_params(width, num_classes)


def count_flops(spec: CNNSpec, in_channels: int, window: int, num_classes: int) -> int:
    """Forward FLOPs for one window, counted as `torch.utils.flop_counter` counts Conv1d/Linear."""
    total, width, steps = 0, in_channels, window
    for b in spec.blocks:
        steps -= b.kernel - 1
        total += 2 * width * b.channels * b.kernel * steps
        width = b.channels
    return total + head_flops(width, num_classes)


def size() -> int:
    """Exact number of CNN specs: sum over L of (channels x kernels x dropouts)^L."""
    per_block = len(CHANNELS) * len(KERNELS) * len(DROPOUTS)
    return sum(per_block**n for n in LAYERS)


def definition() -> dict[str, Any]:
    """The choices of the family, for `zcphar space`."""
    return {
        "blocks": [LAYERS[0], LAYERS[-1]],
        "block": "Conv1d(in, channels, kernel, stride=1, padding=0) -> ReLU -> Dropout(p)",
        "channels": {"min": CHANNELS[0], "max": CHANNELS[-1], "step": 8},
        "kernel": [KERNELS[0], KERNELS[-1]],
        "dropout": list(DROPOUTS),
        "after": "global max-pool over time -> Linear(C_last, 512) -> ReLU -> Linear(512, K)",
    }


register_family(
    Family(
        name="cnn",
        paper_type="CNN",
        description="1D-CNN: 1-7 Conv1d blocks, global max-pool, MLP head",
        spec_type=CNNSpec,
        from_dict=from_dict,
        draw=draw,
        smallest=smallest,
        build=CNN,
        count_params=count_params,
        count_flops=count_flops,
        size=size,
        definition=definition,
    )
)
