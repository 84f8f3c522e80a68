"""LSTM family (Table I of MGT): 2-4 stacked single-layer LSTMs, last time step, head.

Each block is its own ``nn.LSTM(in, hidden, batch_first=True)`` with hidden 8..504 in steps of 8,
followed by ``Dropout(p)`` with p in {0.1, ..., 0.5}, except the last block (p = 0). The last
time step of the last block feeds the same head as the CNN.
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

LAYERS = range(2, 5)
HIDDEN = range(8, 505, 8)
_LAST_OR_INNER = (0.0,) + DROPOUTS


@dataclass(frozen=True)
class LSTMBlock:
    """One ``nn.LSTM(in, hidden)`` -> ``Dropout(dropout)`` block (dropout 0 for the last)."""

    hidden: int
    dropout: float

    def __post_init__(self) -> None:
        check_int_choice("lstm hidden", self.hidden, HIDDEN)
        p = check_dropout("lstm dropout", self.dropout, _LAST_OR_INNER)
        object.__setattr__(self, "dropout", p)

    def describe(self) -> str:
        return f"{self.hidden}p{self.dropout:g}" if self.dropout else f"{self.hidden}"


@dataclass(frozen=True)
class LSTMSpec(ArchSpec):
    """An LSTM of the search space: its blocks, input side first."""

    blocks: tuple[LSTMBlock, ...]

    family: ClassVar[str] = "lstm"
    paper_type: ClassVar[str] = "RNN"

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(self.blocks))
        check_int_choice("lstm number of blocks", len(self.blocks), LAYERS)
        for block in self.blocks:
            if not isinstance(block, LSTMBlock):
                raise ZcpharError(f"bad lstm block {block!r}; expected an LSTMBlock")
        for block in self.blocks[:-1]:
            check_dropout("lstm dropout (blocks before the last)", block.dropout, DROPOUTS)
        check_dropout("lstm dropout (last block)", self.blocks[-1].dropout, (0.0,))

    def to_dict(self) -> dict[str, Any]:
        blocks = [{"hidden": b.hidden, "dropout": b.dropout} for b in self.blocks]
        return {"family": self.family, "blocks": blocks}

    def describe(self) -> str:
        return "lstm[" + "-".join(b.describe() for b in self.blocks) + "]"

    @property
    def min_window(self) -> int:
        return 1

    @property
    def num_layers(self) -> int:
        return len(self.blocks)

    @property
    def max_width(self) -> int:
        return max(b.hidden for b in self.blocks)


class LSTMNet(nn.Module):
    """The network of an `LSTMSpec`: ``body`` (ModuleList of LSTM, Dropout, ...) and ``head``."""

    def __init__(self, spec: LSTMSpec, in_channels: int, num_classes: int) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = in_channels
        for b in spec.blocks:
            layers += [nn.LSTM(width, b.hidden, batch_first=True), nn.Dropout(b.dropout)]
            width = b.hidden
        self.body = nn.ModuleList(layers)
        self.head = make_head(width, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # x: (N, C, T)
        h = x.transpose(1, 2)  # (N, T, C)
        for layer in self.body:
            h = layer(h)[0] if isinstance(layer, nn.LSTM) else layer(h)  # (N, T, hidden)
        return self.head(h[:, -1])  # last time step (N, hidden) -> (N, num_classes)


def from_dict(d: dict) -> LSTMSpec:
    """Validate and rebuild an `LSTMSpec` from its `to_dict()` form."""
    check_keys("lstm spec", d, ["blocks"])
    if not isinstance(d["blocks"], list):
        raise ZcpharError(f"bad lstm blocks {d['blocks']!r}; expected a list of blocks")
    blocks = []
    for b in d["blocks"]:
        check_keys("lstm block", b, ["hidden", "dropout"])
        blocks.append(LSTMBlock(b["hidden"], b["dropout"]))
    return LSTMSpec(tuple(blocks))


def draw(rng: np.random.Generator, max_layers: int | None, max_width: int | None) -> LSTMSpec:
    """One uniform draw: number of blocks, then hidden (and dropout but for the last) per block."""
    layers = up_to(LAYERS, max_layers)
    hidden = up_to(HIDDEN, max_width)
    if not layers or not hidden:
        raise ZcpharError(
            f"max layers {max_layers} / max width {max_width} leave no lstm choice; "
            f"lstm needs >= {LAYERS[0]} layers of >= {HIDDEN[0]} units"
        )
    n = layers[rng.integers(len(layers))]
    blocks = []
    for i in range(n):
        h = hidden[rng.integers(len(hidden))]
        p = DROPOUTS[rng.integers(len(DROPOUTS))] if i < n - 1 else 0.0
        blocks.append(LSTMBlock(h, p))
    return LSTMSpec(tuple(blocks))


def smallest(max_width: int | None, window: int) -> list[LSTMSpec]:
    """The two-block, 8-unit LSTM: fewest parameters and FLOPs of the family."""
    if (max_width is not None and max_width < HIDDEN[0]) or window < 1:
        return []
    return [LSTMSpec((LSTMBlock(HIDDEN[0], DROPOUTS[0]), LSTMBlock(HIDDEN[0], 0.0)))]


def count_params(spec: LSTMSpec, in_channels: int, num_classes: int) -> int:
    """Trainable parameters: per LSTM 4h(in + h) weights + 2 x 4h biases (PyTorch), plus head."""
    total, width = 0, in_channels
    for b in spec.blocks:
        total += 4 * b.hidden * (width + b.hidden) + 8 * b.hidden
        width = b.hidden
    return total + head_params(width, num_classes)


def count_flops(spec: LSTMSpec, in_channels: int, window: int, num_classes: int) -> int:
    """Forward FLOPs for one window: per LSTM and time step the gate products W_ih x and W_hh h,
    2 x 4h(in + h) (2 FLOPs per multiply-accumulate; biases and gate nonlinearities not counted,
    the convention `torch.utils.flop_counter` uses for Conv1d/Linear), plus the head."""
    total, width = 0, in_channels
    for b in spec.blocks:
        total += window * 2 * 4 * b.hidden * (width + b.hidden)
        width = b.hidden
    return total + head_flops(width, num_classes)


def size() -> int:
    """Exact number of LSTM specs: sum over L of (hidden x dropouts)^(L-1) x hidden."""
    per_block = len(HIDDEN) * len(DROPOUTS)
    return sum(per_block ** (n - 1) * len(HIDDEN) for n in LAYERS)


def definition() -> dict[str, Any]:
    """The choices of the family, for `zcphar space`."""
    return {
        "blocks": [LAYERS[0], LAYERS[-1]],
        "block": "LSTM(in, hidden, batch_first=True) -> Dropout(p), p = 0 for the last block",
        "hidden": {"min": HIDDEN[0], "max": HIDDEN[-1], "step": 8},
        "dropout": list(DROPOUTS),
        "after": "last time step -> Linear(hidden, 512) -> ReLU -> Linear(512, K)",
    }


register_family(
    Family(
        name="lstm",
        paper_type="RNN",
        description="LSTM: 2-4 stacked single-layer LSTMs, last time step, MLP head",
        spec_type=LSTMSpec,
        from_dict=from_dict,
        draw=draw,
        smallest=smallest,
        build=LSTMNet,
        count_params=count_params,
        count_flops=count_flops,
        size=size,
        definition=definition,
    )
)
