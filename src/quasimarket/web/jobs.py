"""Background jobs: stress tests and simulations in worker processes, state kept on disk.

A job is a JSON file ``<data>/jobs/<id>.json`` (owner, kind, state, progress, run id, error),
written atomically by the web process when it is queued and by the worker as it runs, so a
page reload (or another browser) sees the same progress. Runs are written to the owner's run
store by :class:`quasimarket.runs.RunStore`, which is atomic: a job interrupted by a server
restart leaves no run behind, and on start-up every job still ``queued`` or ``running`` is
marked ``failed`` with the reason.

The worker processes belong to the web process: :meth:`JobManager.shutdown` (called by the
application's lifespan when uvicorn stops on SIGTERM or SIGINT) cancels queued jobs, terminates
the workers still running one, waits for them to exit and marks those jobs ``failed``. The
workers ignore SIGINT, so a Ctrl-C in the terminal reaches them only through the server, and
exit by themselves when the server is gone without a shutdown (SIGKILL).
"""

from __future__ import annotations

import datetime as dt
import fcntl
import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing.process import BaseProcess
from pathlib import Path
from typing import Any

from quasimarket.io import atomic_write_text
from quasimarket.web.storage import TOKEN_ID, NotFoundError, check_id, new_id, safe_join

__all__ = ["JOB_KINDS", "JobManager", "read_job", "store_lock", "write_job"]

#: The kinds of background job.
JOB_KINDS = ("stress", "simulation")
INTERRUPTED = "interrupted by a server restart before it finished; nothing was stored"
STOPPED = "stopped by a server shutdown before it finished; nothing was stored"
#: Seconds :meth:`JobManager.shutdown` waits for terminated workers before killing them.
STOP_GRACE_S = 5.0


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


def _fail_unfinished(path: Path, error: str) -> None:
    """Mark a job ``failed`` with *error* unless it already ended (done or failed)."""
    try:
        job = read_job(path)
    except (OSError, ValueError):  # removed with its data folder, or never written
        return
    if job.get("state") in ("queued", "running"):
        job.update(state="failed", error=error, message="failed")
        write_job(path, job)


def _worker_started() -> None:
    """Initialise a worker process: ignore SIGINT (the server stops its workers itself), and
    exit as soon as the server is gone, even if it could not stop us (SIGKILL, out of memory):
    a spawned worker holds both ends of its task queue, so it would otherwise wait forever."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    server = multiprocessing.parent_process()
    if server is not None:
        threading.Thread(
            target=_exit_with, args=(server,), name="exit-with-server", daemon=True
        ).start()


def _exit_with(server: BaseProcess) -> None:
    server.join()  # returns when the server process has ended
    os._exit(1)  # the job cannot be followed or stored for anyone; the restart marks it failed


class JobManager:
    """Queue and follow background jobs.

    The pool is created on the first :meth:`submit` (under a lock: simultaneous first
    submissions share one pool) and stopped by :meth:`shutdown`; a later :meth:`submit`
    starts a new one.

    Args:
        data_dir: The server's data folder.
        workers: Worker processes (started on first use, with the ``spawn`` method).
    """

    def __init__(self, data_dir: Path, workers: int = 1) -> None:
        self.folder = data_dir / "jobs"
        self.workers = workers
        self._lock = threading.Lock()
        self._pool: ProcessPoolExecutor | None = None
        self._unfinished: set[Path] = set()  # job files handed to the pool, not yet finished

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
        """The pool, created if needed; call with ``self._lock`` held."""
        if self._pool is None:
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_worker_started,
            )
        return self._pool

    def worker_processes(self) -> list[BaseProcess]:
        """The pool's live worker processes (none before the first job or after shutdown)."""
        with self._lock:
            if self._pool is None:
                return []
            # ProcessPoolExecutor has no public list of its processes (3.14 adds
            # terminate_workers(), which does not wait); _processes maps pid -> process.
            return [p for p in self._pool._processes.values() if p.is_alive()]

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
        with self._lock:
            future = self._executor().submit(worker.run_job, str(path), str(store), kind, payload)
            self._unfinished.add(path)
        # outside the lock: the callback takes it, and runs at once if the job already ended
        future.add_done_callback(lambda done: self._finished(path, done))
        return job_id

    def _finished(self, path: Path, future: Future[None]) -> None:
        with self._lock:
            stopping = path not in self._unfinished  # shutdown() has taken it over
            self._unfinished.discard(path)
        if future.cancelled():  # still queued when the server stopped
            _fail_unfinished(path, STOPPED)
            return
        error = future.exception()
        if error is not None:  # the worker died: terminated by shutdown(), killed, out of memory
            _fail_unfinished(path, STOPPED if stopping else f"the worker stopped: {error}")

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

    def shutdown(self, grace_s: float = STOP_GRACE_S) -> None:
        """Stop the pool and its worker processes; mark their unfinished jobs failed.

        Queued jobs are cancelled; workers still running a job get SIGTERM, and SIGKILL if
        they have not exited after *grace_s* seconds. Returns once every worker has exited.
        Safe to call more than once, and from any thread.
        """
        with self._lock:
            pool, self._pool = self._pool, None
            if pool is None:
                return
            processes = list(pool._processes.values())  # dropped by pool.shutdown()
            unfinished, self._unfinished = self._unfinished, set()
        pool.shutdown(wait=False, cancel_futures=True)  # idle workers exit on their own
        for process in processes:
            if process.is_alive():
                process.terminate()
        deadline = time.monotonic() + grace_s
        for process in processes:
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                process.kill()
                process.join(1.0)
        for path in unfinished:
            _fail_unfinished(path, STOPPED)
