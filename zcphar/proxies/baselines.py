"""Size baselines every proxy must beat: ``params`` and ``flops``. Higher is "better" (as ranked).

Not zero-cost proxies in the literature's sense, but the baselines MGT and Abdelfattah et al.
("Zero-Cost Proxies for Lightweight NAS", ICLR 2021) compare against:

- ``params``: number of parameters of the model (every parameter of zcphar's models is trained);
- ``flops``: FLOPs of one forward on one window, as ``torch.utils.flop_counter`` counts Conv and
  Linear (2 per multiply-accumulate, biases not counted) plus, for each ``nn.LSTM`` layer and
  direction, the analytic ``T · 2 · 4h(in + h)`` of its gate products (the counter does not see
  inside the fused LSTM kernel).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from zcphar.proxies.registry import proxy
from zcphar.proxies.state import eval_mode


def count_parameters(model: nn.Module) -> int:
    """Number of parameter elements."""
    return sum(p.numel() for p in model.parameters())


def lstm_flops(module: nn.LSTM, steps: int) -> int:
    """Gate-product FLOPs of one sample through `module` over `steps` time steps."""
    directions = 2 if module.bidirectional else 1
    h = module.proj_size or module.hidden_size
    total, width = 0, module.input_size
    for _ in range(module.num_layers):
        total += directions * steps * 2 * 4 * module.hidden_size * (width + h)
        width = h * directions
    return total


def count_flops(model: nn.Module, sample: torch.Tensor) -> int:
    """FLOPs of one eval-mode forward on `sample` (shape (1, ...)): Conv/Linear counted, LSTMs
    analytic."""
    recurrent: list[int] = []

    def on_lstm(module: nn.Module, inputs, output) -> None:
        seq = inputs[0]
        steps = seq.shape[1] if module.batch_first else seq.shape[0]
        recurrent.append(
            lstm_flops(module, int(steps)) * (seq.shape[0] if module.batch_first else seq.shape[1])
        )

    handles = [m.register_forward_hook(on_lstm) for m in model.modules() if isinstance(m, nn.LSTM)]
    try:
        with eval_mode(model), torch.no_grad(), FlopCounterMode(display=False) as counter:
            model(sample)
    finally:
        for h in handles:
            h.remove()
    return int(counter.get_total_flops()) + sum(recurrent)


@proxy("params", needs_data=False)
def params(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """Number of parameters (a size baseline)."""
    return float(count_parameters(model))


@proxy("flops", needs_data=False)
def flops(
    model: nn.Module, x: torch.Tensor, y: torch.Tensor, *, coverage="extended", val=None
) -> float:
    """FLOPs of one forward on one window (a size baseline)."""
    return float(count_flops(model, x[:1]))
