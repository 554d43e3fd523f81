"""Run a stress test: chunked evaluation (serial or on Dask), statistics, and the run store.

``run_stress(scenario)`` evaluates the draws in chunks of whole random blocks (memory bounded:
only the per-draw party outcomes and attribution bins are kept for all draws), optionally on a
local Dask cluster (``workers=K``) or an existing scheduler (``scheduler="tcp://host:8786"``).
Results are bit-identical whatever the chunk size or number of workers, because every draw's
random numbers depend only on (seed, source name, draw index) and the per-block partial sums
are combined in a fixed order.

``save_run(result, store)`` writes the run to the run store (atomic; the catalog row last).
A ``progress(done, total)`` callback is called after each chunk; raising from it (e.g.
``KeyboardInterrupt`` on Ctrl-C) stops the run and nothing is written.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quasimarket._types import FloatArray
from quasimarket.errors import ConfigError, RunError
from quasimarket.random_streams import validate_seed
from quasimarket.stress.engine import ChunkResult, Compiled, compile_scenario, evaluate_chunk
from quasimarket.stress.sampling import ATTRIBUTION_MAX_DRAWS, RANDOM_BLOCK
from quasimarket.stress.scenario import Block, Scenario
from quasimarket.stress.stats import attribution_table, comparison_table, summary_table

__all__ = [
    "MAX_DRAWS",
    "StressResult",
    "check_runnable",
    "dask_client",
    "estimate_memory_bytes",
    "run_stress",
    "save_run",
]

Progress = Callable[[int, int], None]
#: Hard ceiling on draws per run, whatever the memory (a typo guard).
MAX_DRAWS = 1_000_000_000
#: Scheduler options for the local cluster: no dashboard, HTTP endpoints on a free loopback port.
SCHEDULER_HTTP: dict[str, Any] = {"dashboard": False, "dashboard_address": "127.0.0.1:0"}
#: Seconds to wait for a Dask scheduler before giving up.
SCHEDULER_TIMEOUT_S = 3.0


def _chunk_draws(scenario: Scenario, chunk_size: int | None) -> int:
    size = chunk_size or scenario.chunk_size
    return max(RANDOM_BLOCK, math.ceil(size / RANDOM_BLOCK) * RANDOM_BLOCK)


def estimate_memory_bytes(scenario: Scenario, *, chunk_size: int | None = None) -> int:
    """Peak memory of a run, bytes (an upper estimate).

    Kept for every draw: party outcomes (designs × (parties + 1) × 8 bytes) and one attribution
    bin per source (1 byte), plus one column copy for quantiles. Per chunk: about
    (14 + 3 × designs) float64 arrays of lines × chunk, and the source draws.
    """
    draws = scenario.draws
    designs = len(scenario.designs)
    parties = len(scenario.parties) + 1
    lines = len(scenario.lines)
    sources = len(scenario.lines) + 8 + len(scenario.uncertainty.achievement)
    chunk = min(_chunk_draws(scenario, chunk_size), draws + RANDOM_BLOCK)
    kept = draws * (designs * parties * 8 + sources) + 2 * draws * 8
    per_chunk = chunk * 8 * (lines * (14 + 3 * designs) + 2 * sources)
    return int(kept + per_chunk + 200 * 1024**2)


def _check_size(scenario: Scenario, chunk_size: int | None) -> None:
    limit = scenario.memory_limit_gb * 1024**3
    need = estimate_memory_bytes(scenario, chunk_size=chunk_size)
    if scenario.draws > MAX_DRAWS or need > limit:
        per_draw = max(1.0, (need - 200 * 1024**2) / scenario.draws)
        fits = max(1, int((limit - 200 * 1024**2 - 64 * 1024**2) / per_draw))
        raise RunError(
            f"{scenario.draws:,} draws need about {need / 1024**3:,.1f} GiB of memory "
            f"(limit {scenario.memory_limit_gb:g} GiB)"
            if scenario.draws <= MAX_DRAWS
            else f"{scenario.draws:,} draws is more than the {MAX_DRAWS:,} allowed",
            location="draws",
            expected=f"at most about {min(fits, MAX_DRAWS):,} draws with these designs and parties",
            fix=f"set draws to {min(fits, MAX_DRAWS):,} or fewer, lower chunk_size (now "
            f"{_chunk_draws(scenario, chunk_size):,}), or raise memory_limit_gb if the machine "
            "has the memory",
        )


def check_runnable(scenario: Scenario, *, chunk_size: int | None = None) -> None:
    """Refuse, before any work, a run that cannot finish: a seed the store cannot keep, a
    chunk size below one draw, or more draws than the memory limit (or the typo guard) allows.

    ``stress check`` calls it too, so a scenario it passes is one ``stress run`` accepts.

    Raises:
        ConfigError: the seed or the chunk size is out of range.
        RunError: the draws do not fit.
    """
    validate_seed(scenario.seed, location="seed")
    if chunk_size is not None and chunk_size < 1:
        raise ConfigError(
            f"the chunk size must be at least 1 draw, not {chunk_size:,}",
            location="--chunk-size",
            expected="a whole number of draws, 1 or more (rounded up to blocks of 4,096)",
            fix="leave it out (the scenario's chunk_size is used) or give e.g. 65536",
        )
    _check_size(scenario, chunk_size)


@dataclass(frozen=True)
class StressResult:
    """The outcome of a stress test.

    Attributes:
        scenario: The scenario run.
        compiled: Its compiled arrays.
        outcomes: ``(designs, parties + system, draws)`` net positions, £ (draw 0 central).
        summary: :func:`~quasimarket.stress.stats.summary_table`.
        attribution: :func:`~quasimarket.stress.stats.attribution_table`.
        lines: Mean activity, payment and cost per design and line (draws 1…N−1) and the
            central case.
        monthly: Mean monthly payment per design and line (seasonality, or the block
            profile), £.
        sources: The sources of uncertainty.
        timings: Seconds spent: ``evaluate``, ``statistics``, ``total``; and ``workers``.
    """

    scenario: Scenario
    compiled: Compiled
    outcomes: FloatArray
    summary: pd.DataFrame
    attribution: pd.DataFrame
    lines: pd.DataFrame
    monthly: pd.DataFrame
    sources: pd.DataFrame
    timings: dict[str, Any] = field(default_factory=dict)

    def comparison(self, statistic: str = "mean_gbp") -> pd.DataFrame:
        """Designs side by side for one statistic (rows: parties)."""
        return comparison_table(self.summary, statistic)

    def outcomes_table(self, limit: int | None = None) -> pd.DataFrame:
        """Long-format per-draw outcomes ``draw, design, party, net_gbp`` (first *limit* draws)."""
        keep = self.outcomes.shape[-1] if limit is None else min(limit, self.outcomes.shape[-1])
        designs = [d.name for d in self.scenario.designs]
        n_d, n_q = len(designs), len(self.compiled.parties)
        return pd.DataFrame(
            {
                "draw": np.tile(np.arange(keep, dtype=np.int64), n_d * n_q),
                "design": np.repeat(designs, n_q * keep),
                "party": np.tile(np.repeat(list(self.compiled.parties), keep), n_d),
                "net_gbp": self.outcomes[:, :, :keep].reshape(-1),
            }
        )

    def tables(self) -> dict[str, pd.DataFrame]:
        """The tables written to the run store."""
        return {
            "summary": self.summary,
            "comparison": self.comparison(),
            "attribution": self.attribution,
            "lines": self.lines,
            "monthly": self.monthly,
            "sources": self.sources,
            "outcomes": self.outcomes_table(self.scenario.keep_draws),
        }


@contextlib.contextmanager
def dask_client(workers: int | None, scheduler: str | None) -> Iterator[Any]:
    """A Dask client: a local loopback cluster of *workers* single-threaded processes, or the
    existing *scheduler* (3 s connect timeout). Shared by stress tests and simulations.

    Raises:
        RunError: the scheduler cannot be reached, or the cluster cannot start.
    """
    try:
        from distributed import Client, LocalCluster
    except ImportError:  # pragma: no cover - dask is a dependency
        raise RunError(
            "Dask is not installed",
            fix='install it with: pip install "dask[distributed]"',
        ) from None
    if scheduler is not None:
        try:
            client = Client(scheduler, timeout=SCHEDULER_TIMEOUT_S)  # type: ignore[no-untyped-call]
        except (OSError, TimeoutError, ValueError) as error:
            raise RunError(
                f"cannot reach the Dask scheduler at {scheduler} ({type(error).__name__})",
                location="--scheduler",
                expected="the address of a running Dask scheduler, e.g. tcp://10.0.0.5:8786",
                fix="start the scheduler (dask scheduler) and workers, check the address and "
                "firewall, or use --workers K for a local cluster",
            ) from None
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
        return
    import dask

    # Dask sets MALLOC_TRIM_THRESHOLD_=65536 in worker processes by default. That switches off
    # glibc's dynamic mmap threshold, so every large numpy temporary is mmapped and page-faulted
    # afresh: the engine ran about 2.3× slower per chunk on a worker than serially. Unset it
    # for the local cluster (the workers then allocate like the serial run).
    # The scheduler serves HTTP (health, metrics) on port 8787 even without a dashboard; if
    # another cluster holds that port it warns and leaks a socket. Bind it to a free port.
    with dask.config.set({"distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None}):
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            host="127.0.0.1",
            silence_logs=50,
            scheduler_kwargs=SCHEDULER_HTTP,
        )
    try:
        client = Client(cluster)  # type: ignore[no-untyped-call]
        try:
            yield client
        finally:
            client.close()  # type: ignore[no-untyped-call]
    finally:
        cluster.close()


def run_stress(
    scenario: Scenario,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: Progress | None = None,
) -> StressResult:
    """Run the stress test for *scenario*.

    Args:
        scenario: A validated scenario.
        workers: Start a local Dask cluster with this many single-threaded worker processes.
        scheduler: Use the Dask scheduler at this address instead.
        chunk_size: Override the scenario's chunk size (draws; rounded up to whole blocks of
            4,096). Does not change results.
        progress: Called as ``progress(draws_done, draws_total)`` after each chunk.

    Raises:
        RunError: the run would not fit in memory; the scheduler cannot be reached.
    """
    check_runnable(scenario, chunk_size=chunk_size)
    started = time.perf_counter()
    compiled = compile_scenario(scenario)
    total = scenario.draws
    chunk = _chunk_draws(scenario, chunk_size)
    ranges = [(s, min(s + chunk, total)) for s in range(0, total, chunk)]
    n_d, n_q = len(scenario.designs), len(compiled.parties)
    n_lines, n_blocks = len(scenario.lines), math.ceil(total / RANDOM_BLOCK)
    outcomes = np.empty((n_d, n_q, total))
    bins = np.empty((len(compiled.sources), min(total, ATTRIBUTION_MAX_DRAWS + 1)), dtype=np.uint8)
    payment_blocks = np.empty((n_d, n_lines, n_blocks))
    cost_blocks = np.empty((n_lines, n_blocks))
    activity_blocks = np.empty((n_lines, n_blocks))
    first: list[ChunkResult] = []
    done = 0

    def take(result: ChunkResult) -> None:
        nonlocal done
        a, b = result.start, result.stop
        outcomes[:, :, a:b] = result.outcomes
        bins[:, a : a + result.bins.shape[1]] = result.bins
        ba, bb = a // RANDOM_BLOCK, a // RANDOM_BLOCK + result.cost_blocks.shape[1]
        payment_blocks[:, :, ba:bb] = result.payment_blocks
        cost_blocks[:, ba:bb] = result.cost_blocks
        activity_blocks[:, ba:bb] = result.activity_blocks
        if a == 0:
            first.append(result)
        done += b - a
        if progress is not None:
            progress(done, total)

    # Evaluate the central draw first: a design a mechanism refuses (e.g. a collar above the
    # cap) fails here with its ConfigError, before any cluster starts.
    evaluate_chunk(compiled, 0, 1)
    n_workers: int | str = 1
    if workers is None and scheduler is None:
        for a, b in ranges:
            take(evaluate_chunk(compiled, a, b))
    else:
        from distributed import as_completed

        with dask_client(workers, scheduler) as client:
            n_workers = len(client.scheduler_info().get("workers", {})) or (workers or "?")
            shared = client.scatter(compiled, broadcast=True)
            futures = [client.submit(evaluate_chunk, shared, a, b, pure=False) for a, b in ranges]
            try:
                for future in as_completed(futures):  # type: ignore[no-untyped-call]
                    take(future.result())
                    future.release()
            except BaseException:
                client.cancel(futures)
                raise
    evaluated = time.perf_counter()
    # with a local cluster the workers' cores are free again: use them for the per-party
    # statistics (numpy releases the GIL; results do not depend on the number of threads)
    threads = min(workers or 1, os.cpu_count() or 1) if scheduler is None else 1
    summary = summary_table(compiled, outcomes, threads=threads)
    attribution = attribution_table(compiled, outcomes, bins)
    lines, monthly = _line_tables(
        compiled, payment_blocks, cost_blocks, activity_blocks, first[0], total
    )
    sources = pd.DataFrame(
        {
            "source": [s.name for s in compiled.sources],
            "kind": [s.kind for s in compiled.sources],
            "description": [s.description for s in compiled.sources],
        },
        columns=["source", "kind", "description"],
    )
    finished = time.perf_counter()
    timings = {
        "evaluate_s": evaluated - started,
        "statistics_s": finished - evaluated,
        "total_s": finished - started,
        "workers": n_workers,
        "chunk_size": chunk,
        "chunks": len(ranges),
    }
    return StressResult(
        scenario=scenario,
        compiled=compiled,
        outcomes=outcomes,
        summary=summary,
        attribution=attribution,
        lines=lines,
        monthly=monthly,
        sources=sources,
        timings=timings,
    )


def _line_tables(
    compiled: Compiled,
    payment_blocks: FloatArray,
    cost_blocks: FloatArray,
    activity_blocks: FloatArray,
    first: ChunkResult,
    total: int,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario = compiled.scenario
    used = max(total - 1, 1)

    def mean(block_sums: FloatArray, central: FloatArray) -> FloatArray:
        summed: FloatArray = block_sums.sum(axis=-1)
        return (summed - central) / used if total > 1 else summed

    pay = mean(payment_blocks, first.first_payment)
    cost = mean(cost_blocks, first.first_cost)
    act = mean(activity_blocks, first.first_activity)
    rows, monthly_rows = [], []
    from quasimarket.financial_year import MONTHS

    for d, design in enumerate(scenario.designs):
        for i, line in enumerate(scenario.lines):
            spec = scenario.line_design(design, line.id)
            mechanism = (
                "alliance"
                if design.alliance is not None and line.provider in design.alliance.partners
                else getattr(spec, "mechanism", "")
            )
            rows.append(
                {
                    "design": design.name,
                    "line": line.id,
                    "provider": line.provider,
                    "commissioner": line.commissioner,
                    "mechanism": mechanism,
                    "planned_activity": line.planned_activity,
                    "planned_value_gbp": line.planned_value_gbp,
                    "mean_activity": float(act[i]),
                    "mean_payment_gbp": float(pay[d, i]),
                    "mean_cost_gbp": float(cost[i]),
                    "central_payment_gbp": float(first.first_payment[d, i]),
                    "central_cost_gbp": float(first.first_cost[i]),
                }
            )
            if (
                isinstance(spec, Block)
                and spec.monthly_profile is not None
                and mechanism == "block"
            ):
                profile = np.asarray(spec.monthly_profile)
            elif line.seasonality is not None:
                profile = np.asarray(line.seasonality)
            else:
                profile = np.full(12, 1.0 / 12.0)
            for m, month in enumerate(MONTHS):
                monthly_rows.append(
                    {
                        "design": design.name,
                        "line": line.id,
                        "month": month,
                        "mean_payment_gbp": float(pay[d, i] * profile[m]),
                    }
                )
    return pd.DataFrame(rows), pd.DataFrame(monthly_rows)


def save_run(
    result: StressResult,
    store: str | Path | None = None,
    *,
    source: str | None = None,
    owner: str | None = None,
) -> str:
    """Write *result* to the run store; return the run id (``owner``: optional, e.g. a web
    user).

    The manifest records the seed, draws, chunking, workers and timings. Writing is atomic: a
    failure or Ctrl-C leaves no run behind.
    """
    from quasimarket.runs import RunStore

    scenario = result.scenario
    manifest = {
        "seed": scenario.seed,
        "draws": scenario.draws,
        "designs": [d.name for d in scenario.designs],
        "parties": list(result.compiled.parties),
        "sources": [s.name for s in result.compiled.sources],
        "scenario_source": source,
        "elapsed_s": result.timings.get("total_s"),
        "timings": result.timings,
        "pid": os.getpid(),
    }
    return RunStore(store).write(
        "stress",
        scenario.model_dump(mode="json"),
        result.tables(),
        manifest,
        name=scenario.name,
        owner=owner,
    )
