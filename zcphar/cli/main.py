"""Entry point of the `zcphar` command: discovers the subcommand modules and dispatches.

This is the one place that turns `ZcpharError` (bad input) into a message and exit code 2.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys
from collections.abc import Sequence

from zcphar import __version__
from zcphar.cli import commands
from zcphar.errors import ZcpharError


def _command_modules():
    found = []
    for info in pkgutil.iter_modules(commands.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{commands.__name__}.{info.name}")
        found.append(module)
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with one sub-parser per discovered subcommand."""
    parser = argparse.ArgumentParser(
        prog="zcphar",
        description="Find good wearable-HAR networks without training them, using zero-cost proxies.",
    )
    parser.add_argument("--version", action="version", version=f"zcphar {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules():
        p = sub.add_parser(module.NAME, help=module.HELP, description=module.HELP)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "_run", None):
        parser.print_help()
        return 2
    try:
        return int(args._run(args) or 0)
    except ZcpharError as err:
        print(f"zcphar {args.command}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    raise SystemExit(main())
