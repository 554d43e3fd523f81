"""The run store under faults: kill -9 mid-write, Ctrl-C while the catalog is first created,
a full disk, and several processes writing to one store at once.

Each fault is made in a child process that writes tiny runs through :class:`RunStore` and
pauses at one stage of the write (by wrapping one of the store's steps); the test then
signals it and checks that ``runs tidy`` leaves a consistent store: no temporary folders, every
complete run catalogued, ``runs list`` working.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from quasimarket.errors import QuasimarketError, RunError
from quasimarket.runs import RunStore
from quasimarket.runs import store as store_module

pytestmark = pytest.mark.integration

CliRun = Callable[..., tuple[int, str, str]]

#: A child process writing tiny runs; ``stage`` says where it pauses (until it is signalled).
WRITER = r"""
import os, sys, time
from pathlib import Path
import pandas as pd
from quasimarket.errors import QuasimarketError
from quasimarket.runs import RunStore
from quasimarket.runs import store as S

store_path, stage, signal_file = sys.argv[1], sys.argv[2], Path(sys.argv[3])
runs = int(sys.argv[4])

def pause():
    signal_file.write_text(str(os.getpid()))
    time.sleep(120)

if stage == "folder":  # one table written into the temporary folder, the rest not yet
    real_parquet = pd.DataFrame.to_parquet
    def to_parquet(self, *args, **kwargs):
        real_parquet(self, *args, **kwargs)
        pause()
    pd.DataFrame.to_parquet = to_parquet
elif stage == "renamed":  # the folder renamed into place, the catalog not yet opened
    real_catalogue = S.RunStore._catalogue
    def catalogue(self, row):
        pause()
        real_catalogue(self, row)
    S.RunStore._catalogue = catalogue
elif stage == "insert":  # the row inserted, the transaction not committed
    real_insert = S._insert_row
    def insert(con, row):
        real_insert(con, row)
        pause()
    S._insert_row = insert
elif stage == "create":  # the new catalog built in its temporary file, not yet in place
    real_publish = S._publish
    def publish(tmp, target):
        pause()
        real_publish(tmp, target)
    S._publish = publish
elif stage == "go":  # say we are up, wait for the start signal, then write flat out
    signal_file.with_name(f"up-{os.getpid()}").touch()
    while not signal_file.exists():
        time.sleep(0.01)

store = RunStore(store_path, lock_timeout_s=60)
try:
    for i in range(runs):
        store.write(
            "stress",
            {"name": f"p{os.getpid()}-{i}", "seed": i},
            {"summary": pd.DataFrame({"design": ["block"], "mean_gbp": [float(i)]})},
            {"seed": i, "draws": 10},
        )
except QuasimarketError as error:  # as the CLI reports it: one message, no traceback
    print("error: " + error.render(), file=sys.stderr)
    sys.exit(error.exit_code)
