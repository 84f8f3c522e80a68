"""grasp of the search space's LSTM networks by second-order forward mode (jets), no graph.

grasp needs the scalar ``Wᵀ H g`` (``H`` the Hessian of the loss over the counted weights,
``g`` their gradient). It is the mixed derivative ``∂²L/∂ε∂δ`` of ``L(θ + εu + δv)`` at 0,
with the directions ``u = W`` and ``v = g`` on the counted weights (zero elsewhere). A *jet*
carries it forward: a tensor of shape ``(4, …)`` stacking, for every intermediate value ``a``,

    ``[a, ∂a/∂ε, ∂a/∂δ, ∂²a/∂ε∂δ]``

and each operation maps jets to jets by the chain and product rules (a linear map keeps the
stacking; ``f(a)`` gives ``[f, f′ a₁, f′ a₂, f″ a₁ a₂ + f′ a₁₂]``). At the logits ``z`` the
cross-entropy closes it: ``∂²ℓ/∂ε∂δ = z₁ᵀ (diag p − p pᵀ) z₂ + (p − e_y)ᵀ z₁₂``.

Why: through an LSTM, every reverse-mode form of grasp (double backward, the saliency form of
`zcphar.proxies.saliency`) differentiates a graph of per-time-step ops twice, and the first-order
pass has to build that graph instead of using the library's fused LSTM kernel. The jet pass is
one forward sweep in ``no_grad`` over four stacked rows (one matmul with ``W_hh`` on ``4N``
rows and one with ``g_hh`` on ``2N`` rows per step), and the first-order pass of the fused
engine runs the library LSTM untouched. Exact up to rounding: it equals the double backward to
1e-15 relative in float64 (tests).

Applies to the search space's `LSTMNet` as built (`jet_supported`): a body of ``nn.LSTM``
(unidirectional, no projection, no inter-layer dropout) and inactive ``nn.Dropout``, a head of
``nn.Linear`` / ``nn.ReLU`` / inactive dropout / ``nn.Identity``, no hooks. Anything else (active
dropout, a model of one's own) takes the reverse-mode forms.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

# One jet tensor is (4, ...): value, along u = W, along v = g, mixed.
VALUE, ALONG_U, ALONG_V, MIXED = range(4)
_BLOCK_BYTES = 2**21  # the input projection of a layer is taken about this many bytes at a time


def _inactive(m: nn.Module) -> bool:
    return isinstance(m, nn.Identity) or (
        isinstance(m, nn.modules.dropout._DropoutNd) and (m.p == 0 or not m.training)
    )


def _plain_lstm(m: nn.Module) -> bool:
    return (
        type(m) is nn.LSTM
        and m.batch_first
        and not m.bidirectional
        and m.proj_size == 0
        and (m.num_layers == 1 or m.dropout == 0 or not m.training)
    )


def _hooked(m: nn.Module) -> bool:
    return bool(m._forward_hooks or m._forward_pre_hooks or "forward" in vars(m))


def jet_supported(model: nn.Module) -> bool:
    """Whether `jet_grasp` reproduces ``model``'s forward: the search space's `LSTMNet` with its
    own forward, every dropout inactive (p = 0 or eval), no hooks."""
    from zcphar.space.families.lstm import LSTMNet  # the space builds on the proxies' helpers

    if type(model) is not LSTMNet or any(_hooked(m) for m in model.modules()):
        return False
    body_ok = all(_plain_lstm(m) or _inactive(m) for m in model.body)
    head = model.head
    head_ok = isinstance(head, nn.Sequential) and all(
        isinstance(m, (nn.Linear, nn.ReLU)) or _inactive(m) for m in head
    )
    return body_ok and head_ok and any(isinstance(m, nn.LSTM) for m in model.body)


def jet_grasp(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, grads: dict[int, torch.Tensor], n: int
) -> float:
    """grasp ``= −Wᵀ H g`` of the loss ``Σ ℓ(x, y) / n`` over one chunk of the batch.

    Args:
        model: a model `jet_supported` accepts, in scoring state.
        x: the chunk (N, C, T) the model takes.
        y: its labels.
        grads: ``id(weight)`` → ``g`` (the full batch's gradient) for every counted weight;
            the counted weights are exactly these keys.
        n: the full batch size (the loss is a sum over the chunk divided by ``n``).

    Returns:
        This chunk's share of grasp (shares of the chunks add up to the batch's value).
    """
    with torch.no_grad():
        jet = _rows(x.permute(2, 0, 1))  # (T, 4, N, C): time-major, each step contiguous
        moving = False  # whether any tangent row of `jet` can be non-zero
        for layer in model.body:
            if isinstance(layer, nn.LSTM):
                jet, moving = _lstm(layer, jet, moving, grads)
        jet = jet[-1]  # last time step: (4, N, hidden)
        for m in model.head:
            if isinstance(m, nn.Linear):
                jet = _linear(jet, m.weight, m.bias, grads, moving)
                moving = moving or id(m.weight) in grads
            elif isinstance(m, nn.ReLU):
                jet = jet * (jet[VALUE] > 0)
        return -float(_cross_entropy_mixed(jet, y).double() / n)


def _cross_entropy_mixed(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``Σ_n ∂²ℓ_n/∂ε∂δ`` of the cross-entropy at the logit jet ``z`` (4, N, K)."""
    p = torch.softmax(z[VALUE], 1)
    residual = p - F.one_hot(y, p.shape[1]).to(p.dtype)  # ∂ℓ/∂z
    pu, pv = p * z[ALONG_U], p * z[ALONG_V]
    quadratic = (pu * z[ALONG_V]).sum() - (pu.sum(1) * pv.sum(1)).sum()
    return quadratic + (residual * z[MIXED]).sum()


