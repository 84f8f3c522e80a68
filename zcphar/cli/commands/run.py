"""`zcphar run`: the whole study in one command.

    zcphar run                                  # embedded watch dataset, quick preset
    zcphar run pamap2 --preset paper --run runs/pamap2 --engine ray --address auto

prepare → sample → score (extended and reference coverage) → train → evaluate → report.
Running the same command again resumes where it stopped.
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
from zcphar.study.presets import PRESETS

NAME = "run"
HELP = "run the whole study: sample, score, train, evaluate, report"
ORDER = 5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.epilog = "presets:\n" + "\n".join(f"  {p.describe()}" for p in PRESETS.values())
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    add_data_arguments(parser, dataset_default="watch")
    parser.add_argument("--run", metavar="DIR", help="run directory (default: runs/<dataset>)")
    parser.add_argument("--preset", choices=sorted(PRESETS), default="quick")
    parser.add_argument("--architectures", "-n", type=int, metavar="N",
                        help="architectures to sample (overrides the preset)")
    parser.add_argument("--epochs", type=int, help="training epochs (overrides the preset)")
    parser.add_argument("--max-width", type=int, help="cap on channels / hidden units")
    parser.add_argument("--train-top", type=int, metavar="K",
                        help="train only the union of each proxy's top K (default: all)")
    parser.add_argument("--batch-size", type=int, help="scoring batch (default 256)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--no-report", action="store_true", help="skip the report")
    parser.add_argument("--estimate", action="store_true",
                        help="print the training cost of the study (FLOPs, GPU-hours) and exit")
    add_execution_arguments(parser)


def resolve_preset(args: argparse.Namespace):
    """The study preset with the command line's overrides."""
    from dataclasses import replace

    preset = PRESETS[args.preset]
    for flag in ("epochs", "max_width", "batch_size", "train_top"):
        value = getattr(args, flag)
        if value is not None and value < 1:
            raise ZcpharError(f"--{flag.replace('_', '-')} must be >= 1, got {value}")
    changes = {}
    if args.architectures is not None:
        if args.architectures < 2:
            raise ZcpharError(f"--architectures must be >= 2, got {args.architectures}")
        changes["architectures"] = args.architectures
    if args.epochs is not None:
        changes["train"] = replace(preset.train, epochs=args.epochs)
    if args.max_width is not None:
        changes["constraints"] = replace(preset.constraints, max_width=args.max_width)
    if args.batch_size is not None:
        changes["batch_size"] = args.batch_size
    if args.train_top is not None:
        changes["train_top"] = args.train_top
    return preset.with_(**changes)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from zcphar.execute import data_ref
    from zcphar.store import RunStore
    from zcphar.study.headline import headline
    from zcphar.study.run import run_study

    preset = resolve_preset(args)
    device = device_from_args(args)
    data = prepared_from_args(args)
    if args.estimate:
        from zcphar.study.cost import estimate

        print(estimate(data, preset, seed=args.seed).describe())
        return 0
    ref = data_ref(args.dataset, options_from_args(args), data_dir=args.data_dir,
                   reader_options=reader_options_from_args(args))
    run_dir = Path(args.run or Path("runs") / Path(str(args.dataset)).stem)
    print(f"zcphar run: {data.meta.get('name', args.dataset)} → {run_dir}\n{preset.describe()}")
    with RunStore(run_dir) as store, executor_from_args(args) as executor:
        store.record_config("run", {"data": ref, "preset": preset.name, "seed": args.seed,
                                    "describe": preset.describe(),
                                    "train": preset.train.to_dict()})
        result = run_study(store, data, ref, preset, executor, seed=args.seed, device=device,
                           report=not args.no_report, progress=not args.quiet)
    for mode, table_result in result.results.items():
        coverage, dropout = mode.split("/")
        print(f"\n== scores: {coverage} coverage, dropout {dropout} ==")
        print(headline(table_result.pooled))
    if result.report is not None:
        print(f"\nreport: {result.report}")
    return 0
