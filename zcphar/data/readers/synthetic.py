"""A seeded generator of realistic-looking multi-subject recordings, for tests and smoke runs.

Each (subject, session) is a sequence of activity segments, one per class in a random order.
Class c oscillates at a class-dependent frequency and amplitude (shifted a little per subject),
on top of a gravity-like offset, plus Gaussian noise. With ``jitter > 0`` the timestamps are
irregular, which exercises the time-based resampler.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from zcphar.data.registry import register_dataset
from zcphar.data.types import RawDataset, Recording
from zcphar.errors import ZcpharError

OPTIONS = {
    "subjects": "number of subjects (default 5)",
    "sessions": "sessions per subject (default 2)",
    "classes": "number of classes (default 3)",
    "channels": "number of accelerometer channels (default 3)",
    "seconds": "seconds per activity segment (default 4)",
    "rate": "sampling rate in Hz (default 50)",
    "jitter": "timestamp jitter as a fraction of the sample period; >0 makes it irregular (0)",
    "noise": "noise standard deviation (default 0.2)",
    "seed": "random seed (default 0)",
}


def _locate() -> Path:
    return Path("<generated>")


def _channel_names(n: int) -> list[str]:
    return ["acc_x", "acc_y", "acc_z"] if n == 3 else [f"acc_{i}" for i in range(n)]


def _segment(rng: np.random.Generator, c: int, n: int, rate: float, channels: int,
             shift: float, noise: float) -> np.ndarray:
    """(n, channels) samples of class c: sinusoids at a class frequency and amplitude."""
    t = np.arange(n) / rate
    freq = (0.6 + 0.9 * c) * shift
    amp = 0.5 + 0.4 * c
    phase = rng.uniform(0, 2 * np.pi, size=channels)
    gravity = np.zeros(channels)
    gravity[-1] = 1.0
    wave = amp * np.sin(2 * np.pi * freq * t[:, None] + phase[None, :])  # (n, C)
    return gravity + wave + noise * rng.standard_normal((n, channels))


def _check(name: str, value: float, low: float) -> None:
    if not value >= low:
        raise ZcpharError(f"synthetic option {name}={value!r} must be >= {low}")


@register_dataset(
    "synthetic",
    "Seeded synthetic multi-subject recordings (class-dependent sinusoids + noise)",
    locate=_locate,
    version="1",
    options=OPTIONS,
)
def load_synthetic(data_dir: Path | None = None, *, subjects: int = 5, sessions: int = 2,
                   classes: int = 3, channels: int = 3, seconds: float = 4.0, rate: float = 50.0,
                   jitter: float = 0.0, noise: float = 0.2, seed: int = 0) -> RawDataset:
    """Generate a small dataset (`data_dir` is ignored; everything comes from `seed`).

    Returns:
        `subjects` x `sessions` recordings, each holding one segment of every class.
    """
    for name, value, low in [("subjects", subjects, 1), ("sessions", sessions, 1),
                             ("classes", classes, 1), ("channels", channels, 1),
                             ("seconds", seconds, 0.1), ("rate", rate, 1), ("jitter", jitter, 0),
                             ("noise", noise, 0)]:
        _check(name, value, low)
    rng = np.random.default_rng(int(seed))
    n = int(round(seconds * rate))
    recordings = []
    for subject in range(1, int(subjects) + 1):
        shift = rng.uniform(0.9, 1.1)
        for session in range(int(sessions)):
            order = rng.permutation(int(classes))
            data = np.concatenate([
                _segment(rng, int(c), n, rate, int(channels), shift, noise) for c in order
            ])
            labels = np.repeat(order, n).astype(np.int64)
            times = None
            if jitter > 0:
                dt = (1 + jitter * rng.uniform(-1, 1, size=len(labels))) / rate
                times = np.cumsum(dt) - dt[0]
            recordings.append(Recording(subject, f"s{session}", data, labels, times))
    return RawDataset(
        name="synthetic",
        recordings=recordings,
        channels=_channel_names(int(channels)),
        classes=[f"class{c}" for c in range(int(classes))],
        rate_hz=float(rate),
        irregular=jitter > 0,
        meta={"source": "generated", "seed": int(seed), "units": {"acc": "g"}},
    )
