"""The validation report of a dataset (DATASETS.md §7): facts, warnings, class counts per split.

`validate` looks at the raw recordings before any processing; `add_split_counts` adds the
windows per class per split once they exist. The report is a JSON-ready dict stored in
``PreparedDataset.meta["report"]`` and printed by ``zcphar prepare --report``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from zcphar.data.types import SPLITS, UNLABELLED, PreparedDataset, RawDataset


def _timestamp_facts(raw: RawDataset, max_gap_s: float) -> dict[str, Any]:
    deltas, non_monotonic, duplicates, gaps = [], [], [], 0
    for rec in raw.recordings:
        if rec.timestamps is None or len(rec) < 2:
            continue
        dt = np.diff(rec.timestamps)
        deltas.append(dt)
        where = f"{rec.subject}/{rec.session}"
        if (dt < 0).any():
            non_monotonic.append(where)
        if (dt == 0).any():
            duplicates.append(where)
        gaps += int((dt > max_gap_s).sum())
    if not deltas:
        return {"effective_rate_hz": None, "non_monotonic": [], "duplicate_timestamps": [],
                "gaps": 0}
    median = float(np.median(np.concatenate(deltas)))
    return {
        "effective_rate_hz": round(1.0 / median, 3) if median > 0 else None,
        "non_monotonic": non_monotonic,
        "duplicate_timestamps": duplicates,
        "gaps": gaps,
    }


def _channel_facts(raw: RawDataset) -> dict[str, Any]:
    data = np.concatenate([r.data for r in raw.recordings])  # (rows, C)
    finite = np.isfinite(data)
    nan_fraction = {c: round(float(1 - finite[:, i].mean()), 6)
                    for i, c in enumerate(raw.channels)}
    constant = [c for i, c in enumerate(raw.channels)
                if np.nanstd(np.where(finite[:, i], data[:, i], np.nan)) == 0]
    acc = [i for i, c in enumerate(raw.channels) if "acc" in c.lower()][:3]
    magnitude = None
    if len(acc) == 3:
        norms = np.linalg.norm(data[:, acc], axis=1)
        magnitude = round(float(np.nanmedian(norms)), 3) if np.isfinite(norms).any() else None
    return {"nan_fraction": nan_fraction, "constant_channels": constant,
            "median_acc_magnitude": magnitude}


def validate(raw: RawDataset, window: int | None = None,
             max_gap_s: float = 1.0) -> dict[str, Any]:
    """Facts and warnings about a raw dataset.

    Args:
        raw: the reader's output.
        window: window length in native rows, to flag recordings shorter than one window.
        max_gap_s: timestamp gaps longer than this are counted (the clean-mode threshold).

    Returns:
        rows, subjects, sessions, declared and effective rate, non-monotonic/duplicate
        timestamps, gaps, NaN fraction per channel, constant channels, median |acc|, unlabelled share, classes per subject, warnings.
    """
    labels = np.concatenate([r.labels for r in raw.recordings])
    report: dict[str, Any] = {
        "rows": int(labels.size),
        "subjects": len(raw.subjects),
        "sessions": len(raw.recordings),
        "declared_rate_hz": raw.rate_hz,
        **_timestamp_facts(raw, max_gap_s),
        **_channel_facts(raw),
        "unlabelled_fraction": round(float((labels == UNLABELLED).mean()), 6),
        "rows_per_class": {c: int((labels == i).sum()) for i, c in enumerate(raw.classes)},
        "classes_per_subject": {
            str(s): len({int(v) for r in raw.recordings if r.subject == s
                         for v in np.unique(r.labels) if v != UNLABELLED})
            for s in raw.subjects
        },
    }
    report["short_sessions"] = ([f"{r.subject}/{r.session}" for r in raw.recordings
                                 if len(r) < window] if window else [])
    report["warnings"] = _warnings(report)
    return report


def _warnings(report: dict[str, Any]) -> list[str]:
    out = []
    eff, declared = report["effective_rate_hz"], report["declared_rate_hz"]
    if eff and declared and abs(eff - declared) > 0.02 * declared:
        out.append(f"effective rate {eff:g} Hz differs from the declared {declared:g} Hz")
    if report["non_monotonic"]:
        out.append(f"{len(report['non_monotonic'])} session(s) with non-monotonic timestamps")
    if report["gaps"]:
        out.append(f"{report['gaps']} timestamp gap(s) longer than the gap threshold")
    if report["duplicate_timestamps"]:
        out.append(f"{len(report['duplicate_timestamps'])} session(s) with duplicate timestamps")
    nans = {c: f for c, f in report["nan_fraction"].items() if f > 0}
    if nans:
        out.append("NaN/inf values in channels " + ", ".join(f"{c} ({f:.2%})" for c, f in nans.items()))
    if report["constant_channels"]:
        out.append("constant channels: " + ", ".join(report["constant_channels"]))
    if report["short_sessions"]:
        out.append(f"{len(report['short_sessions'])} session(s) shorter than one window")
    return out


def add_split_counts(report: dict[str, Any], prepared: PreparedDataset) -> dict[str, Any]:
    """Add ``windows_per_class`` ({split: {class: count}}) to `report` and return it."""
    classes = prepared.meta["classes"]
    report["windows_per_class"] = {
        s: {c: int((prepared.split(s).y == i).sum()) for i, c in enumerate(classes)}
        for s in SPLITS
    }
    return report


def format_report(report: dict[str, Any]) -> str:
    """The report as readable text, one fact per line."""
    lines = [
        f"rows {report['rows']}, subjects {report['subjects']}, sessions {report['sessions']}",
        f"rate: declared {report['declared_rate_hz']} Hz, effective (median dt) "
        f"{report['effective_rate_hz'] or 'n/a (no timestamps)'}",
        "NaN fraction: " + ", ".join(f"{c} {f:g}" for c, f in report["nan_fraction"].items()),
        f"unlabelled rows: {report['unlabelled_fraction']:.2%}",
        f"median |acc|: {report['median_acc_magnitude']}",
    ]
    for split, counts in report.get("windows_per_class", {}).items():
        lines.append(f"{split} windows per class: "
                     + ", ".join(f"{c} {n}" for c, n in counts.items()))
    lines += [f"warning: {w}" for w in report["warnings"]] or ["no warnings"]
    return "\n".join(lines)
