"""``zcphar prepare``: prepare a dataset (or load it from the cache) and print its summary."""

from __future__ import annotations

import argparse
import json
from typing import Any

from zcphar.cli.common import add_data_arguments, prepared_from_args
from zcphar.data.report import format_report
from zcphar.data.types import SPLITS, PreparedDataset

NAME = "prepare"
HELP = "prepare a dataset into train/val/test windows and print a summary"
ORDER = 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_data_arguments(parser, dataset_default="watch")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--report", action="store_true", help="also print the validation report")


def summary(prepared: PreparedDataset) -> dict[str, Any]:
    """The summary as a JSON-ready dict (the keys of ``zcphar prepare --json``)."""
    meta = prepared.meta
    return {
        "dataset": meta["name"],
        "protocol": meta["options"]["mode"],
        "channels": meta["channels"],
        "classes": meta["classes"],
        "window": prepared.window,
        "rate_hz": meta["rate_hz"],
        "resampler": meta["options"]["resampler"],
        "subjects": meta["subjects"],
        "windows": {s: len(prepared.split(s)) for s in SPLITS},
        "class_counts": meta["report"].get("windows_per_class", {}),
        "from_cache": meta.get("cache", {}).get("loaded", False),
    }


def _text(info: dict[str, Any]) -> str:
    lines = [
        f"dataset {info['dataset']} ({info['protocol']} protocol, {info['rate_hz']} Hz, "
        f"resampler {info['resampler']}, window {info['window']} samples)"
        + (" [from cache]" if info["from_cache"] else ""),
        f"channels: {', '.join(info['channels'])}",
        f"classes: {', '.join(info['classes'])}",
    ]
    for s in SPLITS:
        counts = info["class_counts"].get(s, {})
        lines.append(f"{s:<5} {info['windows'][s]:>6} windows  subjects "
                     f"{', '.join(map(str, info['subjects'][s]))}")
        lines.append("      per class: " + ", ".join(f"{c} {n}" for c, n in counts.items()))
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    prepared = prepared_from_args(args)
    info = summary(prepared)
    if args.json:
        if args.report:
            info["report"] = prepared.meta["report"]
        print(json.dumps(info))
        return 0
    print(_text(info))
    if args.report:
        print("\nvalidation report\n" + format_report(prepared.meta["report"]))
    return 0
