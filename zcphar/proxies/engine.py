"""`score`: the requested proxies of one model on one batch, by the fused or per-proxy path.

The model is put in scoring state (train mode, dropout policy, every parameter requiring grad)
and given back exactly as found. A proxy that fails or is not finite becomes NaN with a reason;
one bad proxy never raises. Out of memory on the fused path retries with halved chunks.
"""

from __future__ import annotations

import copy
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from zcphar.errors import ZcpharError, unknown_choice
from zcphar.proxies.baselines import count_flops, count_parameters
from zcphar.proxies.coverage import check_coverage, model_device, model_dtype
from zcphar.proxies.fused import fused_scores
from zcphar.proxies.registry import get_proxy, list_proxies
from zcphar.proxies.state import apply_scoring_state, check_dropout, scoring_state
from zcphar.proxies.validation import macro_f1

PATHS = ("fused", "per_proxy")
EXTRAS = ("params", "flops", "initial_val_f1")  # computed outside the batch passes


@dataclass
class ScoreResult:
    """Scores of one model on one batch.

    Attributes:
        values: proxy name → raw value (NaN when it failed or was not finite).
        errors: proxy name → reason, for every NaN value.
        seconds: wall time per proxy group (fused: ``first_order``, ``grasp``, ``jacob_cov``,
            ``synflow``, ``initial_val_f1``, ``counts``; per-proxy: per proxy name).
        coverage, dropout, path: the choices the values depend on.
        batch_size: number of windows in the batch.
        chunk_size: chunk size finally used (after any out-of-memory retry); None = one chunk.
    """

    values: dict[str, float]
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    coverage: str = "extended"
    dropout: str = "off"
    path: str = "fused"
    batch_size: int = 0
    chunk_size: int | None = None


def resolve_names(names: Sequence[str] | None, has_val: bool) -> list[str]:
    """The proxies to compute: `names` validated, or every registered proxy (initial_val_f1
    only when the validation split is given)."""
    if names is None:
        return [n for n in list_proxies() if has_val or not get_proxy(n).needs_val]
    if isinstance(names, str):
        names = [names]
    for name in names:
        if get_proxy(name).needs_val and not has_val:
            raise ZcpharError(f"proxy {name!r} needs the validation split: pass val=(x, y)")
    return list(dict.fromkeys(names))


def _as_batch(model: nn.Module, x, y) -> tuple[torch.Tensor, torch.Tensor]:
    device, dtype = model_device(model), model_dtype(model)
    x = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    y = torch.as_tensor(np.asarray(y) if not isinstance(y, torch.Tensor) else y)
    if x.ndim < 2 or len(x) != len(y) or len(x) == 0:
        raise ZcpharError(
            f"bad batch: x {tuple(x.shape)} and y {tuple(y.shape)}; "
            "expected x (N, ...) and y (N,) with N >= 1"
        )
    return x.to(device=device, dtype=dtype), y.to(device=device, dtype=torch.long)


def _finite(values: dict[str, float | None], errors: dict[str, str]) -> dict[str, float]:
    clean = {}
    for name, value in values.items():
        if name not in errors and value is None:
            errors[name] = "not computed"
        elif name not in errors and not math.isfinite(value):
            errors[name] = f"non-finite value {value}"
        clean[name] = math.nan if name in errors else float(value)
    return clean


def _per_proxy(model, x, y, names, coverage, dropout, val) -> ScoreResult:
    """One proxy at a time, each on its own copy of the model (the references' way)."""
    values, errors, seconds = {}, {}, {}
    for name in names:
        start = time.perf_counter()
        try:
            net = copy.deepcopy(model)
            apply_scoring_state(net, dropout)
            values[name] = get_proxy(name).compute(net, x, y, coverage=coverage, val=val)
        except Exception as err:  # failures become NaN with the reason
            errors[name] = f"{type(err).__name__}: {err}"
        seconds[name] = time.perf_counter() - start
    return ScoreResult(values, errors, seconds, path="per_proxy")


def _fused_with_retry(model, x, y, names, coverage, dropout, chunk_size):
    size = chunk_size
    while True:
        try:
            with scoring_state(model, dropout):
                return fused_scores(
                    model, x, y, names, coverage=coverage, dropout=dropout, chunk_size=size
                ), size
        except torch.OutOfMemoryError:
            current = size or len(x)
            if current <= 1:
                raise
            size = current // 2
            if torch.cuda.is_available():
                torch.cuda.empty_cache()


