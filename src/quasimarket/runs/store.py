"""The run store: every stress test or simulation run, written atomically and catalogued.

Layout of a store folder (default ``./runs``, or ``$QUASIMARKET_RUNS``, or ``--store``)::

    <store>/catalog.duckdb          one row per COMPLETE run (table ``runs``)
    <store>/<run_id>/scenario.json  the resolved scenario, as given to the engine
    <store>/<run_id>/manifest.json  package version, seed, draws, timings, machine, tables
    <store>/<run_id>/<table>.parquet  long-format results, one file per named table

A run is written in two steps: the run folder is built in a hidden temporary sibling and
renamed into place (:func:`quasimarket.io.atomic_dir`), then its catalog row is inserted in a
transaction. A run is *complete* only once its catalog row exists; an interrupted write leaves
no folder (the temporary one is removed) and no row. A folder without a row (a crash between
the two steps) is invisible to :meth:`RunStore.list` and is removed by :meth:`RunStore.tidy`.

The store is generic: ``kind`` is ``"stress"`` or ``"simulation"``; tables are any pandas
DataFrames. DuckDB allows one writer at a time per file, so every operation opens the catalog,
does its work and closes it again.
"""

from __future__ import annotations

import builtins
import datetime as dt
import difflib
import hashlib
import json
import os
import platform
import shutil
import sys
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import duckdb
import numpy as np
import pandas as pd

from quasimarket.errors import ConfigError, RunError
from quasimarket.io import atomic_dir, atomic_write_text

__all__ = [
    "RUN_KINDS",
    "RunComparison",
    "RunRecord",
    "RunStore",
    "default_store_path",
    "scenario_hash",
]

RunKind = Literal["stress", "simulation"]
#: The kinds of run the store accepts.
RUN_KINDS: tuple[str, ...] = ("stress", "simulation")
#: Environment variable naming the default store folder.
STORE_ENV = "QUASIMARKET_RUNS"
_CATALOG = "catalog.duckdb"
_TABLE_NAME_OK = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")

_CREATE = """
CREATE TABLE IF NOT EXISTS runs (
    run_id VARCHAR PRIMARY KEY,
    kind VARCHAR NOT NULL,
    name VARCHAR,
    created_utc TIMESTAMP NOT NULL,
    seed BIGINT,
    draws BIGINT,
    scenario_hash VARCHAR NOT NULL,
    package_version VARCHAR NOT NULL,
    tables VARCHAR NOT NULL,
    elapsed_s DOUBLE,
    manifest VARCHAR NOT NULL,
    owner VARCHAR
)
"""
#: Catalogs written before ``owner`` existed get the column on their next write.
_MIGRATE = "ALTER TABLE runs ADD COLUMN IF NOT EXISTS owner VARCHAR"


def default_store_path() -> Path:
    """The store folder used when none is given: ``$QUASIMARKET_RUNS`` or ``./runs``."""
    return Path(os.environ.get(STORE_ENV) or "runs")


def _canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def scenario_hash(scenario: Mapping[str, Any]) -> str:
    """SHA-256 (hex, first 16 characters) of the scenario's canonical JSON.

    Two runs with the same hash ran the same resolved scenario (same seed and draws included),
    so their results are bit-identical.
    """
    return hashlib.sha256(_canonical_json(scenario).encode("utf-8")).hexdigest()[:16]


def _machine() -> dict[str, Any]:
    return {
        "python": sys.version.split()[0],
        "numpy": np.__version__,
        "pandas": pd.__version__,
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor(),
        "cpu_count": os.cpu_count(),
    }