"""


def _tables(value: float = 1.0) -> dict[str, pd.DataFrame]:
    return {"summary": pd.DataFrame({"design": ["block"], "mean_gbp": [value]})}


def _finish(proc: subprocess.Popen[str], timeout_s: float = 120.0) -> tuple[int, str]:
    """Wait for *proc* (closing its pipes); its exit code and stderr."""
    _, err = proc.communicate(timeout=timeout_s)
    return proc.returncode, err


def _spawn(store: Path, stage: str, signal_file: Path, runs: int = 1) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", WRITER, str(store), stage, str(signal_file), str(runs)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for(proc: subprocess.Popen[str], path: Path, timeout_s: float = 60.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not path.exists():
        if proc.poll() is not None:
            code, err = _finish(proc)
            pytest.fail(f"the child exited early ({code}): {err}")
        if time.monotonic() > deadline:
            proc.kill()
            _finish(proc)
            pytest.fail("the child never reached the stage")
        time.sleep(0.02)


def _temporaries(store: Path) -> list[str]:
    return sorted(p.name for p in store.iterdir() if ".tmp-" in p.name or ".deleted-" in p.name)


def _run_folders(store: Path) -> set[str]:
    return {p.name for p in store.iterdir() if p.is_dir() and p.name.startswith("stress-")}


def _assert_consistent(store: RunStore) -> None:
    """Every run folder has a catalog row and every row a complete folder; nothing temporary."""
    assert _temporaries(store.path) == []
    records = store.list()
    assert {r.run_id for r in records} == _run_folders(store.path)
    for record in records:
        assert (record.path / "manifest.json").exists()
        for table in record.tables:
            assert len(store.table(record.run_id, table)) >= 1


@pytest.mark.parametrize("stage", ["folder", "renamed", "insert"])
def test_kill_9_mid_write_then_tidy_leaves_a_consistent_store(
    tmp_path: Path, stage: str, cli: CliRun
) -> None:
    store = RunStore(tmp_path / "runs")
    good = store.write("stress", {"name": "good"}, _tables(), {"seed": 1, "draws": 10})
    paused = tmp_path / "paused"
    proc = _spawn(store.path, stage, paused)
    _wait_for(proc, paused)
    os.kill(proc.pid, signal.SIGKILL)
    assert _finish(proc)[0] == -signal.SIGKILL

    if stage == "folder":
        assert len(_temporaries(store.path)) == 1
        assert _run_folders(store.path) == {good}
    else:
        assert len(_run_folders(store.path)) == 2
    # before tidying, the store still reads: the killed run is simply not listed yet
    code, out, err = cli("runs", "list", "--store", str(store.path))
    assert code == 0, err
    assert good in out

    code, out, err = cli("runs", "tidy", "--store", str(store.path))
    assert code == 0, err
    if stage == "folder":
        assert "0 adopted, 1 removed" in out
        assert [r.run_id for r in store.list()] == [good]
    else:
        assert "1 adopted, 0 removed" in out
        adopted = next(r for r in store.list() if r.run_id != good)
        assert (adopted.seed, adopted.draws, adopted.tables) == (0, 10, ("summary",))
    _assert_consistent(store)
    code, out, _ = cli("runs", "tidy", "--store", str(store.path))
    assert "nothing to tidy" in out
    store.write("stress", {"name": "after"}, _tables())  # and the store takes new runs
    _assert_consistent(store)


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["SIGINT", "SIGKILL"])
def test_interrupt_while_the_catalog_is_first_created(
    tmp_path: Path, sig: signal.Signals, cli: CliRun
) -> None:
    store = RunStore(tmp_path / "runs")
    paused = tmp_path / "paused"
    proc = _spawn(store.path, "create", paused)
    _wait_for(proc, paused)
    os.kill(proc.pid, sig)
    code, err = _finish(proc)
    if sig == signal.SIGINT:
        assert code == 130, err
        assert "interrupted before it was added to the run catalog" in err
        assert "kept at" in err
        assert "runs tidy" in err
        assert "Traceback" not in err
    else:
        assert code == -signal.SIGKILL
    assert not store.catalog_path.exists()  # never a half-made catalog
    assert len(_run_folders(store.path)) == 1

    code, out, err = cli("runs", "list", "--store", str(store.path))
    assert code == 0, err
    assert "no runs" in out
    report = store.repair()
    assert len(report.adopted) == 1
    assert len(report.removed) == (1 if sig == signal.SIGKILL else 0)  # the temporary catalog
    _assert_consistent(store)
    assert len(store.list()) == 1


def test_four_writer_processes_store_and_list_all_twenty_runs(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    go = tmp_path / "go"
    procs = [_spawn(store.path, "go", go, runs=5) for _ in range(4)]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("up-*"))) < len(procs):
        assert time.monotonic() < deadline, "the writers did not start"
        assert all(p.poll() is None for p in procs), [_finish(p) for p in procs]
        time.sleep(0.02)
    go.touch()
    errors = []
    for proc in procs:
        code, err = _finish(proc)
        if code != 0:
            errors.append(err)
        else:  # any wait was said, in the documented words
            for line in err.splitlines():
                assert "waiting for the run catalog lock held by another process" in line or (
                    "run store lock" in line
                ), line
    assert errors == []
    records = store.list()
    assert len(records) == 20
    assert len({r.name for r in records}) == 20
    _assert_consistent(store)
    assert not store.repair().changed


def test_a_catalog_held_by_another_process_is_waited_for(tmp_path: Path) -> None:
    store = RunStore(tmp_path / "runs")
    store.write("stress", {"name": "first"}, _tables())
    held = tmp_path / "held"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import duckdb, pathlib, sys, time\n"
            "con = duckdb.connect(sys.argv[1])\n"
            "pathlib.Path(sys.argv[2]).touch()\n"
            "time.sleep(1.5)\n"
            "con.close()\n",
            str(store.catalog_path),
            str(held),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    _wait_for(holder, held)
    messages: list[str] = []
    waiting = RunStore(store.path, lock_timeout_s=30, notify=messages.append)
    started = time.monotonic()
    run_id = waiting.write("stress", {"name": "second"}, _tables())
    assert _finish(holder)[0] == 0
    assert time.monotonic() - started > 0.2
    assert len(messages) == 1
    assert f"run catalog lock held by another process (PID {holder.pid})" in messages[0]
    assert run_id in {r.run_id for r in store.list()}


# -- a full disk (a small tmpfs; needs root) ---------------------------------------------------
@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 4 MB tmpfs mounted for the test, or a skip saying why not."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        pytest.skip("the full-disk test mounts a small tmpfs, which needs root")
    if shutil.which("mount") is None:
        pytest.skip("the full-disk test needs the mount command")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def _fill(disk: Path, leave_bytes: int = 0) -> Path:
    """Fill *disk* up to *leave_bytes* of free space; return the filler file."""
    filler = disk / "filler"
    stats = os.statvfs(disk)
    free = stats.f_bavail * stats.f_frsize
    with open(filler, "ab") as handle:
        try:
            handle.write(b"\0" * max(free - leave_bytes, 0))
            if leave_bytes == 0:
                handle.write(b"\0" * 65_536)
        except OSError:
            pass
    return filler


def test_a_full_disk_while_writing_the_folder_is_one_clear_error(
    small_disk: Path, cli: CliRun
) -> None:
    store = RunStore(small_disk / "runs")
    good = store.write("stress", {"name": "good"}, _tables())
    filler = _fill(small_disk, leave_bytes=64_000)
    big = pd.DataFrame({"x": np.random.default_rng(0).random(200_000)})  # ~1.6 MB
    with pytest.raises(RunError, match="No space left on device; nothing was stored") as info:
        store.write("stress", {"name": "big"}, {"summary": big})
    assert "free some disk space" in (info.value.fix or "")
    assert _temporaries(store.path) == []  # the partial folder is gone
    filler.unlink()
    code, out, err = cli("runs", "list", "--store", str(store.path))
    assert code == 0, err
    assert good in out
    _assert_consistent(store)


def test_a_full_disk_while_cataloguing_keeps_the_run_for_tidy(
    small_disk: Path, monkeypatch: pytest.MonkeyPatch, cli: CliRun
) -> None:
    store = RunStore(small_disk / "runs")
    store.write("stress", {"name": "good"}, _tables())
    real = RunStore._catalogue
    fillers: list[Path] = []

    def disk_fills_first(self: RunStore, row: tuple[object, ...]) -> None:
        fillers.append(_fill(small_disk))
        real(self, row)

    monkeypatch.setattr(RunStore, "_catalogue", disk_fills_first)
    with pytest.raises(RunError, match="kept at") as info:
        store.write("stress", {"name": "finished"}, _tables())
    assert isinstance(info.value, QuasimarketError)  # so the CLI prints it without a traceback
    assert "No space left on device" in info.value.problem
    kept = Path(info.value.problem.rsplit("kept at ", 1)[1])
    assert (kept / "manifest.json").exists()
    monkeypatch.undo()
    # tidy on the still-full disk: a clear error, not a traceback, and the run still kept
    code, _, err = cli("runs", "tidy", "--store", str(store.path))
    assert code == 2
    assert "No space left on device" in err
    assert "Traceback" not in err
    assert kept.exists()
    fillers[0].unlink()
    assert store.repair().adopted == (kept,)
    _assert_consistent(store)
    assert {r.name for r in store.list()} == {"good", "finished"}


def test_the_catalog_is_never_left_half_made(tmp_path: Path) -> None:
    """Creating the catalog is atomic: interrupted, it leaves at most a temporary file."""
    store = RunStore(tmp_path / "runs")
    store.path.mkdir()

    def interrupted(tmp: Path, target: Path) -> None:
        assert duckdb.connect(str(tmp), read_only=True).execute("SELECT 1").fetchall()
        raise KeyboardInterrupt

    real = store_module._publish
    store_module._publish = interrupted
    try:
        with pytest.raises(KeyboardInterrupt):
            store._create_catalog()
    finally:
        store_module._publish = real
    assert list(store.path.iterdir()) == []
