"""The family registry: one entry per architecture family, registered by its module.

A family is one module in `zcphar/space/families/` holding its spec dataclass, sampler,
builder and counters, ending with one `register_family(Family(...))` call. Every module there
is imported on first look-up, so adding a family touches no other file.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch

from zcphar.errors import ZcpharError, unknown_choice
from zcphar.space.spec import ArchSpec


@dataclass(frozen=True)
class Family:
    """A registered architecture family.

    Attributes:
        name: registry key, also ``spec.family`` and the ``"family"`` key of its JSON.
        paper_type: ``model_type`` used in the paper's tables (``"CNN"``, ``"RNN"``).
        description: one line for `zcphar space`.
        spec_type: the frozen dataclass of its specs.
        from_dict: ``from_dict(d) -> spec``, validating every value.
        draw: ``draw(rng, max_layers, max_width) -> spec``: one uniform draw from the family's
            choices restricted to at most `max_layers` blocks of at most `max_width` units
            (None = no limit); raises ZcpharError if the limits leave no choice.
        smallest: ``smallest(max_width, window) -> list[spec]``: specs among which the fewest
            parameters and the fewest FLOPs of any spec that fits `window` are found (empty if
            none fits); used to tell an impossible constraint from an unlucky one.
        build: ``build(spec, in_channels, num_classes) -> nn.Module``, weights not initialised.
        count_params: ``count_params(spec, in_channels, num_classes) -> int``.
        count_flops: ``count_flops(spec, in_channels, window, num_classes) -> int``.
        size: ``size() -> int``, exact number of specs in the family.
        definition: ``definition() -> dict``: the choices, for `zcphar space --json`.
    """

    name: str
    paper_type: str
    description: str
    spec_type: type
    from_dict: Callable[[dict], ArchSpec]
    draw: Callable[[np.random.Generator, int | None, int | None], ArchSpec]
    smallest: Callable[[int | None, int], list[ArchSpec]]
    build: Callable[[Any, int, int], torch.nn.Module]
    count_params: Callable[[Any, int, int], int]
    count_flops: Callable[[Any, int, int, int], int]
    size: Callable[[], int]
    definition: Callable[[], dict[str, Any]]


_REGISTRY: dict[str, Family] = {}
_LOADED = False


def register_family(family: Family) -> Family:
    """Add `family` to the registry (a name registered twice is a programming error)."""
    if family.name in _REGISTRY:
        raise RuntimeError(f"architecture family {family.name!r} registered twice")
    _REGISTRY[family.name] = family
    return family


def _import_families() -> None:
    global _LOADED
    if _LOADED:
        return
    from zcphar.space import families

    for info in pkgutil.iter_modules(families.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{families.__name__}.{info.name}")
    _LOADED = True


def list_families() -> list[Family]:
    """Every registered family, sorted by name."""
    _import_families()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_family(name: str) -> Family:
    """Look up a family by name; unknown names raise an error listing the valid ones."""
    _import_families()
    if name not in _REGISTRY:
        raise unknown_choice("architecture family", name, sorted(_REGISTRY))
    return _REGISTRY[name]


def family_of(spec: ArchSpec) -> Family:
    """The registered family of `spec`."""
    family = get_family(getattr(spec, "family", None))
    if not isinstance(spec, family.spec_type):
        raise ZcpharError(f"{spec!r} is not a {family.spec_type.__name__}")
    return family


def spec_from_dict(d: dict[str, Any]) -> ArchSpec:
    """Rebuild a spec from `ArchSpec.to_dict()` output, validating every value.

    Raises:
        ZcpharError: unknown family or a value outside the family's choices (the message lists
            the valid ones).
    """
    if not isinstance(d, dict) or "family" not in d:
        names = [f.name for f in list_families()]
        raise ZcpharError(f"bad architecture {d!r}: needs a 'family' key, one of: {names}")
    return get_family(d["family"]).from_dict(d)
