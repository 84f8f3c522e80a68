"""`zcphar score`: score every architecture of an archs.jsonl on one fixed batch of a dataset."""

from __future__ import annotations

import argparse
import json
import sys

import pandas as pd
from tqdm import tqdm

from zcphar.cli.common import add_data_arguments, prepared_from_args
from zcphar.errors import ZcpharError
from zcphar.proxies import DEFAULT_BATCH_SIZE, fixed_batch, get_proxy, list_proxies, score_spec
from zcphar.proxies.coverage import COVERAGES
from zcphar.proxies.engine import PATHS
from zcphar.proxies.state import DROPOUTS
from zcphar.space import read_archs

NAME = "score"
HELP = "score architectures with zero-cost proxies on one fixed training batch (CSV out)"
ORDER = 30


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser, dataset_default=None)
    g = parser.add_argument_group("scoring")
    g.add_argument("--archs", required=True, help="archs.jsonl written by `zcphar sample`")
    g.add_argument("--proxies", help="comma-separated proxies (default: all registered: "
                   f"{','.join(list_proxies())})")  # fmt: skip
    g.add_argument(
        "--coverage",
        choices=COVERAGES,
        default="extended",
        help="weights counted: extended (Conv1d, LSTM too; default) or reference",
    )
    g.add_argument(
        "--dropout",
        choices=DROPOUTS,
        default="off",
        help="off: deterministic (default); on: as in MGT, seeded by --seed",
    )
    g.add_argument(
        "--batch-size",
        type=int,
        default=DEFAULT_BATCH_SIZE,
        help=f"windows in the fixed batch ({DEFAULT_BATCH_SIZE})",
    )
    g.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seed of the batch draw, of every model's weights and of dropout (0)",
    )
    g.add_argument(
        "--path",
        choices=PATHS,
        default="fused",
        help="fused (default) or per_proxy (the references' way, slower)",
    )
    g.add_argument("--chunk-size", type=int, help="evaluate the batch in chunks of this size")
    g.add_argument("--device", default="cpu", help="torch device (cpu)")
    g.add_argument("--out", help="CSV file to write (default: stdout)")
    g.add_argument("--run", metavar="DIR",
                   help="store architectures and scores in this run directory (resumable)")


def parse_proxies(text: str | None) -> list[str] | None:
    """``"snip,grasp"`` -> ``["snip", "grasp"]`` (validated); None -> None (all)."""
    if text is None:
        return None
    names = [t.strip() for t in text.split(",") if t.strip()]
    if not names:
        raise ZcpharError(f"bad --proxies {text!r}; choose from: {', '.join(list_proxies())}")
    for name in names:
        get_proxy(name)
    return names


def run(args: argparse.Namespace) -> int:
    names = parse_proxies(args.proxies)
    specs = read_archs(args.archs)
    if args.run:
        return score_into_run(args, names, specs)
    data = prepared_from_args(args)
    batch = fixed_batch(data.train, args.batch_size, seed=args.seed)
    options = {
        "seed": args.seed,
        "coverage": args.coverage,
        "dropout": args.dropout,
        "path": args.path,
        "chunk_size": args.chunk_size,
        "device": args.device,
    }
    rows = [score_spec(spec, data, batch, names, **options)
            for spec in tqdm(specs, desc="scoring", unit="arch", file=sys.stderr)]  # fmt: skip
    table = pd.DataFrame(rows)
    table.to_csv(args.out or sys.stdout, index=False)
    failed = sum(1 for r in rows if json.loads(r["errors"]))
    print(f"scored {len(rows)} architectures on a fixed batch of {len(batch.x)} windows "
          f"(hash {batch.digest}); {failed} with NaN values"
          + (f"; wrote {args.out}" if args.out else ""), file=sys.stderr)  # fmt: skip
    return 0


def score_into_run(args: argparse.Namespace, names: list[str] | None, specs: list) -> int:
    """``--run DIR``: score into the run store; what it already holds is skipped."""
    from zcphar.cli.common import options_from_args, reader_options_from_args
    from zcphar.execute import data_ref, get_executor, score_architectures
    from zcphar.store import RunStore

    if args.path != "fused" or args.chunk_size is not None:
        raise ZcpharError("--path and --chunk-size apply to CSV output; leave them out with --run")
    data = prepared_from_args(args)
    ref = data_ref(args.dataset, options_from_args(args), data_dir=args.data_dir,
                   reader_options=reader_options_from_args(args))
    with RunStore(args.run) as store, get_executor("local") as executor:
        store.add_architectures(specs, in_channels=data.num_channels,
                                num_classes=data.num_classes, window=data.window)
        store.record_config("score", {"data": ref, "proxies": names, "coverage": args.coverage,
                                      "dropout": args.dropout, "batch_size": args.batch_size,
                                      "seed": args.seed})
        counts = score_architectures(
            store, specs, ref, executor, proxies=names, coverage=args.coverage,
            dropout=args.dropout, batch_size=args.batch_size, batch_seed=args.seed,
            seed=args.seed, device=args.device,
        )
        if args.out:
            store.scores(args.coverage, args.dropout).to_csv(args.out, index=False)
    print(f"scored {counts['ok']} architectures ({counts['skipped']} already stored, "
          f"{counts['failed']} failed) into {args.run}", file=sys.stderr)
    return 1 if counts["failed"] else 0
