"""What runs in a worker process: one stress test or simulation, stored in the run store.

Progress is written to the job file after each chunk; the run itself is written by the
engines' own ``save_run`` (atomic), under the store lock.
"""

from __future__ import annotations

import time
import traceback
from pathlib import Path
from typing import Any

from quasimarket.errors import QuasimarketError
from quasimarket.web.jobs import store_lock, update_job

__all__ = ["run_job"]


def run_job(job_file: str, store: str, kind: str, payload: dict[str, Any]) -> None:
    """Run one job and record its outcome in *job_file* (never raises for user errors)."""
    path = Path(job_file)
    update_job(path, state="running", message="starting", progress=0.0)
    try:
        if kind == "stress":
            run_id = _stress(path, Path(store), payload)
        else:
            run_id = _simulation(path, Path(store), payload)
    except QuasimarketError as error:
        update_job(path, state="failed", error=error.render(), message="failed")
        return
    except Exception as error:  # the job fails; the web process keeps serving
        update_job(
            path,
            state="failed",
            error=f"{type(error).__name__}: {error}",
            trace=traceback.format_exc(limit=5),
            message="failed",
        )
        return
    update_job(path, state="done", progress=1.0, run_id=run_id, message="finished")


def _stress(path: Path, store: Path, payload: dict[str, Any]) -> str:
    from quasimarket.stress import Scenario, run_stress, save_run
    from quasimarket.stress.scenario import check_references

    scenario = Scenario.model_validate(payload["scenario"])
    check_references(scenario)
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.25 or done >= total:
            last[0] = now
            update_job(
                path,
                progress=done / total if total else 1.0,
                message=f"{done:,} of {total:,} draws",
            )

    result = run_stress(scenario, scheduler=payload.get("scheduler"), progress=progress)
    update_job(path, message="storing the run", progress=1.0)
    with store_lock(store):
        return save_run(result, store, source="web", owner=payload.get("owner"))


def _simulation(path: Path, store: Path, payload: dict[str, Any]) -> str:
    from quasimarket.web import simulation

    return simulation.run(path, store, payload)
