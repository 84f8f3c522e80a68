"""Helpers shared by the dataset readers: where data lives, option checks, label coding."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from zcphar.data.types import UNLABELLED
from zcphar.errors import ZcpharError, unknown_choice
from zcphar.paths import home, shared_data_dir


def local_dir(folder: str) -> Path | None:
    """``../shared/data/<folder>`` when it exists (developers' real data), else None."""
    path = shared_data_dir() / folder
    return path if path.is_dir() else None


def downloaded_dir(name: str) -> Path | None:
    """``<zcphar home>/datasets/<name>`` (where `zcphar download` extracts) when non-empty."""
    path = home() / "datasets" / name
    return path if path.is_dir() and any(path.iterdir()) else None


def resolve_dir(name: str, data_dir: Path | str | None, found: Path | None, hint: str) -> Path:
    """The folder to read: `data_dir` if given, else the located one, else a helpful error."""
    if data_dir is not None:
        path = Path(data_dir).expanduser()
        if not path.exists():
            raise ZcpharError(f"{name}: data folder {str(path)!r} does not exist")
        return path
    if found is None:
        raise ZcpharError(f"{name}: dataset not found locally; {hint}")
    return found


def find_one(root: Path, pattern: str, name: str) -> Path:
    """The first path under `root` (sorted, ``__MACOSX`` ignored) matching a glob pattern."""
    if root.match(pattern):
        return root
    hits = sorted(p for p in root.rglob(pattern) if "__MACOSX" not in p.parts)
    if not hits:
        raise ZcpharError(f"{name}: no {pattern!r} found under {str(root)!r}")
    return hits[0]


def as_list(values) -> list:
    """A user's selection as a list: ``"a,b"`` → ``["a", "b"]``, a scalar → ``[scalar]``."""
    if isinstance(values, str):
        return [v.strip() for v in values.split(",") if v.strip()]
    if isinstance(values, Iterable):
        return list(values)
    return [values]


def choose(kind: str, values: Iterable[str] | str | None, valid: Sequence[str]) -> list[str]:
    """Validate a user's selection (None: all of `valid`), keeping the user's order."""
    if values is None:
        return list(valid)
    chosen = as_list(values)
    for value in chosen:
        if value not in valid:
            raise unknown_choice(kind, value, valid)
    if not chosen:
        raise ZcpharError(f"no {kind} selected; choose from: {', '.join(valid)}")
    return chosen


def encode(raw_labels: Sequence | np.ndarray, classes: Sequence) -> np.ndarray:
    """Map raw label values to class ids (index in `classes`); anything else → UNLABELLED."""
    values = np.asarray(raw_labels, dtype=object).astype(str)
    if values.size == 0:
        return np.zeros(0, dtype=np.int64)
    by_str = {str(c): i for i, c in enumerate(classes)}
    uniques, inverse = np.unique(values, return_inverse=True)  # look each value up once
    ids = np.array([by_str.get(u, UNLABELLED) for u in uniques], dtype=np.int64)
    return ids[inverse.reshape(-1)]


def acc_names(prefix: str = "") -> list[str]:
    """``[<prefix>_acc_x, ..._y, ..._z]`` (or plain ``acc_x`` ... without a prefix)."""
    head = f"{prefix}_" if prefix else ""
    return [f"{head}acc_{axis}" for axis in "xyz"]
