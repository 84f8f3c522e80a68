"""The dataset registry: one entry per dataset, registered by its reader module.

    @register_dataset("watch", "Smartwatch shoulder exercises (embedded in seglearn)")
    def load_watch(data_dir=None, **options) -> RawDataset: ...

Reader modules live in `zcphar/data/readers/`; every module there is imported on first look-up,
so a new dataset is one new module.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from zcphar.data.types import RawDataset
from zcphar.errors import unknown_choice


@dataclass(frozen=True)
class DatasetInfo:
    """A registered dataset.

    Attributes:
        name: registry key used on the command line.
        description: one line for `zcphar datasets`.
        load: ``load(data_dir: Path | None = None, **options) -> RawDataset``.
        locate: ``locate() -> Path | None``: where the raw data is found locally (None if not).
            Embedded and generated datasets return a placeholder path that always exists.
        paper: True for the six datasets of the paper.
        version: reader version; part of the prepared-data cache key.
        options: reader options (name -> description) accepted by `load`.
    """

    name: str
    description: str
    load: Callable[..., RawDataset]
    locate: Callable[[], Path | None]
    paper: bool = False
    version: str = "1"
    options: dict[str, str] = field(default_factory=dict)

    def available(self) -> bool:
        return self.locate() is not None


_REGISTRY: dict[str, DatasetInfo] = {}
_LOADED = False


def register_dataset(
    name: str,
    description: str,
    *,
    locate: Callable[[], Path | None],
    paper: bool = False,
    version: str = "1",
    options: dict[str, str] | None = None,
):
    """Decorator registering a reader function under `name`."""

    def wrap(load: Callable[..., RawDataset]) -> Callable[..., RawDataset]:
        if name in _REGISTRY:
            raise RuntimeError(f"dataset {name!r} registered twice")
        _REGISTRY[name] = DatasetInfo(
            name, description, load, locate, paper, version, dict(options or {})
        )
        return load

    return wrap


def _import_readers() -> None:
    global _LOADED
    if _LOADED:
        return
    from zcphar.data import readers

    for info in pkgutil.iter_modules(readers.__path__):
        if not info.name.startswith("_"):
            importlib.import_module(f"{readers.__name__}.{info.name}")
    _LOADED = True


def list_datasets() -> list[DatasetInfo]:
    """Every registered dataset, sorted by name."""
    _import_readers()
    return [_REGISTRY[k] for k in sorted(_REGISTRY)]


def get_dataset(name: str) -> DatasetInfo:
    """Look up a dataset by name; unknown names raise an error listing the valid ones."""
    _import_readers()
    if name not in _REGISTRY:
        raise unknown_choice("dataset", name, sorted(_REGISTRY))
    return _REGISTRY[name]
