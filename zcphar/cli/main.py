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


def command_names() -> list[str]:
    """Names of the subcommand modules (a module's file name is its command name)."""
    return [i.name for i in pkgutil.iter_modules(commands.__path__) if not i.name.startswith("_")]


def _command_modules(only: str | None = None):
    names = [only] if only else command_names()
    found = [importlib.import_module(f"{commands.__name__}.{name}") for name in names]
    return sorted(found, key=lambda m: (getattr(m, "ORDER", 100), m.NAME))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The argument parser, with one sub-parser per discovered subcommand.

    Args:
        only: build just this subcommand (so `zcphar prepare` imports only what prepare
            needs: commands pull in torch, scikit-learn and friends lazily).
    """
    parser = argparse.ArgumentParser(
        prog="zcphar",
        description="Find good wearable-HAR networks without training them, using zero-cost proxies.",
    )
    parser.add_argument("--version", action="version", version=f"zcphar {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in _command_modules(only):
        text = module.HELP.replace("%", "%%")  # argparse %-formats help strings
        p = sub.add_parser(module.NAME, help=text, description=text)
        module.add_arguments(p)
        p.set_defaults(_run=module.run)
    return parser


def _requested_command(argv: Sequence[str]) -> str | None:
    first = next((a for a in argv if not a.startswith("-")), None)
    return first if first in command_names() else None


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(_requested_command(argv))
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
    except BrokenPipeError:  # output piped into `head` and closed early
        sys.stderr.close()
        return 0


if __name__ == "__main__":
    raise SystemExit(main())
