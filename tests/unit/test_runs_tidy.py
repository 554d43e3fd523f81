"""Tidying the run store after crashes, repairing its catalog, and waiting for its locks."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from quasimarket.errors import ConfigError, RunError
from quasimarket.runs import RunStore, TidyReport
from quasimarket.runs import store as store_module

pytestmark = pytest.mark.unit

CliRun = Callable[..., tuple[int, str, str]]


def _tables() -> dict[str, pd.DataFrame]:
    return {"summary": pd.DataFrame({"design": ["block"], "mean_gbp": [3.5]})}


def _write(store: RunStore, name: str = "run", seed: int = 7) -> str:
    return store.write(
        "stress",
        {"name": name, "seed": seed},
        _tables(),
        {"seed": seed, "draws": 10, "elapsed_s": 0.5},
        owner="ana",
    )


def _uncatalogue(store: RunStore, run_id: str) -> None:
    """Leave the folder but drop its row: what a crash between the two write steps leaves."""
    con = duckdb.connect(str(store.catalog_path))
    con.execute("DELETE FROM runs WHERE run_id = ?", [run_id])
    con.close()


def test_a_complete_folder_missing_from_the_catalog_is_adopted_as_it_was(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    keep = _write(store, "keep")
    lost = _write(store, "lost", seed=11)
    before = store.get(lost)
    _uncatalogue(store, lost)
    assert [r.run_id for r in store.list()] == [keep]

    report = store.repair()
    assert report.adopted == (tmp_path / lost,)
    assert (report.removed, report.dropped, report.skipped, report.catalog) == ((), (), (), None)
    after = store.get(lost)
    assert after == before  # every catalog field, manifest and created_utc included
    pd.testing.assert_frame_equal(store.table(lost, "summary"), _tables()["summary"])
    assert not store.repair().changed  # a second tidy has nothing to do


def test_temporary_leftovers_are_removed_and_folders_without_manifest_too(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    keep = _write(store)
    leftovers = [
        tmp_path / f".{keep[:-6]}abcdef.tmp-0123456789ab",  # a run folder being written
        tmp_path / f".{keep}.deleted-a1b2c3",  # a run being deleted
    ]
    for folder in leftovers:
        folder.mkdir()
        (folder / "summary.parquet").write_bytes(b"partial")
    catalog_tmp = tmp_path / ".catalog.duckdb.tmp-00ff00ff00ff"
    catalog_tmp.write_bytes(b"")
    empty_run = tmp_path / "simulation-20000101T000000-abcdef"
    empty_run.mkdir()
    other = tmp_path / "notes.txt"  # not ours: left alone
    other.write_text("hello")

    report = store.repair()
    assert set(report.removed) == {*leftovers, catalog_tmp, empty_run}
    assert report.adopted == ()
    assert all(not path.exists() for path in report.removed)
    assert other.exists()
    assert [r.run_id for r in store.list()] == [keep]
    assert store.tidy() == []  # the short form: the removed paths


def test_unreadable_runs_are_skipped_and_rows_without_folders_dropped(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    gone = _write(store, "gone")
    bad = _write(store, "bad")
    half = _write(store, "half")
    for run_id in (bad, half):
        _uncatalogue(store, run_id)
    (tmp_path / bad / "manifest.json").write_text("{not json")
    (tmp_path / half / "summary.parquet").unlink()
    import shutil

    shutil.rmtree(tmp_path / gone)

    report = store.repair()
    assert report.dropped == (gone,)
    skipped = dict(report.skipped)
    assert "cannot be read" in skipped[tmp_path / bad]
    assert "missing summary.parquet" in skipped[tmp_path / half]
    assert (tmp_path / bad).exists()
    assert (tmp_path / half).exists()
    assert store.list() == []
    assert json.dumps(report.to_dict())


@pytest.mark.parametrize("content", [b"", b"garbage, not a DuckDB file" * 100])
def test_a_damaged_catalog_is_reported_then_rebuilt_from_the_folders(
    tmp_path: Path, content: bytes, cli: CliRun
) -> None:
    store = RunStore(tmp_path)
    first, second = _write(store, "a"), _write(store, "b")
    store.catalog_path.write_bytes(content)

    with pytest.raises(RunError, match="damaged") as info:
        store.list()
    assert "runs tidy" in (info.value.fix or "")
    code, _, err = cli("runs", "list", "--store", str(tmp_path))
    assert code == 2
    assert "runs tidy" in err
    assert "Traceback" not in err

    code, out, err = cli("runs", "tidy", "--store", str(tmp_path))
    assert code == 0, err
    assert "repaired the catalog" in out
    assert "2 adopted" in out
    assert {r.run_id for r in store.list()} == {first, second}
    aside = list(tmp_path.glob("catalog.duckdb.damaged-*"))
    assert len(aside) == (1 if content else 0)  # an empty file holds nothing worth keeping
    if content:
        assert aside[0].read_bytes() == content


def test_a_catalog_without_its_table_lists_as_empty_and_tidy_creates_it(tmp_path: Path) -> None:
    store = RunStore(tmp_path)
    run_id = _write(store)
    store.catalog_path.unlink()
    duckdb.connect(str(store.catalog_path)).close()  # created, then interrupted: no table

    assert store.list() == []
    with pytest.raises(ConfigError, match="no runs"):
        store.query("SELECT * FROM runs")
    report = store.repair()
    assert report.catalog is not None
    assert "no runs table" in report.catalog
    assert report.adopted == (tmp_path / run_id,)
    assert [r.run_id for r in store.list()] == [run_id]


def test_tidy_of_a_missing_or_clean_store(tmp_path: Path, cli: CliRun) -> None:
    assert RunStore(tmp_path / "nowhere").repair() == TidyReport()
    assert not (tmp_path / "nowhere").exists()
    store = RunStore(tmp_path)
    _write(store)
    code, out, _ = cli("runs", "tidy", "--store", str(tmp_path))
    assert code == 0
    assert "nothing to tidy" in out
    code, out, _ = cli("runs", "tidy", "--store", str(tmp_path), "--json")
    assert code == 0
    assert json.loads(out)["adopted"] == []


def _busy_for(attempts: int, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Make the next *attempts* catalog opens fail as if another process (PID 4242) held it."""
    real = RunStore._open
    calls = [0]

    def flaky(self: RunStore, path: Path, *, read_only: bool) -> duckdb.DuckDBPyConnection:
        calls[0] += 1
        if calls[0] <= attempts:
            raise store_module._BusyError(" (PID 4242)")
        return real(self, path, read_only=read_only)

    monkeypatch.setattr(RunStore, "_open", flaky)
    return calls


