"""One chunk of the fused engine's first pass: the forward and the backward passes on its graph.

`first_pass_chunk` runs steps 1, 2 and 4 of `zcphar.proxies.fused` (and step 3, grasp, when the
batch is one chunk) and adds its share to a `ChunkPass`.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from zcphar.proxies.coverage import counted_modules, counted_weights
from zcphar.proxies.fisher import channel_sums, module_activation
from zcphar.proxies.grasp import grasp_of, hessian_grad_double_backward
from zcphar.proxies.recurrent import library_lstms_remain, lstm_grasp_guard, unrolled_lstms
from zcphar.proxies.saliency import LINEAR_IN_WEIGHT, grasp_by_saliency_gradient, saliency_terms


@dataclass
class ChunkPass:
    """Accumulators of the chunked first pass (sums over chunks)."""

    grads: list[torch.Tensor] | None = None
    squared: list[torch.Tensor] | None = None
    jacobian: list[torch.Tensor] = field(default_factory=list)
    grasp: float | None = None  # taken inside the first pass (single chunk)
    hg_seconds: float = 0.0  # its time, charged to grasp
    errors: dict[str, str] = field(default_factory=dict)  # proxies that failed alone


def add_parts(total: list[torch.Tensor] | None, part: Sequence[torch.Tensor]) -> list[torch.Tensor]:
    """Element-wise sum of two lists of tensors (`total` None: `part`)."""
    return list(part) if total is None else [a + b for a, b in zip(total, part, strict=True)]


def chunk_slices(n: int, chunk_size: int | None) -> list[slice]:
    """Slices cutting `n` samples into chunks of `chunk_size` (None: one chunk)."""
    size = n if not chunk_size or chunk_size >= n else chunk_size
    return [slice(i, min(i + size, n)) for i in range(0, n, size)]


def first_pass_chunk(model, xc, yc, n, want, acc: ChunkPass, coverage, graph_grasp) -> None:
    """Forward + first-order gradients (+ grasp on the same graph) + input Jacobian, one chunk.

    `graph_grasp`: None, or how grasp is taken from this chunk's graph (``saliency`` or
    ``double_backward``; single-chunk batches only). A failure of fisher's activations or of
    grasp is recorded in ``acc.errors`` for that proxy alone."""
    counted = counted_modules(model, coverage)
    weights = counted_weights(model, coverage) if want["grads"] else []
    saliency = graph_grasp == "saliency"
    watched = [c.module for c in counted if want["fisher"] or (saliency and _reads_output(c))]
    outputs: dict[nn.Module, list[torch.Tensor]] = {m: [] for m in watched}
    versions: dict[int, int] = {}

    def keep(module: nn.Module, inputs, output) -> None:
        outputs[module].append(output)
        versions[id(output)] = getattr(output, "_version", 0)

    # prepend: see the module's own output, before any other hook replaces it
    hooks = [m.register_forward_hook(keep, prepend=True) for m in watched]
    xc = xc.detach().requires_grad_(want["jacob"])
    try:
        with (
            lstm_grasp_guard(model, bool(graph_grasp) and library_lstms_remain(model)),
            unrolled_lstms(model, bool(graph_grasp)) as unrolled,
        ):
            out = model(xc)  # (n_chunk, K)
    finally:
        for h in hooks:
            h.remove()
    acts = _fisher_activations(counted if want["fisher"] else [], outputs, acc)
    linear = [c for c in counted if saliency and _reads_output(c) and _untouched(
        outputs[c.module], versions)]  # fmt: skip
    traces = unrolled.complete([c.module for c in counted]) if saliency else []
    targets = _distinct(weights + [a for per_module in acts for a in per_module]
                        + [outputs[c.module][0] for c in linear]
                        + [t.projection for t in traces])  # fmt: skip
    targets = [t for t in targets if t.requires_grad]
    if targets:
        loss = F.cross_entropy(out, yc, reduction="sum") / n
        found = torch.autograd.grad(
            loss,
            targets,
            retain_graph=want["jacob"] or bool(graph_grasp),
            create_graph=bool(graph_grasp),
            allow_unused=True,
        )
        grad_of = {id(t): g for t, g in zip(targets, found, strict=True) if g is not None}
        g_w = [grad_of.get(id(w), torch.zeros_like(w)) for w in weights]
        acc.grads = add_parts(acc.grads, [g.detach() for g in g_w])
        if want["fisher"] and "fisher" not in acc.errors:
            acc.squared = add_parts(acc.squared, _squared_channel_sums(counted, acts, grad_of, out))
        if graph_grasp and "grasp" not in acc.errors:
            start = time.perf_counter()
            try:
                acc.grasp = _graph_grasp(graph_grasp, counted, linear, traces, outputs,
                                         grad_of, weights, acc.grads, want["jacob"])  # fmt: skip
            except torch.OutOfMemoryError:
                raise
            except Exception as err:  # grasp alone fails (e.g. a once-differentiable op)
                acc.errors["grasp"] = f"{type(err).__name__}: {err}"
            acc.hg_seconds += time.perf_counter() - start
    if want["jacob"]:
        (jac,) = torch.autograd.grad(out, xc, torch.ones_like(out))
        acc.jacobian.append(jac.detach())


def _graph_grasp(method, counted, linear, traces, outputs, grad_of, weights, grads, retain):
    """grasp from the graph of the first-order pass, by `method` (see `choose_hvp`)."""
    grad_of = _Zeros(grad_of)
    if method == "saliency" and len({id(w) for w in weights}) == len(weights):
        terms = saliency_terms(counted, linear, traces, outputs, grad_of)
        return grasp_by_saliency_gradient(terms, grads, weights, retain)
    graded = [grad_of[id(w)] for w in weights]  # tied weights: the vector H g, as per-proxy
    return grasp_of(weights, hessian_grad_double_backward(graded, grads, weights, retain))


class _Zeros(dict):
    """``id(tensor)`` → gradient, with a zero for a tensor the loss does not reach."""

    def __init__(self, found: dict[int, torch.Tensor]) -> None:
        super().__init__(found)

    def __missing__(self, key: int) -> torch.Tensor:
        return torch.zeros(())


def _reads_output(c) -> bool:
    """Whether grasp's saliency term of this counted module can be read at its output."""
    return type(c.module) in LINEAR_IN_WEIGHT


