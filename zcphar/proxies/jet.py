"""grasp and synflow of the search space's LSTM networks by forward mode (jets), no graph.

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

synflow is a first-order jet of two rows on the float64 ``|θ|`` network with an all-ones input:
every activation there is non-negative and non-decreasing in every weight, so ``∂R/∂W ≥ 0``
and ``Σ |W ⊙ ∂R/∂W| = Σ W ⊙ ∂R/∂W = dR(|θ| + ε|W|)/dε``, one forward sweep instead of a
per-step forward and backward of a batch of one.

Applies to the search space's `LSTMNet` as built (`jet_supported`): a body of ``nn.LSTM``
(unidirectional, no projection, no inter-layer dropout) and inactive ``nn.Dropout``, a head of
``nn.Linear`` / ``nn.ReLU`` / inactive dropout / ``nn.Identity`` (those exact types), no forward
or backward hooks, no tied weights. Anything else (active dropout, a model of one's own) takes
the reverse-mode forms.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

# A jet stacks on its jet axis (…, rows, N, F): value, along u = W, along v = g, mixed (four
# rows), or value and along u (two rows, first order).
VALUE, ALONG_U, ALONG_V, MIXED = range(4)
_BLOCK_BYTES = 2**21  # the input projection of a layer is taken about this many bytes at a time


_DROPOUTS = (nn.Dropout, nn.Dropout1d, nn.Dropout2d, nn.Dropout3d, nn.AlphaDropout)


def _inactive(m: nn.Module) -> bool:
    """An identity as called: ``nn.Identity``, or library dropout at p = 0 or in eval mode."""
    return type(m) is nn.Identity or (type(m) in _DROPOUTS and (m.p == 0 or not m.training))


def _plain_lstm(m: nn.Module) -> bool:
    return (
        type(m) is nn.LSTM
        and m.batch_first
        and not m.bidirectional
        and m.proj_size == 0
        and (m.num_layers == 1 or m.dropout == 0 or not m.training)
    )


def _hooked(m: nn.Module) -> bool:
    """Whether anything but the class's own forward and backward runs when `m` is called."""
    hooks = (m._forward_hooks, m._forward_pre_hooks, m._backward_hooks, m._backward_pre_hooks)
    return any(hooks) or "forward" in vars(m)


def _global_hooks() -> bool:
    module = nn.modules.module
    return any((module._global_forward_hooks, module._global_forward_pre_hooks,
                module._global_backward_hooks, module._global_backward_pre_hooks))  # fmt: skip


def _tied(model: nn.Module) -> bool:
    """Whether one parameter tensor stands under two names (tied weights)."""
    return len(list(model.named_parameters(remove_duplicate=False))) != len(
        list(model.parameters())
    )


def jet_supported(model: nn.Module) -> bool:
    """Whether `jet_grasp` reproduces ``model``'s forward: the search space's `LSTMNet` with its
    own forward, every dropout inactive (p = 0 or eval), no hooks, no tied weights."""
    from zcphar.space.families.lstm import LSTMNet  # the space builds on the proxies' helpers

    if type(model) is not LSTMNet or _global_hooks() or _tied(model):
        return False
    if any(map(_hooked, model.modules())):
        return False
    body_ok = all(_plain_lstm(m) or _inactive(m) for m in model.body)
    head = model.head
    head_ok = isinstance(head, nn.Sequential) and all(
        type(m) in (nn.Linear, nn.ReLU) or _inactive(m) for m in head
    )
    return body_ok and head_ok and any(isinstance(m, nn.LSTM) for m in model.body)


@dataclass(frozen=True)
class _Sweep:
    """What one jet sweep differentiates along.

    Attributes:
        value_of: a parameter's value in the sweep (itself, or ``|θ|`` in float64 for synflow).
        along_u: ``id`` of the parameters whose direction ``u`` is their own value.
        along_v: ``id`` → direction ``v`` (empty for first-order jets).
    """

    value_of: Callable[[torch.Tensor], torch.Tensor]
    along_u: frozenset[int]
    along_v: dict[int, torch.Tensor] = field(default_factory=dict)

    def weight(self, module: nn.Module, name: str):
        """``(value, u counted, v or None)`` of a module's weight."""
        p = getattr(module, name)
        return self.value_of(p), id(p) in self.along_u, self.along_v.get(id(p))


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
    sweep = _Sweep(lambda p: p, frozenset(grads), grads)
    with torch.no_grad():
        logits = _forward(model, x, sweep, rows=4)
        return -float(_cross_entropy_mixed(logits, y).double() / n)


def jet_synflow(model: nn.Module, sample_shape: torch.Size, counted: list[torch.Tensor]) -> float:
    """synflow ``Σ |W ⊙ ∂R/∂W|`` of the counted weights, as ``dR(|θ| + ε|W|)/dε`` in float64.

    Args:
        model: a model `jet_supported` accepts (it has no BatchNorm: synflow = synflow_bn).
        sample_shape: the shape (C, T) of one input window.
        counted: the counted weights.
    """
    sweep = _Sweep(lambda p: p.detach().abs().double(), frozenset(id(w) for w in counted))
    device = counted[0].device if counted else torch.device("cpu")
    ones = torch.ones((1, *sample_shape), dtype=torch.float64, device=device)
    with torch.no_grad():
        logits = _forward(model, ones, sweep, rows=2)
        return float(logits[ALONG_U].sum())


