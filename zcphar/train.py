"""The paper's training protocol, fast on its device.

MGT trains every sampled architecture the same way: Xavier-normal initial weights, Adam (lr 1e-4,
weight decay 1e-4), batch size 256, 50 epochs, StepLR (step 10, gamma 0.8) stepped once per
epoch, cross-entropy. After each epoch the validation macro F1 is computed; the weights of the
best validation epoch are kept and evaluated once on the test split, clean and with zero-mean
Gaussian noise of variance 0.001, 0.01, 0.05 and 0.5 added to the (normalised) test windows.

Speed: the windows live as tensors on the device, batches are drawn by indexing with a seeded
`torch.randperm` (no DataLoader, no per-sample Python work), evaluation runs in large batches
under `torch.inference_mode`.

    config = TrainConfig.preset("quick")
    result = train(spec, prepared, config, device="cpu", seed=0)
    result["best_val_f1"], result["test_f1"], result["noise_test_f1"]["0.05"]
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import asdict, dataclass, fields, replace
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from sklearn.metrics import f1_score
from torch import nn
from tqdm.auto import tqdm

from zcphar.data.types import PreparedDataset, Split
from zcphar.errors import ZcpharError, unknown_choice

PAPER_NOISE_VARIANCES = (0.001, 0.01, 0.05, 0.5)


@dataclass(frozen=True)
class TrainConfig:
    """Every setting of a training run (defaults: the paper's protocol).

    Attributes:
        epochs: passes over the training windows (paper: 50, no early stopping).
        lr: Adam learning rate (paper: 1e-4).
        weight_decay: Adam weight decay (paper: 1e-4).
        batch_size: training batch size (paper: 256).
        step_size: StepLR step in epochs (paper: 10); the scheduler steps once per epoch.
        gamma: StepLR factor (paper: 0.8).
        noise_variances: variances of the Gaussian noise added to the test windows.
        seed: default seed of a run: initial weights, batch order and noise draws.
        head_init: ``xavier`` (the paper's description) or ``default`` (PyTorch's head init).
        eval_batch_size: windows per forward when evaluating.
        amp: bfloat16 autocast on CUDA (ignored on CPU).
        channels_last: keep windows as (N, T, C) in memory on CUDA (a strided (N, C, T) view).
    """

    epochs: int = 50
    lr: float = 1e-4
    weight_decay: float = 1e-4
    batch_size: int = 256
    step_size: int = 10
    gamma: float = 0.8
    noise_variances: tuple[float, ...] = PAPER_NOISE_VARIANCES
    seed: int = 0
    head_init: str = "xavier"
    eval_batch_size: int = 4096
    amp: bool = False
    channels_last: bool = False

    def __post_init__(self) -> None:
        for name in ("epochs", "batch_size", "step_size", "eval_batch_size"):
            if int(getattr(self, name)) < 1:
                raise ZcpharError(f"{name} must be >= 1, got {getattr(self, name)!r}")
        if self.lr <= 0 or self.weight_decay < 0 or not 0 < self.gamma <= 1:
            raise ZcpharError(
                f"need lr > 0, weight_decay >= 0, 0 < gamma <= 1; got lr={self.lr!r}, "
                f"weight_decay={self.weight_decay!r}, gamma={self.gamma!r}"
            )
        if any(v < 0 for v in self.noise_variances):
            raise ZcpharError(f"noise variances must be >= 0, got {self.noise_variances!r}")
        if self.head_init not in ("xavier", "default"):
            raise unknown_choice("head_init", self.head_init, ("xavier", "default"))
        object.__setattr__(self, "noise_variances", tuple(float(v) for v in self.noise_variances))

    @classmethod
    def preset(cls, name: str, **overrides: Any) -> TrainConfig:
        """A named preset (``paper`` or ``quick``) with optional field overrides."""
        if name not in PRESETS:
            raise unknown_choice("training preset", name, sorted(PRESETS))
        return replace(PRESETS[name], **overrides)

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> TrainConfig:
        """Inverse of `to_dict`; unknown keys raise ZcpharError listing the valid ones."""
        valid = {f.name for f in fields(cls)}
        bad = sorted(set(d) - valid)
        if bad:
            raise unknown_choice("training option", bad[0], sorted(valid))
        return cls(**d)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["noise_variances"] = list(self.noise_variances)
        return d

    def hash(self) -> str:
        """Short stable hash of the settings that change results (not eval_batch_size)."""
        d = self.to_dict()
        d.pop("eval_batch_size")
        blob = json.dumps(d, sort_keys=True).encode()
        return hashlib.sha256(blob).hexdigest()[:12]


PRESETS: dict[str, TrainConfig] = {
    "paper": TrainConfig(),
    "quick": TrainConfig(epochs=5, lr=1e-3, step_size=2),
}
"""`paper`: the MGT protocol. `quick`: 5 epochs at lr 1e-3 (StepLR step 2), for a laptop CPU."""


def noise_key(variance: float) -> str:
    """The name of a noise level in results and tables, e.g. ``0.001`` or ``0.5``."""
    return repr(float(variance))


def macro_f1(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """scikit-learn's macro F1 (labels present in truth or prediction; 0 for empty classes)."""
    return float(f1_score(y_true, y_pred, average="macro", zero_division=0))


def predict(model: nn.Module, X: torch.Tensor, batch_size: int = 4096, amp: bool = False):
    """Argmax predictions of `model` (eval mode, inference mode) over X (N, C, T), batched."""
    was_training = model.training
    model.eval()
    out = []
    with torch.inference_mode(), _autocast(X.device, amp):
        for start in range(0, X.shape[0], batch_size):
            out.append(model(X[start : start + batch_size]).argmax(dim=1))
    model.train(was_training)
    return torch.cat(out).cpu().numpy() if out else np.zeros(0, dtype=np.int64)


def evaluate_f1(
    model: nn.Module, X: torch.Tensor, y: np.ndarray, batch_size: int = 4096, amp: bool = False
) -> float:
    """Macro F1 of `model` on windows X (on the model's device) against labels y."""
    return macro_f1(y, predict(model, X, batch_size, amp))


def train_epoch(
    model: nn.Module,
    X: torch.Tensor,
    y: torch.Tensor,
    optimizer,
    batch_size: int,
    generator: torch.Generator,
    amp: bool = False,
) -> float:
    """One pass over (X, y) in a random order drawn from `generator`; returns the mean loss.

    Batches are slices of one `torch.randperm` permutation (the last one may be short), as a
    shuffled DataLoader without drop_last would give. The loss is summed on the device and read
    once per epoch.
    """
    model.train()
    n = X.shape[0]
    order = torch.randperm(n, generator=generator).to(X.device, non_blocking=True)
    total = torch.zeros((), device=X.device)
    for start in range(0, n, batch_size):
        idx = order[start : start + batch_size]
        with _autocast(X.device, amp):
            loss = F.cross_entropy(model(X[idx]), y[idx])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        total += loss.detach().float() * idx.shape[0]
    return float(total) / max(n, 1)


def make_optimizer(model: nn.Module, config: TrainConfig):
    """The paper's Adam and per-epoch StepLR scheduler for `model`."""
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, config.step_size, config.gamma)
    return optimizer, scheduler


