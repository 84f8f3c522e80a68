"""SynFlow (``synflow``, ``synflow_bn``): data-free path-norm saliency. Higher is better.

Tanaka et al., "Pruning neural networks without any data by iteratively conserving synaptic
flow", NeurIPS 2020, as used by Abdelfattah et al. (foresight): every parameter and buffer
replaced by its absolute value, float64, input all ones of shape ``[1, *sample_shape]``,
``R = Σ output``, score ``Σ |W ⊙ dR/dW|``. ``synflow`` bypasses BatchNorm (identity);
``synflow_bn`` keeps it (train mode, batch statistics of the single all-ones sample). Values
reach 1e40+ on deep nets: they stay float64; rank and plot them as log10.

`synflow_of` is the fused form: one ``torch.func.functional_call`` on a dict of ``|θ|`` tensors,
no deep copy and no change to the model. The registered per-proxy functions follow the
reference instead: a float64 copy made absolute in place, BatchNorm replaced by ``Identity``.
"""

from __future__ import annotations

import copy

import torch
from torch import nn

from zcphar.proxies.coverage import counted_weight_names, counted_weights
from zcphar.proxies.registry import proxy

_BatchNorm = nn.modules.batchnorm._BatchNorm


def _absolute(t: torch.Tensor) -> torch.Tensor:
    t = t.detach()
    return t.abs().double() if t.is_floating_point() else t.abs()


def synflow_of(model: nn.Module, sample_shape: torch.Size, coverage: str, bypass_bn: bool) -> float:
    """SynFlow by one float64 batch-of-one functional call on ``|θ|`` (model left untouched).

    Args:
        model: the model, in scoring state (train mode).
        sample_shape: shape of one input sample, e.g. (C, T).
        coverage: which weights are summed.
        bypass_bn: replace every BatchNorm's output by its input (``synflow``).
    """
    names = counted_weight_names(model, coverage)
    params = {n: _absolute(p).requires_grad_(n in names) for n, p in model.named_parameters()}
    buffers = {n: _absolute(b) for n, b in model.named_buffers()}
    norms = [m for m in model.modules() if isinstance(m, _BatchNorm)] if bypass_bn else []
    handles = [m.register_forward_hook(lambda m, inputs, out: inputs[0]) for m in norms]
    for m in norms:
        m.training = False  # its output is discarded; eval mode cannot fail on one value
    device = next(iter(params.values())).device if params else torch.device("cpu")
    ones = torch.ones((1, *sample_shape), dtype=torch.float64, device=device)
    try:
        out = torch.func.functional_call(model, {**params, **buffers}, (ones,))
    finally:
        for h in handles:
            h.remove()
        for m in norms:
            m.training = True
    counted = [params[n] for n in names]
    if not counted:
        return 0.0
    grads = torch.autograd.grad(out.sum(), counted, allow_unused=True)
    return sum(
        float((w.detach() * g).abs().sum())
        for w, g in zip(counted, grads, strict=True)
        if g is not None
    )


def _reference_copy(model: nn.Module, bypass_bn: bool) -> nn.Module:
    net = copy.deepcopy(model).double()
    if bypass_bn:
        for name, module in list(net.named_modules()):
            if isinstance(module, _BatchNorm):
                parent, _, leaf = name.rpartition(".")
                setattr(net.get_submodule(parent) if parent else net, leaf, nn.Identity())
    with torch.no_grad():
        for t in net.state_dict().values():
            t.abs_()
    return net


def _synflow_reference(model: nn.Module, x: torch.Tensor, coverage: str, bypass: bool) -> float:
    net = _reference_copy(model, bypass)
    out = net(torch.ones((1, *x.shape[1:]), dtype=torch.float64, device=x.device))
    out.sum().backward()
    return sum(
        float((w.detach() * w.grad).abs().sum())
        for w in counted_weights(net, coverage)
        if w.grad is not None
    )


@proxy("synflow", needs_data=False)
def synflow(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """Synaptic flow of |θ| on an all-ones input, BatchNorm bypassed (data-free)."""
    return _synflow_reference(model, x, coverage, bypass=True)


@proxy("synflow_bn", needs_data=False)
def synflow_bn(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """Synaptic flow of |θ| on an all-ones input, BatchNorm kept (equals synflow without BN)."""
    return _synflow_reference(model, x, coverage, bypass=False)
