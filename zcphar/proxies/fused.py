"""The fused engine: every batch proxy from one forward and the fewest backward-type passes.

Per chunk of the batch (one chunk unless memory says otherwise):

1. one forward, input requiring grad when jacob_cov is asked, forward hooks holding the counted
   modules' outputs (fisher);
2. ``autograd.grad(L, weights + activations)`` → ``g`` and ``dL/da`` → grad_norm, snip, plain,
   fisher. No double-backward graph unless grasp needs it (double-backward plan, one chunk);
3. grasp, exact, from the graph of step 2 (built with create_graph only when grasp is asked;
   the same dropout mask): ``Wᵀ H g = gᵀ ∇φ − ‖g‖²`` with ``φ = Σ ⟨W, ĝ_W⟩``, one reverse
   pass (`grasp_by_saliency_gradient`; for Conv/Linear ``⟨W, ĝ_W⟩ = ⟨a − b, ∂L/∂a⟩``, so the
   weight-gradient nodes are never differentiated). When the batch is chunked, ``H g`` is
   taken chunk by chunk by ``double_backward`` or ``jvp`` (forward-over-reverse; not for
   LSTMs on CPU oneDNN, BatchNorm or active dropout), see `choose_hvp`. The search space's
   LSTM networks (dropout off) take grasp instead by one graph-free jet sweep per chunk
   after step 2 (`zcphar.proxies.jet`), so steps 1–2 run the library LSTM without a graph
   for a second derivative;
4. ``autograd.grad(outputs, x, ones)`` on the same graph → input Jacobian → jacob_cov;

plus one float64 batch-of-one functional call for synflow (once when the model has no
BatchNorm; for the search space's LSTM networks a float64 forward-mode sweep instead,
`zcphar.proxies.jet`). Losses are per-chunk sums divided by the full batch size, so values do
not depend on the chunking (exactly so unless BatchNorm couples the samples of a chunk).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from zcphar.errors import ZcpharError, unknown_choice
from zcphar.proxies.coverage import (
    counted_modules,
    counted_weight_names,
    counted_weights,
    has_batchnorm,
)
from zcphar.proxies.first_pass import ChunkPass, add_parts, chunk_slices, first_pass_chunk
from zcphar.proxies.fisher import fisher_of
from zcphar.proxies.gradient import grad_norm_of, plain_of, snip_of
from zcphar.proxies.grasp import grasp_of, hessian_grad_double_backward, hessian_grad_jvp
from zcphar.proxies.jacob_cov import jacob_cov_of
from zcphar.proxies.jet import jet_grasp, jet_supported, jet_synflow
from zcphar.proxies.recurrent import lstm_grasp_guard, unrolled_lstms
from zcphar.proxies.synflow import synflow_of

FIRST_ORDER = ("grad_norm", "snip", "plain", "fisher")
HVP_CHOICES = ("auto", "saliency", "jet", "double_backward", "jvp")


@dataclass
class FusedOutcome:
    """What the fused engine computed: values, per-proxy failure reasons, seconds per group."""

    values: dict[str, float] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)

    def attempt(self, names: Sequence[str], group: str, fn: Callable[[], dict | None]) -> None:
        """Run one stage; on failure record the reason for each of `names` (out-of-memory is
        re-raised so the caller can retry with smaller chunks)."""
        start = time.perf_counter()
        try:
            self.values.update(fn() or {})
        except torch.OutOfMemoryError:
            raise
        except Exception as err:  # one failing stage must not stop the others
            for name in names:
                self.errors[name] = f"{type(err).__name__}: {err}"
        self.seconds[group] = self.seconds.get(group, 0.0) + time.perf_counter() - start


def choose_hvp(model: nn.Module, dropout: str) -> str:
    """How the fused engine takes grasp by default: ``jet`` for the search space's LSTM
    networks with dropout off (`zcphar.proxies.jet.jet_supported`), ``saliency`` otherwise.

    ``jet``: ``Wᵀ H g`` as the mixed derivative of ``L(θ + εW + δg)`` by second-order forward
    mode, one sweep without a graph; the first-order pass then runs the library LSTM kernel.
    ``saliency``: ``Wᵀ H g = gᵀ ∇φ − ‖g‖²`` by one reverse pass over the graph of the
    first-order pass (one chunk; chunked batches use ``double_backward``).
    ``double_backward``: the vector ``H g`` by reverse-over-reverse on that graph, then
    ``Σ −W ⊙ H g`` (chunk by chunk when chunked).
    ``jvp``: ``H g`` by forward-over-reverse (no LSTM on CPU oneDNN, no BatchNorm, no active
    dropout).
    Measured on CPU with torch 2.13 (docs/benchmarks.md, "Proxy engine"): ``jet`` is the
    cheapest for LSTMs, ``saliency`` for CNNs (it never differentiates the weight-gradient
    nodes; a jet would take five convolutions per layer where it takes four).
    """
    return "jet" if dropout == "off" and jet_supported(model) else "saliency"


def _hessian_grad(model, x, y, grads, coverage, hvp, chunk_size) -> list[torch.Tensor]:
    """``H g`` over the whole batch, chunk by chunk, given the full-batch gradient ``g``."""
    weights = counted_weights(model, coverage)
    names = counted_weight_names(model, coverage)
    n, total = len(x), None
    for part in chunk_slices(n, chunk_size):
        xc, yc = x[part], y[part]
        if hvp == "jvp":
            hv = hessian_grad_jvp(model, xc, yc, dict(zip(names, grads, strict=True)), 1.0 / n)
            total = add_parts(total, [hv[k] for k in names])
            continue
        with lstm_grasp_guard(model, True), unrolled_lstms(model):
            out = model(xc)
        loss = F.cross_entropy(out, yc, reduction="sum") / n
        graded = torch.autograd.grad(loss, weights, create_graph=True, allow_unused=True)
        graded = [
            torch.zeros_like(w) if g is None else g for w, g in zip(weights, graded, strict=True)
        ]
        total = add_parts(total, hessian_grad_double_backward(graded, grads, weights, False))
    return total or []


def fused_scores(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    names: Sequence[str],
    *,
    coverage: str = "extended",
    dropout: str = "off",
    chunk_size: int | None = None,
    hvp: str = "auto",
) -> FusedOutcome:
    """The batch proxies and synflow of `names` by the fused plan (model in scoring state).

    Args:
        model: the model, already in scoring state (see `zcphar.proxies.state`).
        x, y: the batch, on the model's device and dtype.
        names: requested proxies among grad_norm, snip, plain, fisher, grasp, jacob_cov,
            synflow, synflow_bn (others are ignored here).
        coverage: ``extended`` or ``reference``.
        dropout: the policy in force (``jvp`` cannot run with active dropout).
        chunk_size: evaluate the batch in chunks of this many samples (None: one chunk).
        hvp: how grasp is taken: ``auto`` (`choose_hvp`), ``saliency``, ``double_backward``
            or ``jvp``.

    Returns:
        A `FusedOutcome`; out-of-memory propagates (the caller retries with smaller chunks).
    """
    if hvp not in HVP_CHOICES:
        raise unknown_choice("grasp method (hvp)", hvp, HVP_CHOICES)
    if hvp == "jvp" and (dropout == "on" or has_batchnorm(model)):
        raise ZcpharError("hvp='jvp' needs a model without BatchNorm and dropout off; "
                          "use 'saliency' or 'double_backward'")  # fmt: skip
    if hvp == "jet" and not jet_supported(model):
        raise ZcpharError("hvp='jet' needs a search-space LSTM network (LSTMNet) with every "
                          "dropout inactive, no hooks and no tied weights; use 'saliency' or "
                          "'double_backward'")  # fmt: skip
    wanted = set(names)
    result = FusedOutcome()
    hvp = choose_hvp(model, dropout) if hvp == "auto" else hvp
    _batch_values(model, x, y, wanted, coverage, hvp, chunk_size, result)
    _synflow_values(model, x, wanted, coverage, result)
    return result


def _batch_values(model, x, y, wanted, coverage, hvp, chunk_size, result: FusedOutcome) -> None:
    """Everything computed from the real batch: first-order proxies, grasp, jacob_cov."""
    first = [p for p in FIRST_ORDER if p in wanted]
    want = {
        "grads": bool(wanted & {"grad_norm", "snip", "plain", "grasp"}),
        "fisher": "fisher" in wanted,
        "jacob": "jacob_cov" in wanted,
    }
    if not any(want.values()):
        return
    parts = chunk_slices(len(x), chunk_size)
    in_graph = hvp in ("saliency", "double_backward") and len(parts) == 1
    graph_grasp = hvp if "grasp" in wanted and in_graph else None
    acc = ChunkPass()

    def first_pass() -> None:
        for part in parts:
            first_pass_chunk(model, x[part], y[part], len(x), want, acc, coverage, graph_grasp)

    group = "first_order" if first else "jacob_cov"
    result.attempt(first + [p for p in ("grasp", "jacob_cov") if p in wanted], group, first_pass)
    if graph_grasp:
        result.seconds[group] -= acc.hg_seconds
        result.seconds["grasp"] = acc.hg_seconds
    if result.errors:
        return
    result.errors.update(acc.errors)
    first = [p for p in first if p not in acc.errors]
    result.attempt(
        first, "first_order", lambda: _first_order_values(model, acc, first, coverage, len(x))
    )
    if "grasp" in wanted and "grasp" not in acc.errors:
        result.attempt(
            ["grasp"], "grasp", lambda: _grasp_value(model, x, y, acc, coverage, hvp, chunk_size)
        )
    if want["jacob"]:
        result.attempt(
            ["jacob_cov"], "jacob_cov", lambda: {"jacob_cov": jacob_cov_of(torch.cat(acc.jacobian))}
        )


def _first_order_values(model, acc: ChunkPass, first, coverage, n) -> dict[str, float]:
    weights = counted_weights(model, coverage)
    grads = acc.grads or [torch.zeros_like(w) for w in weights]
    found = {
        "grad_norm": lambda: grad_norm_of(grads),
        "snip": lambda: snip_of(weights, grads),
        "plain": lambda: plain_of(weights, grads),
        "fisher": lambda: fisher_of(
            [c.module for c in counted_modules(model, coverage)], acc.squared or [], n
        ),
    }
    return {name: found[name]() for name in first}


def _grasp_value(model, x, y, acc: ChunkPass, coverage, hvp, chunk_size) -> dict[str, float]:
    weights = counted_weights(model, coverage)
    if not weights:
        return {"grasp": 0.0}
    if acc.grasp is not None:
        return {"grasp": acc.grasp}
    if hvp == "jet":
        grads = {id(w): g for w, g in zip(weights, acc.grads, strict=True)}
        parts = chunk_slices(len(x), chunk_size)
        return {"grasp": sum(jet_grasp(model, x[p], y[p], grads, len(x)) for p in parts)}
    hg = _hessian_grad(model, x, y, acc.grads, coverage, hvp, chunk_size)
    return {"grasp": grasp_of(weights, [h.detach() for h in hg])}


def _synflow_values(model, x, wanted, coverage, result: FusedOutcome) -> None:
    shape = x.shape[1:]
    separate_bn = has_batchnorm(model)
    if "synflow" in wanted or ("synflow_bn" in wanted and not separate_bn):
        names = ["synflow"] + (["synflow_bn"] if not separate_bn else [])
        names = [n for n in names if n in wanted]

        def synflow() -> float:
            if jet_supported(model):  # one forward sweep (zcphar.proxies.jet)
                return jet_synflow(model, shape, counted_weights(model, coverage))
            return synflow_of(model, shape, coverage, bypass_bn=True)

        result.attempt(names, "synflow", lambda: dict.fromkeys(names, synflow()))
    if "synflow_bn" in wanted and separate_bn:
        result.attempt(
            ["synflow_bn"],
            "synflow",
            lambda: {"synflow_bn": synflow_of(model, shape, coverage, bypass_bn=False)},
        )