def fit(
    model: nn.Module,
    data: PreparedDataset,
    config: TrainConfig,
    *,
    device="cpu",
    seed: int = 0,
    progress: bool = False,
) -> dict[str, Any]:
    """Train an already-built `model` on `data` with the protocol in `config`.

    Args:
        model: a module mapping (N, C, T) float32 to (N, num_classes) logits.
        data: the prepared dataset (train/val/test splits).
        config: the training settings.
        device: where to train (``cpu``, ``cuda``, ``cuda:1``...).
        seed: seeds the batch order (seed), the test noise (seed + 1) and dropout (seed + 2,
            in a fork of torch's global generator, restored afterwards).
        progress: show a tqdm bar over epochs.

    Returns:
        Plain data: initial_val_f1, best_val_f1, best_epoch (1-based), test_f1, noise_test_f1
        ({noise_key(variance): F1}), train_loss and val_f1 (one per epoch), train_windows,
        epochs, seconds, device, and state_dict (the best epoch's weights, on the CPU).
    """
    device = torch.device(device)
    # Dropout draws from torch's global generator (it takes none): seed it inside a fork so
    # the run is reproducible and the caller's random state is left as it was.
    forked = [device] if device.type == "cuda" else []
    with torch.random.fork_rng(devices=forked, device_type=device.type):
        torch.manual_seed(seed + 2)
        return _fit(model, data, config, device, seed, progress)


