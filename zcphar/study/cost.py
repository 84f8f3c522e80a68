"""What a study costs before running it: training FLOPs from the sampled architectures.

Training FLOPs = 3 × forward FLOPs per window × training windows × epochs (backward ≈ 2 ×
forward), as `RunStore.paper_table`'s ``train_flops``. Converting FLOPs to hours needs a
sustained throughput, which for these small 1D-CNNs and LSTMs is far below a GPU's peak: the
estimate states the throughput it assumes, and a measured run replaces it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from zcphar.data.types import PreparedDataset
from zcphar.space import count_flops, sample
from zcphar.study.presets import StudyPreset

ASSUMED_GPU_FLOPS = 5e12
"""Sustained training throughput assumed for one GPU (5 TFLOP/s: small convolutions and
LSTMs with batch 256 reach a few percent of a modern GPU's dense peak)."""


@dataclass
class CostEstimate:
    architectures: int
    train_windows: int
    epochs: int
    train_flops: float
    gpu_hours: float
    assumed_flops_per_s: float

    def describe(self) -> str:
        return (
            f"{self.architectures} architectures × {self.train_windows} training windows × "
            f"{self.epochs} epochs: {self.train_flops:.3e} FLOPs of training, about "
            f"{self.gpu_hours:.1f} GPU-hours at an assumed sustained "
            f"{self.assumed_flops_per_s / 1e12:g} TFLOP/s (an estimate, not a measurement)"
        )


def estimate(
    data: PreparedDataset, preset: StudyPreset, *, seed: int = 0,
    flops_per_s: float = ASSUMED_GPU_FLOPS,
) -> CostEstimate:
    """Training cost of `preset` on `data`, from the architectures the study would sample."""
    specs = sample(preset.architectures, np.random.default_rng(seed), ratio=preset.ratio,
                   constraints=preset.constraints, in_channels=data.num_channels,
                   num_classes=data.num_classes, window=data.window)
    forward = sum(count_flops(s, data.num_channels, data.window, data.num_classes) for s in specs)
    total = 3.0 * forward * len(data.train) * preset.train.epochs
    return CostEstimate(len(specs), len(data.train), preset.train.epochs, total,
                        total / flops_per_s / 3600.0, flops_per_s)
