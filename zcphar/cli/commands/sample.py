"""`zcphar sample`: draw architectures from the search space into archs.jsonl."""

from __future__ import annotations

import argparse
import sys
from collections import Counter

import numpy as np

from zcphar.errors import ZcpharError
from zcphar.space import DEFAULT_RATIO, Constraints, sample, write_archs

NAME = "sample"
HELP = "sample architectures (one JSON line each: id, family, spec, describe, params, flops)"
ORDER = 21


def add_arguments(parser: argparse.ArgumentParser) -> None:
    default_ratio = ",".join(f"{k}={v:g}" for k, v in DEFAULT_RATIO.items())
    parser.add_argument("-n", type=int, default=1500, help="number of architectures (1500)")
    parser.add_argument("--seed", type=int, default=0, help="random seed (0)")
    parser.add_argument("-o", "--output", help="write here instead of stdout (archs.jsonl)")
    parser.add_argument("--ratio", default=default_ratio, help=f"family weights ({default_ratio})")
    parser.add_argument("--max-params", type=int, help="at most this many trainable parameters")
    parser.add_argument("--max-flops", type=int, help="at most this many FLOPs per window")
    parser.add_argument("--max-layers", type=int, help="at most this many blocks")
    parser.add_argument("--max-width", type=int, help="at most this many channels/hidden units")
    parser.add_argument("--channels", type=int, default=3, help="input channels (3)")
    parser.add_argument("--classes", type=int, default=6, help="number of classes (6)")
    parser.add_argument("--window", type=int, default=100, help="window length in steps (100)")


def parse_ratio(text: str) -> dict[str, float]:
    """``"cnn=3,lstm=1"`` -> ``{"cnn": 3.0, "lstm": 1.0}``."""
    ratio = {}
    for part in text.split(","):
        name, sep, weight = part.partition("=")
        try:
            ratio[name.strip()] = float(weight)
        except ValueError:
            sep = ""
        if not sep:
            raise ZcpharError(f"bad ratio part {part!r} in {text!r}; expected e.g. cnn=3,lstm=1")
    return ratio


def run(args: argparse.Namespace) -> int:
    constraints = Constraints(args.max_params, args.max_flops, args.max_layers, args.max_width)
    shape = {"in_channels": args.channels, "num_classes": args.classes, "window": args.window}
    rng = np.random.default_rng(args.seed)
    ratio = parse_ratio(args.ratio)
    specs = sample(args.n, rng, ratio=ratio, constraints=constraints, progress=True, **shape)
    write_archs(args.output or sys.stdout, specs, **shape)
    if args.output:
        counts = Counter(s.family for s in specs)
        listed = ", ".join(f"{counts[k]} {k}" for k in sorted(counts))
        print(f"wrote {len(specs)} architectures ({listed}) to {args.output}", file=sys.stderr)
    return 0
