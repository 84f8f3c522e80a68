"""Training-loop overhead: zcphar's epoch vs bare forward+backward vs a DataLoader loop.

Three loops over the same windows, same model, same optimiser, printed side by side:

- ``bare``: forward + backward + Adam step over batches sliced beforehand (no shuffling, no
  indexing): the compute floor of one epoch;
- ``zcphar``: `zcphar.train.train_epoch` (tensors on the device, one seeded randperm, index
  batches, loss read once per epoch);
- ``dataloader``: ``DataLoader(TensorDataset(X, y), batch_size, shuffle=True)`` with a
  ``.to(device)`` per batch and ``loss.item()`` per batch, as the reference code trains.

Target: zcphar / bare <= 1.10. Each loop runs one warm-up epoch, then `--repeats` epochs
round-robin with the others; the median epoch time is reported.

    python benchmarks/bench_train.py [--windows 4096] [--device cpu] [--threads 2]
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
import torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset

from zcphar.space import CNNSpec, ConvBlock, LSTMBlock, LSTMSpec, build
from zcphar.train import TrainConfig, make_optimizer, train_epoch

MODELS = {
    "cnn[16k3]": CNNSpec((ConvBlock(16, 3, 0.1),)),
    "cnn[64k5-128k5-64k3]": CNNSpec(
        (ConvBlock(64, 5, 0.1), ConvBlock(128, 5, 0.1), ConvBlock(64, 3, 0.1))
    ),
    "lstm[64-64]": LSTMSpec((LSTMBlock(64, 0.1), LSTMBlock(64, 0.0))),
}


def sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def bare_epoch(model, batches, optimizer) -> None:
    model.train()
    for xb, yb in batches:
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


def dataloader_epoch(model, loader, optimizer, device) -> float:
    model.train()
    total = 0.0
    for xb, yb in loader:
        xb, yb = xb.to(device), yb.to(device)
        loss = F.cross_entropy(model(xb), yb)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total


def timed(runs: dict, device, repeats: int) -> dict[str, float]:
    """Median epoch time of each loop; loops run round-robin so load changes hit all alike."""
    for run in runs.values():
        run()  # warm-up
    times = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            sync(device)
            start = time.perf_counter()
            run()
            sync(device)
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(t) for name, t in times.items()}


def bench(name, spec, args, device) -> dict[str, float]:
    gen = torch.Generator().manual_seed(0)
    X_cpu = torch.randn(args.windows, 3, 100, generator=gen)
    y_cpu = torch.randint(0, 6, (args.windows,), generator=gen)
    X, y = X_cpu.to(device), y_cpu.to(device)
    config = TrainConfig(batch_size=args.batch_size)
    model = build(spec, 3, 6, seed=0).to(device)
    optimizer, _ = make_optimizer(model, config)
    bs = args.batch_size
    batches = [(X[i : i + bs], y[i : i + bs]) for i in range(0, args.windows, bs)]
    loader = DataLoader(TensorDataset(X_cpu, y_cpu), batch_size=bs, shuffle=True)
    order = torch.Generator().manual_seed(1)
    runs = {
        "bare": lambda: bare_epoch(model, batches, optimizer),
        "zcphar": lambda: train_epoch(model, X, y, optimizer, bs, order),
        "dataloader": lambda: dataloader_epoch(model, loader, optimizer, device),
    }
    results = timed(runs, device, args.repeats)
    bare = results["bare"]
    print(
        f"{name:22s} {bare:8.3f} s {results['zcphar']:8.3f} s {results['zcphar'] / bare:6.3f}"
        f" {results['dataloader']:8.3f} s {results['dataloader'] / bare:6.3f}"
    )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=4096)
    parser.add_argument("--batch-size", type=int, default=256)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    print(
        f"{args.windows} windows (3 x 100), batch {args.batch_size}, device {device}, "
        f"{args.threads} threads, median of {args.repeats} epochs"
    )
    print(
        f"{'model':22s} {'bare':>10s} {'zcphar':>10s} {'ratio':>6s} {'DataLoader':>10s} {'ratio':>6s}"
    )
    for name, spec in MODELS.items():
        bench(name, spec, args, device)


if __name__ == "__main__":
    main()