def _fused(model, x, y, names, coverage, dropout, val, chunk_size) -> ScoreResult:
    try:
        outcome, used = _fused_with_retry(model, x, y, names, coverage, dropout, chunk_size)
    except torch.OutOfMemoryError as err:
        batch_names = [n for n in names if n not in EXTRAS]
        result = ScoreResult({}, dict.fromkeys(batch_names, f"OutOfMemoryError at chunk 1: {err}"))
    else:
        result = ScoreResult(outcome.values, outcome.errors, outcome.seconds, chunk_size=used)
    _extras(model, x, names, val, result)
    return result


def _extras(model, x, names, val, result: ScoreResult) -> None:
    """params, flops and initial_val_f1: outside the batch passes."""
    jobs = {
        "params": lambda: float(count_parameters(model)),
        "flops": lambda: float(count_flops(model, x[:1])),
        "initial_val_f1": lambda: macro_f1(model, *_as_batch(model, *val)),
    }
    for name in (n for n in jobs if n in names):
        group = "initial_val_f1" if name == "initial_val_f1" else "counts"
        start = time.perf_counter()
        try:
            result.values[name] = jobs[name]()
        except Exception as err:  # failures become NaN with the reason
            result.errors[name] = f"{type(err).__name__}: {err}"
        result.seconds[group] = result.seconds.get(group, 0.0) + time.perf_counter() - start


def score_detailed(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    names: Sequence[str] | None = None,
    *,
    coverage: str = "extended",
    dropout: str = "off",
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
    chunk_size: int | None = None,
    path: str = "fused",
) -> ScoreResult:
    """Score one model on one batch, with failure reasons and timings.

    Args:
        model: any ``nn.Module`` mapping x to (N, classes) logits; left exactly as found.
        x: the batch, (N, C, T) for zcphar's models (tensor or array).
        y: (N,) integer labels.
        names: proxies to compute (default: every registered proxy; initial_val_f1 only when
            `val` is given).
        coverage: ``extended`` (Conv1d and LSTM weights counted) or ``reference`` (foresight's
            Conv2d/Linear only).
        dropout: ``off`` (deterministic) or ``on`` (as in MGT).
        val: the validation split ``(x_val, y_val)``, needed by initial_val_f1.
        chunk_size: evaluate the batch in chunks of this many windows (fused path only; values
            do not depend on it unless the model has BatchNorm).
        path: ``fused`` (default) or ``per_proxy`` (one proxy at a time on its own copy).

    Returns:
        A `ScoreResult`.

    Raises:
        ZcpharError: unknown proxy, coverage, dropout policy or path; a malformed batch.
    """
    check_coverage(coverage)
    check_dropout(dropout)
    if path not in PATHS:
        raise unknown_choice("scoring path", path, PATHS)
    if chunk_size is not None and (chunk_size < 1 or path != "fused"):
        raise ZcpharError(f"bad chunk_size {chunk_size!r}; expected >= 1, fused path only")
    names = resolve_names(names, val is not None)
    x, y = _as_batch(model, x, y)
    if path == "per_proxy":
        result = _per_proxy(model, x, y, names, coverage, dropout, val and _as_batch(model, *val))
    else:
        result = _fused(model, x, y, names, coverage, dropout, val, chunk_size)
    result.values = _finite({n: result.values.get(n) for n in names}, result.errors)
    result.errors = {n: result.errors[n] for n in names if n in result.errors}
    result.coverage, result.dropout, result.batch_size = coverage, dropout, len(x)
    return result


def score(
    model: nn.Module,
    x: torch.Tensor,
    y: torch.Tensor,
    names: Sequence[str] | None = None,
    *,
    coverage: str = "extended",
    dropout: str = "off",
    val: tuple[torch.Tensor, torch.Tensor] | None = None,
    chunk_size: int | None = None,
    path: str = "fused",
) -> dict[str, float]:
    """Raw proxy values of one model on one batch (NaN for a failed proxy); see
    `score_detailed` for the arguments."""
    return score_detailed(
        model,
        x,
        y,
        names,
        coverage=coverage,
        dropout=dropout,
        val=val,
        chunk_size=chunk_size,
        path=path,
    ).values
