"""Subcommands. Each module defines `NAME`, `HELP`, `ORDER`, `add_arguments(parser)` and
`run(args) -> int`; `zcphar.cli.main` discovers them, so adding a subcommand is adding a module."""
