"""``initial_val_f1``: macro F1 of the untrained model on the validation split. Higher is better.

The trivial baseline of MGT: the untrained network's argmax predictions over the whole
validation split, ``eval()`` mode, no grad, batched. Untrained nets often predict one class, so
the values have many ties (rank them by average).
"""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics import f1_score
from torch import nn

from zcphar.errors import ZcpharError
from zcphar.proxies.registry import proxy
from zcphar.proxies.state import eval_mode

VAL_BATCH = 1024


def predict(model: nn.Module, x: torch.Tensor, batch_size: int = VAL_BATCH) -> np.ndarray:
    """Argmax predictions of `model` on `x` in eval mode (mode restored afterwards)."""
    with eval_mode(model), torch.no_grad():
        preds = [model(x[i : i + batch_size]).argmax(1).cpu() for i in range(0, len(x), batch_size)]
    return torch.cat(preds).numpy() if preds else np.zeros(0, dtype=np.int64)


def macro_f1(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = VAL_BATCH
) -> float:
    """Macro F1 of the argmax predictions on (x, y), over the classes present in y or predicted."""
    if len(x) == 0:
        raise ZcpharError("initial_val_f1: the validation split is empty")
    labels = y.detach().cpu().numpy()
    return float(f1_score(labels, predict(model, x, batch_size), average="macro", zero_division=0))


@proxy("initial_val_f1", needs_labels=True, needs_data=False, needs_val=True)
def initial_val_f1(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """Macro F1 of the untrained model's predictions on the validation split."""
    if val is None:
        raise ZcpharError("initial_val_f1 needs the validation split (val=(x_val, y_val))")
    return macro_f1(model, val[0], val[1])