def _fit(model, data, config, device, seed, progress) -> dict[str, Any]:
    start = time.perf_counter()
    amp = config.amp and device.type == "cuda"
    model = model.to(device)
    tensors = {name: _to_device(data.split(name), device, config) for name in ("train", "val")}
    X_tr, y_tr = tensors["train"]
    X_val, _ = tensors["val"]
    initial_val_f1 = evaluate_f1(model, X_val, data.val.y, config.eval_batch_size, amp)
    optimizer, scheduler = make_optimizer(model, config)
    generator = torch.Generator().manual_seed(seed)
    best = {"f1": -1.0, "epoch": 0, "state": None}
    losses, val_f1s = [], []
    for epoch in tqdm(
        range(1, config.epochs + 1), desc="epochs", disable=not progress, leave=False
    ):
        losses.append(train_epoch(model, X_tr, y_tr, optimizer, config.batch_size, generator, amp))
        if not math.isfinite(losses[-1]):  # diverged: a failed job, not a result
            raise FloatingPointError(f"training loss is {losses[-1]} at epoch {epoch}")
        scheduler.step()
        val_f1s.append(evaluate_f1(model, X_val, data.val.y, config.eval_batch_size, amp))
        if val_f1s[-1] > best["f1"]:
            best = {"f1": val_f1s[-1], "epoch": epoch, "state": _cpu_state(model)}
    del tensors, X_tr, y_tr, X_val
    model.load_state_dict(best["state"])
    test = evaluate_test(model, data.test, config, device=device, seed=seed + 1)
    return {
        "initial_val_f1": initial_val_f1,
        "best_val_f1": best["f1"],
        "best_epoch": best["epoch"],
        **test,
        "train_loss": losses,
        "val_f1": val_f1s,
        "train_windows": len(data.train),
        "epochs": config.epochs,
        "seconds": time.perf_counter() - start,
        "device": str(device),
        "state_dict": best["state"],
    }


def evaluate_test(
    model: nn.Module, split: Split, config: TrainConfig, *, device="cpu", seed: int = 0
) -> dict[str, Any]:
    """Test macro F1 of `model`, clean and with Gaussian noise of each configured variance.

    Noise of variance v is zero-mean Gaussian with standard deviation sqrt(v), drawn on the CPU
    from a `torch.Generator` seeded with `seed` (one draw per variance, in order) and added to
    the normalised test windows.
    """
    device = torch.device(device)
    amp = config.amp and device.type == "cuda"
    X = torch.as_tensor(split.X)
    clean = evaluate_f1(model, X.to(device), split.y, config.eval_batch_size, amp)
    generator = torch.Generator().manual_seed(seed)
    noisy = {}
    for variance in config.noise_variances:
        noise = torch.randn(X.shape, generator=generator, dtype=X.dtype) * variance**0.5
        noisy[noise_key(variance)] = evaluate_f1(
            model, (X + noise).to(device), split.y, config.eval_batch_size, amp
        )
    return {"test_f1": clean, "noise_test_f1": noisy}


def train(
    spec,
    data: PreparedDataset,
    config: TrainConfig | None = None,
    *,
    device="cpu",
    seed: int | None = None,
    progress: bool = False,
) -> dict[str, Any]:
    """Build `spec` with seeded initial weights and train it with `config` (see `fit`).

    Args:
        spec: an architecture spec of `zcphar.space`.
        data: the prepared dataset.
        config: training settings; None = the paper's protocol.
        device: where to train.
        seed: initial weights (``build(spec, seed=seed)``), batch order and noise; None uses
            ``config.seed``.
        progress: show per-epoch progress.

    Returns:
        `fit`'s dict plus ``seed``.
    """
    from zcphar.space import build

    config = config or TrainConfig()
    seed = config.seed if seed is None else int(seed)
    model = build(spec, data.num_channels, data.num_classes, seed=seed, head_init=config.head_init)
    result = fit(model, data, config, device=device, seed=seed, progress=progress)
    result["seed"] = seed
    return result


def _to_device(split: Split, device: torch.device, config: TrainConfig):
    X = torch.as_tensor(split.X, dtype=torch.float32)
    if config.channels_last and device.type == "cuda":
        X = X.transpose(1, 2).contiguous().transpose(1, 2)  # (N, C, T) view of (N, T, C) memory
    return X.to(device), torch.as_tensor(split.y, dtype=torch.long).to(device)


def _cpu_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return {k: v.detach().to("cpu", copy=True) for k, v in model.state_dict().items()}


def _autocast(device: torch.device, amp: bool):
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=amp)


__all__ = [
    "PAPER_NOISE_VARIANCES",
    "PRESETS",
    "TrainConfig",
    "evaluate_f1",
    "evaluate_test",
    "fit",
    "macro_f1",
    "make_optimizer",
    "noise_key",
    "predict",
    "train",
    "train_epoch",
]
