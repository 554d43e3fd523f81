"""The run store: every stress test or simulation run, written atomically and catalogued.

Layout of a store folder (default ``./runs``, or ``$QUASIMARKET_RUNS``, or ``--store``)::

    <store>/catalog.duckdb          one row per catalogued run (table ``runs``)
    <store>/<run_id>/scenario.json  the resolved scenario, as given to the engine
    <store>/<run_id>/manifest.json  package version, seed, draws, timings, machine, tables
    <store>/<run_id>/<table>.parquet  long-format results, one file per named table

A run is written in two steps: the run folder is built in a hidden temporary sibling
(``.<run_id>.tmp-…``) and renamed into place (:func:`quasimarket.io.atomic_dir`), then its
catalog row is inserted in a transaction. The manifest holds everything the row holds, so a
complete folder is self-describing: if the catalog cannot be written (another process holds
it for longer than the lock timeout, the catalog is damaged, the disk is full, Ctrl-C) the
folder is **kept** and the :class:`~quasimarket.errors.RunError` says where; a finished run is
never thrown away. :meth:`RunStore.repair` (``quasimarket runs tidy``) then adopts such
folders into the catalog, removes temporary folders left by a killed process, drops rows
whose folder is gone, and rebuilds a damaged catalog from the run folders.

DuckDB allows one writer (or several readers) per catalog file at a time and refuses a
second process at once. Every operation opens the catalog, does its work and closes it
again; when another process holds it, the store waits and retries with backoff (from 50 ms,
doubling, at most 0.5 s apart, with jitter) for up to ``lock_timeout_s`` seconds (default 30;
``$QUASIMARKET_RUNS_LOCK_TIMEOUT``), saying once on stderr (or to ``notify``) that it is
waiting. The catalog is created in a temporary file and linked into place, so a process
interrupted while creating it leaves no half-made catalog behind. A writer holds a shared
``flock`` on the store folder while it writes a run, and tidy an exclusive one, so tidy never
removes a live writer's temporary folder.

The store is generic: ``kind`` is ``"stress"`` or ``"simulation"``; tables are any pandas
DataFrames.
"""

from __future__ import annotations

import builtins
import datetime as dt
import difflib
import hashlib
import json
import os
import platform
import random
import re
import shutil
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import duckdb
import numpy as np
import pandas as pd

from quasimarket.errors import ConfigError, QuasimarketError, RunError
from quasimarket.io import atomic_dir, atomic_write_text
from quasimarket.random_streams import validate_seed

if sys.platform != "win32":
    import fcntl

__all__ = [
    "DEFAULT_LOCK_TIMEOUT_S",
    "LOCK_TIMEOUT_ENV",
    "RUN_KINDS",
    "RunComparison",
    "RunRecord",
    "RunStore",
    "TidyReport",
    "default_store_path",
    "scenario_hash",
]

_T = TypeVar("_T")

RunKind = Literal["stress", "simulation"]
#: The kinds of run the store accepts.
RUN_KINDS: tuple[str, ...] = ("stress", "simulation")
#: Environment variable naming the default store folder.
STORE_ENV = "QUASIMARKET_RUNS"
#: Environment variable: seconds to wait for a lock held by another process.
LOCK_TIMEOUT_ENV = "QUASIMARKET_RUNS_LOCK_TIMEOUT"
#: Seconds to wait for a lock held by another process, unless told otherwise.
DEFAULT_LOCK_TIMEOUT_S = 30.0
_FIRST_DELAY_S = 0.05
_MAX_DELAY_S = 0.5
_CATALOG = "catalog.duckdb"
#: Temporary names in the store folder: atomic_dir's ``.<name>.tmp-<hex>``, the catalog's
#: ``.catalog.duckdb.tmp-<hex>`` (and its ``.wal``), delete's ``.<run_id>.deleted-<hex>``.
_TEMPORARY = re.compile(r"^\..+\.(?:tmp|deleted)-[0-9a-f]+(?:\.wal)?$")
_HOLDER = re.compile(r"\(PID (\d+)\)")
_COLUMNS = (
    "run_id",
    "kind",
    "name",
    "created_utc",
    "seed",
    "draws",
    "scenario_hash",
    "package_version",
    "tables",
    "elapsed_s",
    "manifest",
    "owner",
)
_INSERT = (
    f"INSERT INTO runs ({', '.join(_COLUMNS)}) VALUES ({', '.join('?' * len(_COLUMNS))}) "
    "ON CONFLICT DO NOTHING"
)
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
    from quasimarket.io.json_output import dumps

    return dumps(
        value, what="the scenario", sort_keys=True, separators=(",", ":"), default=_json_default
    )


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


