"""Background jobs: stress tests and simulations in worker processes, state kept on disk.

A job is a JSON file ``<data>/jobs/<id>.json`` (owner, kind, state, progress, run id, error),
written atomically by the web process when it is queued and by the worker as it runs, so a
page reload (or another browser) sees the same progress. Runs are written to the owner's run
store by :class:`quasimarket.runs.RunStore`, which is atomic: a job interrupted by a server
restart leaves no run behind, and on start-up every job still ``queued`` or ``running`` is
marked ``failed`` with the reason.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import multiprocessing
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from quasimarket.io import atomic_write_text
from quasimarket.web.storage import TOKEN_ID, NotFoundError, check_id, new_id, safe_join

__all__ = ["JOB_KINDS", "JobManager", "read_job", "store_lock", "write_job"]

#: The kinds of background job.
JOB_KINDS = ("stress", "simulation")
INTERRUPTED = "interrupted by a server restart before it finished; nothing was stored"


@contextmanager
def store_lock(store: Path) -> Iterator[None]:
    """Hold an exclusive lock on a run store (DuckDB allows one writer per catalog)."""
    store.parent.mkdir(parents=True, exist_ok=True)
    with open(store.parent / f".{store.name}.lock", "a+") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def read_job(path: Path) -> dict[str, Any]:
    """A job's state."""
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def write_job(path: Path, job: dict[str, Any]) -> None:
    """Replace a job's state atomically."""
    job["updated_utc"] = _now()
    atomic_write_text(path, json.dumps(job, ensure_ascii=False))


def update_job(path: Path, **changes: Any) -> None:
    """Change some fields of a job's state."""
    job = read_job(path)
    job.update(changes)
    write_job(path, job)


class JobManager:
    """Queue and follow background jobs.

    Args:
        data_dir: The server's data folder.
        workers: Worker processes (started on first use, with the ``spawn`` method).
    """

    def __init__(self, data_dir: Path, workers: int = 1) -> None:
        self.folder = data_dir / "jobs"
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def recover(self) -> list[str]:
        """Mark jobs left queued or running by a previous server as failed; their ids."""
        failed: list[str] = []
        if not self.folder.is_dir():
            return failed
        for path in sorted(self.folder.glob("*.json")):
            job = read_job(path)
            if job.get("state") in ("queued", "running"):
                job.update(state="failed", error=INTERRUPTED)
                write_job(path, job)
                failed.append(str(job["id"]))
        return failed

    def _executor(self) -> ProcessPoolExecutor:
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers, mp_context=multiprocessing.get_context("spawn")
            )
        return self._pool

    def submit(self, owner: str, kind: str, store: Path, payload: dict[str, Any]) -> str:
        """Queue a job for *owner*; return its id."""
        from quasimarket.web import worker

        self.folder.mkdir(parents=True, exist_ok=True)
        job_id = new_id()
        path = self.folder / f"{job_id}.json"
        job = {
            "id": job_id,
            "owner": owner,
            "kind": kind,
            "name": payload.get("name", kind),
            "state": "queued",
            "progress": 0.0,
            "message": "waiting for a worker",
            "run_id": None,
            "error": None,
            "created_utc": _now(),
        }
        write_job(path, job)
        future = self._executor().submit(worker.run_job, str(path), str(store), kind, payload)
        future.add_done_callback(lambda done: self._finished(path, done))
        return job_id

    @staticmethod
    def _finished(path: Path, future: Future[None]) -> None:
        error = future.exception()
        if error is None:
            return
        job = read_job(path)
        if job.get("state") != "done":
            job.update(state="failed", error=f"the worker stopped: {error}")
            write_job(path, job)

    def get(self, owner: str, job_id: str) -> dict[str, Any]:
        """One of *owner*'s jobs.

        Raises:
            NotFoundError: malformed id, no such job, or another user's job.
        """
        path = safe_join(self.folder, check_id(job_id, TOKEN_ID) + ".json")
        if not path.is_file():
            raise NotFoundError(job_id)
        job = read_job(path)
        if job.get("owner") != owner:
            raise NotFoundError(job_id)
        return job

    def list(self, owner: str) -> list[dict[str, Any]]:
        """*owner*'s jobs, newest first."""
        if not self.folder.is_dir():
            return []
        jobs = [read_job(p) for p in self.folder.glob("*.json")]
        mine = [j for j in jobs if j.get("owner") == owner]
        return sorted(mine, key=lambda j: str(j.get("created_utc")), reverse=True)

    def shutdown(self) -> None:
        """Stop the worker processes (running jobs are cancelled, then marked failed)."""
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None