def _forward(model: nn.Module, x: torch.Tensor, sweep: _Sweep, rows: int) -> torch.Tensor:
    """`LSTMNet.forward` on jets: (N, C, T) → the logit jet (rows, N, K)."""
    jet = _rows(x.permute(2, 0, 1), rows)  # (T, rows, N, C): time-major, each step contiguous
    moving = False  # whether any tangent row of `jet` can be non-zero
    for layer in model.body:
        if isinstance(layer, nn.LSTM):
            jet, moving = _lstm(layer, jet, moving, sweep)
    jet = jet[-1]  # last time step: (rows, N, hidden)
    for m in model.head:
        if isinstance(m, nn.Linear):
            weight, counted, v = sweep.weight(m, "weight")
            bias = None if m.bias is None else sweep.value_of(m.bias)
            jet = _linear(jet, weight, bias, counted, v, moving)
            moving = moving or counted
        elif isinstance(m, nn.ReLU):
            jet = jet * (jet[VALUE] > 0)
    return jet


def _cross_entropy_mixed(z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """``Σ_n ∂²ℓ_n/∂ε∂δ`` of the cross-entropy at the logit jet ``z`` (4, N, K)."""
    p = torch.softmax(z[VALUE], 1)
    residual = p - F.one_hot(y, p.shape[1]).to(p.dtype)  # ∂ℓ/∂z
    pu, pv = p * z[ALONG_U], p * z[ALONG_V]
    quadratic = (pu * z[ALONG_V]).sum() - (pu.sum(1) * pv.sum(1)).sum()
    return quadratic + (residual * z[MIXED]).sum()


def _linear(jet, weight, bias, counted: bool, v, moving: bool, out=None) -> torch.Tensor:
    """``a ↦ a Wᵀ + b`` on a jet (…, rows, N, in) → (…, rows, N, out), with the directions
    ``u = W`` (when `counted`) and ``v`` (when given) on ``W``.

    The value and ``ε`` rows of the product with ``u = W`` are rows of the product with ``W``;
    only ``v`` needs matmuls of its own (value and ``ε`` rows; the value row alone when the
    input is constant, ``moving`` false). `out`: a buffer of the output's shape to write into.
    """
    out = jet.new_empty(*jet.shape[:-1], weight.shape[0]) if out is None else out
    if moving:
        torch.matmul(jet, weight.t(), out=out)
    else:
        torch.matmul(jet[..., VALUE, :, :], weight.t(), out=out[..., VALUE, :, :])
        out[..., ALONG_U:, :, :] = 0
    if counted:
        out[..., ALONG_U::2, :, :] += out[..., VALUE::2, :, :]  # x₀Wᵀ to ε, x₂Wᵀ to mixed
    if v is not None:
        if moving:  # x₀vᵀ to the δ row, x₁vᵀ to the mixed row
            out[..., ALONG_V:, :, :] += jet[..., VALUE:ALONG_V, :, :] @ v.t()
        else:
            out[..., ALONG_V, :, :] += jet[..., VALUE, :, :] @ v.t()
    if bias is not None:
        out[..., VALUE, :, :] += bias
    return out


def _rows(value: torch.Tensor, rows: int) -> torch.Tensor:
    """The jet of a constant `value` (…, N, F): (…, rows, N, F) with zero tangent rows."""
    out = value.new_zeros(*value.shape[:-2], rows, *value.shape[-2:])
    out[..., VALUE, :, :] = value
    return out


def _lstm(module: nn.LSTM, jet: torch.Tensor, moving: bool, sweep: _Sweep):
    """Every layer of an ``nn.LSTM`` on a time-major jet (T, rows, N, C) → (T, rows, N, H);
    also whether its tangent rows can be non-zero."""
    for k in range(module.num_layers):
        names = (f"weight_ih_l{k}", f"weight_hh_l{k}")
        if not moving and not any(id(getattr(module, n)) in sweep.along_u for n in names):
            jet = _constant_sequence(module, k, jet, sweep)  # nothing moves: values only
            continue
        jet = _lstm_layer(module, k, jet, moving, sweep)
        moving = True
    return jet, moving


def _constant_sequence(module: nn.LSTM, k: int, jet: torch.Tensor, sweep: _Sweep):
    """Layer `k` on a jet without tangents: the library's kernel on the values."""
    kinds = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if module.bias else ())
    params = [sweep.value_of(getattr(module, f"{kind}_l{k}")) for kind in kinds]
    values = jet[:, VALUE]  # (T, N, C)
    zeros = values.new_zeros(1, values.shape[1], module.hidden_size)
    out = torch._VF.lstm(values, (zeros, zeros), params, module.bias, 1, 0.0, False, False, False)
    return _rows(out[0], jet.shape[1])


