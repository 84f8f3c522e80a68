"""``zcphar report``: a self-contained Markdown + HTML report (tables, figures, explanations)
of a run directory or of result tables in the paper's layout."""

from __future__ import annotations

import argparse
from pathlib import Path

from zcphar.errors import ZcpharError
from zcphar.evaluate import N_DRAWS, read_tables

NAME = "report"
HELP = "write a Markdown + HTML report (metrics, random baseline, figures) of a run or tables"
ORDER = 85


def add_arguments(parser: argparse.ArgumentParser) -> None:
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", metavar="DIR", help="a zcphar run directory")
    source.add_argument("--table", action="append", metavar="CSV",
                        help="a result table (CSV) or a folder of them; repeatable")
    parser.add_argument("-o", "--out", required=True, metavar="OUT", help="output folder")
    parser.add_argument("--pool", action="append", default=None,
                        help="pool to report (repeatable; default: all, plus cnn+rnn when "
                             "the tables hold other families)")
    parser.add_argument("--coverage", choices=("extended", "reference"), default="extended",
                        help="with --run: which stored proxy scores (default extended)")
    parser.add_argument("--dropout", choices=("off", "on"), default="off",
                        help="with --run: scores taken with dropout off/on (default off)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random-search draws")
    parser.add_argument("--draws", type=int, default=N_DRAWS, help="random-search draws")
    parser.add_argument("--no-scatter", action="store_true",
                        help="leave out the proxy-vs-F1 scatter figures (faster)")


def run_table(run_dir: str, coverage: str, dropout: str):
    """The run's trained architectures in the paper's layout, named after the run folder."""
    from zcphar.store import DB_NAME, RunStore

    path = Path(run_dir)
    if not (path / DB_NAME).is_file():
        raise ZcpharError(f"{run_dir!r} is not a zcphar run directory (no {DB_NAME})")
    store = RunStore(path)
    try:
        table = store.paper_table(coverage=coverage, dropout=dropout)
    finally:
        store.close()
    if table.empty:
        raise ZcpharError(f"run {run_dir!r} has no trained architectures; run train first")
    return {path.resolve().name: table}


def run(args: argparse.Namespace) -> int:
    from zcphar.report import build_report

    if args.run:
        tables = run_table(args.run, args.coverage, args.dropout)
        source = f"run {args.run} (scores: coverage {args.coverage}, dropout {args.dropout})"
    else:
        tables = read_tables(args.table)
        source = "tables " + ", ".join(args.table)
    path = build_report(tables, args.out, source=source, seed=args.seed, pools=args.pool,
                        n_draws=args.draws, scatters=not args.no_scatter)
    print(f"wrote {path} and {path.with_suffix('.md')}")
    return 0
