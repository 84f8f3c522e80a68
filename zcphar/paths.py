"""Where zcphar keeps things on disk."""

from __future__ import annotations

import os
from pathlib import Path


def home() -> Path:
    """zcphar's cache folder: ``$ZCPHAR_HOME`` if set, else ``~/.cache/zcphar``."""
    env = os.environ.get("ZCPHAR_HOME")
    return Path(env).expanduser() if env else Path.home() / ".cache" / "zcphar"


def shared_data_dir() -> Path:
    """The developers' real-data folder ``../shared/data``, resolved from the project root.

    Overridable with ``$ZCPHAR_SHARED_DATA``; may not exist (users do not have it).
    """
    env = os.environ.get("ZCPHAR_SHARED_DATA")
    if env:
        return Path(env).expanduser()
    return Path(__file__).resolve().parent.parent.parent / "shared" / "data"
