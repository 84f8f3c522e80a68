"""Seeded sampling of architectures, optionally under wearable-sized constraints.

Each draw first picks a family by `ratio`, then draws uniformly from that family's choices
(Table I); constraints on parameters and FLOPs are met by rejection within the family, so the
family ratio holds; `max_layers` and `max_width` restrict the choice sets directly (fast).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

import numpy as np
from tqdm import tqdm

from zcphar.errors import ZcpharError, unknown_choice
from zcphar.space.measure import check_shape, count_flops, count_params
from zcphar.space.registry import Family, get_family, list_families
from zcphar.space.spec import ArchSpec

DEFAULT_RATIO: dict[str, float] = {"cnn": 3.0, "lstm": 1.0}
MAX_DRAWS = 10_000  # rejected draws in a row before a constraint is declared too tight


@dataclass(frozen=True)
class Constraints:
    """Upper limits on sampled architectures (None = no limit).

    Attributes:
        max_params: trainable parameters.
        max_flops: forward FLOPs per window (see `count_flops`).
        max_layers: blocks (CNN conv blocks, LSTM layers).
        max_width: channels / hidden units of every block.
    """

    max_params: int | None = None
    max_flops: int | None = None
    max_layers: int | None = None
    max_width: int | None = None

    def __post_init__(self) -> None:
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or value < 1
            ):
                raise ZcpharError(f"bad {f.name} {value!r}; expected a positive integer or None")

    def admits(self, spec: ArchSpec, in_channels: int, num_classes: int, window: int) -> bool:
        """Whether `spec` fits `window` and meets every limit for this input shape."""
        if spec.min_window > window:
            return False
        if self.max_layers is not None and spec.num_layers > self.max_layers:
            return False
        if self.max_width is not None and spec.max_width > self.max_width:
            return False
        if self.max_params is not None:
            if count_params(spec, in_channels, num_classes) > self.max_params:
                return False
        if self.max_flops is not None:
            if count_flops(spec, in_channels, window, num_classes) > self.max_flops:
                return False
        return True


def sample(
    n: int,
    rng: np.random.Generator,
    *,
    ratio: dict[str, float] | None = None,
    constraints: Constraints | None = None,
    in_channels: int = 3,
    num_classes: int = 6,
    window: int = 100,
    progress: bool = False,
) -> list[ArchSpec]:
    """Draw `n` architectures; the same `rng` state gives the same list on every machine.

    Args:
        n: number of specs (duplicates possible, as in uniform sampling with replacement).
        rng: the source of randomness, e.g. ``numpy.random.default_rng(0)``.
        ratio: relative weight of each family per draw (default ``{"cnn": 3, "lstm": 1}``);
            families left out or at 0 are never drawn.
        constraints: limits every spec must meet (see `Constraints`).
        in_channels, num_classes, window: the input shape the limits are measured for; every
            spec also fits `window` (``spec.min_window <= window``).
        progress: show a tqdm progress bar (tight params/FLOPs limits make sampling slow).

    Raises:
        ZcpharError: bad arguments, or constraints that leave a family with no architecture.
    """
    if isinstance(n, bool) or not isinstance(n, int) or n < 0:
        raise ZcpharError(f"bad number of architectures {n!r}; expected an integer >= 0")
    if not isinstance(rng, np.random.Generator):
        raise ZcpharError(f"bad rng {rng!r}; pass a numpy.random.Generator (np.random.default_rng)")
    check_shape(in_channels=in_channels, num_classes=num_classes, window=window)
    families, cumulative = _weights(DEFAULT_RATIO if ratio is None else ratio)
    constraints = constraints or Constraints()
    shape = (in_channels, num_classes, window)
    for family in families:
        _check_feasible(family, constraints, shape)
    specs = []
    for _ in tqdm(range(n), desc="sampling", unit="arch", disable=not progress, leave=False):
        family = families[int(np.searchsorted(cumulative, rng.random(), side="right"))]
        specs.append(_draw_admitted(family, rng, constraints, shape))
    return specs


def _weights(ratio: dict[str, float]) -> tuple[list[Family], list[float]]:
    """Families with positive weight and their cumulative probabilities (last one is 1)."""
    if not isinstance(ratio, dict):
        raise ZcpharError(f"bad ratio {ratio!r}; expected e.g. {{'cnn': 3, 'lstm': 1}}")
    names = [f.name for f in list_families()]
    for name, weight in ratio.items():
        if name not in names:
            raise unknown_choice("architecture family in ratio", name, names)
        if (
            isinstance(weight, bool)
            or not isinstance(weight, (int, float))
            or not (math.isfinite(weight) and weight >= 0)
        ):
            raise ZcpharError(f"bad ratio weight {name}={weight!r}; expected a number >= 0")
    used = [(get_family(name), float(w)) for name, w in sorted(ratio.items()) if w > 0]
    if not used:
        raise ZcpharError(f"bad ratio {ratio!r}; at least one family needs a weight > 0")
    total = sum(w for _, w in used)
    cumulative = list(np.cumsum([w / total for _, w in used]))
    cumulative[-1] = 1.0
    return [f for f, _ in used], cumulative


def _check_feasible(family: Family, c: Constraints, shape: tuple[int, int, int]) -> None:
    """Raise a clear error if no spec of `family` can meet the constraints."""
    in_channels, num_classes, window = shape
    cheapest = family.smallest(c.max_width, window)
    hint = f"loosen the constraints or give {family.name} a ratio of 0"
    if not cheapest:
        raise ZcpharError(
            f"no {family.name} architecture fits window {window} with max_width {c.max_width}; {hint}"
        )
    layers = min(s.num_layers for s in cheapest)
    if c.max_layers is not None and layers > c.max_layers:
        raise ZcpharError(
            f"{family.name} needs >= {layers} layers > max_layers {c.max_layers}; {hint}"
        )
    params = min(count_params(s, in_channels, num_classes) for s in cheapest)
    if c.max_params is not None and params > c.max_params:
        raise ZcpharError(
            f"the smallest {family.name} has {params} params > max_params {c.max_params}; {hint}"
        )
    flops = min(count_flops(s, in_channels, window, num_classes) for s in cheapest)
    if c.max_flops is not None and flops > c.max_flops:
        raise ZcpharError(
            f"the smallest {family.name} needs {flops} FLOPs > max_flops {c.max_flops}; {hint}"
        )


def _draw_admitted(
    family: Family, rng: np.random.Generator, c: Constraints, shape: tuple[int, int, int]
) -> ArchSpec:
    in_channels, num_classes, window = shape
    for _ in range(MAX_DRAWS):
        spec = family.draw(rng, c.max_layers, c.max_width)
        if c.admits(spec, in_channels, num_classes, window):
            return spec
    raise ZcpharError(
        f"{MAX_DRAWS} {family.name} draws in a row broke the constraints {c}; loosen them"
    )
