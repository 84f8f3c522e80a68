"""`zcphar compare`: how the score modes of study runs rank architectures, with bootstrap
intervals and paired differences (extended vs reference coverage, dropout off vs on).

    zcphar compare runs/study/watch runs/study/dsads --bootstrap 1000 --pool cnn
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from zcphar.errors import ZcpharError

NAME = "compare"
HELP = "compare score modes of runs (coverage, dropout) with bootstrap intervals"
ORDER = 75


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("runs", nargs="+", metavar="RUN", help="run directories (zcphar run)")
    parser.add_argument("--pool", default="all", help="all (default), cnn, rnn, cnn+rnn")
    parser.add_argument("--metric", action="append",
                        choices=("spearman_test", "delta10pct", "talent"),
                        help="metrics to print (repeatable; default spearman_test)")
    parser.add_argument("--bootstrap", type=int, default=1000, help="resamples (1000)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="every number as one JSON object")


def run(args: argparse.Namespace) -> int:
    from zcphar.store import RunStore
    from zcphar.study.compare import compare, to_markdown

    if args.bootstrap < 100:
        raise ZcpharError(f"--bootstrap must be >= 100, got {args.bootstrap}")
    results = []
    for run_dir in args.runs:
        if not (Path(run_dir) / "zcphar.sqlite").is_file():
            raise ZcpharError(f"{run_dir!r} is not a run directory (no zcphar.sqlite)")
        with RunStore(run_dir) as store:
            results.append(compare(store, Path(run_dir).name, pool=args.pool,
                                   n_boot=args.bootstrap, seed=args.seed))
    if args.json:
        print(json.dumps({c.dataset: {"pool": c.pool, "n": c.n, "n_nan": c.n_nan,
                                      "metrics": c.metrics.to_dict(orient="records"),
                                      "differences": c.differences.to_dict(orient="records")}
                          for c in results}, indent=1))
        return 0
    for c in results:
        for metric in args.metric or ["spearman_test"]:
            print(to_markdown(c, metric) + "\n")
    return 0
