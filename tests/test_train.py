"""The training protocol: learning, the paper's settings, best-epoch selection, noise, checkpoints."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

import zcphar.train as train_mod
from zcphar.checkpoint import load_checkpoint, read_checkpoint, save_checkpoint
from zcphar.data.types import PreparedDataset, Split
from zcphar.errors import ZcpharError
from zcphar.space import CNNSpec, ConvBlock, LSTMBlock, LSTMSpec, build
from zcphar.train import TrainConfig, evaluate_test, fit, make_optimizer, train, train_epoch


@pytest.fixture(autouse=True, scope="module")
def _one_torch_thread():
    """One intra-op thread: the test machine is shared, oversubscribed threads only spin."""
    old = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(old)


SIZES = {"train": 240, "val": 90, "test": 75}


def sine_split(n: int, rng: np.random.Generator, classes: int = 3, window: int = 32) -> Split:
    """Windows of 3 channels whose sine frequency depends on the class, plus noise."""
    y = rng.integers(0, classes, n)
    t = np.arange(window)
    phase = rng.uniform(0, 2 * np.pi, (n, 1, 1))
    freq = (0.15 + 0.25 * y)[:, None, None]
    X = np.sin(freq * t[None, None, :] + phase + np.arange(3)[None, :, None])
    X = X + 0.3 * rng.standard_normal(X.shape)
    return Split(X.astype(np.float32), y.astype(np.int64), np.zeros(n, dtype=np.int64))


@pytest.fixture(scope="module")
def data() -> PreparedDataset:
    rng = np.random.default_rng(0)
    splits = {name: sine_split(n, rng) for name, n in SIZES.items()}
    return PreparedDataset(**splits, meta={"name": "sines", "classes": ["a", "b", "c"]})


TINY_CNN = CNNSpec((ConvBlock(8, 5, 0.1),))


def test_training_reaches_clearly_above_chance(data):
    config = TrainConfig.preset("quick", epochs=6, lr=3e-3, batch_size=32, noise_variances=())
    result = train(TINY_CNN, data, config, seed=0)
    assert result["best_val_f1"] > 0.8  # chance is about 0.33
    assert result["test_f1"] > 0.7
    assert len(result["train_loss"]) == 6 and len(result["val_f1"]) == 6
    assert result["train_loss"][-1] < result["train_loss"][0]
    assert result["best_val_f1"] == max(result["val_f1"])
    assert result["val_f1"][result["best_epoch"] - 1] == result["best_val_f1"]
    assert result["train_windows"] == SIZES["train"] and result["device"] == "cpu"


def test_lstm_trains_and_same_seed_same_result(data):
    spec = LSTMSpec((LSTMBlock(8, 0.1), LSTMBlock(8, 0.0)))
    config = TrainConfig(epochs=1, batch_size=64, noise_variances=(0.01,))
    a = train(spec, data, config, seed=3)
    b = train(spec, data, config, seed=3)
    assert a["val_f1"] == b["val_f1"] and a["train_loss"] == b["train_loss"]
    assert a["noise_test_f1"] == b["noise_test_f1"]


def test_paper_preset_is_the_papers_protocol():
    config = TrainConfig.preset("paper")
    assert (config.epochs, config.lr, config.weight_decay, config.batch_size) == (
        50,
        1e-4,
        1e-4,
        256,
    )
    assert (config.step_size, config.gamma) == (10, 0.8)
    assert config.noise_variances == (0.001, 0.01, 0.05, 0.5)
    optimizer, scheduler = make_optimizer(nn.Linear(2, 2), config)
    assert isinstance(optimizer, torch.optim.Adam)
    assert optimizer.defaults["lr"] == 1e-4 and optimizer.defaults["weight_decay"] == 1e-4
    assert isinstance(scheduler, torch.optim.lr_scheduler.StepLR)
    lrs = []
    for _ in range(25):
        lrs.append(optimizer.param_groups[0]["lr"])
        optimizer.step()
        scheduler.step()
    assert lrs[:10] == [1e-4] * 10
    assert lrs[10:20] == pytest.approx([0.8e-4] * 10)
    assert lrs[20:] == pytest.approx([0.64e-4] * 5)


def test_scheduler_steps_once_per_epoch(data, monkeypatch):
    calls = []
    original = torch.optim.lr_scheduler.StepLR.step
    monkeypatch.setattr(
        torch.optim.lr_scheduler.StepLR,
        "step",
        lambda self, *a: (calls.append(1), original(self, *a)),
    )
    fit(build(TINY_CNN, 3, 3, seed=0), data, TrainConfig(epochs=3, noise_variances=()))
    assert len(calls) == 1 + 3  # StepLR's constructor steps once, then once per epoch


def test_best_epoch_from_validation_and_test_evaluated_once(data, monkeypatch):
    val_scores = iter([0.1, 0.3, 0.9, 0.5, 0.2, 0.8])  # initial, then epochs 1..5
    snapshots, test_calls = [], []

    def fake_f1(model, X, y, batch_size=4096, amp=False):
        state = {k: v.clone() for k, v in model.state_dict().items()}
        if X.shape[0] == SIZES["val"]:
            snapshots.append(state)
            return next(val_scores)
        test_calls.append(state)
        return 0.5

    monkeypatch.setattr(train_mod, "evaluate_f1", fake_f1)
    config = TrainConfig(epochs=5, lr=1e-2, batch_size=64, noise_variances=(0.01, 0.5))
    result = fit(build(TINY_CNN, 3, 3, seed=0), data, config)
    assert result["best_epoch"] == 2 and result["best_val_f1"] == 0.9
    assert result["initial_val_f1"] == 0.1
    assert len(test_calls) == 3  # clean once, then once per noise variance
    for state in test_calls + [result["state_dict"]]:
        for key, value in snapshots[2].items():  # the weights validated after epoch 2
            assert torch.equal(state[key], value)
    assert not torch.equal(snapshots[2]["head.0.weight"], snapshots[5]["head.0.weight"])


class Recorder(nn.Module):
    """Predicts class 0 and records every input it sees."""

    def __init__(self):
        super().__init__()
        self.seen = []
        self.w = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        self.seen.append(x.detach().clone())
        return torch.zeros(x.shape[0], 3) + self.w


def test_noise_has_the_stated_variances(data):
    model = Recorder()
    config = TrainConfig(noise_variances=(0.001, 0.05, 0.5), eval_batch_size=10_000)
    out = evaluate_test(model, data.test, config, seed=7)
    clean, *noisy = model.seen
    assert torch.equal(clean, torch.as_tensor(data.test.X))
    for variance, x in zip(config.noise_variances, noisy, strict=True):
        noise = (x - clean).double()
        assert abs(noise.mean().item()) < 4 * variance**0.5 / noise.numel() ** 0.5
        assert noise.var().item() == pytest.approx(variance, rel=0.05)
    assert set(out["noise_test_f1"]) == {"0.001", "0.05", "0.5"}
    model.seen.clear()
    evaluate_test(model, data.test, config, seed=7)
    assert all(torch.equal(a, b) for a, b in zip(model.seen, [clean, *noisy], strict=True))


def test_an_epoch_visits_every_window_once_in_seeded_batches():
    X = torch.arange(10, dtype=torch.float32).reshape(10, 1, 1)
    y = torch.zeros(10, dtype=torch.long)
    model = Recorder()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    loss = train_epoch(model, X, y, optimizer, 4, torch.Generator().manual_seed(1))
    assert [len(b) for b in model.seen] == [4, 4, 2]
    assert sorted(torch.cat(model.seen).flatten().tolist()) == list(range(10))
    assert loss == pytest.approx(np.log(3), rel=1e-5)  # zero logits -> log(3) per window
    first = torch.cat(model.seen).flatten().tolist()
    model.seen.clear()
    train_epoch(model, X, y, optimizer, 4, torch.Generator().manual_seed(1))
    assert torch.cat(model.seen).flatten().tolist() == first


def test_checkpoint_round_trip(tmp_path, data):
    model = build(TINY_CNN, 3, 3, seed=5)
    path = save_checkpoint(
        tmp_path / "m.pt",
        model.state_dict(),
        TINY_CNN,
        in_channels=3,
        num_classes=3,
        window=32,
        classes=["a", "b", "c"],
    )
    loaded, info = load_checkpoint(path)
    assert info["spec"] == TINY_CNN.to_dict() and info["classes"] == ["a", "b", "c"]
    assert (info["in_channels"], info["num_classes"], info["window"]) == (3, 3, 32)
    x = torch.as_tensor(data.test.X[:5])
    model.eval()
    assert torch.equal(loaded(x), model(x))
    assert torch.load(path, weights_only=True)["format"] == read_checkpoint(path)["format"]


def test_bad_input_is_refused(tmp_path):
    with pytest.raises(ZcpharError, match="'fast'.*paper, quick"):
        TrainConfig.preset("fast")
    with pytest.raises(ZcpharError, match="'epoch'"):
        TrainConfig.from_dict({"epoch": 3})
    with pytest.raises(ZcpharError, match="epochs"):
        TrainConfig(epochs=0)
    with pytest.raises(ZcpharError, match="not found"):
        read_checkpoint(tmp_path / "missing.pt")
    torch.save({"weights": torch.zeros(1)}, tmp_path / "other.pt")
    with pytest.raises(ZcpharError, match="not a zcphar checkpoint"):
        read_checkpoint(tmp_path / "other.pt")


def test_config_hash_follows_results_not_eval_batch():
    base = TrainConfig()
    assert base.hash() == TrainConfig.from_dict(base.to_dict()).hash()
    assert base.hash() == TrainConfig(eval_batch_size=99).hash()
    assert base.hash() != TrainConfig(epochs=49).hash()
    assert base.hash() != TrainConfig(seed=1).hash()
