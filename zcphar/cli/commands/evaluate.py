"""``zcphar evaluate``: the paper's metrics (Δk, talent rate, rank correlations, random search)
on result tables in the layout of the paper's published CSVs."""

from __future__ import annotations

import argparse
import json

from tqdm import tqdm

from zcphar.evaluate import N_DRAWS, evaluate_table, read_tables, to_json
from zcphar.evaluate.text import format_pool

NAME = "evaluate"
HELP = "evaluate proxies on result tables: Δk, talent rate, Spearman/Kendall, random search"
ORDER = 80


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--table", action="append", required=True, metavar="CSV",
                        help="a result table (CSV) or a folder of them; repeatable. "
                             "Dataset name = file stem")
    parser.add_argument("--pool", default="all",
                        help="rows to rank among: all (default), cnn+rnn, cnn, rnn, transformer")
    parser.add_argument("--proxies", default=None,
                        help="comma-separated proxy columns (default: the paper's nine present)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random-search draws")
    parser.add_argument("--draws", type=int, default=N_DRAWS, help="random-search draws")
    parser.add_argument("--families", action="store_true",
                        help="also print each family's own table (always in --json)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")


def run(args: argparse.Namespace) -> int:
    tables = read_tables(args.table)
    proxies = args.proxies.split(",") if args.proxies else None
    results = {}
    for name, table in tqdm(tables.items(), desc="evaluate", unit="table", disable=None):
        results[name] = evaluate_table(table, name, seed=args.seed, pool=args.pool,
                                       proxies=proxies, n_draws=args.draws)
    if args.json:
        meta = {"seed": args.seed, "draws": args.draws, "pool": args.pool}
        print(json.dumps(to_json(results, **meta), indent=1))
        return 0
    for name, result in results.items():
        print(format_pool(name, result.pooled))
        for family in result.families.values() if args.families else []:
            print(format_pool(name, family))
    print("Δ in percentage points of test F1 (lower is better); talent = % of the proxy's top "
          "10% in the validation top 10%; ρ/τ = Spearman/Kendall with F1 (grasp negated).")
    return 0
