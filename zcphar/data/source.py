"""Where a dataset comes from: a registered reader or a path to bring-your-own data.

`resolve_source` validates the name/path and reader options up front and returns a `Source`
whose ``identity`` (name or resolved path, reader version, reader options, and the size and
modification time of every input file for paths) is what the prepared-data cache is keyed by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zcphar.data import byo
from zcphar.data.byo import PreWindowed
from zcphar.data.registry import get_dataset, list_datasets
from zcphar.data.types import RawDataset
from zcphar.errors import ZcpharError

__all__ = ["PreWindowed", "Source", "resolve_source"]


@dataclass
class Source:
    """A dataset ready to be read: ``load()`` gives a `RawDataset` or `PreWindowed` arrays."""

    name: str
    load: Callable[[], RawDataset | PreWindowed]
    version: str
    identity: dict[str, Any] = field(default_factory=dict)


def _looks_like_path(text: str) -> bool:
    return "/" in text or "\\" in text or Path(text).suffix != "" or Path(text).exists()


def _check_reader_options(name: str, given: dict, accepted: dict[str, str]) -> None:
    unknown = sorted(set(given) - set(accepted))
    if unknown:
        valid = ", ".join(sorted(accepted)) if accepted else "(none)"
        raise ZcpharError(f"dataset {name!r} takes no reader option {unknown[0]!r}; "
                          f"choose one of: {valid}")


def _registered(name: str, data_dir: Path | None, options: dict) -> Source:
    info = get_dataset(name)
    _check_reader_options(name, options, info.options)
    identity = {"dataset": name, "reader_version": info.version, "reader_options": options,
                "data_dir": str(Path(data_dir).resolve()) if data_dir else None}
    return Source(name, lambda: info.load(data_dir, **options), info.version, identity)


def _own(path: Path, options: dict) -> Source:
    if not path.exists():
        raise ZcpharError(f"file not found: {path}")
    _check_reader_options(str(path), options, byo.OPTIONS)
    identity = {"dataset": str(path.resolve()), "reader_version": byo.VERSION,
                "reader_options": options, "files": byo.file_identity(path, options)}
    return Source(path.name, lambda: byo.read(path, options), byo.VERSION, identity)


def resolve_source(dataset: str | Path, data_dir: Path | None = None,
                   reader_options: dict | None = None) -> Source:
    """Resolve a registered dataset name or a bring-your-own path.

    Raises:
        ZcpharError: unknown name (listing the valid ones), missing file, unknown reader option.
    """
    options = dict(reader_options or {})
    if isinstance(dataset, Path):
        return _own(dataset, options)
    registered = {info.name for info in list_datasets()}
    if dataset in registered or not _looks_like_path(dataset):
        return _registered(dataset, data_dir, options)
    return _own(Path(dataset).expanduser(), options)
