"""Proxy engine benchmark: fused vs per-proxy path vs one training step, same archs, same batch.

    python benchmarks/bench_proxies.py --cnn 20 --lstm 7 --max-width 64 --threads 1

For every sampled architecture (paper search space, widths capped) and one random batch of
windows: (a) the fused path's time for the paper proxy set (grad_norm, snip, grasp, fisher,
jacob_cov, plain, synflow; no initial_val_f1) divided by one training step (forward + backward
+ Adam step on the same batch); (b) per-proxy path / fused path; (c) the peak resident memory
each path adds (Linux VmHWM reset before each run). grasp's method is compared side by side:
the fused default (CNNs: ``saliency``, ``Wᵀ H g = gᵀ ∇φ − ‖g‖²``; LSTMs: ``jet``, second-order
forward mode) against the fused path taking the vector ``H g`` by double backward and, for
CNNs, by forward-over-reverse (``jvp``), for LSTMs by ``saliency``.
Medians per family are printed as a markdown table. ``--archs benchmarks/reference_archs.jsonl``
times given architectures instead (there: the 3×128 CNN and 2×128 LSTM the engine was planned
with).
"""

from __future__ import annotations

import argparse
import copy
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from tqdm import tqdm

from zcphar.proxies import DEFAULT_MEMBERS, score_detailed
from zcphar.proxies.fused import fused_scores
from zcphar.proxies.state import scoring_state
from zcphar.space import Constraints, build, read_archs, sample

NAMES = list(DEFAULT_MEMBERS)


def _status_kib(field: str) -> int | None:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return None


def peak_added_mib(fn: Callable[[], object]) -> float:
    """Peak RSS growth (MiB) while `fn` runs; NaN where VmHWM cannot be reset."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # reset VmHWM to the current RSS
    except OSError:
        fn()
        return float("nan")
    before = _status_kib("VmRSS")
    fn()
    return ((_status_kib("VmHWM") or 0) - (before or 0)) / 1024


def median_seconds(fn: Callable[[], object], repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def train_step(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> Callable[[], None]:
    net = copy.deepcopy(model).train()
    opt = torch.optim.Adam(net.parameters())

    def step() -> None:
        opt.zero_grad()
        F.cross_entropy(net(x), y).backward()
        opt.step()

    return step


def measure(model, x, y, repeats: int, family: str) -> dict[str, float]:
    """Seconds and peak memory of one training step, the fused and the per-proxy path."""
    fused = lambda: score_detailed(model, x, y, NAMES)  # noqa: E731
    per_proxy = lambda: score_detailed(model, x, y, NAMES, path="per_proxy")  # noqa: E731
    row = {"step": median_seconds(train_step(model, x, y), repeats)}
    row["fused"] = median_seconds(fused, repeats)
    row["per_proxy"] = median_seconds(per_proxy, repeats)
    others = ("double_backward", "jvp") if family == "cnn" else ("saliency", "double_backward")
    for method in others:

        def other(method: str = method) -> None:
            with scoring_state(model):
                fused_scores(model, x, y, NAMES, hvp=method)

        row[f"fused_{method}"] = median_seconds(other, repeats)
    row["mem_fused"] = peak_added_mib(fused)
    row["mem_per_proxy"] = peak_added_mib(per_proxy)
    return row


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--cnn", type=int, default=20)
    p.add_argument("--lstm", type=int, default=7)
    p.add_argument("--max-width", type=int, default=64)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--window", type=int, default=100)
    p.add_argument("--channels", type=int, default=3)
    p.add_argument("--classes", type=int, default=6)
    p.add_argument("--repeats", type=int, default=3)
    p.add_argument("--threads", type=int, default=0, help="torch threads (0: leave as is)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--archs", help="time these architectures (archs.jsonl) instead of sampling")
    args = p.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    shape = {"in_channels": args.channels, "num_classes": args.classes, "window": args.window}
    limits = Constraints(max_width=args.max_width)
    specs = read_archs(args.archs) if args.archs else []
    for family, count in (("cnn", args.cnn), ("lstm", args.lstm)) if not args.archs else ():
        rng = np.random.default_rng(args.seed)
        specs += sample(count, rng, ratio={family: 1}, constraints=limits, **shape)
    g = torch.Generator().manual_seed(args.seed)
    x = torch.randn(args.batch, args.channels, args.window, generator=g)
    y = torch.randint(0, args.classes, (args.batch,), generator=g)
    warm = build(specs[0], args.channels, args.classes, seed=0)
    score_detailed(warm, x, y, NAMES)  # warm-up: first-call costs out of the numbers
    rows = []
    for i, spec in enumerate(tqdm(specs, desc="bench", unit="arch")):
        model = build(spec, args.channels, args.classes, seed=i)
        row = measure(model, x, y, args.repeats, spec.family)
        rows.append({"family": spec.family, "arch": spec.describe(), **row})
        tqdm.write(f"{spec.describe():45s} step {row['step']:.3f}s fused/step "
                   f"{row['fused'] / row['step']:.2f} per_proxy/fused "
                   f"{row['per_proxy'] / row['fused']:.2f}")  # fmt: skip
    report(rows, args)


def report(rows: list[dict], args: argparse.Namespace) -> None:
    chosen = f"archs of {args.archs}" if args.archs else f"widths <= {args.max_width}"
    print(f"\nbatch {args.batch} x {args.channels} x {args.window}, {chosen}, "
          f"median of {args.repeats}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads\n")  # fmt: skip
    print(
        "| family | archs | step (s) | fused / step | fused, grasp by saliency / step "
        "| fused, H g by double backward / step | fused, H g by jvp / step | per-proxy / step "
        "| per-proxy / fused | peak MiB fused | peak MiB per-proxy |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for family in ("cnn", "lstm"):
        fam = [r for r in rows if r["family"] == family]
        if not fam:
            continue

        def med(key: str, fam=fam) -> float:
            return statistics.median(r[key] for r in fam) if key in fam[0] else float("nan")

        def ratio(a: str, b: str, fam=fam) -> float:
            if a not in fam[0]:
                return float("nan")
            return statistics.median(r[a] / r[b] for r in fam)

        print(f"| {family} | {len(fam)} | {med('step'):.3f} | {ratio('fused', 'step'):.2f} | "
              f"{ratio('fused_saliency', 'step'):.2f} | "
              f"{ratio('fused_double_backward', 'step'):.2f} | "
              f"{ratio('fused_jvp', 'step'):.2f} | {ratio('per_proxy', 'step'):.2f} | "
              f"{ratio('per_proxy', 'fused'):.2f} | {med('mem_fused'):.1f} | "
              f"{med('mem_per_proxy'):.1f} |")  # fmt: skip


if __name__ == "__main__":
    main()
