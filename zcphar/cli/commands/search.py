"""`zcphar search`: a good model for your dataset, training only a few candidates.

    zcphar search watch --candidates 500 --train 10 --run runs/search-watch --export model.pt
    zcphar search my_data.csv --rate 100 --max-params 50000 --train 5 --preset quick

Running the same command again reuses what the run directory already holds.
"""

from __future__ import annotations

import argparse

from zcphar.cli.common import (
    add_data_arguments,
    add_execution_arguments,
    device_from_args,
    executor_from_args,
    options_from_args,
    prepared_from_args,
    reader_options_from_args,
)
from zcphar.errors import ZcpharError

NAME = "search"
HELP = "find a good model for a dataset: score many candidates, train only the top few"
ORDER = 6


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser, dataset_default="watch")
    parser.add_argument("--run", metavar="DIR", help="run directory (default: runs/search-<dataset>)")
    parser.add_argument("--candidates", type=int, default=500, help="architectures to score (500)")
    parser.add_argument("--train", type=int, default=10, help="how many to train (10)")
    parser.add_argument("--by", default="ensemble", help="rank by 'ensemble' (default) or a proxy")
    limits = parser.add_argument_group("wearable limits")
    limits.add_argument("--max-params", type=int, help="trainable parameters")
    limits.add_argument("--max-flops", type=int, help="forward FLOPs per window")
    limits.add_argument("--max-layers", type=int, help="blocks")
    limits.add_argument("--max-width", type=int, help="channels / hidden units per block")
    training = parser.add_argument_group("training")
    training.add_argument("--preset", choices=("paper", "quick"), default="paper")
    training.add_argument("--epochs", type=int, help="override the preset's epochs")
    parser.add_argument("--batch-size", type=int, default=256, help="scoring batch (256)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--export", metavar="FILE", help="also export: model.pt | .pt2 | .onnx")
    add_execution_arguments(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from zcphar.execute import data_ref
    from zcphar.export import check_export_path
    from zcphar.space import Constraints
    from zcphar.store import RunStore
    from zcphar.study.search import format_result, save_result, search
    from zcphar.train import TrainConfig

    if args.export:
        check_export_path(args.export)  # before any work
    constraints = Constraints(max_params=args.max_params, max_flops=args.max_flops,
                              max_layers=args.max_layers, max_width=args.max_width)
    for flag in ("candidates", "batch_size", "epochs"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ZcpharError(f"--{flag.replace('_', '-')} must be >= 1, got {value}")
    overrides = {"seed": args.seed} | ({"epochs": args.epochs} if args.epochs is not None else {})
    config = TrainConfig.preset(args.preset, **overrides)
    device = device_from_args(args)
    data = prepared_from_args(args)
    ref = data_ref(args.dataset, options_from_args(args), data_dir=args.data_dir,
                   reader_options=reader_options_from_args(args))
    run_dir = Path(args.run or Path("runs") / f"search-{Path(str(args.dataset)).stem}")
    with RunStore(run_dir) as store, executor_from_args(args) as executor:
        store.record_config("search", {"data": ref, "candidates": args.candidates,
                                       "train": args.train, "by": args.by,
                                       "constraints": vars(constraints),
                                       "config": config.to_dict()})
        result = search(store, data, ref, executor, candidates=args.candidates, train=args.train,
                        by=args.by, constraints=constraints, config=config,
                        batch_size=args.batch_size, seed=args.seed, device=device,
                        export=args.export, progress=not args.quiet)
        save_result(result, run_dir / "best.json")
    print(format_result(result))
    print(f"details: {run_dir / 'best.json'}")
    return 0