def test_a_held_catalog_is_waited_for_and_the_wait_reported_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages: list[str] = []
    store = RunStore(tmp_path, lock_timeout_s=10, notify=messages.append)
    calls = _busy_for(3, monkeypatch)
    run_id = _write(store)
    assert calls[0] == 4
    assert len(messages) == 1
    assert "waiting for the run catalog lock held by another process (PID 4242)" in messages[0]
    assert "up to 10 s" in messages[0]
    assert [r.run_id for r in store.list()] == [run_id]


def test_a_catalog_held_too_long_keeps_the_run_for_tidy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages: list[str] = []
    store = RunStore(tmp_path, lock_timeout_s=0.3, notify=messages.append)
    _busy_for(10**6, monkeypatch)
    with pytest.raises(RunError, match="kept at") as info:
        _write(store)
    error = info.value
    assert "still held by another process (PID 4242) after 0.3 s" in error.problem
    assert "runs tidy" in (error.fix or "")
    folder = Path(error.problem.rsplit("kept at ", 1)[1])
    assert (folder / "manifest.json").exists()
    monkeypatch.undo()
    assert store.repair().adopted == (folder,)
    assert [r.run_id for r in store.list()] == [folder.name]


def test_ctrl_c_while_cataloguing_keeps_the_run_and_exits_130(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = RunStore(tmp_path)

    def interrupted(self: RunStore, row: tuple[object, ...]) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(RunStore, "_catalogue", interrupted)
    with pytest.raises(RunError, match="interrupted before it was added") as info:
        _write(store)
    assert info.value.exit_code == 130
    monkeypatch.undo()
    assert len(store.repair().adopted) == 1
    assert len(store.list()) == 1


def test_lock_timeout_comes_from_the_argument_or_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert RunStore(tmp_path).lock_timeout_s == store_module.DEFAULT_LOCK_TIMEOUT_S
    monkeypatch.setenv("QUASIMARKET_RUNS_LOCK_TIMEOUT", "2.5")
    assert RunStore(tmp_path).lock_timeout_s == 2.5
    assert RunStore(tmp_path, lock_timeout_s=0).lock_timeout_s == 0.0
    monkeypatch.setenv("QUASIMARKET_RUNS_LOCK_TIMEOUT", "soon")
    with pytest.raises(ConfigError, match="lock timeout") as info:
        RunStore(tmp_path)
    assert info.value.location == "$QUASIMARKET_RUNS_LOCK_TIMEOUT"
    with pytest.raises(ConfigError, match="lock timeout"):
        RunStore(tmp_path, lock_timeout_s=-1)
