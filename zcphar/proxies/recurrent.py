"""nn.LSTM unrolled into plain tensor ops, for the graph that grasp differentiates twice.

The fused engine builds one graph with ``create_graph`` and takes grasp from it (see
`zcphar.proxies.fused`). Through the library LSTM that graph is costly on every backend:
cuDNN cannot double-backward at all, oneDNN's kernel double-backwards slowly, and the native
loop stacks its per-step outputs with ``torch.stack``, whose backward is one ``select`` per
step; differentiating those selects again allocates a zero tensor of the whole sequence per
step (O(T²) memory traffic, ~30 % of the double backward for T = 100).

`unrolled_lstms` swaps, for the duration of a block, the forward of every supported
``nn.LSTM`` of a model (unidirectional, no projection) for `unrolled_forward`: the same
function (gate order i, f, g, o; inter-layer dropout in train mode; the cell gate's tanh taken
as ``2σ(2z) − 1`` so that one sigmoid covers all gates, equal up to rounding), the input
projection of all steps in one matmul, per-step outputs joined by `_StackSteps` (backward: one
``unbind``). It records per layer the projection ``P = x W_ihᵀ + b`` and the gate
pre-activations, from which the fused engine forms ``⟨W_ih, ∂L/∂W_ih⟩ + ⟨W_hh, ∂L/∂W_hh⟩ =
⟨G − b, ∂L/∂P⟩`` (`lstm_saliency`) without differentiating the weight-gradient nodes.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from zcphar.proxies.coverage import has_lstm, model_device


class _StackSteps(torch.autograd.Function):
    """``torch.stack(steps, 1)`` whose backward is a single ``unbind`` (differentiable again)."""

    @staticmethod
    def forward(ctx, *steps: torch.Tensor) -> torch.Tensor:
        return torch.stack(steps, 1)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, ...]:
        return grad.unbind(1)


@dataclass
class LayerTrace:
    """One layer of one unrolled call: the tensors its saliency term needs.

    The g rows are doubled (see `_layer`): ``P``, the gates and the bias are those of the
    doubled weights; ``⟨G − b, ∂L/∂P⟩`` does not change under that row scaling.

    Attributes:
        module: the ``nn.LSTM``.
        layer: the layer index inside it.
        projection: ``P = x W_ihᵀ + b``, (N, T, 4H); ``∂L/∂P`` = ``∂L/∂gates``.
        bias: ``b = b_ih + b_hh`` (None without biases).
        gates: the gate pre-activations of every step, each (N, 4H).
    """

    module: nn.LSTM
    layer: int
    projection: torch.Tensor
    bias: torch.Tensor | None
    gates: list[torch.Tensor] = field(default_factory=list)


@dataclass
class Unrolled:
    """What the unrolled LSTMs recorded inside `unrolled_lstms`: per-layer traces and calls."""

    traces: list[LayerTrace] = field(default_factory=list)
    calls: dict[nn.Module, int] = field(default_factory=dict)

    def complete(self, modules) -> list[LayerTrace]:
        """The traces of those of `modules` called exactly once, every layer unrolled."""
        kept = []
        for m in dict.fromkeys(modules):
            mine = [t for t in self.traces if t.module is m]
            if self.calls.get(m) == 1 and [t.layer for t in mine] == list(range(m.num_layers)):
                kept += mine
        return kept


def supported(module: nn.Module) -> bool:
    """Whether `unrolled_forward` reproduces this module: an ``nn.LSTM`` itself (a subclass may
    change ``forward``), unidirectional, without projection or an instance ``forward``."""
    return (
        type(module) is nn.LSTM
        and not module.bidirectional
        and module.proj_size == 0
        and "forward" not in vars(module)
    )


def library_lstms_remain(model: nn.Module) -> bool:
    """Whether `model` has a recurrent layer that `unrolled_lstms` leaves to the library."""
    return any(isinstance(m, nn.RNNBase) and not supported(m) for m in model.modules())


def _layer(module: nn.LSTM, k: int, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor,
           traces: list[LayerTrace]):  # fmt: skip
    """Layer `k` over a batch-first sequence ``x`` (N, T, C) from state ``h``, ``c`` (N, H).

    The cell gate uses ``tanh(z) = 2σ(2z) − 1``: with the g rows of the weights and biases
    doubled, one sigmoid covers all four gates, and ``c' = f c + i (2σ − 1)``. Fewer graph nodes
    per step make the double backward of small LSTMs 12–20 % faster.
    """
    w_ih, w_hh = getattr(module, f"weight_ih_l{k}"), getattr(module, f"weight_hh_l{k}")
    hidden = module.hidden_size
    scale = torch.ones(4 * hidden, 1, dtype=x.dtype, device=x.device)
    scale[2 * hidden : 3 * hidden] = 2.0
    bias = None
    if module.bias:
        b = getattr(module, f"bias_ih_l{k}") + getattr(module, f"bias_hh_l{k}")
        bias = b * scale[:, 0]
    trace = LayerTrace(module, k, F.linear(x, w_ih * scale, bias), bias)
    w_hh_t = (w_hh * scale).t()
    steps = []
    for p in trace.projection.unbind(1):
        gates = torch.addmm(p, h, w_hh_t)  # i, f, 2g, o pre-activations
        trace.gates.append(gates)
        i, f, g2, o = torch.sigmoid(gates).chunk(4, 1)
        c = torch.addcmul(f * c - i, i, g2, value=2.0)
        h = o * torch.tanh(c)
        steps.append(h)
    traces.append(trace)
    return _StackSteps.apply(*steps), h, c


def unrolled_forward(module: nn.LSTM, record: Unrolled, input: torch.Tensor, hx=None):
    """``module(input, hx)`` by plain tensor ops (the library's for unbatched or packed input).

    Returns what ``nn.LSTM.forward`` returns: ``(output, (h_n, c_n))``.
    """
    record.calls[module] = record.calls.get(module, 0) + 1
    if not isinstance(input, torch.Tensor) or input.dim() != 3:
        return nn.LSTM.forward(module, input, hx)
    x = input if module.batch_first else input.transpose(0, 1)
    n, hidden = x.shape[0], module.hidden_size
    if hx is None:
        zeros = x.new_zeros(module.num_layers, n, hidden)
        hx = (zeros, zeros)
    h_n, c_n = [], []
    for k in range(module.num_layers):
        if k and module.dropout and module.training:
            x = F.dropout(x, module.dropout, training=True)
        x, h, c = _layer(module, k, x, hx[0][k], hx[1][k], record.traces)
        h_n.append(h)
        c_n.append(c)
    out = x if module.batch_first else x.transpose(0, 1).contiguous()
    return out, (torch.stack(h_n), torch.stack(c_n))


@contextmanager
def lstm_grasp_guard(model: nn.Module, active: bool) -> Iterator[None]:
    """Backends for a library LSTM in the forward whose graph grasp differentiates twice (the
    per-proxy path; in the fused path, LSTMs `unrolled_lstms` does not support, see
    `library_lstms_remain`): cuDNN off (it cannot
    double-backward through an LSTM) and, on CPU for models without convolutions, oneDNN off
    (its LSTM graph double-backwards 2-3x slower than the native one; convolutions would be
    far slower without it)."""
    with ExitStack() as stack:
        if active and has_lstm(model):
            stack.enter_context(torch.backends.cudnn.flags(enabled=False))
            convs = any(isinstance(m, nn.modules.conv._ConvNd) for m in model.modules())
            if model_device(model).type == "cpu" and not convs:
                stack.enter_context(warnings.catch_warnings())
                warnings.simplefilter("ignore", UserWarning)  # oneDNN's TF32 notice
                stack.enter_context(torch.backends.mkldnn.flags(enabled=False))
        yield


@contextmanager
def unrolled_lstms(model: nn.Module, active: bool = True) -> Iterator[Unrolled]:
    """Inside the block, every supported ``nn.LSTM`` of `model` runs `unrolled_forward`.

    Yields:
        The `Unrolled` record the calls fill (empty when not `active`).
    """
    record = Unrolled()
    swapped = [m for m in model.modules() if supported(m)] if active else []
    for m in swapped:
        m.forward = lambda input, hx=None, m=m: unrolled_forward(m, record, input, hx)
    try:
        yield record
    finally:
        for m in swapped:
            del m.forward


def lstm_saliency(traces: list[LayerTrace], grad_of: dict[int, torch.Tensor]) -> torch.Tensor:
    """``Σ ⟨W_ih, ∂L/∂W_ih⟩ + ⟨W_hh, ∂L/∂W_hh⟩`` over the traced layers, differentiable.

    Per layer ``x W_ihᵀ + h W_hhᵀ = G − b`` (the gates less both biases) and ``∂L/∂G = ∂L/∂P``,
    so the term is ``⟨G − b, ∂L/∂P⟩``. `grad_of` maps ``id(P)`` to ``∂L/∂P`` (with graph).
    """
    terms = []
    for t in traces:
        gates = torch.stack(t.gates, 1)
        if t.bias is not None:
            gates = gates - t.bias
        terms.append((gates * grad_of[id(t.projection)]).sum())
    return torch.stack(terms).sum()