def _linear(jet, weight, bias, grads, moving: bool, *, scale=None, out=None) -> torch.Tensor:
    """``a ↦ a Wᵀ + b`` on a jet (…, 4, N, in) → (…, 4, N, out); ``u = W``, ``v = g`` when W
    is counted.

    The value and ``ε`` rows of the product with ``u = W`` are rows of the product with ``W``;
    only ``g`` needs matmuls of its own (value and ``ε`` rows; the value row alone when the
    input is constant, ``moving`` false). `scale` multiplies the output features (the LSTM's
    doubled cell-gate rows); `out`, a buffer of the output's shape to write into.
    """
    w = weight if scale is None else weight * scale[:, None]
    shape = (*jet.shape[:-1], w.shape[0])
    out = jet.new_empty(shape) if out is None else out
    if moving:
        torch.matmul(jet, w.t(), out=out)
    else:
        torch.matmul(jet[..., VALUE, :, :], w.t(), out=out[..., VALUE, :, :])
        out[..., ALONG_U:, :, :] = 0
    if id(weight) in grads:
        out[..., ALONG_U::2, :, :] += out[..., VALUE::2, :, :]  # x₀Wᵀ to ε, x₂Wᵀ to mixed
        g = grads[id(weight)] if scale is None else grads[id(weight)] * scale[:, None]
        if moving:  # x₀gᵀ to the δ row, x₁gᵀ to the mixed row
            out[..., ALONG_V:, :, :] += jet[..., VALUE:ALONG_V, :, :] @ g.t()
        else:
            out[..., ALONG_V, :, :] += jet[..., VALUE, :, :] @ g.t()
    if bias is not None:
        out[..., VALUE, :, :] += bias
    return out


def _rows(value: torch.Tensor) -> torch.Tensor:
    """The jet of a constant `value` (…, N, F): (…, 4, N, F) with zero tangent rows."""
    out = value.new_zeros(*value.shape[:-2], 4, *value.shape[-2:])
    out[..., VALUE, :, :] = value
    return out


def _lstm(module: nn.LSTM, jet: torch.Tensor, moving: bool, grads) -> tuple[torch.Tensor, bool]:
    """Every layer of an ``nn.LSTM`` on a time-major jet (T, 4, N, C) → (T, 4, N, H)."""
    for k in range(module.num_layers):
        counted = id(getattr(module, f"weight_ih_l{k}")) in grads
        if not moving and not counted:  # nothing moves through this layer: values only
            jet = _constant_sequence(module, k, jet)
            continue
        jet = _lstm_layer(module, k, jet, moving, grads)
        moving = True
    return jet, moving


def _constant_sequence(module: nn.LSTM, k: int, jet: torch.Tensor) -> torch.Tensor:
    """Layer `k` on a jet without tangents: the library's kernel on the values."""
    kinds = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if module.bias else ())
    params = [getattr(module, f"{kind}_l{k}") for kind in kinds]
    values = jet[:, VALUE]  # (T, N, C)
    zeros = values.new_zeros(1, values.shape[1], module.hidden_size)
    out = torch._VF.lstm(values, (zeros, zeros), params, module.bias, 1, 0.0, False, False, False)
    return _rows(out[0])


