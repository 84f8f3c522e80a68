"""The run store: one directory per run, resumable and queryable.

    run/
      config.json       resolved options of every command run on it, and package versions
      zcphar.sqlite     architectures, proxy scores, training results (SQLite, WAL)
      checkpoints/      best-epoch weights of trained architectures

Only the driver process writes. Every table has a UNIQUE key and rows go in with
``INSERT OR IGNORE`` or an upsert, so re-running a command skips finished work and never
duplicates a row; each result is committed as it arrives, so a killed driver loses nothing that
was stored. A failed training is kept (status ``failed`` + error) and replaced only by a retry.

    store = RunStore("runs/watch")
    store.add_architectures(specs, in_channels=3, num_classes=6, window=100)
    store.paper_table()  # the layout of the paper's published CSVs
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from zcphar.checkpoint import write_atomic
from zcphar.errors import ZcpharError

DB_NAME = "zcphar.sqlite"
SCORE_COLUMNS = tuple(
    "arch_id proxy value error coverage dropout batch_size batch_hash seconds".split()
)
TRAINING_COLUMNS = tuple(
    """arch_id config_hash preset status error initial_val_f1 best_val_f1 best_epoch test_f1
    noise_test_f1 train_loss val_f1 train_windows epochs seed seconds device checkpoint config
    finished""".split()
)
SCHEMA = """
CREATE TABLE IF NOT EXISTS architectures (
    id TEXT PRIMARY KEY, family TEXT NOT NULL, model_type TEXT NOT NULL, spec TEXT NOT NULL,
    describe TEXT, params INTEGER, flops INTEGER, in_channels INTEGER, num_classes INTEGER,
    window INTEGER, added REAL);
CREATE TABLE IF NOT EXISTS scores (
    arch_id TEXT NOT NULL, proxy TEXT NOT NULL, value REAL, error TEXT, coverage TEXT NOT NULL,
    dropout TEXT NOT NULL, batch_size INTEGER NOT NULL, batch_hash TEXT, seconds REAL,
    UNIQUE (arch_id, proxy, coverage, dropout, batch_size));
CREATE TABLE IF NOT EXISTS trainings (
    arch_id TEXT NOT NULL, config_hash TEXT NOT NULL, preset TEXT,
    status TEXT NOT NULL CHECK (status IN ('ok', 'failed')), error TEXT, initial_val_f1 REAL,
    best_val_f1 REAL, best_epoch INTEGER, test_f1 REAL, noise_test_f1 TEXT, train_loss TEXT,
    val_f1 TEXT, train_windows INTEGER, epochs INTEGER, seed INTEGER, seconds REAL, device TEXT,
    checkpoint TEXT, config TEXT, finished REAL, UNIQUE (arch_id, config_hash));
