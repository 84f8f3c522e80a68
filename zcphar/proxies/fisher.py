"""Fisher: channel saliency from activations and their gradients. Higher is better.

Theis et al., "Faster gaze prediction with dense networks and Fisher pruning", 2018, as adapted
by Turner et al. (BlockSwap, ICLR 2020) and Abdelfattah et al. (foresight). For each counted
module with output ``a`` (an LSTM: the output sequence (N, T, H), channel = hidden unit):

    Δ_k = ½ · mean_n (Σ_spatial a ⊙ dL/da)²_{n,k}

with ``L`` the mean loss, so ``Δ_k`` carries ``1/N²``. Each ``Δ_k`` is spread over the channel's
fan-in (``prod(W.shape[1:])``; LSTM: ``4·(input_size + hidden_size)``) and everything is summed.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from zcphar.errors import ZcpharError
from zcphar.proxies.coverage import channel_fan_in, counted_modules
from zcphar.proxies.registry import proxy


def module_activation(module: nn.Module, output: object) -> torch.Tensor:
    """The tensor fisher looks at: the output, or an LSTM's output sequence."""
    if isinstance(module, nn.LSTM):
        if module.bidirectional or module.num_layers != 1:
            raise ZcpharError("fisher supports single-layer unidirectional nn.LSTM only")
        return output[0]
    return output


def channel_sums(module: nn.Module, act: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """``Σ_spatial a ⊙ dL/da`` per sample and channel, shape (N, K).

    Conv: channel axis 1, spatial = the rest. Linear and LSTM: channel axis last (an LSTM
    without ``batch_first`` has time first).
    """
    prod = act.detach() * grad  # (N, K, *) conv; (N, *, K) linear / LSTM; (T, N, K) LSTM
    if isinstance(module, (nn.Conv1d, nn.Conv2d, nn.Conv3d)):
        return prod.flatten(2).sum(2) if prod.dim() > 2 else prod
    if isinstance(module, nn.LSTM) and not module.batch_first and prod.dim() == 3:
        return prod.sum(0)  # time first
    return prod.flatten(1, -2).sum(1) if prod.dim() > 2 else prod


def fisher_of(modules: list[nn.Module], squared: list[torch.Tensor], n: int) -> float:
    """Total fisher from ``Σ_n s²_{n,k}`` per module (s from the MEAN loss), over N samples.

    Args:
        modules: the counted modules.
        squared: per module, (K,) sums over samples of the squared channel sums.
        n: number of samples (the mean's denominator).
    """
    return sum(
        float(0.5 * sq.sum() / n) * channel_fan_in(m)
        for m, sq in zip(modules, squared, strict=True)
    )


@proxy("fisher", needs_labels=True)
def fisher(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """Fisher channel saliency, summed over counted modules and spread over the fan-in."""
    modules = [c.module for c in counted_modules(model, coverage)]
    squared: dict[int, torch.Tensor] = {}

    def forward_hook(i: int):
        def hook(module: nn.Module, inputs, output) -> None:
            act = module_activation(module, output)

            def on_grad(grad: torch.Tensor) -> None:
                s = channel_sums(module, act, grad)  # (N, K)
                squared[i] = squared.get(i, 0) + s.pow(2).sum(0)

            if act.requires_grad:
                act.register_hook(on_grad)

        return hook

    handles = [m.register_forward_hook(forward_hook(i)) for i, m in enumerate(modules)]
    try:
        F.cross_entropy(model(x), y).backward()
    finally:
        for h in handles:
            h.remove()
    zero = [torch.zeros(1)] * len(modules)
    return fisher_of(modules, [squared.get(i, zero[i]) for i in range(len(modules))], len(x))
