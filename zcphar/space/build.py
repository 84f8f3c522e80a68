"""Turn a spec into an initialised `torch.nn.Module`.

Weights are Xavier-normal on every Conv1d / LSTM / Linear weight matrix and zero on every bias,
drawn from a CPU `torch.Generator` seeded with `seed`, so one seed gives the same weights on
every machine. The module is first laid out on the meta device, so building consumes nothing
from PyTorch's global RNG when a seed is given.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from zcphar.errors import ZcpharError, unknown_choice
from zcphar.space.registry import family_of
from zcphar.space.spec import ArchSpec

HEAD_INITS = ("xavier", "default")
_INITIALISED = (nn.Conv1d, nn.LSTM, nn.Linear)


def build(
    spec: ArchSpec,
    in_channels: int,
    num_classes: int,
    *,
    seed: int | None = None,
    head_init: str = "xavier",
) -> nn.Module:
    """Build the network of `spec`, mapping (N, in_channels, T) float32 to (N, num_classes) logits.

    Args:
        spec: any registered spec (`CNNSpec`, `LSTMSpec`, ...).
        in_channels: sensor channels C of the input windows.
        num_classes: number of activity classes K.
        seed: seeds the CPU `torch.Generator` all initial weights are drawn from; None draws from
            PyTorch's default (global) generator.
        head_init: ``"xavier"`` (Xavier-normal weights, zero biases, like the body) or
            ``"default"``: PyTorch's default `nn.Linear` init for the head (Kaiming-uniform
            weights, uniform biases), drawn from the same generator. The paper's code left its
            CNN head at PyTorch's default init; use ``"default"`` to reproduce it exactly.

    Returns:
        The model on the CPU, in training mode (move it with ``.to(device)``).

    Raises:
        ZcpharError: bad `in_channels`, `num_classes` or `head_init`.
    """
    for what, value in (("in_channels", in_channels), ("num_classes", num_classes)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ZcpharError(f"bad {what} {value!r}; expected a positive integer")
    if head_init not in HEAD_INITS:
        raise unknown_choice("head_init", head_init, HEAD_INITS)
    family = family_of(spec)
    with torch.device("meta"):
        model = family.build(spec, in_channels, num_classes)
    model = model.to_empty(device="cpu")
    generator = None if seed is None else torch.Generator(device="cpu").manual_seed(seed)
    init_weights(model, generator, head_init=head_init)
    return model


def init_weights(
    model: nn.Module, generator: torch.Generator | None, *, head_init: str = "xavier"
) -> None:
    """Initialise every parameter of `model` in place (see `build`), in module order.

    Raises:
        RuntimeError: a parameter belongs to a module type other than Conv1d / LSTM / Linear
            (a new family must use those types, or extend this function).
    """
    head = set(model.head.modules()) if head_init == "default" else set()
    done = 0
    with torch.no_grad():
        for module in model.modules():
            if not isinstance(module, _INITIALISED):
                continue
            if module in head:
                _default_linear_init(module, generator)
            else:
                _xavier_init(module, generator)
            done += sum(p.numel() for p in module.parameters(recurse=False))
    total = sum(p.numel() for p in model.parameters())
    if done != total:
        raise RuntimeError(f"{total - done} parameters are outside Conv1d/LSTM/Linear modules")


def _xavier_init(module: nn.Module, generator: torch.Generator | None) -> None:
    for name, param in module.named_parameters(recurse=False):
        if name.startswith("weight"):
            nn.init.xavier_normal_(param, generator=generator)
        else:
            nn.init.zeros_(param)


def _default_linear_init(module: nn.Linear, generator: torch.Generator | None) -> None:
    """`nn.Linear.reset_parameters`, but drawing from `generator`."""
    nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=generator)
    bound = 1 / math.sqrt(module.in_features)
    nn.init.uniform_(module.bias, -bound, bound, generator=generator)
