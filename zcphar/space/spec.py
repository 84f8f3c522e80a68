"""What every architecture spec shares: canonical JSON, a stable id and value validation.

A spec is a frozen dataclass describing one network of a family (see `zcphar.space.families`).
Its id is the first 12 hex characters of the SHA-256 of its canonical JSON, so the same
architecture has the same id on every machine and in every run store.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from typing import Any, ClassVar

from zcphar.errors import ZcpharError

DROPOUTS: tuple[float, ...] = (0.1, 0.2, 0.3, 0.4, 0.5)
ID_LENGTH = 12


class ArchSpec:
    """Common interface of all architecture specs (subclassed by frozen dataclasses).

    Attributes:
        family: registry name of the family, e.g. ``"cnn"``.
        paper_type: the ``model_type`` column of the paper's tables (``"CNN"`` / ``"RNN"``).
    """

    family: ClassVar[str]
    paper_type: ClassVar[str]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict including ``"family"``; `spec_from_dict` inverts it."""
        raise NotImplementedError

    def describe(self) -> str:
        """One-line human description, e.g. ``cnn[64k5p0.3-128k3p0.1]``."""
        raise NotImplementedError

    @property
    def min_window(self) -> int:
        """Shortest input length (time steps) this spec accepts."""
        raise NotImplementedError

    @property
    def num_layers(self) -> int:
        """Number of blocks (what `Constraints.max_layers` limits)."""
        raise NotImplementedError

    @property
    def max_width(self) -> int:
        """Widest block (channels or hidden units; what `Constraints.max_width` limits)."""
        raise NotImplementedError

    def canonical_json(self) -> str:
        """The spec as compact JSON with sorted keys: the input of `id`."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))

    @property
    def id(self) -> str:
        """Short stable hash (12 hex characters) of the canonical JSON."""
        digest = hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()
        return digest[:ID_LENGTH]


def up_to(choices: range, limit: int | None) -> range:
    """The choices <= `limit` (all of them if `limit` is None), still a range."""
    if limit is None:
        return choices
    return choices[: max(0, (limit - choices[0]) // choices.step + 1)]


def check_int_choice(what: str, value: object, choices: Sequence[int]) -> int:
    """Return `value` if it is an int among `choices`, else raise a ZcpharError listing them."""
    if isinstance(value, bool) or not isinstance(value, int) or value not in choices:
        raise ZcpharError(f"bad {what} {value!r}; choose one of: {_span(choices)}")
    return value


def check_dropout(what: str, value: object, choices: Sequence[float]) -> float:
    """Return `value` as a float if it is among `choices`, else raise a ZcpharError."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value not in choices:
        listed = ", ".join(f"{c:g}" for c in choices)
        raise ZcpharError(f"bad {what} {value!r}; choose one of: {listed}")
    return float(value)


def check_keys(what: str, d: object, required: Sequence[str]) -> dict:
    """Check that `d` is a dict holding exactly `required` keys (``family`` allowed too)."""
    if not isinstance(d, dict):
        raise ZcpharError(f"bad {what} {d!r}; expected a JSON object with keys {list(required)}")
    missing = [k for k in required if k not in d]
    extra = [k for k in d if k not in required and k != "family"]
    if missing or extra:
        raise ZcpharError(
            f"bad {what} {d!r}: missing {missing}, unexpected {extra}; keys are {list(required)}"
        )
    return d


def _span(choices: Sequence[int]) -> str:
    """Readable list of int choices: ``8, 16, ..., 1024`` for long arithmetic ranges."""
    if len(choices) > 10:
        step = choices[1] - choices[0]
        return f"{choices[0]}..{choices[-1]} in steps of {step}"
    return ", ".join(str(c) for c in choices)
