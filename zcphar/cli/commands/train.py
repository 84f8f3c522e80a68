"""`zcphar train`: train architectures at the paper's protocol into a run directory.

    zcphar train watch --run runs/w --archs archs.jsonl --preset quick
    zcphar train watch --run runs/w --top-k 10 --by ensemble --engine ray --gpus-per-job 0.25

Finished architectures are skipped when the command is run again (failed ones too, unless
--retry-failed), so an interrupted run is resumed by running the same command.
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
from zcphar.train import PRESETS, TrainConfig

NAME = "train"
HELP = "train architectures (paper protocol by default) and store the results in a run"
ORDER = 40

OVERRIDES = (  # (flag, TrainConfig field, type, help)
    ("--epochs", "epochs", int, "epochs (paper 50)"),
    ("--lr", "lr", float, "Adam learning rate (paper 1e-4)"),
    ("--weight-decay", "weight_decay", float, "Adam weight decay (paper 1e-4)"),
    ("--batch-size", "batch_size", int, "training batch size (paper 256)"),
    ("--step-size", "step_size", int, "StepLR step in epochs (paper 10)"),
    ("--gamma", "gamma", float, "StepLR gamma (paper 0.8)"),
    ("--seed", "seed", int, "seed of initial weights, batch order, dropout and noise (0)"),
    ("--head-init", "head_init", str, "xavier (default) or default (PyTorch's init)"),
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser, dataset_default=None)
    parser.add_argument("--run", required=True, metavar="DIR", help="run directory")
    which = parser.add_argument_group("which architectures (default: all in the run)")
    which.add_argument("--archs", metavar="JSONL", help="architectures file (zcphar sample -o)")
    which.add_argument("--top-k", type=int, metavar="K", help="the K best-scored in the run")
    which.add_argument(
        "--by",
        default="ensemble",
        metavar="PROXY",
        help="rank by 'ensemble' (default) or one proxy",
    )
    which.add_argument("--coverage", choices=("extended", "reference"), default="extended",
                       help="scores to rank by (extended)")
    which.add_argument("--dropout", choices=("off", "on"), default="off",
                       help="scores to rank by (off)")
    cfg = parser.add_argument_group("training")
    cfg.add_argument("--preset", choices=sorted(PRESETS), default="paper")
    for flag, _, kind, text in OVERRIDES:
        cfg.add_argument(flag, type=kind, help=text)
    cfg.add_argument("--noise-variances", metavar="V,V", help="test noise variances")
    cfg.add_argument("--amp", action="store_true", help="bfloat16 autocast on CUDA")
    cfg.add_argument("--channels-last", action="store_true", help="(N, T, C) windows on CUDA")
    add_execution_arguments(parser)
    parser.add_argument("--retry-failed", action="store_true", help="re-run failed trainings")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The training config: the preset with every option given on the command line."""
    changes = {
        field: getattr(args, field)
        for _, field, _, _ in OVERRIDES
        if getattr(args, field) is not None
    }
    if args.noise_variances is not None:
        try:
            changes["noise_variances"] = tuple(
                float(v) for v in args.noise_variances.split(",") if v.strip()
            )
        except ValueError as err:
            raise ZcpharError(f"--noise-variances {args.noise_variances!r}: {err}") from err
    changes["amp"], changes["channels_last"] = args.amp, args.channels_last
    return TrainConfig.preset(args.preset, **changes)


def _specs(args: argparse.Namespace, store, prepared) -> list:
    from zcphar.space import read_archs

    if args.archs and args.top_k is not None:
        raise ZcpharError("give either --archs or --top-k, not both")
    if args.archs:
        specs = read_archs(args.archs)
        store.add_architectures(
            specs,
            in_channels=prepared.num_channels,
            num_classes=prepared.num_classes,
            window=prepared.window,
        )
        return specs
    if args.top_k is not None:
        if args.top_k < 1:
            raise ZcpharError(f"--top-k must be >= 1, got {args.top_k}")
        ids = store.top_k(args.top_k, args.by, coverage=args.coverage, dropout=args.dropout)
        return store.specs(ids)
    specs = store.specs()
    if not specs:
        raise ZcpharError(f"the run {args.run!r} has no architectures; give --archs FILE")
    return specs


def run(args: argparse.Namespace) -> int:
    from zcphar.execute import data_ref, train_architectures
    from zcphar.store import RunStore

    config = config_from_args(args)
    device = device_from_args(args)
    prepared = prepared_from_args(args)
    data = data_ref(
        args.dataset,
        options_from_args(args),
        data_dir=args.data_dir,
        reader_options=reader_options_from_args(args),
    )
    with RunStore(args.run) as store:
        store.record_config(
            "train",
            {
                "data": data,
                "preset": args.preset,
                "config": config.to_dict(),
                "config_hash": config.hash(),
            },
        )
        specs = _specs(args, store, prepared)
        executor = executor_from_args(args)
        with executor:
            counts = train_architectures(
                store,
                specs,
                data,
                config,
                executor,
                preset=args.preset,
                device=device,
                retry_failed=args.retry_failed,
                progress=not args.quiet,
            )
        _summary(store, config.hash(), counts, args.run)
    return 1 if counts["failed"] else 0


def _summary(store, config_hash: str, counts: dict[str, int], run_dir: str) -> None:
    rows = store.trainings(config_hash)
    ok = rows[rows["status"] == "ok"].sort_values("best_val_f1", ascending=False)
    print(
        f"trained {counts['ok']}, failed {counts['failed']}, already done {counts['skipped']} "
        f"(config {config_hash}; {len(ok)} of {len(rows)} stored results are ok)"
    )
    for _, row in ok.head(5).iterrows():
        print(
            f"  {row['arch_id']}  val F1 {row['best_val_f1']:.3f} (epoch {row['best_epoch']})"
            f"  test F1 {row['test_f1']:.3f}"
        )
    failed = rows[rows["status"] == "failed"]
    for _, row in failed.head(5).iterrows():
        print(f"  {row['arch_id']}  FAILED: {row['error']}")
    print(f"export: zcphar export {run_dir} --csv DIR")