"""


def versions() -> dict[str, str]:
    """Versions of zcphar and the libraries that change results."""
    import numpy
    import sklearn
    import torch

    from zcphar import __version__

    return {
        "zcphar": __version__,
        "torch": torch.__version__,
        "numpy": numpy.__version__,
        "scikit-learn": sklearn.__version__,
        "pandas": pd.__version__,
    }


class RunStore:
    """A run directory (created if missing) with its SQLite database.

    Args:
        path: the run directory.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        self._conn = sqlite3.connect(self.path / DB_NAME, timeout=60)
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> RunStore:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- config.json ---------------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The contents of config.json (empty dict if none yet)."""
        file = self.path / "config.json"
        return json.loads(file.read_text()) if file.exists() else {}

    def record_config(self, command: str, options: dict[str, Any]) -> None:
        """Store the resolved `options` of `command` in config.json, with package versions.

        A run holds one dataset: options whose ``data`` reference differs from the one already
        recorded by another command are refused (results of two datasets would mix).
        """
        data = self.config()
        ref = options.get("data")
        for other, recorded in data.items():
            if ref is not None and isinstance(recorded, dict) and recorded.get("data") not in (
                None, ref
            ):
                raise ZcpharError(
                    f"the run {str(self.path)!r} holds data {recorded['data']!r} (from "
                    f"'{other}'), not {ref!r}; use another run directory"
                )
        data[command] = options
        data["versions"] = versions()
        write_atomic(self.path / "config.json", json.dumps(data, indent=2, default=str).encode())

    def checkpoint_path(self, arch_id: str, config_hash: str) -> Path:
        """Where the checkpoint of `arch_id` trained with config `config_hash` goes."""
        return self.path / "checkpoints" / f"{arch_id}-{config_hash}.pt"

    # -- architectures -------------------------------------------------------------------------
    def add_architectures(
        self, specs: Iterable, *, in_channels: int, num_classes: int, window: int
    ) -> int:
        """Add specs (skipping known ids) with their params and FLOPs; returns how many were new.

        Args:
            specs: `zcphar.space` specs.
            in_channels, num_classes, window: the data shape the counts are computed for.
        """
        from zcphar.space import count_flops, count_params

        rows = [
            (
                s.id,
                s.family,
                s.paper_type,
                json.dumps(s.to_dict(), sort_keys=True),
                s.describe(),
                count_params(s, in_channels, num_classes),
                count_flops(s, in_channels, window, num_classes),
                in_channels,
                num_classes,
                window,
                time.time(),
            )
            for s in specs
        ]
        with self._conn:
            before = self._count("architectures")
            self._conn.executemany(
                "INSERT OR IGNORE INTO architectures VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows
            )
            return self._count("architectures") - before

    def architectures(self) -> pd.DataFrame:
        """All architectures: id, family, model_type, spec (JSON), describe, params, flops, ..."""
        return self._frame("SELECT * FROM architectures ORDER BY added, id")

    def specs(self, ids: Iterable[str] | None = None) -> list:
        """The stored specs (all, or those with the given ids, in that order) as spec objects."""
        from zcphar.space import spec_from_dict

        table = self.architectures().set_index("id")
        wanted = list(table.index) if ids is None else list(ids)
        missing = [i for i in wanted if i not in table.index]
        if missing:
            raise ZcpharError(f"architecture {missing[0]!r} is not in the run {str(self.path)!r}")
        return [spec_from_dict(json.loads(table.at[i, "spec"])) for i in wanted]

    # -- scores --------------------------------------------------------------------------------
    def add_scores(self, rows: Iterable[dict[str, Any]]) -> int:
        """Store proxy scores; rows already stored (same key) are skipped. Returns rows added.

        Each row: arch_id, proxy, value (float, NaN if failed), error (None or the reason),
        coverage, dropout, batch_size, batch_hash, seconds. Key: (arch_id, proxy, coverage,
        dropout, batch_size).
        """
        tuples = [tuple(row.get(c) for c in SCORE_COLUMNS) for row in rows]
        marks = ",".join("?" * len(SCORE_COLUMNS))
        with self._conn:
            before = self._count("scores")
            self._conn.executemany(
                f"INSERT OR IGNORE INTO scores ({','.join(SCORE_COLUMNS)}) VALUES ({marks})",
                tuples,
            )
            return self._count("scores") - before

    def score_rows(self) -> pd.DataFrame:
        """Every stored score, one row per (arch, proxy, coverage, dropout, batch size)."""
        return self._frame("SELECT * FROM scores ORDER BY arch_id, proxy")

    def scores(
        self, coverage: str = "extended", dropout: str = "off", batch_size: int | None = None
    ) -> pd.DataFrame:
        """Scores in wide form: one row per architecture (column ``arch_id``), one column per proxy.

        Failed proxies are NaN. When several batch sizes were scored, `batch_size` must say which.
        """
        rows = self._select_scores(coverage, dropout, batch_size)
        if rows.empty:
            return pd.DataFrame({"arch_id": pd.Series([], dtype=str)})
        wide = rows.pivot(index="arch_id", columns="proxy", values="value")
        wide.columns.name = None
        return wide.reset_index()

    def done_scores(
        self,
        proxies: Iterable[str],
        *,
        coverage: str = "extended",
        dropout: str = "off",
        batch_size: int,
    ) -> set[str]:
        """Ids of architectures with every one of `proxies` stored (failures count as done)."""
        wanted = set(proxies)
        rows = self._conn.execute(
            "SELECT arch_id, proxy FROM scores WHERE coverage=? AND dropout=? AND batch_size=?",
            (coverage, dropout, int(batch_size)),
        ).fetchall()
        have: dict[str, set[str]] = {}
        for arch_id, proxy in rows:
            have.setdefault(arch_id, set()).add(proxy)
        return {a for a, names in have.items() if wanted <= names}

    def _select_scores(self, coverage: str, dropout: str, batch_size: int | None) -> pd.DataFrame:
        rows = self._frame(
            "SELECT arch_id, proxy, value, batch_size FROM scores WHERE coverage=? AND dropout=?",
            (coverage, dropout),
        )
        if batch_size is not None:
            return rows[rows["batch_size"] == int(batch_size)]
        sizes = sorted(rows["batch_size"].unique())
        if len(sizes) > 1:
            raise ZcpharError(f"scores exist for batch sizes {sizes}; choose one of them")
        return rows

    def top_k(
        self,
        k: int,
        by: str = "ensemble",
        *,
        coverage: str = "extended",
        dropout: str = "off",
        batch_size: int | None = None,
        ids: Iterable[str] | None = None,
    ) -> list[str]:
        """Ids of the `k` best-scored architectures by the ensemble or by one proxy.

        Ties and NaN scores go last, ties broken by architecture id. `ids` restricts the pool
        (the ensemble's percentile ranks are taken within it); None ranks every scored one.
        """
        from zcphar.proxies import ensemble, get_proxy

        table = self.scores(coverage, dropout, batch_size).set_index("arch_id")
        if ids is not None:
            table = table[table.index.isin(set(ids))]
        if table.empty:
            raise ZcpharError(f"no {coverage}/{dropout} scores in {str(self.path)!r}; run score")
        if by == "ensemble":
            key = ensemble(table)
        else:
            get_proxy(by)  # unknown names raise, listing the valid ones
            if by not in table:
                raise ZcpharError(f"proxy {by!r} was not scored; scored: {sorted(table.columns)}")
            key = table[by] if get_proxy(by).higher_is_better else -table[by]
        order = pd.DataFrame({"key": key, "id": table.index}).sort_values(
            ["key", "id"], ascending=[False, True], na_position="last"
        )
        return list(order["id"][: int(k)])

    # -- trainings -----------------------------------------------------------------------------
    def add_training(
        self,
        arch_id: str,
        config_hash: str,
        result: dict[str, Any],
        *,
        preset: str | None = None,
        config: dict | None = None,
        checkpoint: str | Path | None = None,
    ) -> None:
        """Store one training result (``result["error"]`` set = failed).

        An ``ok`` row is never replaced; a ``failed`` row is replaced by the next result.
        """
        row = _training_row(arch_id, config_hash, result, preset, config, checkpoint)
        names = ",".join(TRAINING_COLUMNS)
        updates = ",".join(f"{c}=excluded.{c}" for c in TRAINING_COLUMNS[2:])
        with self._conn:
            self._conn.execute(
                f"INSERT INTO trainings ({names}) VALUES ({','.join('?' * len(row))}) "
                f"ON CONFLICT(arch_id, config_hash) DO UPDATE SET {updates} "
                "WHERE trainings.status = 'failed'",
                row,
            )

    def trainings(self, config_hash: str | None = None) -> pd.DataFrame:
        """Training rows (all, or of one config); per-epoch lists and noise F1 as JSON text."""
        if config_hash is None:
            return self._frame("SELECT * FROM trainings ORDER BY finished")
        return self._frame(
            "SELECT * FROM trainings WHERE config_hash=? ORDER BY finished", (config_hash,)
        )

    def done_trainings(self, config_hash: str, *, include_failed: bool = True) -> set[str]:
        """Ids of architectures trained with `config_hash` (failed ones too unless told not to)."""
        query = "SELECT arch_id FROM trainings WHERE config_hash=?"
        if not include_failed:
            query += " AND status='ok'"
        return {r[0] for r in self._conn.execute(query, (config_hash,))}

    # -- the paper's table ---------------------------------------------------------------------
    def paper_table(
        self,
        coverage: str = "extended",
        dropout: str = "off",
        *,
        config_hash: str | None = None,
        batch_size: int | None = None,
    ) -> pd.DataFrame:
        """Trained architectures in the paper's table layout (see `zcphar.paper_table`)."""
        from zcphar.paper_table import paper_table

        return paper_table(self, coverage, dropout, config_hash=config_hash,
                           batch_size=batch_size)

    def export_csv(self, out_dir: str | Path) -> list[Path]:
        """Write every table of the run as CSV (see `zcphar.paper_table.export_csv`)."""
        from zcphar.paper_table import export_csv

        return export_csv(self, out_dir)

    def _count(self, table: str) -> int:
        return self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]

    def _frame(self, query: str, params: tuple = ()) -> pd.DataFrame:
        return pd.read_sql_query(query, self._conn, params=params)


def _training_row(arch_id, config_hash, result, preset, config, checkpoint) -> tuple:
    failed = bool(result.get("error"))
    values = {
        "arch_id": arch_id,
        "config_hash": config_hash,
        "preset": preset,
        "status": "failed" if failed else "ok",
        "error": result.get("error"),
        "noise_test_f1": json.dumps(result.get("noise_test_f1") or {}),
        "train_loss": json.dumps(result.get("train_loss") or []),
        "val_f1": json.dumps(result.get("val_f1") or []),
        "checkpoint": None if checkpoint is None else str(checkpoint),
        "config": json.dumps(config or {}, sort_keys=True),
        "finished": time.time(),
    }
    for name in (
        "initial_val_f1",
        "best_val_f1",
        "best_epoch",
        "test_f1",
        "train_windows",
        "epochs",
        "seed",
        "seconds",
        "device",
    ):
        values[name] = result.get(name)
    return tuple(values[c] for c in TRAINING_COLUMNS)
