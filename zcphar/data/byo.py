"""Bring-your-own data (DATASETS.md §7): a long CSV, a folder of CSVs, or pre-windowed arrays.

A sidecar JSON (``data.json`` beside ``data.csv``; ``sidecar.json`` inside a folder; or the
``sidecar`` reader option) gives the facts; reader options (``rate``, ``labels``, ...) override
it, so ``zcphar prepare data.csv --rate 100`` needs no sidecar.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm import tqdm

from zcphar.data.types import UNLABELLED, RawDataset, Recording
from zcphar.errors import ZcpharError, unknown_choice

VERSION = "1"
OPTIONS = {
    "rate": "sampling rate in Hz (sidecar sampling_rate_hz); needed unless timestamps are given",
    "sidecar": "path of the sidecar JSON",
    "timestamp_unit": "unit of the timestamp column: s, ms, us or ns (default s)",
    "channels": "ordered sensor columns to use (default: every column containing 'acc')",
    "labels": "ordered label names; index = class id (default: sorted unique labels)",
    "ignore_labels": "labels turned into unlabelled rows",
    "subject_from_filename": "regex with a 'subject' group, for folders of CSVs",
    "name": "dataset name recorded with the results",
}
TIME_UNITS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


@dataclass
class PreWindowed:
    """Windows given as arrays: X (N, T, C) time-major, y (N,) class ids, subject (N,)."""

    name: str
    X: np.ndarray
    y: np.ndarray
    subject: np.ndarray
    channels: list[str]
    classes: list[str]
    rate_hz: float | None
    meta: dict[str, Any] = field(default_factory=dict)


def _sidecar_path(path: Path, options: dict) -> Path | None:
    if options.get("sidecar"):
        given = Path(options["sidecar"]).expanduser()
        if not given.is_file():
            raise ZcpharError(f"sidecar file not found: {given}")
        return given
    default = path / "sidecar.json" if path.is_dir() else path.with_suffix(".json")
    return default if default.is_file() else None


def facts(path: Path, options: dict) -> dict[str, Any]:
    """Sidecar keys overridden by reader options (``rate`` -> ``sampling_rate_hz``)."""
    side = _sidecar_path(path, options)
    out: dict[str, Any] = {}
    if side is not None:
        try:
            out = json.loads(side.read_text())
        except json.JSONDecodeError as err:
            raise ZcpharError(f"sidecar {side} is not valid JSON: {err}") from err
    for key, value in options.items():
        if key != "sidecar":
            out["sampling_rate_hz" if key == "rate" else key] = value
    return out


def file_identity(path: Path, options: dict) -> list[list]:
    """(name, size, mtime_ns) of every input file, for the cache key."""
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    side = _sidecar_path(path, options)
    files += [side] if side is not None and side not in files else []
    return [[str(p), p.stat().st_size, p.stat().st_mtime_ns] for p in files]


def _numeric(frame: pd.DataFrame, column: str, where: str) -> np.ndarray:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = values.isna() & frame[column].notna()
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise ZcpharError(f"non-numeric value {frame[column].iloc[row]!r} in column {column!r} "
                          f"of {where} (data row {row + 1})")
    return values.to_numpy(np.float64)


def _label_text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and np.isnan(value)) or value == "":
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def _classes(texts: list[str | None], info: dict) -> list[str]:
    if info.get("labels"):
        return [str(v) for v in info["labels"]]
    ignore = {str(v) for v in info.get("ignore_labels", [])}
    found = {t for t in texts if t is not None and t not in ignore}
    numeric = all(re.fullmatch(r"-?\d+", t) for t in found)
    return sorted(found, key=int) if numeric else sorted(found)


def _encode(texts: list[str | None], classes: list[str], info: dict) -> np.ndarray:
    ignore = {str(v) for v in info.get("ignore_labels", [])}
    index = {c: i for i, c in enumerate(classes)}
    out = np.empty(len(texts), dtype=np.int64)
    for i, t in enumerate(texts):
        if t is None or t in ignore:
            out[i] = UNLABELLED
        elif t in index:
            out[i] = index[t]
        else:
            raise unknown_choice("label", t, classes)
    return out


def _channels(frame: pd.DataFrame, info: dict, where: str) -> list[str]:
    wanted = list(info.get("channels") or [c for c in frame.columns if "acc" in c.lower()])
    for column in wanted or ["acc_x"]:
        if column not in frame.columns:
            raise ZcpharError(f"missing required column {column!r} in {where} "
                              f"(columns: {', '.join(map(str, frame.columns))})")
    return wanted


def _subject(value: Any) -> Any:
    if isinstance(value, np.generic):
        value = value.item()
    return int(value) if isinstance(value, str) and value.isdigit() else value


def _recordings(frame: pd.DataFrame, channels: list[str], info: dict, where: str,
                session: str) -> list[tuple[Any, str, np.ndarray, list, np.ndarray | None]]:
    """Group one table into (subject, session, data, label texts, timestamps) in file order."""
    for column in ("subject", "label"):
        if column not in frame.columns:
            raise ZcpharError(f"missing required column {column!r} in {where} "
                              f"(columns: {', '.join(map(str, frame.columns))})")
    data = np.stack([_numeric(frame, c, where) for c in channels], axis=1)  # (rows, C)
    unit = info.get("timestamp_unit", "s")
    if unit not in TIME_UNITS:
        raise unknown_choice("timestamp_unit", unit, TIME_UNITS)
    times = (_numeric(frame, "timestamp", where) * TIME_UNITS[unit]
             if "timestamp" in frame.columns else None)
    sessions = frame["session"].astype(str) if "session" in frame.columns else session
    keys = pd.DataFrame({"subject": frame["subject"], "session": sessions})
    out = []
    for (subject, sess), rows in keys.groupby(["subject", "session"], sort=False).indices.items():
        texts = [_label_text(v) for v in frame["label"].to_numpy()[rows]]
        out.append((_subject(subject), str(sess), data[rows], texts,
                    None if times is None else times[rows]))
    return out


def _rate(info: dict, groups: list) -> tuple[float, bool]:
    """Declared or inferred rate, and whether the timestamps are irregular."""
    deltas = [np.diff(g[4]) for g in groups if g[4] is not None and len(g[4]) > 1]
    median = float(np.median(np.concatenate(deltas))) if deltas else None
    if info.get("sampling_rate_hz"):
        rate = float(info["sampling_rate_hz"])
    elif median and median > 0:
        rate = round(1.0 / median, 6)
    else:
        raise ZcpharError("the sampling rate is not given and cannot be inferred (no usable "
                          "timestamp column); pass --rate HZ or sampling_rate_hz in a sidecar")
    period = 1.0 / rate
    irregular = bool(deltas) and any((np.abs(d - period) > 0.05 * period).any() for d in deltas)
    return rate, irregular


def _read_table(path: Path) -> pd.DataFrame:
    try:
        return pd.read_csv(path)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ZcpharError(f"cannot read {path} as CSV: {err}") from err


def _from_tables(path: Path, info: dict) -> RawDataset:
    groups = []
    if path.is_dir():
        pattern = re.compile(info.get("subject_from_filename", r"^(?P<subject>[^_.]+)"))
        files = sorted(path.glob("*.csv"))
        if not files:
            raise ZcpharError(f"no .csv files in folder {path}")
        for f in tqdm(files, desc=f"read {path.name}", unit="file", disable=None, leave=False):
            frame = _read_table(f)
            if "subject" not in frame.columns:
                match = pattern.search(f.stem)
                if not match:
                    raise ZcpharError(f"no subject column in {f} and subject_from_filename "
                                      f"{pattern.pattern!r} does not match its name")
                frame["subject"] = match.groupdict().get("subject", match.group(0))
            groups += _recordings(frame, _channels(frame, info, str(f)), info, str(f), f.stem)
        channels = _channels(_read_table(files[0]), info, str(files[0]))
    else:
        frame = _read_table(path)
        channels = _channels(frame, info, str(path))
        groups = _recordings(frame, channels, info, str(path), "0")
    rate, irregular = _rate(info, groups)
    classes = _classes([t for g in groups for t in g[3]], info)
    recordings = [Recording(s, sess, d, _encode(texts, classes, info), t)
                  for s, sess, d, texts, t in groups]
    meta = {k: info[k] for k in ("source", "license", "citation", "units") if k in info}
    return RawDataset(info.get("name", path.stem), recordings, channels, classes, rate,
                      irregular, meta={**meta, "path": str(path)})


def _load_array(path: Path) -> np.ndarray:
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as err:
        raise ZcpharError(f"{path} holds objects (pickle), which zcphar does not load") from err


def _from_arrays(path: Path, info: dict) -> PreWindowed:
    for name in ("X.npy", "y.npy", "subject.npy"):
        if not (path / name).is_file():
            raise ZcpharError(f"missing file {path / name} (pre-windowed data needs X.npy, "
                              "y.npy and subject.npy)")
    X, y, subject = (_load_array(path / n) for n in ("X.npy", "y.npy", "subject.npy"))
    if X.ndim != 3 or y.shape != (X.shape[0],) or subject.shape != (X.shape[0],):
        raise ZcpharError(f"X.npy must be (N, T, C) and y.npy, subject.npy (N,); got "
                          f"{X.shape}, {y.shape}, {subject.shape}")
    if not np.issubdtype(X.dtype, np.number) or not np.isfinite(X).all():
        raise ZcpharError(f"X.npy in {path} must be numeric and hold no NaN/inf")
    texts = [_label_text(v.item()) for v in y]
    classes = _classes(texts, info)
    labels = _encode(texts, classes, info)
    keep = labels != UNLABELLED
    channels = list(info.get("channels") or [f"ch{i}" for i in range(X.shape[2])])
    rate = float(info["sampling_rate_hz"]) if info.get("sampling_rate_hz") else None
    return PreWindowed(info.get("name", path.name), X[keep].astype(np.float64), labels[keep],
                       subject[keep], channels, classes, rate, {"path": str(path)})


def read(path: Path, options: dict) -> RawDataset | PreWindowed:
    """Read your own data at `path` (see the module docstring for the accepted layouts)."""
    info = facts(path, options)
    if path.is_dir():
        return _from_arrays(path, info) if (path / "X.npy").exists() else _from_tables(path, info)
    if path.suffix.lower() != ".csv":
        raise ZcpharError(f"cannot read {path}; choose one of: a .csv file, a folder of .csv "
                          "files, a folder with X.npy, y.npy and subject.npy")
    return _from_tables(path, info)
