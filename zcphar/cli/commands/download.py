"""``zcphar download``: fetch, verify and extract a dataset where the readers will find it."""

from __future__ import annotations

import argparse

from zcphar.data.download import SOURCES, download

NAME = "download"
HELP = "download (or take from --from) a dataset archive, verify it and extract it safely"
ORDER = 15


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``NAME [--to DIR] [--from PATH] [--no-progress]``."""
    parser.add_argument("name", nargs="?", help="dataset name; omit to list what can be fetched")
    parser.add_argument("--to", metavar="DIR", help="extract here (default: zcphar home/datasets)")
    parser.add_argument("--from", dest="from_path", metavar="PATH",
                        help="a local archive, file or folder instead of downloading")
    parser.add_argument("--no-progress", action="store_true", help="hide progress bars")


def run(args: argparse.Namespace) -> int:
    """List the sources (no NAME) or download/extract one; errors surface as ZcpharError."""
    if args.name is None:
        for source in SOURCES.values():
            how = f"--from PATH ({source.page})"
            if source.urls:
                how = "download over " + ("http (no https host)" if source.allow_http else "https")
            print(f"{source.name:<12} {how}")
        return 0
    path = download(args.name, to=args.to, from_path=args.from_path,
                    progress=not args.no_progress)
    print(f"{args.name}: extracted to {path}")
    if args.to:
        print(f"read it with: --data-dir {path}")
    return 0
