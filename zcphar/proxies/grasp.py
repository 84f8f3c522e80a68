"""GraSP: ``grasp = Σ −W ⊙ (H g)``. Raw value: LOWER is better (MGT negates it to rank).

Wang, Zhang & Grosse, "Picking Winning Tickets Before Training by Preserving Gradient Flow",
ICLR 2020, in the form of Abdelfattah et al. (foresight): ``g`` is the loss gradient taken
without a graph, ``ĝ`` the same gradient with ``create_graph``, ``z = Σ g.detach() ⊙ ĝ`` and
``H g = dz/dW``.

Three exact ways are offered to the fused engine:

- `grasp_by_saliency_gradient`: only the scalar ``Wᵀ H g`` is needed, and by the symmetry of
  ``H`` it is ``gᵀ ∇φ − ‖g‖²`` with ``φ = Σ ⟨W, ∇_W L⟩`` (one reverse pass over the graph of
  the first-order pass; the default, see `saliency_term`);
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
from zcphar.proxies.registry import proxy


def grasp_of(weights: Sequence[torch.Tensor], hg: Sequence[torch.Tensor]) -> float:
    """``Σ −W ⊙ Hg`` over the counted tensors."""
    return sum(float((-w.detach() * h).sum()) for w, h in zip(weights, hg, strict=True))


# Modules whose output is ``op(x, weight) + bias`` with ``op`` linear in the weight.
LINEAR_IN_WEIGHT = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def saliency_term(module: nn.Module, output: torch.Tensor, output_grad: torch.Tensor):
    """``⟨W, ∂L/∂W⟩`` of a `LINEAR_IN_WEIGHT` module, as ``⟨a − b, ∂L/∂a⟩`` on its output ``a``.

    ``a − b = op(x, W)`` is linear in ``W``, so ``⟨W, ∂L/∂W⟩ = d/dε L(W(1 + ε)) =
    ⟨op(x, W), ∂L/∂a⟩``. Differentiating this form again never passes through the node that
    computed ``∂L/∂W`` (for a convolution, the costliest of the double backward).
    """
    if module.bias is not None:
        channel_dim = 1 if isinstance(module, nn.modules.conv._ConvNd) else output.dim() - 1
        shape = [1] * output.dim()
        shape[channel_dim] = -1
        output = output - module.bias.view(shape)
    return (output * output_grad).sum()


def grasp_by_saliency_gradient(
    phi: torch.Tensor,
    grads: Sequence[torch.Tensor],
    weights: Sequence[torch.Tensor],
    retain_graph: bool = True,
) -> float:
    """grasp ``= −Wᵀ H g`` from the weight saliency ``φ(θ) = Σ ⟨W, ∇_W L(θ)⟩`` (with graph).

    ``∇φ = H W + ∇L`` over the counted weights, so with ``g = ∇L`` and ``H`` symmetric
    ``Wᵀ H g = gᵀ H W = gᵀ ∇φ − ‖g‖²``: one reverse pass, no ``H g`` vector. The two sums are
    taken in float64.

    Args:
        phi: ``φ`` built on a graph made with ``create_graph`` (see `saliency_term`).
        grads: ``g``, detached, one tensor per weight.
        weights: the counted weights.
        retain_graph: keep the graph for later backward passes (e.g. the input Jacobian).
    """
    if not phi.requires_grad:  # no counted weight reaches the loss
        return 0.0
    dphi = torch.autograd.grad(phi, list(weights), retain_graph=retain_graph, allow_unused=True)
    total = torch.zeros((), dtype=torch.float64, device=phi.device)
    for g, d in zip(grads, dphi, strict=True):
        g = g.double()
        total = total - (g * g).sum() + (0 if d is None else (g * d.double()).sum())
    return float(-total)


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
    from zcphar.proxies.fused import lstm_grasp_guard  # cuDNN cannot double-backward an LSTM

    with lstm_grasp_guard(model, True):
        loss = F.cross_entropy(model(x), y)
    graded = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
    graded = [torch.zeros_like(w) if g is None else g for w, g in zip(weights, graded, strict=True)]
    hg = hessian_grad_double_backward(graded, tangent, weights, retain_graph=False)
    return grasp_of(weights, hg)
