"""Command-line interface: one `zcphar` command, one module per subcommand in `commands/`."""