@dataclass(frozen=True)
class RunRecord:
    """One complete run in the store.

    Attributes:
        run_id: e.g. ``stress-20260401T120000-3fa9c1``.
        kind: ``"stress"`` or ``"simulation"``.
        name: The scenario's name.
        created_utc: When the run was catalogued (UTC, naive).
        seed: The master seed (None if the run has none).
        draws: Number of Monte Carlo draws (None if not a Monte Carlo run).
        scenario_hash: See :func:`scenario_hash`.
        package_version: quasimarket version that wrote the run.
        tables: Names of the result tables.
        elapsed_s: Wall time of the run (seconds), if given.
        path: The run folder.
        manifest: The full manifest.
        owner: Who owns the run (e.g. the web app's user), or None.
    """

    run_id: str
    kind: str
    name: str | None
    created_utc: dt.datetime
    seed: int | None
    draws: int | None
    scenario_hash: str
    package_version: str
    tables: tuple[str, ...]
    elapsed_s: float | None
    path: Path
    manifest: dict[str, Any] = field(repr=False)
    owner: str | None = None

    def scenario(self) -> dict[str, Any]:
        """The resolved scenario the run used."""
        loaded: dict[str, Any] = json.loads((self.path / "scenario.json").read_text("utf-8"))
        return loaded

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (no manifest body)."""
        return {
            "run_id": self.run_id,
            "kind": self.kind,
            "name": self.name,
            "created_utc": self.created_utc.isoformat(timespec="seconds"),
            "seed": self.seed,
            "draws": self.draws,
            "scenario_hash": self.scenario_hash,
            "package_version": self.package_version,
            "tables": list(self.tables),
            "elapsed_s": self.elapsed_s,
            "path": str(self.path),
            "owner": self.owner,
        }


@dataclass(frozen=True)
class RunComparison:
    """What differs between two runs.

    Attributes:
        a: The first run.
        b: The second run.
        scenario_changes: ``(field path, value in a, value in b)`` for every scenario field
            that differs (nested keys joined with dots; list items as ``[i]``).
        tables: One row per table name in either run: ``table, in_a, in_b, rows_a, rows_b,
            identical``.
        numeric: One row per numeric column of tables present in both: ``table, column,
            mean_a, mean_b, difference`` (b − a).
    """

    a: RunRecord
    b: RunRecord
    scenario_changes: list[tuple[str, Any, Any]]
    tables: pd.DataFrame
    numeric: pd.DataFrame

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "scenario_changes": [
                {"field": key, "a": left, "b": right} for key, left, right in self.scenario_changes
            ],
            "tables": self.tables.to_dict(orient="records"),
            "numeric": self.numeric.to_dict(orient="records"),
        }


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(value, Mapping):
        for key, item in value.items():
            out.update(_flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            out.update(_flatten(item, f"{prefix}[{index}]"))
    else:
        out[prefix] = value
    return out


class RunStore:
    """A folder of runs with a DuckDB catalog.

    Args:
        path: The store folder; created on first write.
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path) if path is not None else default_store_path()

    # -- catalog -------------------------------------------------------------------------
    @property
    def catalog_path(self) -> Path:
        """The DuckDB catalog file."""
        return self.path / _CATALOG

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        if write:
            self.path.mkdir(parents=True, exist_ok=True)
        elif not self.catalog_path.exists():
            raise _NoCatalogError
        try:
            connection = duckdb.connect(str(self.catalog_path), read_only=not write)
        except duckdb.Error as error:
            raise RunError(
                f"cannot open the run catalog: {str(error).splitlines()[0]}",
                file=self.catalog_path,
                fix="check that no other quasimarket process is writing to this store, "
                "or use another store with --store",
            ) from None
        try:
            if write:
                connection.execute(_CREATE)
                connection.execute(_MIGRATE)
            yield connection
        finally:
            connection.close()

    # -- writing -------------------------------------------------------------------------
    def write(
        self,
        kind: str,
        scenario: Mapping[str, Any],
        tables: Mapping[str, pd.DataFrame],
        manifest_extra: Mapping[str, Any] | None = None,
        *,
        name: str | None = None,
        owner: str | None = None,
    ) -> str:
        """Write a complete run and catalogue it; return its run id.

        Args:
            kind: ``"stress"`` or ``"simulation"``.
            scenario: The resolved scenario (JSON-serialisable).
            tables: Result tables by name (lower-case letters, digits and ``_``).
            manifest_extra: Extra manifest fields (``seed``, ``draws``, ``timings`` …).
            name: Display name (defaults to ``scenario["name"]``).
            owner: Optional owner (e.g. a web user), stored in the catalog and manifest.

        Raises:
            ConfigError: unknown kind or bad table name.
            RunError: the catalog cannot be written (the run folder is then removed).
        """
        if kind not in RUN_KINDS:
            raise ConfigError(
                f"unknown run kind '{kind}'",
                location="kind",
                expected=" or ".join(RUN_KINDS),
                fix="use one of the known kinds",
            )
        for table in tables:
            if not table or not set(table) <= _TABLE_NAME_OK:
                raise ConfigError(
                    f"bad table name {table!r}",
                    location="tables",
                    expected="lower-case letters, digits and underscores",
                    fix="rename the table",
                )
        from quasimarket import __version__

        extra = dict(manifest_extra or {})
        created = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        run_id = f"{kind}-{created:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:6]}"
        digest = scenario_hash(scenario)
        display = name if name is not None else scenario.get("name")
        manifest: dict[str, Any] = {
            "run_id": run_id,
            "kind": kind,
            "name": display,
            "created_utc": created.isoformat(timespec="seconds"),
            "package_version": __version__,
            "scenario_hash": digest,
            "tables": {key: {"rows": len(frame)} for key, frame in tables.items()},
            "machine": _machine(),
            "owner": owner,
            **extra,
        }
        target = self.path / run_id
        self.path.mkdir(parents=True, exist_ok=True)
        with atomic_dir(target, replace=False) as tmp:
            atomic_write_text(tmp / "scenario.json", _pretty(scenario))
            for key, frame in tables.items():
                frame.to_parquet(tmp / f"{key}.parquet", index=False)
            atomic_write_text(tmp / "manifest.json", _pretty(manifest))
        elapsed = extra.get("elapsed_s")
        try:
            with self._connect(write=True) as con:
                con.execute("BEGIN TRANSACTION")
                con.execute(
                    "INSERT INTO runs (run_id, kind, name, created_utc, seed, draws, "
                    "scenario_hash, package_version, tables, elapsed_s, manifest, owner) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [
                        run_id,
                        kind,
                        display,
                        created,
                        _int_or_none(extra.get("seed")),
                        _int_or_none(extra.get("draws")),
                        digest,
                        __version__,
                        json.dumps(sorted(tables)),
                        float(elapsed) if elapsed is not None else None,
                        _canonical_json(manifest),
                        owner,
                    ],
                )
                con.execute("COMMIT")
        except BaseException:
            shutil.rmtree(target, ignore_errors=True)
            raise
        return run_id

    # -- reading -------------------------------------------------------------------------
    def list(self, kind: str | None = None, *, owner: str | None = None) -> list[RunRecord]:
        """Complete runs, newest first (optionally only one kind and/or one owner)."""
        try:
            with self._connect(write=False) as con:
                sql = "SELECT * FROM runs"
                where: list[str] = []
                params: list[Any] = []
                if kind is not None:
                    where.append("kind = ?")
                    params.append(kind)
                if owner is not None:
                    columns_now = {row[0] for row in con.execute("DESCRIBE runs").fetchall()}
                    if "owner" not in columns_now:
                        return []
                    where.append("owner = ?")
                    params.append(owner)
                if where:
                    sql += " WHERE " + " AND ".join(where)
                rows = con.execute(sql + " ORDER BY created_utc DESC, run_id DESC", params)
                columns = [d[0] for d in rows.description]
                records = [
                    self._record(dict(zip(columns, row, strict=True))) for row in rows.fetchall()
                ]
        except _NoCatalogError:
            return []
        return records

    def query(self, sql: str) -> pd.DataFrame:
        """Run a read-only SQL query on the catalog (table ``runs``) and return a DataFrame."""
        try:
            with self._connect(write=False) as con:
                try:
                    return con.execute(sql).df()
                except duckdb.Error as error:
                    raise ConfigError(
                        f"the catalog query failed: {str(error).splitlines()[0]}",
                        location="sql",
                        expected="a SELECT on table runs",
                        fix="check the SQL",
                    ) from None
        except _NoCatalogError:
            raise self._empty_error() from None

    def get(self, run_id: str) -> RunRecord:
        """The run with this id (or a unique prefix of it).

        Raises:
            ConfigError: no such run (with the closest ids), or the prefix is ambiguous.
        """
        records = self.list()
        exact = [r for r in records if r.run_id == run_id]
        if exact:
            return exact[0]
        matches = [r for r in records if r.run_id.startswith(run_id)] if run_id else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise ConfigError(
                f"run id '{run_id}' is ambiguous: it starts {len(matches)} runs",
                location="run id",
                expected="a unique run id or prefix",
                fix="give more of the id, e.g. " + matches[0].run_id,
            )
        if not records:
            raise self._empty_error()
        close = difflib.get_close_matches(run_id, [r.run_id for r in records], n=3, cutoff=0.3)
        raise ConfigError(
            f"no run '{run_id}' in the store {self.path}",
            location="run id",
            expected="a run id from `quasimarket runs list`",
            fix=("did you mean " + " or ".join(close) + "?")
            if close
            else "list the runs with `quasimarket runs list` (or choose the store with --store)",
        )

    def table(self, run_id: str, name: str) -> pd.DataFrame:
        """A result table of a run.

        Raises:
            ConfigError: unknown run or table (listing the run's tables).
        """
        record = self.get(run_id)
        if name not in record.tables:
            raise ConfigError(
                f"run {record.run_id} has no table '{name}'",
                location="table",
                expected="one of " + ", ".join(record.tables),
                fix="use one of the run's tables",
            )
        return pd.read_parquet(record.path / f"{name}.parquet")

    def delete(self, run_id: str) -> RunRecord:
        """Remove a run: its catalog row first (in a transaction), then its folder."""
        record = self.get(run_id)
        with self._connect(write=True) as con:
            con.execute("BEGIN TRANSACTION")
            con.execute("DELETE FROM runs WHERE run_id = ?", [record.run_id])
            con.execute("COMMIT")
        if record.path.exists():
            doomed = record.path.parent / f".{record.path.name}.deleted-{uuid.uuid4().hex[:6]}"
            os.replace(record.path, doomed)
            shutil.rmtree(doomed, ignore_errors=True)
        return record

    def tidy(self) -> builtins.list[Path]:
        """Remove run folders that have no catalog row (left by a crash); return them."""
        if not self.path.exists():
            return []
        known = {r.run_id for r in self.list()}
        removed = []
        for child in self.path.iterdir():
            is_run = child.is_dir() and child.name.split("-", 1)[0] in RUN_KINDS
            if is_run and child.name not in known:
                shutil.rmtree(child, ignore_errors=True)
                removed.append(child)
        return removed

    def compare(self, a: str, b: str) -> RunComparison:
        """Compare two runs: scenario changes, tables, and means of numeric columns."""
        left, right = self.get(a), self.get(b)
        flat_a, flat_b = _flatten(left.scenario()), _flatten(right.scenario())
        changes = [
            (key, flat_a.get(key), flat_b.get(key))
            for key in sorted(set(flat_a) | set(flat_b))
            if flat_a.get(key) != flat_b.get(key)
        ]
        table_rows: list[dict[str, Any]] = []
        numeric_rows: list[dict[str, Any]] = []
        for name in sorted(set(left.tables) | set(right.tables)):
            frame_a = self.table(left.run_id, name) if name in left.tables else None
            frame_b = self.table(right.run_id, name) if name in right.tables else None
            identical = frame_a is not None and frame_b is not None and frame_a.equals(frame_b)
            table_rows.append(
                {
                    "table": name,
                    "in_a": frame_a is not None,
                    "in_b": frame_b is not None,
                    "rows_a": None if frame_a is None else len(frame_a),
                    "rows_b": None if frame_b is None else len(frame_b),
                    "identical": identical,
                }
            )
            if frame_a is None or frame_b is None:
                continue
            for column in frame_a.columns:
                if column in frame_b.columns and pd.api.types.is_numeric_dtype(frame_a[column]):
                    if not pd.api.types.is_numeric_dtype(frame_b[column]):
                        continue
                    mean_a = float(frame_a[column].mean())
                    mean_b = float(frame_b[column].mean())
                    numeric_rows.append(
                        {
                            "table": name,
                            "column": column,
                            "mean_a": mean_a,
                            "mean_b": mean_b,
                            "difference": mean_b - mean_a,
                        }
                    )
        return RunComparison(
            a=left,
            b=right,
            scenario_changes=changes,
            tables=pd.DataFrame(
                table_rows, columns=["table", "in_a", "in_b", "rows_a", "rows_b", "identical"]
            ),
            numeric=pd.DataFrame(
                numeric_rows, columns=["table", "column", "mean_a", "mean_b", "difference"]
            ),
        )

    # -- helpers -------------------------------------------------------------------------
    def _record(self, row: dict[str, Any]) -> RunRecord:
        return RunRecord(
            run_id=row["run_id"],
            kind=row["kind"],
            name=row["name"],
            created_utc=row["created_utc"],
            seed=row["seed"],
            draws=row["draws"],
            scenario_hash=row["scenario_hash"],
            package_version=row["package_version"],
            tables=tuple(json.loads(row["tables"])),
            elapsed_s=row["elapsed_s"],
            path=self.path / row["run_id"],
            manifest=json.loads(row["manifest"]),
            owner=row.get("owner"),
        )

    def _empty_error(self) -> ConfigError:
        return ConfigError(
            f"the run store {self.path} has no runs",
            location="store",
            expected=f"a folder with {_CATALOG}",
            fix="run `quasimarket stress run --example acute-designs` first, or choose the "
            "store with --store / $QUASIMARKET_RUNS",
        )


class _NoCatalogError(Exception):
    """Internal: the store has no catalog yet."""


def _pretty(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, default=_json_default) + "\n"


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)
