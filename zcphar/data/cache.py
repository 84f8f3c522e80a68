"""The prepared-data cache: one folder per key under ``zcphar.paths.home() / "prepared"``.

Each entry holds ``arrays.npz`` (the three splits, no pickle) and ``meta.json``. Entries are
written into a temporary folder and renamed into place, so a failed or interrupted prepare never
leaves a partial entry; a reader only ever sees complete ones.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

from zcphar.data.types import SPLITS, PreparedDataset, Split
from zcphar.paths import home

PIPELINE_VERSION = "1"
"""Bumped whenever the preparation code changes what it produces; part of every key."""


def cache_dir() -> Path:
    """Folder of the prepared-data cache."""
    return home() / "prepared"


def cache_key(parts: dict[str, Any]) -> str:
    """A short stable hash of everything that determines the prepared arrays."""
    text = json.dumps({"pipeline": PIPELINE_VERSION, **parts}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def load(key: str) -> PreparedDataset | None:
    """The cached entry for `key`, or None when there is none."""
    folder = cache_dir() / key
    if not (folder / "meta.json").is_file():
        return None
    meta = json.loads((folder / "meta.json").read_text())
    with np.load(folder / "arrays.npz", allow_pickle=False) as arrays:
        splits = {s: Split(arrays[f"{s}_X"], arrays[f"{s}_y"], arrays[f"{s}_subject"])
                  for s in SPLITS}
    meta["cache"] = {"key": key, "loaded": True}
    return PreparedDataset(**splits, meta=meta)


def save(key: str, prepared: PreparedDataset) -> Path:
    """Write `prepared` under `key` atomically (temporary folder + rename); returns the folder."""
    root = cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    tmp = Path(tempfile.mkdtemp(prefix=f".{key}.", dir=root))
    try:
        arrays = {}
        for s in SPLITS:
            split = prepared.split(s)
            arrays.update({f"{s}_X": split.X, f"{s}_y": split.y, f"{s}_subject": split.subject})
        np.savez(tmp / "arrays.npz", **arrays)
        meta = {k: v for k, v in prepared.meta.items() if k != "cache"}
        (tmp / "meta.json").write_text(json.dumps(meta, indent=1, default=str))
        if final.exists():
            shutil.rmtree(tmp)  # another process finished the same entry first
        else:
            os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final


def clear() -> int:
    """Delete every cached entry; returns how many were removed."""
    root = cache_dir()
    if not root.is_dir():
        return 0
    entries = [p for p in root.iterdir() if p.is_dir()]
    for p in entries:
        shutil.rmtree(p)
    return len(entries)
