"""Which weight tensors a proxy counts (the coverage mode), and facts about a model.

- ``reference``: the ``weight`` of ``nn.Conv2d`` and ``nn.Linear`` only (foresight, NASLib, MGT).
- ``extended`` (default): also ``nn.Conv1d`` and every ``weight_ih_l*`` / ``weight_hh_l*`` of
  ``nn.LSTM``, each tensor counted as one layer.

Biases are never counted. Tensors are listed in module order.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from zcphar.errors import unknown_choice

COVERAGES = ("extended", "reference")
_REFERENCE_TYPES = (nn.Conv2d, nn.Linear)
_EXTENDED_TYPES = (nn.Conv1d, nn.Conv2d, nn.Linear)


def check_coverage(coverage: str) -> str:
    """Validate a coverage name.

    Raises:
        ZcpharError: unknown coverage; the message lists the valid ones.
    """
    if coverage not in COVERAGES:
        raise unknown_choice("coverage", coverage, COVERAGES)
    return coverage


@dataclass(frozen=True)
class CountedModule:
    """A module whose weights are counted, with the names of those weights.

    Attributes:
        name: qualified module name in the model.
        module: the module.
        weights: attribute names of its counted weight tensors (``weight`` or LSTM weights).
    """

    name: str
    module: nn.Module
    weights: tuple[str, ...]


def _lstm_weight_names(lstm: nn.LSTM) -> tuple[str, ...]:
    return tuple(
        n for n in lstm._flat_weights_names if n.startswith(("weight_ih_l", "weight_hh_l"))
    )


def counted_modules(model: nn.Module, coverage: str = "extended") -> list[CountedModule]:
    """The modules whose weights `coverage` counts, in module order.

    Args:
        model: any ``nn.Module``.
        coverage: ``extended`` or ``reference``.
    """
    check_coverage(coverage)
    types = _EXTENDED_TYPES if coverage == "extended" else _REFERENCE_TYPES
    found = []
    for name, module in model.named_modules():
        if isinstance(module, types) and isinstance(module.weight, torch.Tensor):
            found.append(CountedModule(name, module, ("weight",)))
        elif coverage == "extended" and isinstance(module, nn.LSTM):
            found.append(CountedModule(name, module, _lstm_weight_names(module)))
    return found


def counted_weights(model: nn.Module, coverage: str = "extended") -> list[torch.Tensor]:
    """The counted weight tensors (parameters of `model`), in module order."""
    return [getattr(c.module, w) for c in counted_modules(model, coverage) for w in c.weights]


def counted_weight_names(model: nn.Module, coverage: str = "extended") -> list[str]:
    """Qualified parameter names of the counted weights, same order as `counted_weights`."""
    names = []
    for c in counted_modules(model, coverage):
        names += [f"{c.name}.{w}" if c.name else w for w in c.weights]
    return names


def channel_fan_in(module: nn.Module) -> int:
    """Fan-in of one output channel, used by fisher to spread a channel saliency over weights.

    ``prod(weight.shape[1:])`` for Conv/Linear; ``4 * (input_size + hidden_size)`` for an LSTM
    (channel = hidden unit).
    """
    if isinstance(module, nn.LSTM):
        return 4 * (module.input_size + module.hidden_size)
    return int(torch.tensor(module.weight.shape[1:]).prod().item())


def has_lstm(model: nn.Module) -> bool:
    """Whether the model contains a recurrent layer (no forward-mode AD on CPU oneDNN)."""
    return any(isinstance(m, nn.RNNBase) for m in model.modules())


def has_batchnorm(model: nn.Module) -> bool:
    """Whether the model contains a BatchNorm layer."""
    return any(isinstance(m, nn.modules.batchnorm._BatchNorm) for m in model.modules())


def model_dtype(model: nn.Module) -> torch.dtype:
    """Floating dtype of the model's parameters (float32 when it has none)."""
    for p in model.parameters():
        if p.is_floating_point():
            return p.dtype
    return torch.float32


def model_device(model: nn.Module) -> torch.device:
    """Device of the model's first parameter (CPU when it has none)."""
    for p in model.parameters():
        return p.device
    return torch.device("cpu")
