"""GraSP: ``grasp = Σ −W ⊙ (H g)``. Raw value: LOWER is better (MGT negates it to rank).

Wang, Zhang & Grosse, "Picking Winning Tickets Before Training by Preserving Gradient Flow",
ICLR 2020, in the form of Abdelfattah et al. (foresight): ``g`` is the loss gradient taken
without a graph, ``ĝ`` the same gradient with ``create_graph``, ``z = Σ g.detach() ⊙ ĝ`` and
``H g = dz/dW``.

Three exact ways are offered to the fused engine:

- `zcphar.proxies.saliency`: only the scalar ``Wᵀ H g`` is needed, and by the symmetry of
  ``H`` it is ``gᵀ ∇φ − ‖g‖²`` with ``φ = Σ ⟨W, ∇_W L⟩`` (one reverse pass over the graph of
  the first-order pass; the fused default);
- `hessian_grad_double_backward`: ``H g`` by reverse-over-reverse on an existing graph (the
  per-proxy path and the chunked fused path);
- `hessian_grad_jvp`: ``H g`` by forward-over-reverse, ``torch.func.jvp`` of
  ``torch.func.grad`` along ``g`` (no LSTM on CPU oneDNN, no BatchNorm, no dropout).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from zcphar.proxies.coverage import counted_weights
from zcphar.proxies.recurrent import lstm_grasp_guard
from zcphar.proxies.registry import proxy


def grasp_of(weights: Sequence[torch.Tensor], hg: Sequence[torch.Tensor]) -> float:
    """``Σ −W ⊙ Hg`` over the counted tensors."""
    return sum(float((-w.detach() * h).sum()) for w, h in zip(weights, hg, strict=True))


def hessian_grad_double_backward(
    grads_with_graph: Sequence[torch.Tensor],
    tangent: Sequence[torch.Tensor],
    weights: Sequence[torch.Tensor],
    retain_graph: bool = True,
) -> list[torch.Tensor]:
    """``H v`` by differentiating ``Σ v ⊙ ĝ`` again, where ``ĝ`` was built with create_graph.

    Args:
        grads_with_graph: ``ĝ = dL/dW`` computed with ``create_graph=True``.
        tangent: the vector ``v`` (detached), one tensor per weight.
        weights: the weights ``W``.
        retain_graph: keep the graph for later backward passes (e.g. the input Jacobian).
    """
    z = sum(
        (v * g).sum() for v, g in zip(tangent, grads_with_graph, strict=True) if g.requires_grad
    )
    if not isinstance(z, torch.Tensor):  # no counted weight reaches the loss
        return [torch.zeros_like(w) for w in weights]
    hg = torch.autograd.grad(z, list(weights), retain_graph=retain_graph, allow_unused=True)
    return [torch.zeros_like(w) if h is None else h for w, h in zip(weights, hg, strict=True)]


def hessian_grad_jvp(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    tangent: dict[str, torch.Tensor],
    scale: float,
) -> dict[str, torch.Tensor]:
    """``H v`` of ``scale · Σ_n ℓ_n`` by forward-over-reverse: ``jvp(grad(loss), (θ,), (v,))``.

    Args:
        model: the model (its parameters are read, not changed).
        x, y: the batch (or one chunk of it).
        tangent: ``v`` by qualified parameter name (zeros for uncounted parameters).
        scale: the loss is ``scale · sum of per-sample cross-entropies`` (1/N for a mean).

    Returns:
        ``H v`` by parameter name, for the names in `tangent`.
    """
    params = {n: p.detach() for n, p in model.named_parameters()}
    names = list(tangent)
    fixed = {n: p for n, p in params.items() if n not in tangent}

    def loss(free: dict[str, torch.Tensor]) -> torch.Tensor:
        out = torch.func.functional_call(model, {**fixed, **free}, (x,))
        return F.cross_entropy(out, y, reduction="sum") * scale

    primal = {n: params[n] for n in names}
    _, hv = torch.func.jvp(torch.func.grad(loss), (primal,), (tangent,))
    return hv


@proxy("grasp", higher_is_better=False, needs_labels=True, second_order=True)
def grasp(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """Gradient-flow preservation ``Σ −W ⊙ Hg`` (two forwards, as the reference does)."""
    weights = counted_weights(model, coverage)
    if not weights:
        return 0.0
    loss = F.cross_entropy(model(x), y)
    grads = torch.autograd.grad(loss, weights, allow_unused=True)
    tangent = [torch.zeros_like(w) if g is None else g for w, g in zip(weights, grads, strict=True)]

    with lstm_grasp_guard(model, True):
        loss = F.cross_entropy(model(x), y)
    graded = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
    graded = [torch.zeros_like(w) if g is None else g for w, g in zip(weights, graded, strict=True)]
    hg = hessian_grad_double_backward(graded, tangent, weights, retain_graph=False)
    return grasp_of(weights, hg)
