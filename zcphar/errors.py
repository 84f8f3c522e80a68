"""The one exception type users see for bad input.

Every check at the edges (CLI, config, readers, registry look-ups) raises `ZcpharError` with a
message that names the bad value and lists the valid choices; the CLI prints it and exits 2.
"""


class ZcpharError(ValueError):
    """Bad input: the message says what is wrong and what would be valid."""


def unknown_choice(kind: str, value: object, choices) -> ZcpharError:
    """Build the standard 'unknown X' error, e.g. ``unknown dataset 'pamap'; choose one of: ...``."""
    listed = ", ".join(str(c) for c in choices)
    return ZcpharError(f"unknown {kind} {value!r}; choose one of: {listed}")
