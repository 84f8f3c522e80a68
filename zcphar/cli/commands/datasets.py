"""``zcphar datasets``: every registered dataset, what it is, and whether it is here."""

from __future__ import annotations

import argparse
import json

from zcphar.data import list_datasets

NAME = "datasets"
HELP = "list the datasets zcphar can read and whether each is available locally"
ORDER = 10


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    rows = []
    for info in list_datasets():
        where = info.locate()
        rows.append({"name": info.name, "description": info.description,
                     "available": where is not None, "location": str(where) if where else None,
                     "paper": info.paper, "options": sorted(info.options)})
    if args.json:
        print(json.dumps({"datasets": rows}, indent=1))
        return 0
    width = max(len(r["name"]) for r in rows)
    for r in rows:
        status = "available" if r["available"] else "not found"
        print(f"{r['name']:<{width}}  {status:<9}  {r['description']}")
    print("\nOr give a path to your own data: a CSV, a folder of CSVs, or X.npy/y.npy/subject.npy")
    return 0
