"""First-order gradient proxies: ``grad_norm``, ``snip``, ``plain``. Higher is better.

With ``L`` the mean cross-entropy over the batch and ``g = dL/dW`` for each counted weight W:

- ``grad_norm`` = ``Σ_layers ‖g‖_F`` (a sum of per-tensor norms, not one global norm);
  Abdelfattah et al., "Zero-Cost Proxies for Lightweight NAS", ICLR 2021.
- ``snip`` = ``Σ |W ⊙ g|``, the connection sensitivity of Lee et al., "SNIP: Single-shot Network
  Pruning based on Connection Sensitivity", ICLR 2019 (the gradient of a multiplicative mask at 1).
- ``plain`` = ``Σ W ⊙ g`` (signed); Mozer & Smolensky 1989, as named by Abdelfattah et al.

The per-proxy implementations below recompute the gradient for each proxy; ``snip`` takes it
through an explicit weight mask (as the reference does) so it also checks the identity.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from zcphar.proxies.coverage import counted_weight_names, counted_weights
from zcphar.proxies.registry import proxy


def weight_gradients(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, coverage: str
) -> tuple[list[torch.Tensor], list[torch.Tensor]]:
    """Counted weights and ``dL/dW`` (zeros for a weight the loss does not reach)."""
    weights = counted_weights(model, coverage)
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    return weights, [
        torch.zeros_like(w) if g is None else g for w, g in zip(weights, grads, strict=True)
    ]


def grad_norm_of(grads: Sequence[torch.Tensor]) -> float:
    """``Σ ‖g‖_F`` over the counted tensors."""
    return sum(float(g.norm()) for g in grads)


def snip_of(weights: Sequence[torch.Tensor], grads: Sequence[torch.Tensor]) -> float:
    """``Σ |W ⊙ g|``."""
    return sum(float((w.detach() * g).abs().sum()) for w, g in zip(weights, grads, strict=True))


def plain_of(weights: Sequence[torch.Tensor], grads: Sequence[torch.Tensor]) -> float:
    """``Σ W ⊙ g``."""
    return sum(float((w.detach() * g).sum()) for w, g in zip(weights, grads, strict=True))


@proxy("grad_norm", needs_labels=True)
def grad_norm(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """Sum over counted weight tensors of the Frobenius norm of the loss gradient."""
    _, grads = weight_gradients(model, x, y, coverage)
    return grad_norm_of(grads)


@proxy("snip", needs_labels=True)
def snip(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """Connection sensitivity: gradient of the loss w.r.t. a multiplicative weight mask at 1."""
    names = counted_weight_names(model, coverage)
    weights = [w.detach() for w in counted_weights(model, coverage)]
    masks = [torch.ones_like(w, requires_grad=True) for w in weights]
    masked = {n: w * m for n, w, m in zip(names, weights, masks, strict=True)}
    loss = F.cross_entropy(torch.func.functional_call(model, masked, (x,)), y)
    grads = torch.autograd.grad(loss, masks, allow_unused=True)
    return sum(float(g.abs().sum()) for g in grads if g is not None)


@proxy("plain", needs_labels=True)
def plain(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """Signed first-order Taylor saliency ``Σ W ⊙ dL/dW``."""
    weights, grads = weight_gradients(model, x, y, coverage)
    return plain_of(weights, grads)
