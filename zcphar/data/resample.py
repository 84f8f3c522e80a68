"""Resampling recordings to the target rate, and filling NaN gaps.

Three resamplers (DATASETS.md §1–§2):

- ``stride``: keep every k-th row, k = native / target (the paper; no anti-alias filter).
- ``poly``: `scipy.signal.resample_poly` with up/down = the reduced fraction target / native.
- ``time``: for irregular timestamps: per recording sort by time, drop duplicate timestamps,
  split at gaps longer than `max_gap_s`, interpolate onto a uniform grid at the nominal native
  rate, then ``poly``.

Labels are never interpolated: a resampled row takes the label of the last original row at or
before its time (zero-order hold).
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pandas as pd
from scipy.signal import resample_poly

from zcphar.data.protocol import RESAMPLERS
from zcphar.data.types import Recording
from zcphar.errors import ZcpharError


def ratio(native: float, target: float) -> Fraction:
    """target / native as a reduced fraction (up / down), e.g. 50 / 100 -> 1/2, 50 / 25 -> 2."""
    return Fraction(target / native).limit_denominator(1000)


def resolve_resampler(requested: str, mode: str, native: float, target: float,
                      irregular: bool) -> str:
    """The resampler that will run for `requested` (``auto`` resolved); refuses impossible ones.

    ``auto``: ``time`` for irregular data; else ``stride`` in paper mode when native / target is
    an integer and ``poly`` otherwise (upsampling, rational ratios, and clean mode).
    """
    if requested not in RESAMPLERS:
        raise ZcpharError(f"unknown resampler {requested!r}; choose one of: {', '.join(RESAMPLERS)}")
    integer = (native / target).is_integer()
    if requested == "auto":
        if irregular:
            return "time"
        return "stride" if mode == "paper" and integer else "poly"
    if requested == "stride" and (irregular or not integer):
        why = "timestamps are irregular" if irregular else (
            f"native rate {native:g} Hz / target {target:g} Hz is not an integer")
        valid = "time, auto" if irregular else "poly, time, auto"
        raise ZcpharError(f"resampler 'stride' cannot apply: {why}; choose one of: {valid}")
    return requested


def fill_nans(rec: Recording, policy: str) -> Recording:
    """Per channel linear interpolation then forward/back fill (``interpolate``), or stop.

    Raises:
        ZcpharError: NaNs with policy ``error``, or a channel entirely NaN in the recording.
    """
    bad = ~np.isfinite(rec.data)
    if not bad.any():
        return rec
    where = f"subject {rec.subject!r} session {rec.session!r}"
    if policy == "error":
        raise ZcpharError(f"{bad.sum()} NaN/inf values in {where}; use nan policy 'interpolate' "
                          "(choose one of: interpolate, error)")
    if bad.all(axis=0).any():
        raise ZcpharError(f"a channel of {where} is entirely NaN; it cannot be interpolated")
    frame = pd.DataFrame(np.where(bad, np.nan, rec.data))
    filled = frame.interpolate(method="linear", limit_direction="both").ffill().bfill()
    return Recording(rec.subject, rec.session, filled.to_numpy(np.float64), rec.labels,
                     rec.timestamps)


def stride(rec: Recording, k: int) -> Recording:
    """Keep every k-th row (rows 0, k, 2k, ...)."""
    times = None if rec.timestamps is None else rec.timestamps[::k]
    return Recording(rec.subject, rec.session, rec.data[::k], rec.labels[::k], times)


def poly(rec: Recording, native: float, target: float) -> Recording:
    """Anti-aliased polyphase resampling; labels by zero-order hold."""
    frac = ratio(native, target)
    up, down = frac.numerator, frac.denominator
    if up == down:
        return Recording(rec.subject, rec.session, rec.data, rec.labels, None)
    data = resample_poly(rec.data, up, down, axis=0)  # (ceil(T * up / down), C)
    source = (np.arange(data.shape[0]) * down) // up  # last original row at or before each time
    return Recording(rec.subject, rec.session, data, rec.labels[source], None)


def _pieces(rec: Recording, max_gap_s: float) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Sorted, de-duplicated (times, data, labels) pieces split at gaps longer than max_gap_s."""
    order = np.argsort(rec.timestamps, kind="stable")
    t, x, y = rec.timestamps[order], rec.data[order], rec.labels[order]
    keep = np.concatenate([[True], np.diff(t) > 0])
    t, x, y = t[keep], x[keep], y[keep]
    cuts = np.flatnonzero(np.diff(t) > max_gap_s) + 1
    return list(zip(np.split(t, cuts), np.split(x, cuts), np.split(y, cuts), strict=True))


def time_based(rec: Recording, native: float, target: float,
               max_gap_s: float) -> list[Recording]:
    """Interpolate irregular samples onto a uniform grid at `native` Hz, then `poly` to target.

    Returns one recording per gap-free piece (sessions ``<session>.0``, ``<session>.1``, ...).
    """
    if rec.timestamps is None:
        return [poly(rec, native, target)]
    out = []
    for i, (t, x, y) in enumerate(_pieces(rec, max_gap_s)):
        # + 1e-9: timestamps on exact multiples of 1/rate must not lose the last point to rounding
        grid = t[0] + np.arange(int(np.floor((t[-1] - t[0]) * native + 1e-9)) + 1) / native
        data = np.stack([np.interp(grid, t, x[:, c]) for c in range(x.shape[1])], axis=1)
        labels = y[np.searchsorted(t, grid, side="right") - 1]  # zero-order hold
        piece = Recording(rec.subject, f"{rec.session}.{i}", data, labels, None)
        out.append(poly(piece, native, target))
    return out


def resample(rec: Recording, method: str, native: float, target: float,
             max_gap_s: float = 1.0) -> list[Recording]:
    """Resample one recording with a resolved method (``stride``, ``poly`` or ``time``)."""
    if method == "stride":
        return [stride(rec, int(round(native / target)))]
    if method == "poly":
        return [poly(rec, native, target)]
    return time_based(rec, native, target, max_gap_s)
