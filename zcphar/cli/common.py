"""Command-line options shared by every command that needs prepared data.

    add_data_arguments(parser)           # DATASET, --protocol, --window-s, ...
    prepared = prepared_from_args(args)  # -> PreparedDataset (from the cache when possible)

Commands (prepare, score, train, run, search) reuse these so a dataset is chosen and prepared
the same way everywhere.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from zcphar.data import prepare
from zcphar.data.prepare import NAN_POLICIES
from zcphar.data.protocol import LABEL_RULES, MODES, RESAMPLERS, SPLIT_METHODS, ProtocolOptions
from zcphar.data.types import PreparedDataset
from zcphar.errors import ZcpharError


def add_data_arguments(parser: argparse.ArgumentParser, *,
                       dataset_default: str | None = "watch") -> None:
    """Add the dataset and protocol options to `parser` (see ``zcphar prepare --help``).

    Args:
        parser: the command's parser.
        dataset_default: default DATASET; None makes the positional argument required.
    """
    if dataset_default is None:
        parser.add_argument("dataset", metavar="DATASET",
                            help="registered name (zcphar datasets) or path to your own data")
    else:
        parser.add_argument("dataset", metavar="DATASET", nargs="?", default=dataset_default,
                            help="registered name (zcphar datasets) or path to your own data "
                                 f"(default: {dataset_default})")
    g = parser.add_argument_group("data and protocol")
    g.add_argument("--data-dir", type=Path, help="folder holding the dataset's raw files")
    _add_protocol_arguments(g)
    g.add_argument("--sidecar", type=Path, help="sidecar JSON of your own data")
    g.add_argument("--option", action="append", default=[], metavar="KEY=VALUE",
                   help="reader option (repeatable), e.g. --option subjects=8")
    g.add_argument("--no-cache", action="store_true", help="neither read nor write the cache")


def _add_protocol_arguments(g: Any) -> None:
    g.add_argument("--protocol", choices=MODES, default="paper",
                   help="paper (reproduces MGT, default) or clean (session-bounded windows)")
    g.add_argument("--window-s", type=float, help="window length in seconds (default 2)")
    g.add_argument("--overlap", type=float, help="overlap of consecutive windows (default 0.5)")
    g.add_argument("--rate", type=float, metavar="HZ",
                   help="sampling rate of the input data (your own data, synthetic)")
    g.add_argument("--target-rate", type=float, metavar="HZ",
                   help="rate after resampling (default 50)")
    g.add_argument("--label-rule", choices=LABEL_RULES,
                   help="window label: last sample (paper) or majority (clean)")
    g.add_argument("--purity", type=float, help="with majority labels: minimum majority share")
    g.add_argument("--resampler", choices=RESAMPLERS, help="default auto")
    g.add_argument("--split", choices=SPLIT_METHODS,
                   help="subject split (default paper; lists imply explicit)")
    g.add_argument("--split-seed", type=int, help="random_state of a 'seed' split")
    g.add_argument("--fold", type=int, help="loso: index of the test subject")
    for role in ("train", "val", "test"):
        g.add_argument(f"--{role}-subjects", metavar="IDS", help=f"comma-separated {role} ids")
    g.add_argument("--allow-missing-classes", action="store_true",
                   help="do not fail when a split lacks a class")
    g.add_argument("--nan-policy", choices=NAN_POLICIES,
                   help="interpolate NaN gaps (default) or stop on them")
    g.add_argument("--all-channels", action="store_true",
                   help="keep every channel, not only accelerometers")


def _subjects(text: str | None) -> tuple:
    return tuple(t.strip() for t in text.split(",") if t.strip()) if text else ()


def options_from_args(args: argparse.Namespace) -> ProtocolOptions:
    """The `ProtocolOptions` the parsed arguments describe (protocol defaults elsewhere)."""
    base = ProtocolOptions.clean() if args.protocol == "clean" else ProtocolOptions()
    changes: dict[str, Any] = {}
    for arg, field in [("window_s", "window_s"), ("overlap", "overlap"),
                       ("target_rate", "target_rate"), ("label_rule", "label_rule"),
                       ("purity", "purity"), ("resampler", "resampler"), ("split", "split"),
                       ("split_seed", "split_seed"), ("fold", "fold"),
                       ("nan_policy", "nan_policy")]:
        if getattr(args, arg) is not None:
            changes[field] = getattr(args, arg)
    for role in ("train", "val", "test"):
        changes[f"{role}_subjects"] = _subjects(getattr(args, f"{role}_subjects"))
    if args.split is None:
        if any(changes[f"{r}_subjects"] for r in ("train", "val", "test")):
            changes["split"] = "explicit"
        elif args.split_seed is not None:
            changes["split"] = "seed"
    changes["allow_missing_classes"] = args.allow_missing_classes
    changes["accelerometer_only"] = not args.all_channels
    return base.with_(**changes)


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def reader_options_from_args(args: argparse.Namespace) -> dict[str, Any]:
    """Reader options from ``--option KEY=VALUE`` (values parsed as JSON when they can be),
    ``--rate`` and ``--sidecar``."""
    options: dict[str, Any] = {}
    for item in args.option:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ZcpharError(f"--option {item!r} is not KEY=VALUE")
        options[key.strip()] = _value(value)
    if args.rate is not None:
        options["rate"] = args.rate
    if args.sidecar is not None:
        options["sidecar"] = str(args.sidecar)
    return options


def prepared_from_args(args: argparse.Namespace) -> PreparedDataset:
    """Prepare (or load from the cache) the dataset the parsed arguments describe."""
    return prepare(args.dataset, options_from_args(args), data_dir=args.data_dir,
                   reader_options=reader_options_from_args(args), use_cache=not args.no_cache)


def add_execution_arguments(parser: argparse.ArgumentParser) -> None:
    """--engine, --workers, --address, --num-cpus, --gpus-per-job, --device, --quiet."""
    ex = parser.add_argument_group("execution")
    ex.add_argument("--engine", choices=("local", "ray"), default="local")
    ex.add_argument("--workers", type=int, default=0, help="local process pool (0: in-process)")
    ex.add_argument("--address", help="Ray cluster to join (default: a private local Ray)")
    ex.add_argument("--num-cpus", type=int, help="CPUs of the private local Ray")
    ex.add_argument("--gpus-per-job", type=float, default=0.0, help="GPUs per Ray task")
    ex.add_argument("--device", choices=("auto", "cpu", "cuda"), default="auto")
    ex.add_argument("--quiet", action="store_true", help="no progress bars")


def executor_from_args(args: argparse.Namespace):
    from zcphar.execute import get_executor

    return get_executor(args.engine, workers=args.workers, address=args.address,
                        gpus_per_job=args.gpus_per_job, num_cpus=args.num_cpus)


def device_from_args(args: argparse.Namespace) -> str:
    import torch

    if args.gpus_per_job > 0:
        return "cuda"
    if args.device == "auto":
        return "cuda" if torch.cuda.is_available() else "cpu"
    if args.device == "cuda" and not torch.cuda.is_available():
        raise ZcpharError("--device cuda: no CUDA device here; choose one of: auto, cpu")
    return args.device