def _lstm_layer(module: nn.LSTM, k: int, x: torch.Tensor, moving: bool, grads) -> torch.Tensor:
    """One LSTM layer on a time-major jet (T, 4, N, C) → (T, 4, N, H).

    Gate order i, f, g, o. The cell gate is taken as ``tanh(z) = 2σ(2z) − 1`` with its rows of
    weights, gradients and biases doubled, so one sigmoid jet covers the four gates. The input
    projection is taken a block of steps at a time into one reused buffer.
    """
    w_ih, w_hh = getattr(module, f"weight_ih_l{k}"), getattr(module, f"weight_hh_l{k}")
    hidden = module.hidden_size
    scale = torch.ones(4 * hidden, dtype=x.dtype, device=x.device)
    scale[2 * hidden : 3 * hidden] = 2.0
    bias = None
    if module.bias:
        bias = (getattr(module, f"bias_ih_l{k}") + getattr(module, f"bias_hh_l{k}")) * scale
    w_t = (w_hh * scale[:, None]).t()
    g_t = (grads[id(w_hh)] * scale[:, None]).t() if id(w_hh) in grads else None
    steps, _, n, _ = x.shape
    block = max(1, min(steps, _BLOCK_BYTES // (4 * n * 4 * hidden * x.element_size())))
    buffer = x.new_empty(block, 4, n, 4 * hidden)
    h = c = x.new_zeros(4, n, hidden)  # the state jets
    out = x.new_empty(steps, 4, n, hidden)
    gates = x.new_empty(4, n, 4 * hidden)
    for start in range(0, steps, block):
        part = x[start : start + block]
        projection = _linear(part, w_ih, bias, grads, moving, scale=scale,
                             out=buffer[: len(part)])  # fmt: skip
        for t, p in enumerate(projection, start):
            c, h = _lstm_step(h, c, p, w_t, g_t, gates, hidden, out[t])
    return out


def _lstm_step(h, c, projection, w_t, g_t, gates, hidden: int, out) -> torch.Tensor:
    """One time step from the ``h`` and ``c`` jets: writes the new ``h`` into `out` and returns
    the new ``c``."""
    recurrent = h @ w_t  # (4, N, 4H): h_k W_hhᵀ for every row k
    z = recurrent + projection
    if g_t is not None:  # W_hh counted: u = W_hh adds h₀, h₂ W_hhᵀ; v = g adds h₀, h₁ gᵀ
        z[ALONG_U::2] += recurrent[VALUE::2]
        z[ALONG_V:] += h[VALUE:ALONG_V] @ g_t
    i, f, s, o = _sigmoid(z, gates).split(hidden, 2)
    c = _product(f, c).add_(_product(i, s), alpha=2.0).sub_(i)  # i·(2s − 1) = 2 i·s − i
    return c, _product(o, _tanh(c), out=out)


def _sigmoid(z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """The jet of ``σ(z)``: σ′ = s(1 − s), σ″ = σ′(1 − 2s)."""
    s = torch.sigmoid(z[VALUE], out=out[VALUE])
    d1 = torch.addcmul(s, s, s, value=-1.0)
    d2 = torch.addcmul(d1, s, d1, value=-2.0)
    torch.mul(d2, z[ALONG_U], out=out[MIXED]).mul_(z[ALONG_V]).addcmul_(d1, z[MIXED])
    torch.mul(z[ALONG_U:MIXED], d1, out=out[ALONG_U:MIXED])
    return out


def _tanh(z: torch.Tensor) -> torch.Tensor:
    """The jet of ``tanh(z)``: tanh′ = 1 − t², tanh″ = −2 t tanh′."""
    out = torch.empty_like(z)
    t = torch.tanh(z[VALUE], out=out[VALUE])
    d1 = torch.mul(t, t).neg_().add_(1.0)
    torch.mul(t, d1, out=out[MIXED]).mul_(z[ALONG_U]).mul_(z[ALONG_V]).mul_(-2.0)
    out[MIXED].addcmul_(d1, z[MIXED])
    torch.mul(z[ALONG_U:MIXED], d1, out=out[ALONG_U:MIXED])
    return out


def _product(a: torch.Tensor, b: torch.Tensor, out=None) -> torch.Tensor:
    """The jet of ``a · b``: ``[a b, a₁b + ab₁, a₂b + ab₂, a₁₂b + a₁b₂ + a₂b₁ + ab₁₂]``."""
    out = torch.mul(a, b[VALUE], out=out)
    out[ALONG_U:].addcmul_(b[ALONG_U:], a[VALUE])
    out[MIXED].addcmul_(a[ALONG_U], b[ALONG_V]).addcmul_(a[ALONG_V], b[ALONG_U])
    return out
