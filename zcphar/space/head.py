"""The classifier head shared by all families: Linear(features, 512) -> ReLU -> Linear(512, K).

No dropout in the head (as in the paper's code). FLOPs follow `torch.utils.flop_counter`:
2 FLOPs per multiply-accumulate of the matrix products; bias additions and ReLU not counted.
"""

from __future__ import annotations

from torch import nn

HEAD_WIDTH = 512


def make_head(features: int, num_classes: int) -> nn.Sequential:
    """The head module mapping (N, features) to (N, num_classes) logits."""
    return nn.Sequential(
        nn.Linear(features, HEAD_WIDTH),
        nn.ReLU(),
        nn.Linear(HEAD_WIDTH, num_classes),
    )


def head_params(features: int, num_classes: int) -> int:
    """Trainable parameters of `make_head(features, num_classes)`."""
    return features * HEAD_WIDTH + HEAD_WIDTH + HEAD_WIDTH * num_classes + num_classes


def head_flops(features: int, num_classes: int) -> int:
    """Forward FLOPs of the head for one window."""
    return 2 * features * HEAD_WIDTH + 2 * HEAD_WIDTH * num_classes
