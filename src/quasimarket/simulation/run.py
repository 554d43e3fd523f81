"""Run a simulation (serially or over Dask workers), summarise the ensemble, store it.

``simulate(scenario)`` compiles the scenario, runs the draws in chunks (each draw has its own
random stream, so results are bit-identical whatever the chunking or number of workers),
combines the chunks in draw order and builds long-format tables. ``SimulationResult.save()``
writes them to the run store (kind ``"simulation"``; atomic, catalogued last).
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket._types import FloatArray
from quasimarket.errors import RunError
from quasimarket.random_streams import validate_seed
from quasimarket.simulation.attribution import spend_attribution
from quasimarket.simulation.compile import Compiled, compile_simulation, load_scenario_economy
from quasimarket.simulation.engine import (
    COMMISSIONER_MONTHLY,
    COMMISSIONER_YEARLY,
    PROVIDER_MONTHLY,
    PROVIDER_YEARLY,
    ChunkOutput,
    run_chunk,
)
from quasimarket.simulation.parameters import PODS
from quasimarket.simulation.regime import BehaviourFactory, make_behaviours
from quasimarket.simulation.scenario import SimulationScenario

__all__ = ["SimulationResult", "estimate_memory_bytes", "simulate"]

Progress = Callable[[int, int], None]
_STATS = ("mean", "p5", "p50", "p95")


def estimate_memory_bytes(
    scenario: SimulationScenario, *, commissioners: int, providers: int, practices: int
) -> int:
    """Peak memory of a run, bytes (an upper estimate made before anything is built).

    Kept for all draws: monthly commissioner and provider series (float32) and their quantiles.
    Per chunk: about 12 float64 arrays of commissioners × providers × PODs and the demand draws.
    """
    months = 12 * len(scenario.year_list())
    n_p = len(PODS)
    monthly = months * (commissioners * (n_p + 3) + providers * (n_p + 5)) * 4
    kept = scenario.draws * monthly * 3
    chunk = min(scenario.chunk_draws, scenario.draws)
    per_chunk = chunk * (
        12 * commissioners * providers * n_p * 8 + months * commissioners * 6 * 8 * 2
    )
    compile_bytes = len(scenario.year_list()) * practices * 16 * 8 * 4
    return int(kept + per_chunk + compile_bytes + 300 * 1024**2)


def _check_memory(scenario: SimulationScenario, compiled_sizes: tuple[int, int, int]) -> None:
    need = estimate_memory_bytes(
        scenario,
        commissioners=compiled_sizes[0],
        providers=compiled_sizes[1],
        practices=compiled_sizes[2],
    )
    limit = scenario.memory_limit_gb * 1024**3
    if need > limit:
        one = estimate_memory_bytes(
            scenario.model_copy(update={"draws": 1}),
            commissioners=compiled_sizes[0],
            providers=compiled_sizes[1],
            practices=compiled_sizes[2],
        )
        per_draw = max(1.0, (need - one) / max(scenario.draws - 1, 1))
        fits = max(1, int((limit - one) / per_draw))
        raise RunError(
            f"{scenario.draws:,} draws over {len(scenario.year_list())} years need about "
            f"{need / 1024**3:,.1f} GiB of memory (limit {scenario.memory_limit_gb:g} GiB)",
            location="draws",
            expected=f"at most about {fits:,} draws for this economy and these years",
            fix=f"use --draws {fits:,} or fewer, fewer years, a smaller chunk_draws, or raise "
            "memory_limit_gb if the machine has the memory",
        )


@dataclass
class SimulationResult:
    """A finished simulation.

    Attributes:
        scenario: The scenario.
        compiled: The compiled arrays.
        outputs: Draw arrays combined from the chunks (see :class:`ChunkOutput`).
        timings: Seconds for each phase, workers, chunks.
    """

    scenario: SimulationScenario
    compiled: Compiled
    commissioner: npt.NDArray[np.float32]
    provider: npt.NDArray[np.float32]
    commissioner_yearly: FloatArray
    provider_yearly: FloatArray
    pod_activity: FloatArray
    pod_payment: FloatArray
    conservation: FloatArray
    demand: FloatArray
    timings: dict[str, Any] = field(default_factory=dict)
    records: dict[str, pd.DataFrame] = field(default_factory=dict)

    # -- convenient views -------------------------------------------------------------------
    @property
    def year_labels(self) -> list[str]:
        """Financial-year labels, e.g. ``["2013/14", …]``."""
        return [str(y) for y in self.compiled.years]

    def month_labels(self) -> list[str]:
        """Calendar month of each simulated month, ``"2013-04"`` …."""
        first = self.compiled.years[0].start
        return [
            f"{first + (t + 3) // 12}-{(t + 3) % 12 + 1:02d}" for t in range(self.compiled.months)
        ]

    def summary(self) -> pd.DataFrame:
        """England totals by financial year (means over draws): activity, waits and money."""
        years = self.year_labels
        act = self.pod_activity.sum(axis=2).mean(axis=0)  # (Y, P)
        cy = self.commissioner_yearly.mean(axis=0).sum(axis=1)  # (Y, metrics)
        py = self.provider_yearly.mean(axis=0).sum(axis=1)
        months = self.provider.mean(axis=0)  # (T, V, M)
        lists = months[:, :, len(PODS)].reshape(len(years), 12, -1)[:, -1].sum(axis=1)
        rtt = months[:, :, len(PODS) + 1]
        weight = months[:, :, len(PODS)]
        ok = np.isfinite(rtt)
        waiting = np.where(ok, weight, 0).sum(axis=1)
        # An empty list has nobody waiting over 18 weeks: the incomplete-pathway share is 100%.
        rtt_year = np.where(
            waiting > 0,
            np.where(ok, rtt * weight, 0.0).sum(axis=1) / np.maximum(waiting, 1e-9),
            1.0,
        ).reshape(len(years), 12)[:, -1]
        frame = pd.DataFrame({"financial_year": years})
        for p, pod in enumerate(PODS):
            frame[pod] = act[:, p]
        frame["waiting_list_march"] = lists
        frame["rtt_within_18_weeks_march"] = rtt_year
        for k, metric in enumerate(COMMISSIONER_YEARLY):
            frame[f"commissioners_{metric}"] = cy[:, k]
        for k, metric in enumerate(PROVIDER_YEARLY):
            frame[f"providers_{metric}"] = py[:, k]
        return frame

    def attribution(self, year_a: int = 0, year_b: int = -1) -> pd.DataFrame:
        """Spend attribution between two year indexes (default first → last), Shapley."""
        n_y = len(self.compiled.years)
        value = self._pod_value()
        return spend_attribution(
            expected0=self.compiled.expected_demand0,
            expected=self.compiled.expected_demand,
            realised=self.demand.mean(axis=0),
            activity=self.pod_activity.mean(axis=0),
            value=value,
            spend=self.pod_payment.mean(axis=0),
            commissioners=self.compiled.commissioners,
            year_a=year_a % n_y,
            year_b=year_b % n_y,
            year_labels=self.year_labels,
        )

    def _pod_value(self) -> FloatArray:
        """Activity at each year's prices by commissioner and POD (Y, C, P), provider-mix aware."""
        # Average unit price per commissioner: flows weighted by the baseline routes.
        c = self.compiled
        out = np.zeros(self.pod_activity.shape[1:])
        routes = {
            "elective_spell": "elective",
            "op_first": "elective",
            "op_follow_up": "elective",
            "non_elective": "emergency",
            "ae": "emergency",
            "community": "community",
            "mental_health": "mental_health",
        }
        act = self.pod_activity.mean(axis=0)
        for p, pod in enumerate(PODS):
            if pod not in routes:
                continue
            unit = c.shares[routes[pod]] @ c.price[:, :, p].T  # (C, Y)
            out[:, :, p] = act[:, :, p] * unit.T
        return out

    def tables(self) -> dict[str, pd.DataFrame]:
        """Long-format result tables for the run store."""
        c = self.compiled
        months = self.month_labels()
        fy = [self.year_labels[t // 12] for t in range(c.months)]
        monthly = pd.concat(
            [
                _long(
                    self.commissioner,
                    "commissioner",
                    c.commissioners,
                    [*PODS, *COMMISSIONER_MONTHLY],
                    months,
                    fy,
                ),
                _long(
                    self.provider, "provider", c.providers, [*PODS, *PROVIDER_MONTHLY], months, fy
                ),
            ],
            ignore_index=True,
        )
        yearly = pd.concat(
            [
                _long(
                    self.commissioner_yearly,
                    "commissioner",
                    c.commissioners,
                    list(COMMISSIONER_YEARLY),
                    self.year_labels,
                    self.year_labels,
                ),
                _long(
                    self.provider_yearly,
                    "provider",
                    c.providers,
                    list(PROVIDER_YEARLY),
                    self.year_labels,
                    self.year_labels,
                ),
            ],
            ignore_index=True,
        ).drop(columns=["month"])
        organisations = pd.DataFrame(
            {
                "org_type": ["commissioner"] * len(c.commissioners)
                + ["provider"] * len(c.providers),
                "org_code": c.commissioners + c.providers,
                "kind": [c.info["commissioner_level"]] * len(c.commissioners) + c.provider_kind,
                "region_code": [c.info["regions"][k] for k in c.commissioners]
                + c.info["provider_regions"],
            }
        )
        conservation = pd.DataFrame(
            {
                "financial_year": self.year_labels,
                "referrals_in": self.conservation[:, :, 0].mean(axis=0),
                "pathways_completed": self.conservation[:, :, 1].mean(axis=0),
                "waiting_list_change": self.conservation[:, :, 2].mean(axis=0),
                "commissioner_spend_gbp": self.commissioner_yearly[:, :, :, 2]
                .sum(axis=2)
                .mean(axis=0),
                "provider_income_gbp": self.provider_yearly[:, :, :, 0].sum(axis=2).mean(axis=0),
                "population": c.population.sum(axis=1),
            }
        )
        return {
            "summary": self.summary(),
            "monthly": monthly,
            "yearly": yearly,
            "organisations": organisations,
            "conservation": conservation,
            "attribution": self.attribution() if len(c.years) > 1 else pd.DataFrame(),
            **self.records,
        }

    def save(
        self,
        store: str | Path | None = None,
        *,
        source: str | None = None,
        owner: str | None = None,
    ) -> str:
        """Write to the run store (kind ``"simulation"``); return the run id. Atomic.

        *owner* (e.g. the web app's user) is recorded in the catalog and the manifest.
        """
        from quasimarket.runs import RunStore

        manifest = {
            "seed": self.scenario.seed,
            "draws": self.scenario.draws,
            "years": self.year_labels,
            "economy": self.compiled.info["economy"],
            "contract_forms": self.compiled.forms,
            "scenario_source": source,
            "elapsed_s": self.timings.get("total_s"),
            "timings": self.timings,
            "pid": os.getpid(),
        }
        return RunStore(store).write(
            "simulation",
            self.scenario.model_dump(mode="json"),
            self.tables(),
            manifest,
            name=self.scenario.name,
            owner=owner,
        )


def _long(
    array: npt.NDArray[Any],
    org_type: str,
    codes: list[str],
    metrics: list[str],
    months: list[str],
    years: list[str],
) -> pd.DataFrame:
    """(D, T, O, M) draws → long rows ``org_type, org_code, financial_year, month, metric,
    mean, p5, p50, p95`` (NaN-aware; rows that are NaN in every draw are dropped)."""
    data = np.asarray(array, dtype=np.float64)
    n_t, n_o, n_m = data.shape[1:]
    missing = np.isnan(data).all(axis=0)
    filled = np.where(np.isnan(data), 0.0, data)  # NaN cells are NaN in every draw (by kind)
    if data.shape[0] == 1:
        stats = np.repeat(filled[0][None], 4, axis=0)
    else:
        stats = np.concatenate(
            [filled.mean(axis=0)[None], np.quantile(filled, [0.05, 0.5, 0.95], axis=0)]
        )
    stats[:, missing] = np.nan
    frame = pd.DataFrame(
        {
            "org_type": org_type,
            "org_code": np.tile(np.repeat(np.array(codes, dtype=object), n_m), n_t),
            "financial_year": np.repeat(np.array(years, dtype=object), n_o * n_m),
            "month": np.repeat(np.array(months, dtype=object), n_o * n_m),
            "metric": np.tile(np.array(metrics, dtype=object), n_t * n_o),
        }
    )
    for s, name in enumerate(_STATS):
        frame[name] = stats[s].reshape(-1)
    return frame[frame["mean"].notna()].reset_index(drop=True)


def simulate(
    scenario: SimulationScenario,
    *,
    years: str | None = None,
    draws: int | None = None,
    workers: int | None = None,
    seed: int | None = None,
    scheduler: str | None = None,
    progress: Progress | bool | None = None,
    economy: Any = None,
    behaviours: BehaviourFactory | None = None,
) -> SimulationResult:
    """Simulate *scenario* month by month.

    The behaviour rules come from the caller: a scenario whose regime names a ``preset``,
    ``path`` or ``switches`` needs the regime-path rule of :mod:`quasimarket.regimes`, so run it
    with :func:`quasimarket.regimes.simulate` (same arguments), which passes
    ``behaviours=regime_behaviours(scenario.regime)``.

    Args:
        scenario: A validated scenario (:func:`builtin_scenario` or a loaded file).
        years: Override the year range, e.g. ``"2013/14:2018/19"``.
        draws: Override the ensemble size.
        workers: Run the draw chunks on a local Dask cluster with this many workers.
        seed: Override the master seed.
        scheduler: Use an existing Dask scheduler at this address instead.
        progress: ``progress(draws_done, draws_total)`` after each chunk (or True for a simple
            stderr line).
        economy: Use this :class:`~quasimarket.economy.Economy` instead of building one.
        behaviours: Builds each chunk's behaviour rules (picklable, called on the Dask worker
            running the chunk; :data:`~quasimarket.simulation.regime.BehaviourFactory`).
            None: the regime's named rules (:func:`~quasimarket.simulation.regime.make_behaviours`).

    Raises:
        ConfigError: an inconsistent scenario (including a regime preset or path without
            *behaviours*); RunError: the run would not fit in memory.
    """
    validate_seed(scenario.seed if seed is None else seed, location="seed")
    updates = {
        k: v for k, v in (("years", years), ("draws", draws), ("seed", seed)) if v is not None
    }
    if updates:
        from quasimarket.simulation.scenario import parse_simulation_scenario

        scenario = parse_simulation_scenario({**scenario.model_dump(), **updates}, file="options")
    started = time.perf_counter()
    # unknown behaviour rules (and a preset without its rules) fail before any work
    if behaviours is not None:
        behaviours()
    else:
        make_behaviours(scenario.regime)
    econ = economy if economy is not None else load_scenario_economy(scenario)
    _check_memory(scenario, (len(econ.commissioners), len(econ.providers), len(econ.practices)))
    compiled = compile_simulation(scenario, econ)
    compiled_at = time.perf_counter()
    total = scenario.draws
    chunk = scenario.chunk_draws
    ranges = [(a, min(a + chunk, total)) for a in range(0, total, chunk)]
    report: Progress | None
    if progress is True:
        import sys

        def report(done: int, total: int) -> None:
            print(f"simulated {done}/{total} draws", file=sys.stderr)

    elif callable(progress):
        report = progress
    else:
        report = None
    parts: dict[int, ChunkOutput] = {}
    n_workers: int | str = 1
    if workers is None and scheduler is None:
        for a, b in ranges:
            parts[a] = run_chunk(compiled, a, b, behaviours)
            if report is not None:
                report(b, total)
    else:
        from distributed import as_completed

        from quasimarket.stress.run import dask_client

        with dask_client(workers, scheduler) as client:
            n_workers = len(client.scheduler_info().get("workers", {})) or (workers or "?")
            shared = client.scatter(compiled, broadcast=True)
            futures = [
                client.submit(run_chunk, shared, a, b, behaviours, pure=False) for a, b in ranges
            ]
            done = 0
            try:
                for future in as_completed(futures):  # type: ignore[no-untyped-call]
                    out: ChunkOutput = future.result()
                    parts[out.start] = out
                    done += out.stop - out.start
                    future.release()
                    if report is not None:
                        report(done, total)
            except BaseException:
                client.cancel(futures)
                raise
    ordered = [parts[a] for a, _ in ranges]

    def cat(name: str) -> Any:
        return np.concatenate([getattr(p, name) for p in ordered], axis=0)

    records: dict[str, pd.DataFrame] = {}
    for name in sorted({key for part in ordered for key in part.records}):
        blocks = [pd.DataFrame(b) for part in ordered for b in part.records.get(name, [])]
        frame = pd.concat(blocks, ignore_index=True) if blocks else pd.DataFrame()
        if len(frame.columns) and "draw" not in frame.columns:  # one copy per chunk
            frame = frame.drop_duplicates(ignore_index=True)
        keys = [k for k in ("financial_year", "draw") if k in frame.columns]
        if keys:  # the same rows in the same order whatever the chunking
            frame = frame.sort_values(keys, kind="stable").reset_index(drop=True)
        records[name] = frame
    finished = time.perf_counter()
    result = SimulationResult(
        scenario=scenario,
        compiled=compiled,
        commissioner=cat("commissioner"),
        provider=cat("provider"),
        commissioner_yearly=cat("commissioner_yearly"),
        provider_yearly=cat("provider_yearly"),
        pod_activity=cat("pod_activity"),
        pod_payment=cat("pod_payment"),
        conservation=cat("conservation"),
        demand=cat("demand"),
        records=records,
        timings={
            "compile_s": compiled_at - started,
            "simulate_s": finished - compiled_at,
            "total_s": finished - started,
            "workers": n_workers,
            "chunks": len(ranges),
            "chunk_draws": chunk,
            "months": compiled.months,
            "commissioners": len(compiled.commissioners),
            "providers": len(compiled.providers),
            "practices": compiled.info["practices"],
        },
    )
    if not math.isfinite(float(result.commissioner_yearly.sum())):
        raise RunError(
            "the simulation produced non-finite money (check the rates and prices)",
            location="scenario",
            fix="check for extreme parameter values",
        )
    return result