def _lstm_layer(module: nn.LSTM, k: int, x: torch.Tensor, moving: bool, sweep: _Sweep):
    """One LSTM layer on a time-major jet (T, rows, N, C) → (T, rows, N, H).

    Gate order i, f, g, o: one sigmoid jet over all four blocks (the cell block's is unused)
    and a tanh jet for the cell gate. (Not ``tanh(z) = 2σ(2z) − 1``: exact in value, but in
    float32 it loses the relative precision of small cell values, up to 5e-4 on grasp.) The
    input projection is taken a block of steps at a time into one reused buffer.
    """
    hidden = module.hidden_size
    w_ih, ih_counted, v_ih = sweep.weight(module, f"weight_ih_l{k}")
    w_hh, hh_counted, v_hh = sweep.weight(module, f"weight_hh_l{k}")
    bias = None
    if module.bias:
        biases = [
            sweep.value_of(getattr(module, f"{kind}_l{k}")) for kind in ("bias_ih", "bias_hh")
        ]
        bias = biases[0] + biases[1]
    w_t, v_t = w_hh.t(), None if v_hh is None else v_hh.t()
    steps, rows, n, _ = x.shape
    block = max(1, min(steps, _BLOCK_BYTES // (rows * n * 4 * hidden * x.element_size())))
    buffer = x.new_empty(block, rows, n, 4 * hidden)
    h = c = x.new_zeros(rows, n, hidden)  # the state jets
    out = x.new_empty(steps, rows, n, hidden)
    gates = x.new_empty(rows, n, 4 * hidden)
    for start in range(0, steps, block):
        part = x[start : start + block]
        projection = _linear(part, w_ih, bias, ih_counted, v_ih, moving, buffer[: len(part)])
        for t, p in enumerate(projection, start):
            c, h = _lstm_step(h, c, p, w_t, hh_counted, v_t, gates, hidden, out[t])
    return out


def _lstm_step(h, c, projection, w_t, counted: bool, v_t, gates, hidden: int, out):
    """One time step from the ``h`` and ``c`` jets: writes the new ``h`` into `out`; returns
    the new ``c`` and ``h``."""
    recurrent = h @ w_t  # (rows, N, 4H): h_k W_hhᵀ for every row k
    z = recurrent + projection
    if counted:  # u = W_hh adds h₀ W_hhᵀ to the ε row, h₂ W_hhᵀ to the mixed row
        z[ALONG_U::2] += recurrent[VALUE::2]
    if v_t is not None:  # v adds h₀ vᵀ to the δ row, h₁ vᵀ to the mixed row
        z[ALONG_V:] += h[VALUE:ALONG_V] @ v_t
    i, f, _, o = _sigmoid(z, gates).split(hidden, 2)  # σ of the cell rows is not used
    g = _tanh(z[..., 2 * hidden : 3 * hidden].contiguous())
    c = _product(f, c).add_(_product(i, g))
    return c, _product(o, _tanh(c), out=out)


def _sigmoid(z: torch.Tensor, out: torch.Tensor) -> torch.Tensor:
    """The jet of ``σ(z)``: σ′ = s(1 − s), σ″ = σ′(1 − 2s)."""
    s = torch.sigmoid(z[VALUE], out=out[VALUE])
    d1 = torch.addcmul(s, s, s, value=-1.0)
    torch.mul(z[ALONG_U:MIXED], d1, out=out[ALONG_U:MIXED])
    if len(z) == 4:
        _, z1, z2, z3 = z.unbind(0)
        d2 = torch.addcmul(d1, s, d1, value=-2.0).mul_(z1)
        torch.addcmul(d1 * z3, d2, z2, out=out[MIXED])
    return out


def _tanh(z: torch.Tensor) -> torch.Tensor:
    """The jet of ``tanh(z)``: tanh′ = 1 − t², tanh″ = −2 t tanh′."""
    out = torch.empty_like(z)
    t = torch.tanh(z[VALUE], out=out[VALUE])
    d1 = torch.addcmul(t.new_ones(()), t, t, value=-1.0)
    torch.mul(z[ALONG_U:MIXED], d1, out=out[ALONG_U:MIXED])
    if len(z) == 4:
        _, z1, z2, z3 = z.unbind(0)
        d2 = (t * d1).mul_(z1)
        torch.addcmul(d1 * z3, d2, z2, value=-2.0, out=out[MIXED])
    return out


def _product(a: torch.Tensor, b: torch.Tensor, out=None) -> torch.Tensor:
    """The jet of ``a · b``: ``[a b, a₁b + ab₁, a₂b + ab₂, a₁₂b + a₁b₂ + a₂b₁ + ab₁₂]``."""
    rows_a, rows_b = a.unbind(0), b.unbind(0)
    out = torch.mul(a, rows_b[VALUE], out=out)
    out[ALONG_U:].addcmul_(b[ALONG_U:], rows_a[VALUE])
    if len(a) == 4:
        mixed = out[MIXED]
        mixed.addcmul_(rows_a[ALONG_U], rows_b[ALONG_V]).addcmul_(rows_a[ALONG_V], rows_b[ALONG_U])
    return out
