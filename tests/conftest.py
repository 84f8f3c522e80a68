"""Shared fixtures. Real-data tests resolve ../shared/data from the project root and skip with a
reason when it is absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = PROJECT_ROOT.parent / "shared" / "data"


def shared_path(*parts: str) -> Path:
    """Path under ../shared/data, or skip the test naming the missing folder."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        rel = Path("..", "shared", "data", *parts)
        pytest.skip(f"{rel} not found; real-data test skipped")
    return path


@pytest.fixture(autouse=True, scope="session")
def _isolated_cache(tmp_path_factory):
    """The test session uses its own empty zcphar cache ($ZCPHAR_HOME), never the user's."""
    old = os.environ.get("ZCPHAR_HOME")
    os.environ["ZCPHAR_HOME"] = str(tmp_path_factory.mktemp("zcphar_home"))
    yield
    if old is None:
        os.environ.pop("ZCPHAR_HOME", None)
    else:
        os.environ["ZCPHAR_HOME"] = old