def _untouched(outputs: list[torch.Tensor], versions: dict[int, int]) -> bool:
    """One call whose output was not modified in place afterwards (e.g. ReLU(inplace=True))."""
    return len(outputs) == 1 and outputs[0]._version == versions[id(outputs[0])]


def _fisher_activations(counted, outputs, acc: ChunkPass) -> list[list[torch.Tensor]]:
    """Per counted module, the activations fisher reads (one per call); on failure, fisher's
    error is recorded and nothing is read."""
    try:
        return [[module_activation(c.module, o) for o in outputs[c.module]] for c in counted]
    except Exception as err:
        acc.errors["fisher"] = f"{type(err).__name__}: {err}"
        return []


def _squared_channel_sums(counted, acts, grad_of, out) -> list[torch.Tensor]:
    """Per counted module, ``Σ_n s²_{n,k}`` summed over its calls (zeros if never called)."""
    squared = []
    for c, per_module in zip(counted, acts, strict=True):
        total = torch.zeros(_channels(c.module), dtype=out.dtype, device=out.device)
        for a in per_module:
            if id(a) in grad_of:
                total = total + channel_sums(c.module, a, grad_of[id(a)].detach()).pow(2).sum(0)
        squared.append(total)
    return squared


def _channels(module: nn.Module) -> int:
    return module.hidden_size if isinstance(module, nn.LSTM) else module.weight.shape[0]


def _distinct(tensors: list[torch.Tensor]) -> list[torch.Tensor]:
    return list({id(t): t for t in tensors}.values())
