"""archs.jsonl: one architecture per line, as written by `zcphar sample`.

Each line is ``{"id", "family", "spec", "describe", "params", "flops"}`` where ``spec`` is
``ArchSpec.to_dict()`` and params/flops are for the input shape given when writing.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from zcphar.errors import ZcpharError
from zcphar.space.measure import count_flops, count_params
from zcphar.space.registry import spec_from_dict
from zcphar.space.spec import ArchSpec


def arch_record(spec: ArchSpec, in_channels: int, num_classes: int, window: int) -> dict[str, Any]:
    """The JSON line of one spec (see module docstring)."""
    return {
        "id": spec.id,
        "family": spec.family,
        "spec": spec.to_dict(),
        "describe": spec.describe(),
        "params": count_params(spec, in_channels, num_classes),
        "flops": count_flops(spec, in_channels, window, num_classes),
    }


def write_archs(
    path: str | Path | IO[str],
    specs: Iterable[ArchSpec],
    *,
    in_channels: int = 3,
    num_classes: int = 6,
    window: int = 100,
) -> None:
    """Write `specs` as JSON lines to `path` (a file path, or an open text stream)."""
    if hasattr(path, "write"):
        _write_lines(path, specs, in_channels, num_classes, window)
        return
    with open(path, "w", encoding="utf-8") as out:
        _write_lines(out, specs, in_channels, num_classes, window)


def _write_lines(out: IO[str], specs, in_channels: int, num_classes: int, window: int) -> None:
    for spec in specs:
        out.write(json.dumps(arch_record(spec, in_channels, num_classes, window)) + "\n")


def read_archs(path: str | Path) -> list[ArchSpec]:
    """Read specs from an archs.jsonl file (blank lines skipped).

    A line is either a full record (its ``spec`` is used and its ``id``, if present, must match)
    or a bare ``to_dict()`` spec.

    Raises:
        ZcpharError: missing file, or a bad line (the message names file and line number).
    """
    path = Path(path)
    if not path.is_file():
        raise ZcpharError(f"architecture file {str(path)!r} not found")
    specs = []
    with open(path, encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                specs.append(_parse_line(line, f"{path}:{number}"))
    return specs


def _parse_line(line: str, where: str) -> ArchSpec:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise ZcpharError(f"{where}: not valid JSON ({err.msg})") from None
    if not isinstance(record, dict):
        raise ZcpharError(f"{where}: expected a JSON object, got {record!r}")
    try:
        spec = spec_from_dict(record["spec"] if "spec" in record else record)
    except ZcpharError as err:
        raise ZcpharError(f"{where}: {err}") from None
    if "id" in record and record["id"] != spec.id:
        raise ZcpharError(f"{where}: id {record['id']!r} does not match its spec (id {spec.id})")
    return spec