@dataclass(frozen=True)
class TidyReport:
    """What :meth:`RunStore.repair` (``quasimarket runs tidy``) did.

    Attributes:
        adopted: Complete run folders that had no catalog row and now have one.
        removed: Temporary folders and files left by an interrupted or killed process, and
            run folders without a manifest (nothing there to adopt), now deleted.
        dropped: Run ids whose catalog row was removed because their folder is gone.
        skipped: Run folders left as they are, each with the reason it could not be adopted.
        catalog: What was wrong with the catalog and what was done, or None if it was fine.
        damaged_catalog: Where a damaged catalog was moved (kept for inspection), if any.
    """

    adopted: tuple[Path, ...] = ()
    removed: tuple[Path, ...] = ()
    dropped: tuple[str, ...] = ()
    skipped: tuple[tuple[Path, str], ...] = ()
    catalog: str | None = None
    damaged_catalog: Path | None = None

    @property
    def changed(self) -> bool:
        """Whether anything was adopted, removed, dropped or repaired."""
        return bool(self.adopted or self.removed or self.dropped or self.catalog)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {
            "adopted": [str(p) for p in self.adopted],
            "removed": [str(p) for p in self.removed],
            "dropped": list(self.dropped),
            "skipped": [{"path": str(p), "reason": why} for p, why in self.skipped],
            "catalog": self.catalog,
            "damaged_catalog": None if self.damaged_catalog is None else str(self.damaged_catalog),
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


def _stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class RunStore:
    """A folder of runs with a DuckDB catalog.

    Args:
        path: The store folder; created on first write.
        lock_timeout_s: Seconds to wait for the catalog (or the store lock) while another
            process holds it, retrying with backoff; default ``$QUASIMARKET_RUNS_LOCK_TIMEOUT``
            or 30. 0 tries once.
        notify: Called with one line when the store starts waiting for another process
            (default: print it on stderr).

    Raises:
        ConfigError: a negative *lock_timeout_s*, or ``$QUASIMARKET_RUNS_LOCK_TIMEOUT`` is not
            a number of seconds.
    """

    def __init__(
        self,
        path: str | Path | None = None,
        *,
        lock_timeout_s: float | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.path = Path(path) if path is not None else default_store_path()
        self.lock_timeout_s = _lock_timeout(lock_timeout_s)
        self._notify = notify if notify is not None else _stderr

    # -- catalog -------------------------------------------------------------------------
    @property
    def catalog_path(self) -> Path:
        """The DuckDB catalog file."""
        return self.path / _CATALOG

    @contextmanager
    def _connect(self, *, write: bool) -> Iterator[duckdb.DuckDBPyConnection]:
        if write:
            self.path.mkdir(parents=True, exist_ok=True)
            self._create_catalog()
        elif not self.catalog_path.exists():
            raise _NoCatalogError
        connection = self._retry(
            lambda: self._open(self.catalog_path, read_only=not write), "the run catalog lock"
        )
        try:
            if write:
                connection.execute(_CREATE)
                connection.execute(_MIGRATE)
            yield connection
        except duckdb.Error as error:  # e.g. the disk filled up: one clear message
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise RunError(
                f"the run catalog failed: {first}",
                file=self.catalog_path,
                fix="check the free disk space and permissions of the store folder, then run "
                f"`quasimarket runs tidy --store {self.path}`",
            ) from None
        finally:
            with suppress(duckdb.Error):  # committed work is safe in the log
                connection.close()

    def _open(self, path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        """One attempt to open the catalog; :class:`_BusyError` if another process holds it."""
        try:
            return duckdb.connect(str(path), read_only=read_only)
        except duckdb.Error as error:
            text = str(error)
            if "Could not set lock" in text or "Conflicting lock" in text:
                holder = _HOLDER.search(text)
                raise _BusyError(f" (PID {holder.group(1)})" if holder else "") from None
            first = text.splitlines()[0] if text else type(error).__name__
            if "not a valid DuckDB database file" in text:
                raise _CatalogDamagedError(
                    f"the run catalog is damaged ({first})",
                    file=path,
                    fix=f"run `quasimarket runs tidy --store {self.path}`: it moves the "
                    "damaged catalog aside and rebuilds it from the run folders",
                ) from None
            raise RunError(
                f"cannot open the run catalog: {first}",
                file=path,
                fix="check the store folder's permissions and free space, or use another "
                "store with --store",
            ) from None

    def _create_catalog(self) -> None:
        """Create an empty catalog if there is none, atomically.

        The catalog is built in a temporary file and hard-linked into place, so an interrupted
        creation leaves no half-made catalog (only a temporary file that tidy removes), and of
        two processes creating it at once one wins and the other uses its catalog.
        """
        if self.catalog_path.exists():
            return
        tmp = self.path / f".{_CATALOG}.tmp-{uuid.uuid4().hex[:12]}"
        try:
            connection = duckdb.connect(str(tmp))
            try:
                connection.execute(_CREATE)
            finally:
                connection.close()
            _publish(tmp, self.catalog_path)
        finally:
            tmp.unlink(missing_ok=True)
            Path(f"{tmp}.wal").unlink(missing_ok=True)

    def _retry(self, attempt: Callable[[], _T], what: str) -> _T:
        """Call *attempt* until it stops raising :class:`_BusyError` or the lock timeout passes.

        Waits 50 ms after the first refusal, doubling up to 0.5 s between attempts, each wait
        shortened by a random factor in [0.5, 1] so that waiting processes spread out. Says
        once (through *notify*) that it is waiting.

        Raises:
            RunError: still refused after ``lock_timeout_s`` seconds.
        """
        deadline: float | None = None
        delay = _FIRST_DELAY_S
        while True:
            try:
                return attempt()
            except _BusyError as busy:
                now = time.monotonic()
                if deadline is None:
                    deadline = now + self.lock_timeout_s
                    if self.lock_timeout_s > 0:
                        self._notify(
                            f"waiting for {what} held by another process{busy.holder} "
                            f"on store {self.path}; retrying for up to {self.lock_timeout_s:g} s…"
                        )
                remaining = deadline - now
                if remaining <= 0:
                    raise RunError(
                        f"{what} is still held by another process{busy.holder} after "
                        f"{self.lock_timeout_s:g} s",
                        file=self.path,
                        fix="wait for the other quasimarket process to finish, or allow a "
                        f"longer wait with ${LOCK_TIMEOUT_ENV} (seconds)",
                    ) from None
                # jitter only: not a model random number, so not from random_streams
                time.sleep(min(remaining, delay * random.uniform(0.5, 1.0)))
                delay = min(delay * 2, _MAX_DELAY_S)

    @contextmanager
    def _store_lock(self, *, exclusive: bool) -> Iterator[bool]:
        """Hold an ``flock`` on the store folder: shared while writing a run, exclusive while
        tidying.

        So ``runs tidy`` never removes a live writer's temporary folder, nor adopts a folder
        its writer is about to catalogue. A writer that cannot get the shared lock in time
        goes on without it (a finished run is never dropped); yields whether the lock is held.
        The operating system releases the lock when its process dies, even by ``kill -9``.
        Where folders cannot be locked (Windows, some network filesystems) there is no guard.
        """
        self.path.mkdir(parents=True, exist_ok=True)
        if sys.platform == "win32":
            yield False
            return
        try:
            handle = os.open(self.path, os.O_RDONLY)
        except OSError:
            yield False
            return
        try:
            mode = fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH

            def attempt() -> bool:
                try:
                    fcntl.flock(handle, mode | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise _BusyError("") from None
                except OSError:  # locking not supported here
                    return False
                return True

            what = "the run store lock (taken while `runs tidy` runs)"
            if exclusive:
                what = "the run store lock (taken while a run is being written)"
            try:
                held = self._retry(attempt, what)
            except RunError:
                if exclusive:
                    raise
                self._notify("going on without the run store lock")
                held = False
            yield held
        finally:
            os.close(handle)  # closing the descriptor releases the lock

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

        The run folder is written first (atomically), then the catalog row. While another
        process holds the catalog, the write waits for up to ``lock_timeout_s`` seconds.

        Args:
            kind: ``"stress"`` or ``"simulation"``.
            scenario: The resolved scenario (JSON-serialisable).
            tables: Result tables by name (lower-case letters, digits and ``_``).
            manifest_extra: Extra manifest fields (``seed``, ``draws``, ``timings`` …).
            name: Display name (defaults to ``scenario["name"]``).
            owner: Optional owner (e.g. a web user), stored in the catalog and manifest.

        Raises:
            ConfigError: unknown kind or bad table name.
            InputError: a seed that is not a whole number in [0, 2**63).
            RunError: the run folder cannot be written (disk full: nothing is stored), or the
                catalog cannot be written (the complete run folder is then **kept**, and the
                message names it; ``quasimarket runs tidy`` adds it to the catalog). A Ctrl-C
                while the catalog is written is reported the same way, with exit code 130.
        """
        _check_kind(kind)
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
        display = name if name is not None else scenario.get("name")
        manifest: dict[str, Any] = {
            "run_id": run_id,
            "kind": kind,
            "name": display,
            "created_utc": created.isoformat(timespec="microseconds"),
            "package_version": __version__,
            "scenario_hash": scenario_hash(scenario),
            "tables": {key: {"rows": len(frame)} for key, frame in tables.items()},
            "machine": _machine(),
            "owner": owner,
            **extra,
        }
        row = _row(manifest)  # checks seed and draws before anything is written
        target = self.path / run_id
        self.path.mkdir(parents=True, exist_ok=True)
        with self._store_lock(exclusive=False):
            try:
                with atomic_dir(target, replace=False) as tmp:
                    atomic_write_text(tmp / "scenario.json", _pretty(scenario))
                    for key, frame in tables.items():
                        frame.to_parquet(tmp / f"{key}.parquet", index=False)
                    atomic_write_text(tmp / "manifest.json", _pretty(manifest))
            except OSError as error:
                raise RunError(
                    f"the run could not be written: {error.strerror or error}; nothing was stored",
                    file=target,
                    fix="free some disk space (or choose another store with --store or "
                    f"${STORE_ENV}) and run again",
                ) from None
            try:
                self._catalogue(row)
            except (Exception, KeyboardInterrupt) as error:
                raise self._kept_error(target, error) from error
        return run_id

    def _catalogue(self, row: tuple[Any, ...]) -> None:
        """Insert one catalog row in a transaction (a row already there is left as it is)."""
        with self._connect(write=True) as con:
            con.execute("BEGIN TRANSACTION")
            _insert_row(con, row)
            con.execute("COMMIT")

    def _kept_error(self, folder: Path, error: BaseException) -> RunError:
        if isinstance(error, KeyboardInterrupt):
            reason = "interrupted before it was added to the run catalog"
        elif isinstance(error, QuasimarketError):
            reason = f"not added to the run catalog: {error.problem}"
        else:
            first = str(error).splitlines()[0] if str(error) else type(error).__name__
            reason = f"not added to the run catalog: {first}"
        kept = RunError(
            f"the finished run was {reason}; the run is kept at {folder}",
            file=self.catalog_path,
            fix=f"run `quasimarket runs tidy --store {self.path}` (once any other quasimarket "
            "process using the store has finished): it adopts the kept run into the catalog",
        )
        if isinstance(error, KeyboardInterrupt):
            kept.exit_code = 130
        return kept

    # -- reading -------------------------------------------------------------------------
    def list(self, kind: str | None = None, *, owner: str | None = None) -> list[RunRecord]:
        """Complete runs, newest first (optionally only one kind and/or one owner).

        Raises:
            RunError: the catalog is damaged (the message points at ``runs tidy``), or still
                held by another process after the lock timeout.
        """
        if kind is not None:
            _check_kind(kind, location="--kind")
        try:
            with self._connect(write=False) as con:
                if not _has_runs_table(con):  # a catalog whose creation was interrupted
                    return []
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
                if not _has_runs_table(con):
                    raise _NoCatalogError
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
        with self._store_lock(exclusive=False):
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
        """Tidy the store (see :meth:`repair`); return only the paths it removed."""
        return builtins.list(self.repair().removed)

    def repair(self) -> TidyReport:
        """Make the folder and the catalog agree again, after crashes; say what was done.

        With the store lock held exclusively (so no run is being written meanwhile):

        * a damaged catalog (not a DuckDB file, e.g. after an interrupted creation by an
          older version) is moved aside to ``catalog.duckdb.damaged-<time>`` (an empty one is
          deleted) and rebuilt from the run folders; a catalog without its ``runs`` table
          gets it;
        * temporary folders and files (``.<run_id>.tmp-…``, ``.<run_id>.deleted-…``,
          ``.catalog.duckdb.tmp-…``) left by a killed process are removed;
        * a complete run folder without a catalog row (its process died, or gave up waiting
          for the catalog) is **adopted**: its row is rebuilt from its ``manifest.json``;
        * a run folder with no manifest is removed (it holds no run); one whose manifest is
          unreadable, or whose tables are missing, is left alone and reported as skipped;
        * a row whose folder is gone is dropped from the catalog.

        This is what ``quasimarket runs tidy`` runs.

        Raises:
            RunError: another process is still writing a run (or holds the catalog) after
                the lock timeout; the catalog cannot be opened for another reason.
        """
        if not self.path.is_dir():
            return TidyReport()
        with self._store_lock(exclusive=True):
            catalog, damaged = self._repair_catalog()
            known = self._catalogued_ids()
            removed: builtins.list[Path] = []
            skipped: builtins.list[tuple[Path, str]] = []
            adopt: builtins.list[tuple[Path, tuple[Any, ...]]] = []
            for child in sorted(self.path.iterdir()):
                if _TEMPORARY.match(child.name):
                    _remove(child)
                    removed.append(child)
                    continue
                is_run = child.is_dir() and child.name.split("-", 1)[0] in RUN_KINDS
                if not is_run or child.name in known:
                    continue
                if not (child / "manifest.json").exists():
                    _remove(child)
                    removed.append(child)
                    continue
                try:
                    adopt.append((child, _adoptable(child)))
                except _NotAdoptableError as why:
                    skipped.append((child, str(why)))
            dropped = sorted(run_id for run_id in known if not (self.path / run_id).is_dir())
            if adopt or dropped or catalog:
                with self._connect(write=True) as con:
                    con.execute("BEGIN TRANSACTION")
                    for _, row in adopt:
                        _insert_row(con, row)
                    for run_id in dropped:
                        con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
                    con.execute("COMMIT")
        return TidyReport(
            adopted=tuple(folder for folder, _ in adopt),
            removed=tuple(removed),
            dropped=tuple(dropped),
            skipped=tuple(skipped),
            catalog=catalog,
            damaged_catalog=damaged,
        )

    def _repair_catalog(self) -> tuple[str | None, Path | None]:
        """Repair the catalog in place if it can be opened, else move it aside.

        Returns what was done (None if nothing) and where a damaged catalog went.
        """
        if not self.catalog_path.exists():
            return None, None
        try:
            con = self._retry(
                lambda: self._open(self.catalog_path, read_only=False), "the run catalog lock"
            )
        except _CatalogDamagedError:
            return self._set_aside()
        try:
            if _has_runs_table(con):
                return None, None
            con.execute(_CREATE)
            return "the catalog had no runs table (its creation was interrupted); created it", None
        finally:
            con.close()

    def _set_aside(self) -> tuple[str, Path | None]:
        wal = Path(f"{self.catalog_path}.wal")
        if self.catalog_path.stat().st_size == 0:
            self.catalog_path.unlink()
            wal.unlink(missing_ok=True)
            return "the catalog was an empty file; removed it and rebuilt it", None
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S")
        aside = self.path / f"{_CATALOG}.damaged-{stamp}-{uuid.uuid4().hex[:4]}"
        os.replace(self.catalog_path, aside)
        if wal.exists():  # never replay a damaged catalog's log onto the new one
            os.replace(wal, Path(f"{aside}.wal"))
        return f"the catalog was damaged; moved it to {aside.name} and rebuilt it", aside

    def _catalogued_ids(self) -> set[str]:
        try:
            with self._connect(write=False) as con:
                if not _has_runs_table(con):
                    return set()
                return {row[0] for row in con.execute("SELECT run_id FROM runs").fetchall()}
        except _NoCatalogError:
            return set()

    def compare(self, a: str, b: str) -> RunComparison:
        """Compare two runs: scenario changes, tables, and means of numeric columns."""
        left, right = self.get(a), self.get(b)
        if left.kind != right.kind:  # their tables and scenarios measure different things
            raise ConfigError(
                f"{left.run_id} is a {left.kind} run and {right.run_id} a {right.kind} run",
                location="run ids",
                expected="two runs of the same kind (two stress runs or two simulation runs)",
                fix=f"pick two {left.kind} runs (quasimarket runs list --kind {left.kind})",
            )
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
    """The manifest as strict JSON (a non-finite number is refused, never written)."""
    from quasimarket.io.json_output import dumps

    text = dumps(value, what="manifest.json", indent=2, sort_keys=True, default=_json_default)
    return text + "\n"


def _int_or_none(value: Any) -> int | None:
    return None if value is None else int(value)


class _BusyError(Exception):
    """Internal: another process holds a lock; *holder* is e.g. ``" (PID 123)"`` or ``""``."""

    def __init__(self, holder: str) -> None:
        super().__init__(holder)
        self.holder = holder


class _CatalogDamagedError(RunError):
    """The catalog file exists but is not a DuckDB database (``runs tidy`` rebuilds it)."""


class _NotAdoptableError(Exception):
    """Internal: a run folder cannot be adopted into the catalog; the message says why."""


def _lock_timeout(given: float | None) -> float:
    source = "lock_timeout_s"
    value: Any = given
    if given is None:
        text = os.environ.get(LOCK_TIMEOUT_ENV, "").strip()
        if not text:
            return DEFAULT_LOCK_TIMEOUT_S
        source = f"${LOCK_TIMEOUT_ENV}"
        try:
            value = float(text)
        except ValueError:
            value = text
    if isinstance(value, bool) or not isinstance(value, int | float) or not value >= 0:
        raise ConfigError(
            f"the lock timeout must be a number of seconds, 0 or more (got {value!r})",
            location=source,
            expected=f"seconds, e.g. {DEFAULT_LOCK_TIMEOUT_S:g}",
            fix=f"set {source} to a number of seconds, or unset it for the default",
        )
    return float(value)


def _publish(tmp: Path, target: Path) -> None:
    """Put the file *tmp* at *target* unless *target* exists (then leave *target* alone)."""
    try:
        os.link(tmp, target)
    except FileExistsError:
        pass  # another process created the catalog first; use theirs
    except OSError:  # a filesystem without hard links: rename, re-checking first
        if not target.exists():
            os.replace(tmp, target)


def _check_kind(kind: str, *, location: str = "kind") -> None:
    if kind not in RUN_KINDS:
        raise ConfigError(
            f"unknown run kind '{kind}'",
            location=location,
            expected=" or ".join(RUN_KINDS),
            fix="use one of the known kinds",
        )


def _has_runs_table(con: duckdb.DuckDBPyConnection) -> bool:
    found = con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'runs'"
    ).fetchone()
    return bool(found and found[0])


def _insert_row(con: duckdb.DuckDBPyConnection, row: tuple[Any, ...]) -> None:
    con.execute(_INSERT, list(row))


def _row(manifest: Mapping[str, Any]) -> tuple[Any, ...]:
    """The catalog row of a run, from its manifest alone (in :data:`_COLUMNS` order).

    Raises:
        InputError: the seed is not a whole number in [0, 2**63).
        ConfigError: the draws or elapsed time are not numbers the catalog can hold.
    """
    seed = manifest.get("seed")
    draws = _int_or_none(manifest.get("draws"))
    if draws is not None and not 0 <= draws < 2**63:
        raise ConfigError(
            f"the number of draws {draws} does not fit the run catalog",
            location="draws",
            expected="a whole number from 0 to 2**63 - 1",
            fix="use fewer draws",
        )
    elapsed = manifest.get("elapsed_s")
    return (
        manifest["run_id"],
        manifest["kind"],
        manifest.get("name"),
        dt.datetime.fromisoformat(str(manifest["created_utc"])),
        None if seed is None else validate_seed(seed, location="seed"),
        draws,
        manifest["scenario_hash"],
        manifest["package_version"],
        json.dumps(sorted(manifest["tables"])),
        None if elapsed is None else float(elapsed),
        _canonical_json(manifest),
        manifest.get("owner"),
    )


def _adoptable(folder: Path) -> tuple[Any, ...]:
    """The catalog row for a complete run folder that has none.

    Raises:
        _NotAdoptableError: the manifest is unreadable or does not describe this folder, or
            the scenario or a table file is missing.
    """
    try:
        manifest = json.loads((folder / "manifest.json").read_text("utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise _NotAdoptableError(f"manifest.json cannot be read: {error}") from None
    if not isinstance(manifest, dict) or manifest.get("run_id") != folder.name:
        raise _NotAdoptableError("manifest.json does not describe this folder (run_id differs)")
    if manifest.get("kind") not in RUN_KINDS:
        raise _NotAdoptableError(f"unknown run kind {manifest.get('kind')!r} in manifest.json")
    tables = manifest.get("tables")
    if not isinstance(tables, dict):
        raise _NotAdoptableError("manifest.json lists no tables")
    missing = [f"{t}.parquet" for t in sorted(tables) if not (folder / f"{t}.parquet").is_file()]
    if not (folder / "scenario.json").is_file():
        missing.insert(0, "scenario.json")
    if missing:
        raise _NotAdoptableError("missing " + ", ".join(missing))
    try:
        return _row(manifest)
    except QuasimarketError as error:
        raise _NotAdoptableError(error.problem) from None
    except (KeyError, TypeError, ValueError) as error:
        raise _NotAdoptableError(f"manifest.json is incomplete ({error!r})") from None


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)
