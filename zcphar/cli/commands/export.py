"""`zcphar export RUN --csv DIR`: the run store's tables as CSV files.

Writes architectures.csv, scores.csv, trainings.csv and paper_table.csv (the column layout of
the paper's published tables, so `zcphar evaluate --table` reads it like theirs).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from zcphar.errors import ZcpharError

NAME = "export"
HELP = "write a run's tables (and the paper-layout table) as CSV files"
ORDER = 60


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="run directory")
    parser.add_argument("--csv", required=True, metavar="DIR", help="folder for the CSV files")


def run(args: argparse.Namespace) -> int:
    from zcphar.store import DB_NAME, RunStore

    if not (Path(args.run) / DB_NAME).is_file():
        raise ZcpharError(f"{args.run!r} is not a run directory (no {DB_NAME} in it)")
    with RunStore(args.run) as store:
        for path in store.export_csv(args.csv):
            print(path)
    return 0
