"""Shutdown: the job pool and its worker processes stop with the server.

``quasimarket serve`` is started as a real process, given jobs so that its worker pool
exists, and stopped the way a service manager (SIGTERM) or a terminal (Ctrl-C: SIGINT to the
whole process group) stops it, or killed (SIGKILL). Every process it started must be gone
soon after it exits, and after a graceful stop the jobs it could not finish must say why.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

psutil = pytest.importorskip("psutil")  # installed with distributed

pytestmark = pytest.mark.integration

#: Big enough that a job is still running (or queued) when the signal arrives.
LONG_STRESS = {"example": "acute-designs", "draws": 200_000}


def _jobs(data: Path) -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted((data / "jobs").glob("*.json"))]


def _wait_until(condition: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.1)


@pytest.mark.parametrize(
    ("sig", "to_group"),
    [(signal.SIGTERM, False), (signal.SIGINT, True), (signal.SIGKILL, False)],
    ids=["sigterm-to-server", "ctrl-c-to-process-group", "sigkill-to-server"],
)
def test_signal_stops_the_server_and_every_process_it_started(
    start_server: Any, tmp_path: Path, sig: signal.Signals, to_group: bool
) -> None:
    import httpx

    server, url = start_server(new_session=True)
    data = tmp_path / "served"
    with httpx.Client(base_url=url, timeout=10) as http:
        token = {"X-CSRF-Token": http.get("/api/session").json()["csrf_token"]}
        for seed in range(3):  # one runs, two wait in the queue
            queued = http.post(
                "/api/stress/jobs", json={**LONG_STRESS, "seed": seed}, headers=token
            )
            assert queued.status_code == 202, queued.text
    _wait_until(lambda: any(j["state"] == "running" for j in _jobs(data)), 60, "a job is running")
    children = psutil.Process(server.pid).children(recursive=True)
    assert any("multiprocessing.spawn" in " ".join(c.cmdline()) for c in children), children
    try:
        if to_group:
            os.killpg(server.pid, sig)
        else:
            server.send_signal(sig)
        server.wait(timeout=30)
        # uvicorn re-raises the signal after its graceful shutdown; click turns SIGINT into 0
        assert server.returncode in (0, -sig), (data / "server.log").read_text()
        # after SIGKILL the workers notice that the server is gone and exit by themselves
        _, alive = psutil.wait_procs(children, timeout=10)
        assert not alive, [(p.pid, p.cmdline()) for p in alive]
    finally:
        for child in children:
            if child.is_running():
                child.kill()
    jobs = _jobs(data)
    assert len(jobs) == 3
    unfinished = [j for j in jobs if j["state"] != "done"]
    assert unfinished, jobs  # the signal came while jobs were running or queued
    if sig == signal.SIGKILL:  # no shutdown ran: the next start marks these failed
        assert all(j["state"] in ("queued", "running") for j in unfinished), jobs
        return
    for job in unfinished:
        assert job["state"] == "failed", job
        assert "server shutdown" in job["error"], job


def _stress_payload(draws: int, seed: int = 0) -> dict[str, Any]:
    from quasimarket.web import api

    scenario = api.stress_scenario(
        api.StressRequest(example="acute-designs", draws=draws, seed=seed)
    )
    return {"owner": "local", "scenario": scenario}


def test_shutdown_terminates_the_workers_and_fails_their_jobs(tmp_path: Path) -> None:
    from quasimarket.web.jobs import STOPPED, JobManager

    jobs = JobManager(tmp_path, workers=1)
    store = tmp_path / "runs"
    ids = [
        jobs.submit("local", "stress", store, _stress_payload(200_000, seed)) for seed in range(3)
    ]
    _wait_until(lambda: jobs.get("local", ids[0])["state"] != "queued", 60, "the first job starts")
    workers = jobs.worker_processes()
    assert len(workers) == 1
    started = time.monotonic()
    jobs.shutdown()
    assert time.monotonic() - started < 10
    assert not any(w.is_alive() for w in workers)
    assert jobs.worker_processes() == []
    states = [jobs.get("local", job_id) for job_id in ids]
    assert states[-1]["state"] == "failed"  # never started
    assert all(s["state"] == "done" or s["error"] == STOPPED for s in states), states
    jobs.shutdown()  # a second call does nothing


def test_simultaneous_first_jobs_share_one_pool(tmp_path: Path) -> None:
    """Ten jobs submitted at once, before any pool exists, start one worker (not ten)."""
    from quasimarket.web.jobs import JobManager

    jobs = JobManager(tmp_path, workers=1)
    payload = _stress_payload(100)
    before = set(multiprocessing.active_children())
    gate = threading.Barrier(10)
    ids: list[str] = []

    def submit() -> None:
        gate.wait()
        ids.append(jobs.submit("local", "stress", tmp_path / "runs", payload))

    threads = [threading.Thread(target=submit) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    started = [p for p in multiprocessing.active_children() if p not in before]
    try:
        assert len(ids) == 10
        assert len(started) == 1, started
        _wait_until(
            lambda: all(jobs.get("local", i)["state"] == "done" for i in ids), 120, "jobs finish"
        )
    finally:
        jobs.shutdown()
    assert not any(p.is_alive() for p in started)
