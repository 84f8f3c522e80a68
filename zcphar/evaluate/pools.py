"""Reading result tables and cutting them into the pools that are evaluated.

A *pool* is the set of candidates a ranking chooses from: all rows, the CNN and RNN rows (the
paper's text), or one family. Which pool a number comes from changes it a lot (on all rows,
most proxies' top 10 % are all Transformers), so every result names its pool.

Families come from ``model_type`` (``CNN``, ``RNN``, ``TRANSFORMER``); zcphar's ``lstm`` family
is the paper's ``RNN``.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from zcphar.errors import ZcpharError
from zcphar.evaluate.ranking import ENSEMBLE, TEST, VAL, ZC_PROXIES

FAMILY_ALIASES = {"LSTM": "RNN"}
"""Family names accepted for the paper's ``model_type`` values."""
POOL_CNN_RNN = "cnn+rnn"


def read_tables(paths: Sequence[str | Path]) -> dict[str, pd.DataFrame]:
    """Read result tables: CSV files, or folders whose ``*.csv`` files are all read.

    Args:
        paths: CSV files and/or folders.

    Returns:
        Dataset name (the CSV file stem) -> table, in the order given (folders sorted).

    Raises:
        ZcpharError: a path does not exist, a folder has no CSV, or two tables share a name.
    """
    files: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found = sorted(path.glob("*.csv"))
            if not found:
                raise ZcpharError(f"no *.csv table in folder {str(path)!r}")
            files += found
        elif path.is_file():
            files.append(path)
        else:
            raise ZcpharError(f"table {str(path)!r} does not exist; give a CSV file or a folder")
    tables: dict[str, pd.DataFrame] = {}
    for file in files:
        if file.stem in tables:
            raise ZcpharError(f"two tables are named {file.stem!r}; dataset names must differ")
        tables[file.stem] = pd.read_csv(file)
    return tables


def family_of(table: pd.DataFrame) -> pd.Series:
    """The family of each row (upper case, ``LSTM`` -> ``RNN``), from model_type or family."""
    column = "model_type" if "model_type" in table.columns else "family"
    if column not in table.columns:
        return pd.Series("ALL", index=table.index)
    upper = table[column].astype(str).str.upper()
    return upper.replace(FAMILY_ALIASES)


def pool_names(table: pd.DataFrame) -> list[str]:
    """Valid pool names for a table: ``all``, ``cnn+rnn`` and each family (lower case)."""
    families = sorted(family_of(table).str.lower().unique())
    return ["all", POOL_CNN_RNN, *families]


def select_pool(table: pd.DataFrame, pool: str = "all") -> pd.DataFrame:
    """The rows of one pool.

    Args:
        table: a result table.
        pool: ``all``, or families joined by ``+`` (``cnn+rnn``, ``cnn``, ``transformer``;
            case-insensitive, ``lstm`` = ``rnn``).

    Returns:
        The pool's rows (index reset).

    Raises:
        ZcpharError: unknown family, or the pool is empty.
    """
    if pool.lower() == "all":
        return table.reset_index(drop=True)
    families = family_of(table)
    wanted = {FAMILY_ALIASES.get(p.upper(), p.upper()) for p in pool.split("+")}
    known = set(families.unique()) | {"CNN", "RNN"}
    unknown = sorted(wanted - known)
    if unknown:
        raise ZcpharError(
            f"unknown pool {pool!r}; choose one of: {', '.join(pool_names(table))}"
        )
    rows = table[families.isin(wanted)].reset_index(drop=True)
    if rows.empty:
        raise ZcpharError(f"pool {pool!r} has no rows; non-empty pools: "
                          f"{', '.join(pool_names(table))}")
    return rows


def clean_pool(table: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Drop rows without a validation or test F1 (untrained or failed).

    Returns:
        The kept rows (index reset) and how many were dropped.
    """
    for column in ("model_id", VAL, TEST):
        if column not in table.columns:
            raise ZcpharError(
                f"the table has no {column!r} column; it has: {', '.join(map(str, table.columns))}"
            )
    ok = table[VAL].notna() & table[TEST].notna()
    return table[ok].reset_index(drop=True), int((~ok).sum())


def with_ensemble(table: pd.DataFrame, members: Sequence[str] = ZC_PROXIES) -> pd.DataFrame:
    """A copy of the pool with the ``ensemble`` column computed within this pool."""
    from zcphar.proxies.ensemble import ensemble

    out = table.copy()
    out[ENSEMBLE] = ensemble(table, members=tuple(members)).to_numpy()
    return out
