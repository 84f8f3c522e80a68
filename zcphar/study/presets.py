"""Study presets: how many architectures, how wide, how they are scored and trained.

`quick` fits a 2-core laptop CPU in minutes on the embedded `watch` dataset; `paper` is the MGT
setting (1500 architectures, 3:1 CNN:LSTM, the full Table I widths, 50 epochs), meant for a GPU
cluster (``--engine ray --address ...``).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from zcphar.errors import unknown_choice
from zcphar.space import Constraints
from zcphar.train import TrainConfig

SCORE_MODES = (("extended", "off"), ("reference", "off"), ("reference", "on"))
"""(coverage, dropout) pairs scored by a study: zcphar's default, the paper's coverage with
dropout off, and the paper's exact mode (reference coverage, dropout active)."""


@dataclass(frozen=True)
class StudyPreset:
    """Settings of a whole study.

    Attributes:
        name: preset name.
        architectures: how many architectures to sample.
        ratio: family ratio of the sample.
        constraints: limits on sampled architectures (widths, layers, params, FLOPs).
        train: the training config.
        batch_size: the fixed scoring batch (the paper: 256).
        score_modes: (coverage, dropout) pairs to score.
        train_top: train only the union of each proxy's top K (None: train everything).
    """

    name: str
    architectures: int
    ratio: dict[str, float]
    constraints: Constraints
    train: TrainConfig
    batch_size: int = 256
    score_modes: tuple[tuple[str, str], ...] = SCORE_MODES
    train_top: int | None = None

    def with_(self, **changes: Any) -> StudyPreset:
        return replace(self, **{k: v for k, v in changes.items() if v is not None})

    def describe(self) -> str:
        """One paragraph for the report header and ``--help``."""
        c = self.constraints
        limits = ", ".join(
            f"{k.replace('max_', 'max ')} {v}" for k, v in vars(c).items() if v is not None
        )
        t = self.train
        trained = "every architecture" if self.train_top is None else (
            f"the union of each proxy's top {self.train_top}"
        )
        return (
            f"preset '{self.name}': {self.architectures} architectures "
            f"(CNN:LSTM {self.ratio.get('cnn', 0):g}:{self.ratio.get('lstm', 0):g}"
            f"{'; ' + limits if limits else '; full Table I widths'}), scored on one fixed batch "
            f"of {self.batch_size} training windows in {len(self.score_modes)} modes "
            f"({', '.join(f'{cov}/dropout {d}' for cov, d in self.score_modes)}); {trained} "
            f"trained for {t.epochs} epochs (Adam lr {t.lr:g}, weight decay {t.weight_decay:g}, "
            f"batch {t.batch_size}, StepLR {t.step_size}/{t.gamma:g})"
        )


PRESETS: dict[str, StudyPreset] = {
    "quick": StudyPreset(
        name="quick",
        architectures=24,
        ratio={"cnn": 3.0, "lstm": 1.0},
        constraints=Constraints(max_width=64, max_layers=4),
        train=TrainConfig.preset("quick", epochs=4),
    ),
    "paper": StudyPreset(
        name="paper",
        architectures=1500,
        ratio={"cnn": 3.0, "lstm": 1.0},
        constraints=Constraints(),
        train=TrainConfig.preset("paper"),
    ),
}


def get_preset(name: str) -> StudyPreset:
    """The named study preset (unknown names list the valid ones)."""
    if name not in PRESETS:
        raise unknown_choice("study preset", name, sorted(PRESETS))
    return PRESETS[name]
