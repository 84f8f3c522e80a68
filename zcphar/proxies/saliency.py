"""grasp from the weight saliency ``φ = Σ ⟨W, ∂L/∂W⟩``: the fused engine's default form.

grasp needs only the scalar ``Wᵀ H g`` (``H`` the Hessian of the loss over the counted weights,
``g`` their gradient), not the vector ``H g``. Since ``∇φ = H W + ∇L`` over those weights and
``H`` is symmetric, ``Wᵀ H g = gᵀ H W = gᵀ ∇φ − ‖g‖²``: one reverse pass over ``φ``, built on
the graph of the first-order pass. ``φ`` is assembled so that this pass never goes through the
nodes that computed ``∂L/∂W`` (for a convolution the costliest part of a double backward):

- a module linear in its weight (Conv, Linear: ``a = op(x, W) + b``) contributes
  ``⟨a − b, ∂L/∂a⟩`` (`saliency_term`), differentiated by feeding the cotangents ``∂L/∂a``
  to ``a`` and ``a − b`` to ``∂L/∂a`` (the product rule; no graph nodes for the product);
- an LSTM unrolled by `zcphar.proxies.recurrent` contributes ``⟨G − b, ∂L/∂P⟩``
  (`lstm_saliency`);
- any other counted weight contributes ``⟨W, ĝ_W⟩`` (exact, just not cheaper).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from zcphar.proxies.recurrent import lstm_saliency

# Modules whose output is ``op(x, weight) + bias`` with ``op`` linear in the weight.
LINEAR_IN_WEIGHT = (nn.Conv1d, nn.Conv2d, nn.Conv3d, nn.Linear)


def saliency_term(module: nn.Module, output: torch.Tensor, output_grad: torch.Tensor):
    """``⟨W, ∂L/∂W⟩`` of a `LINEAR_IN_WEIGHT` module, as ``⟨a − b, ∂L/∂a⟩`` on its output ``a``.

    ``a − b = op(x, W)`` is linear in ``W``, so ``⟨W, ∂L/∂W⟩ = d/dε L(W(1 + ε)) =
    ⟨op(x, W), ∂L/∂a⟩``. Differentiating this form again never passes through the node that
    computed ``∂L/∂W`` (for a convolution, the costliest of the double backward).
    """
    return torch.dot(_less_bias(module, output).reshape(-1), output_grad.reshape(-1))


def grasp_by_saliency_gradient(
    phi: torch.Tensor | Sequence[tuple[torch.Tensor, torch.Tensor]],
    grads: Sequence[torch.Tensor],
    weights: Sequence[torch.Tensor],
    retain_graph: bool = True,
) -> float:
    """grasp ``= −Wᵀ H g`` from the weight saliency ``φ(θ) = Σ ⟨W, ∇_W L(θ)⟩`` (with graph).

    ``∇φ = H W + ∇L`` over the counted weights, so with ``g = ∇L`` and ``H`` symmetric
    ``Wᵀ H g = gᵀ H W = gᵀ ∇φ − ‖g‖²``: one reverse pass, no ``H g`` vector. The two sums are
    taken in float64.

    Args:
        phi: ``φ`` built on a graph made with ``create_graph``, or its terms as pairs
            ``(t, c)`` of a graph tensor and its cotangent, ``∇φ = Σ (∂t/∂θ)ᵀ c``
            (`saliency_terms`: the reverse pass starts from the cotangents, with no graph
            nodes for the products).
        grads: ``g``, detached, one tensor per weight.
        weights: the counted weights.
        retain_graph: keep the graph for later backward passes (e.g. the input Jacobian).
    """
    pairs = [(phi, torch.ones_like(phi))] if isinstance(phi, torch.Tensor) else list(phi)
    pairs = [(t, c) for t, c in pairs if t.requires_grad]
    if not pairs:  # no counted weight reaches the loss
        return 0.0
    device = weights[0].device if weights else torch.device("cpu")
    dphi = torch.autograd.grad([t for t, _ in pairs], list(weights), [c for _, c in pairs],
                               retain_graph=retain_graph, allow_unused=True)  # fmt: skip
    total = torch.zeros((), dtype=torch.float64, device=device)
    for g, d in zip(grads, dphi, strict=True):
        g = g.double()
        total = total - (g * g).sum() + (0 if d is None else (g * d.double()).sum())
    return float(-total)


def saliency_terms(
    counted, linear, traces, outputs, grad_of
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """``φ = Σ ⟨W, ∂L/∂W⟩`` over the counted weights as ``(tensor, cotangent)`` pairs for
    `grasp_by_saliency_gradient`: ``(a, ∂L/∂a)`` and ``(∂L/∂a, a − b)`` for the modules linear
    in their weight (`saliency_term`, by the product rule), ``(φ_LSTM, 1)`` for unrolled LSTMs
    (`lstm_saliency`), ``(W, ĝ_W)`` and ``(ĝ_W, W)`` for the others.

    A module's output term is used only where its value matches ``⟨W, ĝ_W⟩`` (to 1e-4 of
    ``Σ |W ⊙ ĝ_W|``): a weight that also reaches the loss outside the module call (e.g.
    ``F.linear(h, fc.weight)``) takes the generic term instead.

    Args:
        counted: the counted modules (`zcphar.proxies.coverage.counted_modules`).
        linear: those read by their output (called once, `LINEAR_IN_WEIGHT`, output unchanged).
        traces: the complete traces of the unrolled LSTMs (`Unrolled.complete`).
        outputs: each hooked module's outputs, by module.
        grad_of: ``id(tensor)`` → ``∂L/∂tensor`` with graph, for every weight, output and
            projection above.
    """
    by_output = {c.module for c in linear}
    unrolled = {t.module for t in traces}
    if traces:
        phi = lstm_saliency(traces, grad_of)
        terms = [(phi, torch.ones_like(phi))]
    else:
        terms = []
    for c in counted:
        if c.module in unrolled:
            continue
        weights = [getattr(c.module, name) for name in c.weights]
        if c.module in by_output:
            a = outputs[c.module][0]
            da = grad_of[id(a)]
            linear_part = _less_bias(c.module, a.detach())
            if _agrees(linear_part, da.detach(), weights[0], grad_of[id(weights[0])]):
                terms += [(a, da.detach()), (da, linear_part)]
                continue
        for w in weights:  # ∇⟨W, ĝ_W⟩ = ĝ_W + (∂ĝ_W/∂θ)ᵀ W; nothing if the loss misses W
            g = grad_of[id(w)]
            terms += [(w, g.detach()), (g, w.detach())] if g.shape == w.shape else []
    return terms


def _less_bias(module: nn.Module, output: torch.Tensor) -> torch.Tensor:
    """``a − b``: a module's output without its bias, ``op(x, W)``."""
    if module.bias is None:
        return output
    channel_dim = output.dim() - 1  # Linear: last axis; Conv: before the spatial axes
    if isinstance(module, nn.modules.conv._ConvNd):
        channel_dim -= len(module.kernel_size)
    shape = [1] * output.dim()
    shape[channel_dim] = -1
    return output - module.bias.detach().view(shape)


def _agrees(linear_part, output_grad, w: torch.Tensor, g: torch.Tensor) -> bool:
    """Whether ``⟨a − b, ∂L/∂a⟩`` equals ``⟨W, ĝ_W⟩`` to 1e-4 of ``Σ |W ⊙ ĝ_W|``."""
    term = torch.dot(linear_part.reshape(-1), output_grad.reshape(-1))
    product = w.detach() * g.detach()
    return abs(float(term) - float(product.sum())) <= 1e-4 * float(product.abs().sum())
