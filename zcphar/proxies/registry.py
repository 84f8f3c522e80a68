"""The proxy registry: one entry per zero-cost proxy, registered by its family module.

    @proxy("snip", higher_is_better=True, needs_labels=True, group="gradient")
    def snip(model, x, y, *, coverage="extended", val=None) -> float: ...

The decorated function is the *per-proxy* implementation (one proxy, one model copy, as the
references do); the fused engine computes the same values from shared passes. Family modules
live in `zcphar/proxies/` and are imported on first look-up, so a new proxy is one new module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass

from zcphar.errors import unknown_choice

ProxyFn = Callable[..., float]


@dataclass(frozen=True)
class ProxyInfo:
    """A registered proxy.

    Attributes:
        name: literature name (``snip``, ``grasp``, ...), also the stored column name.
        compute: per-proxy implementation ``compute(model, x, y, *, coverage, val) -> float``;
            the model is already a scoring copy (train mode, dropout policy applied).
        higher_is_better: ranking direction of the raw value (False only for ``grasp``).
        needs_labels: uses ``y`` (a loss).
        needs_data: uses the batch ``x`` at all (synflow, params, flops do not).
        second_order: needs a Hessian-vector product.
        needs_val: needs the validation split (``initial_val_f1``).
        group: family the proxy belongs to; the fused engine times work per group.
    """

    name: str
    compute: ProxyFn
    higher_is_better: bool = True
    needs_labels: bool = False
    needs_data: bool = True
    second_order: bool = False
    needs_val: bool = False
    group: str = ""

    @property
    def description(self) -> str:
        """First line of the implementation's docstring."""
        doc = (self.compute.__doc__ or "").strip()
        return doc.splitlines()[0] if doc else ""


_REGISTRY: dict[str, ProxyInfo] = {}
_LOADED = False
_NOT_FAMILIES = {"registry", "ensemble", "engine", "fused", "batch", "coverage", "state", "pool"}


def proxy(
    name: str,
    *,
    higher_is_better: bool = True,
    needs_labels: bool = False,
    needs_data: bool = True,
    second_order: bool = False,
    needs_val: bool = False,
    group: str = "",
) -> Callable[[ProxyFn], ProxyFn]:
    """Decorator registering a per-proxy implementation under `name`.

    Args:
        name: proxy name; registering a name twice is a programming error.
        higher_is_better: direction of the raw value for ranking.
        needs_labels: whether the proxy uses labels.
        needs_data: whether the proxy reads the batch.
        second_order: whether it needs a Hessian-vector product.
        needs_val: whether it needs the validation split.
        group: the proxy family (defaults to the module name).

    Returns:
        The decorator; it returns the function unchanged.
    """

    def wrap(fn: ProxyFn) -> ProxyFn:
        if name in _REGISTRY:
            raise RuntimeError(f"proxy {name!r} registered twice")
        family = group or fn.__module__.rsplit(".", 1)[-1]
        _REGISTRY[name] = ProxyInfo(
            name, fn, higher_is_better, needs_labels, needs_data, second_order, needs_val, family
        )
        return fn

    return wrap


def _import_families() -> None:
    global _LOADED
    if _LOADED:
        return
    import zcphar.proxies as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_") and info.name not in _NOT_FAMILIES:
            importlib.import_module(f"{package.__name__}.{info.name}")
    _LOADED = True


def list_proxies() -> list[str]:
    """Names of every registered proxy, sorted."""
    _import_families()
    return sorted(_REGISTRY)


def get_proxy(name: str) -> ProxyInfo:
    """Look up a proxy by name.

    Args:
        name: a registered proxy name.

    Returns:
        Its `ProxyInfo` (direction, needs, per-proxy implementation).

    Raises:
        ZcpharError: unknown name; the message lists the valid names.
    """
    _import_families()
    if name not in _REGISTRY:
        raise unknown_choice("proxy", name, sorted(_REGISTRY))
    return _REGISTRY[name]
