"""Put a model in scoring state and give it back exactly as found.

Scoring always runs in ``train()`` mode (the references do; cuDNN LSTM backward needs it) with
every parameter requiring grad. The dropout policy is ``off`` (every ``nn.Dropout*.p`` and
``nn.LSTM.dropout`` set to 0: deterministic scores) or ``on`` (as in MGT: random scores). On
exit the modes, dropout rates, ``requires_grad`` flags and buffers (BatchNorm running
statistics, which a train-mode forward updates) are restored.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch
from torch import nn

from zcphar.errors import unknown_choice

DROPOUTS = ("off", "on")


def check_dropout(dropout: str) -> str:
    """Validate a dropout policy name.

    Raises:
        ZcpharError: unknown policy; the message lists the valid ones.
    """
    if dropout not in DROPOUTS:
        raise unknown_choice("dropout policy", dropout, DROPOUTS)
    return dropout


def apply_scoring_state(model: nn.Module, dropout: str = "off") -> None:
    """Set train mode, the dropout policy and ``requires_grad`` in place (no restore).

    Used on throw-away copies (the per-proxy path); `scoring_state` restores afterwards.
    """
    check_dropout(dropout)
    model.train()
    for p in model.parameters():
        p.requires_grad_(True)
    if dropout == "off":
        for m in model.modules():
            if isinstance(m, nn.modules.dropout._DropoutNd):
                m.p = 0.0
            elif isinstance(m, nn.RNNBase):
                m.dropout = 0.0


@contextmanager
def scoring_state(model: nn.Module, dropout: str = "off") -> Iterator[nn.Module]:
    """Context manager: the model in scoring state inside, exactly as found after.

    Args:
        model: the model to score (changed in place inside the block, restored on exit).
        dropout: ``off`` or ``on``.

    Yields:
        The same model.
    """
    check_dropout(dropout)
    modes = [(m, m.training) for m in model.modules()]
    rates = [(m, m.p) for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
    rnn_rates = [(m, m.dropout) for m in model.modules() if isinstance(m, nn.RNNBase)]
    flags = [(p, p.requires_grad) for p in model.parameters()]
    buffers = [(b, b.detach().clone()) for b in model.buffers()]
    try:
        apply_scoring_state(model, dropout)
        yield model
    finally:
        for m, training in modes:
            m.training = training
        for m, p in rates:
            m.p = p
        for m, p in rnn_rates:
            m.dropout = p
        for p, flag in flags:
            p.requires_grad_(flag)
        with torch.no_grad():
            for b, saved in buffers:
                b.copy_(saved)


@contextmanager
def eval_mode(model: nn.Module) -> Iterator[nn.Module]:
    """Context manager: ``eval()`` inside, every module's mode restored after."""
    modes = [(m, m.training) for m in model.modules()]
    try:
        yield model.eval()
    finally:
        for m, training in modes:
            m.training = training
