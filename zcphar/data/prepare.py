"""`prepare`: dataset name or path -> three subject-disjoint splits of normalised windows.

Pipeline (DATASETS.md §1-§2): read -> channels -> NaN gaps -> resample (-> drop unlabelled rows
in paper mode) -> subject split -> z-score fitted on training rows -> windows -> checks. Results
are cached on disk (`zcphar.data.cache`), keyed by everything that determines them.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
from sklearn.preprocessing import StandardScaler
from tqdm import tqdm

from zcphar.data import cache
from zcphar.data.protocol import LABEL_RULES, MODES, ProtocolOptions
from zcphar.data.report import add_split_counts, validate
from zcphar.data.resample import fill_nans, resample, resolve_resampler, stride
from zcphar.data.source import PreWindowed, Source, resolve_source
from zcphar.data.split import split_subjects
from zcphar.data.types import SPLITS, UNLABELLED, PreparedDataset, RawDataset, Recording, Split
from zcphar.data.windows import cut
from zcphar.errors import ZcpharError, unknown_choice

NAN_POLICIES = ("interpolate", "error")


def check_options(options: ProtocolOptions) -> None:
    """Refuse option values that cannot work, naming the valid ones."""
    if options.mode not in MODES:
        raise unknown_choice("protocol", options.mode, MODES)
    if options.label_rule not in LABEL_RULES:
        raise unknown_choice("label rule", options.label_rule, LABEL_RULES)
    if options.nan_policy not in NAN_POLICIES:
        raise unknown_choice("nan policy", options.nan_policy, NAN_POLICIES)
    if not options.window_s > 0 or not options.target_rate > 0:
        raise ZcpharError(f"window_s ({options.window_s}) and target_rate "
                          f"({options.target_rate}) must be positive")
    if not 0 <= options.overlap < 1:
        raise ZcpharError(f"overlap {options.overlap} must be in [0, 1)")
    if options.purity is not None and not 0 < options.purity <= 1:
        raise ZcpharError(f"purity {options.purity} must be in (0, 1]")
    if options.purity is not None and options.label_rule != "majority":
        raise ZcpharError(f"purity applies to the 'majority' label rule, not "
                          f"{options.label_rule!r}; choose label rule: majority")


def window_shape(options: ProtocolOptions) -> tuple[int, int]:
    """(length, step) in rows at the target rate: 2 s at 50 Hz, 50 % overlap -> (100, 50)."""
    length = int(round(options.window_s * options.target_rate))
    step = max(1, int(round(length * (1 - options.overlap))))
    if length < 2:
        raise ZcpharError(f"window of {options.window_s} s at {options.target_rate} Hz is "
                          f"{length} sample(s); it needs at least 2")
    return length, step


def select_channels(raw: RawDataset, accelerometer_only: bool) -> list[int]:
    """Indices of the channels to keep: names containing 'acc' (all if none do) or all."""
    acc = [i for i, c in enumerate(raw.channels) if "acc" in c.lower()]
    return acc if accelerometer_only and acc else list(range(len(raw.channels)))


def _process(rec: Recording, keep: list[int], method: str, native: float,
             options: ProtocolOptions) -> list[Recording]:
    """Channels, NaN filling, resampling and (paper mode) dropping unlabelled rows."""
    rec = Recording(rec.subject, rec.session, rec.data[:, keep], rec.labels, rec.timestamps)
    paper = options.mode == "paper"
    if options.nan_policy == "error":
        fill_nans(rec, "error")  # stop on any NaN in the kept channels, before anything else
    if method == "stride":  # the paper: decimate, fill gaps, then drop excluded rows
        out = [fill_nans(stride(rec, int(round(native / options.target_rate))),
                         options.nan_policy)] if len(rec) else []
        if paper:
            out = [_labelled(r) for r in out]
    else:
        out = resample(fill_nans(rec, options.nan_policy), method, native,
                       options.target_rate, options.max_gap_s)
        if paper:
            out = [_labelled(r) for r in out]
    return [r for r in out if len(r) and (r.labels != UNLABELLED).any()]


def _labelled(rec: Recording) -> Recording:
    """Paper mode: excluded rows are deleted (their neighbours are spliced together)."""
    mask = rec.labels != UNLABELLED
    times = None if rec.timestamps is None else rec.timestamps[mask]
    return Recording(rec.subject, rec.session, rec.data[mask], rec.labels[mask], times)


def _owner(rec: Recording) -> np.ndarray:
    return np.repeat(np.asarray([rec.subject]), len(rec))


def _windows(recs: list[Recording], options: ProtocolOptions, length: int, step: int) -> Split:
    """Paper: one window run over the concatenation; clean: one per session."""
    groups = [recs] if options.mode == "paper" else [[r] for r in recs]
    parts = []
    for group in groups:
        data = np.concatenate([r.data for r in group])
        labels = np.concatenate([r.labels for r in group])
        owner = np.concatenate([_owner(r) for r in group])
        parts.append(cut(data, labels, owner, length, step, options.label_rule, options.purity))
    return Split(*(np.concatenate([p[i] for p in parts]) for i in range(3)))


def check_splits(splits: dict[str, Split], classes: list[str], options: ProtocolOptions,
                 length: int) -> None:
    """Every split has windows and (unless allowed) every class."""
    for name, split in splits.items():
        if len(split) == 0:
            raise ZcpharError(f"split {name!r} has no windows: its recordings are shorter than "
                              f"one window of {length} samples ({options.window_s:g} s)")
        missing = [classes[i] for i in range(len(classes)) if not (split.y == i).any()]
        if missing and not options.allow_missing_classes:
            raise ZcpharError(f"split {name!r} has no windows of class(es) "
                              f"{', '.join(missing)}; pass allow_missing_classes "
                              "(--allow-missing-classes) to accept this")


def _plain(values: list) -> list:
    return [v.item() if isinstance(v, np.generic) else v for v in values]


def build(raw: RawDataset, options: ProtocolOptions) -> tuple[dict[str, Split], dict[str, Any]]:
    """Prepare a raw dataset (no cache): the three splits and the metadata."""
    length, step = window_shape(options)
    native = float(raw.rate_hz)
    method = resolve_resampler(options.resampler, options.mode, native, options.target_rate,
                               raw.irregular)
    report = validate(raw, int(np.ceil(length * native / options.target_rate)),
                      options.max_gap_s)
    keep = select_channels(raw, options.accelerometer_only)
    if options.accelerometer_only and len(keep) == len(raw.channels) and not any(
            "acc" in c.lower() for c in raw.channels):
        report["warnings"].append("no channel name contains 'acc': all channels kept")
    progress = tqdm(raw.recordings, desc=f"prepare {raw.name}", unit="rec", disable=None,
                    leave=False)
    recs = [p for r in progress for p in _process(r, keep, method, native, options)]
    if not recs:
        raise ZcpharError(f"dataset {raw.name!r} has no labelled rows")
    subjects = split_subjects([r.subject for r in recs], options)
    by_split = {s: [r for r in recs if r.subject in subjects[s]] for s in SPLITS}
    scaler = StandardScaler().fit(np.concatenate([r.data for r in by_split["train"]]))
    for s in SPLITS:
        by_split[s] = [Recording(r.subject, r.session, scaler.transform(r.data), r.labels)
                       for r in by_split[s]]
    splits = {s: _windows(by_split[s], options, length, step) for s in SPLITS}
    check_splits(splits, raw.classes, options, length)
    meta = {
        "name": raw.name,
        "rate_hz": options.target_rate,
        "native_rate_hz": native,
        "channels": [raw.channels[i] for i in keep],
        "classes": list(raw.classes),
        "options": {**options.to_dict(), "resampler": method, "resampler_requested":
                    options.resampler, "window": length, "step": step},
        "subjects": {s: sorted(_plain(subjects[s]), key=lambda v: (str(type(v)), v))
                     for s in SPLITS},
        "scaler": {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()},
        "source": raw.meta,
        "report": report,
    }
    return splits, meta


def build_prewindowed(data: PreWindowed, options: ProtocolOptions) -> tuple[dict, dict]:
    """Prepare already-windowed arrays: split by subject and z-score; no resampling."""
    subjects = split_subjects(list(data.subject), options)
    rows = {s: np.isin(data.subject, subjects[s]) for s in SPLITS}
    train = data.X[rows["train"]]  # (N, T, C)
    scaler = StandardScaler().fit(train.reshape(-1, train.shape[2]))
    splits = {}
    for s in SPLITS:
        X = data.X[rows[s]]
        X = scaler.transform(X.reshape(-1, X.shape[2])).reshape(X.shape)
        splits[s] = Split(X.transpose(0, 2, 1).astype(np.float32), data.y[rows[s]],
                          data.subject[rows[s]])
    check_splits(splits, data.classes, options, data.X.shape[1])
    meta = {
        "name": data.name, "rate_hz": data.rate_hz, "native_rate_hz": data.rate_hz,
        "channels": data.channels, "classes": data.classes,
        "options": {**options.to_dict(), "resampler": "none (pre-windowed)",
                    "window": int(data.X.shape[1]), "step": None},
        "subjects": {s: sorted(_plain(subjects[s]), key=lambda v: (str(type(v)), v))
                     for s in SPLITS},
        "scaler": {"mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist()},
        "source": data.meta,
        "report": {"windows": int(len(data.y)), "subjects": len(set(data.subject.tolist())),
                   "warnings": []},
    }
    return splits, meta


def prepare(dataset: str | Path, options: ProtocolOptions | None = None, *,
            data_dir: Path | None = None, reader_options: dict | None = None,
            use_cache: bool = True) -> PreparedDataset:
    """Prepare a dataset for training and scoring (or load it from the cache).

    Args:
        dataset: a registered name (``zcphar datasets``) or a path to your own data: a long
            CSV, a folder of CSVs, or a folder with ``X.npy``/``y.npy``/``subject.npy``.
        options: protocol options (default: the paper protocol).
        data_dir: where a registered dataset's raw files are (default: the reader's own).
        reader_options: options of the reader (e.g. ``{"subjects": 8}`` for ``synthetic``, or
            ``{"rate": 100, "sidecar": "meta.json"}`` for your own data).
        use_cache: load from / save to the prepared-data cache.

    Returns:
        The three splits, with metadata in ``.meta`` (see `PreparedDataset`).

    Raises:
        ZcpharError: any bad input; nothing is written to the cache then.
    """
    options = options or ProtocolOptions()
    check_options(options)
    source: Source = resolve_source(dataset, data_dir, dict(reader_options or {}))
    key = cache.cache_key({**source.identity, "options": options.to_dict()})
    if use_cache and (hit := cache.load(key)) is not None:
        return hit
    raw = source.load()
    if isinstance(raw, PreWindowed):
        splits, meta = build_prewindowed(raw, options)
    else:
        splits, meta = build(raw, options)
    meta["reader_version"] = source.version
    meta["reader_options"] = source.identity.get("reader_options", {})
    prepared = PreparedDataset(**splits, meta=meta)
    add_split_counts(meta["report"], prepared)
    if use_cache:
        cache.save(key, prepared)
    meta["cache"] = {"key": key, "loaded": False}
    return prepared
