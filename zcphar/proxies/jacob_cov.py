"""Jacobian covariance (``jacob_cov``). Higher is better; always ``≤ −N``.

Mellor et al., "Neural Architecture Search without Training" (v1, 2020), in the form of
Abdelfattah et al. (foresight): ``J`` = gradient of ``Σ outputs`` w.r.t. the input, one flattened
row per sample; ``ρ = corrcoef(J)`` (N×N); with eigenvalues ``v`` of ``ρ`` (symmetric, so
``eigvalsh``) the score is ``−Σ [ln(v + k) + 1/(v + k)]``, ``k = 1e-5``. Each term is ``≥ 1``
(minimum at ``v + k = 1``), so the score is ``≤ −N`` with equality iff ``ρ = I`` (up to k).
Labels are not used.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from zcphar.errors import ZcpharError
from zcphar.proxies.registry import proxy

K = 1e-5


def jacob_cov_of(jacobian: torch.Tensor) -> float:
    """Score of a batch Jacobian (N, ...) given one row per sample.

    Raises:
        ZcpharError: the correlation is undefined (a constant row) or not finite.
    """
    rows = jacobian.detach().reshape(jacobian.shape[0], -1).cpu().numpy().astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        rho = np.corrcoef(rows)
    if not np.all(np.isfinite(rho)):
        raise ZcpharError(
            "jacob_cov: correlation undefined (a sample's input gradient is constant)"
        )
    v = np.linalg.eigvalsh(rho)
    return float(-np.sum(np.log(v + K) + 1.0 / (v + K)))


def input_jacobian(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """Gradient of ``Σ model(x)`` w.r.t. ``x`` (same shape as x)."""
    x = x.detach().clone().requires_grad_(True)
    out = model(x)
    (jac,) = torch.autograd.grad(out, x, torch.ones_like(out))
    return jac


@proxy("jacob_cov")
def jacob_cov(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """Correlation spectrum of per-sample input gradients (coverage does not apply)."""
    return jacob_cov_of(input_jacobian(model, x))
