"""`zcphar space`: the search space's definition and its exact size per family."""

from __future__ import annotations

import argparse
import json

from zcphar.space import list_families

NAME = "space"
HELP = "show the architecture search space (Table I) and its exact size"
ORDER = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print machine-readable JSON")


def run(args: argparse.Namespace) -> int:
    families = {
        f.name: {
            "paper_type": f.paper_type,
            "description": f.description,
            "definition": f.definition(),
            "size": f.size(),
        }
        for f in list_families()
    }
    total = sum(f["size"] for f in families.values())
    if args.json:
        print(json.dumps({"families": families, "total": total}, indent=2))
        return 0
    for name, f in families.items():
        print(f"{name} ({f['paper_type']}): {f['description']}")
        for key, value in f["definition"].items():
            print(f"  {key:9s} {_choice_text(value)}")
        print(f"  {'size':9s} {f['size']:,} (~{f['size']:.3g})")
    print(f"total: {total:,} (~{total:.3g}) architectures")
    return 0


def _choice_text(value: object) -> str:
    if isinstance(value, dict) and {"min", "max", "step"} <= set(value):
        return f"{value['min']}..{value['max']} step {value['step']}"
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return f"{value[0]}..{value[1]}"
    if isinstance(value, list):
        return "{" + ", ".join(f"{v:g}" for v in value) + "}"
    return str(value)
