"""The simulation pages' bridge to :mod:`quasimarket.simulation`.

:func:`available` says whether the installed quasimarket has the simulation engine; when it
does not, the pages say so and the API answers 501. The regimes offered are the engine's
built-in scenarios (:data:`quasimarket.simulation.BUILTIN`), with the years, draws and seed
overridable; charts are drawn from the run's stored tables (no new statistics).
"""

from __future__ import annotations

import importlib
import time
from pathlib import Path
from typing import Any

import pandas as pd

from quasimarket.errors import RunError

__all__ = ["attribution_figure", "available", "regimes", "resolve", "run", "series_figure"]


def _module() -> Any:
    try:
        return importlib.import_module("quasimarket.simulation")
    except ImportError:
        return None


def available() -> bool:
    """True when :mod:`quasimarket.simulation` offers what the web app uses."""
    module = _module()
    return module is not None and all(
        hasattr(module, name) for name in ("simulate", "builtin_scenario", "BUILTIN")
    )


def regimes() -> dict[str, str]:
    """Built-in scenario (regime) name → description (empty without the engine)."""
    if not available():
        return {}
    return {name: str(entry[0]) for name, entry in _module().BUILTIN.items()}


def resolve(name: str, years: str | None, draws: int, seed: int) -> dict[str, Any]:
    """The validated scenario (as JSON) for a built-in regime with overrides.

    Raises:
        ConfigError: unknown regime or a bad year range (from the engine's own checks).
        RunError: no simulation engine.
    """
    if not available():
        raise RunError("the simulation engine is not installed", fix="upgrade quasimarket")
    from quasimarket.simulation import builtin_scenario, parse_simulation_scenario

    scenario = builtin_scenario(name)
    data = scenario.model_dump(mode="json")
    data.update({"draws": draws, "seed": seed})
    if years:
        data["years"] = years
    checked = parse_simulation_scenario(data, file="request")
    resolved: dict[str, Any] = checked.model_dump(mode="json")
    return resolved


def run(job: Path, store: Path, payload: dict[str, Any]) -> str:
    """Run one simulation job and store it; the run id.

    Raises:
        RunError: the simulation engine is not installed.
    """
    if not available():
        raise RunError(
            "the simulation engine is not installed in this version of quasimarket",
            fix="upgrade quasimarket",
        )
    from quasimarket.regimes import simulate  # runs a regime preset or path too
    from quasimarket.simulation import parse_simulation_scenario
    from quasimarket.web.jobs import store_lock, update_job

    scenario = parse_simulation_scenario(payload["scenario"], file="job")
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] > 0.25 or done >= total:
            last[0] = now
            share = done / total if total else 1.0
            update_job(job, progress=share, message=f"{done:,} of {total:,} draws")

    result = simulate(scenario, scheduler=payload.get("scheduler"), progress=progress)
    update_job(job, message="storing the run", progress=1.0)
    with store_lock(store):
        run_id: str = result.save(store, source="web", owner=payload.get("owner"))
    return run_id


def series_figure(monthly: pd.DataFrame, org: str, metric: str) -> Any:
    """One organisation's monthly metric: the mean with its P5-P95 band over draws."""
    import plotly.graph_objects as go

    rows = monthly[(monthly["org_code"] == org) & (monthly["metric"] == metric)]
    x = rows["month"].astype(str).tolist()
    fig = go.Figure(
        [
            go.Scatter(x=x, y=rows["p95"], line={"width": 0}, showlegend=False, hoverinfo="skip"),
            go.Scatter(
                x=x,
                y=rows["p5"],
                fill="tonexty",
                fillcolor="rgba(0,94,184,0.2)",
                line={"width": 0},
                name="P5 to P95 over draws",
            ),
            go.Scatter(x=x, y=rows["mean"], line={"color": "#005eb8"}, name="mean"),
        ]
    )
    fig.update_layout(title=f"{org}: {metric.replace('_', ' ')} by month", height=360)
    return fig


def compare_figure(monthly_a: pd.DataFrame, monthly_b: pd.DataFrame, org: str, metric: str) -> Any:
    """Two runs' monthly metric for one organisation: each mean with its P5-P95 band."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for label, frame, colour in (("a", monthly_a, "0,94,184"), ("b", monthly_b, "218,41,28")):
        rows = frame[(frame["org_code"] == org) & (frame["metric"] == metric)]
        x = rows["month"].astype(str).tolist()
        fig.add_trace(
            go.Scatter(x=x, y=rows["p95"], line={"width": 0}, showlegend=False, hoverinfo="skip")
        )
        fig.add_trace(
            go.Scatter(
                x=x,
                y=rows["p5"],
                fill="tonexty",
                fillcolor=f"rgba({colour},0.18)",
                line={"width": 0},
                name=f"run {label}: P5 to P95",
            )
        )
        fig.add_trace(
            go.Scatter(x=x, y=rows["mean"], line={"color": f"rgb({colour})"}, name=f"run {label}")
        )
    fig.update_layout(title=f"{org}: {metric.replace('_', ' ')} by month, runs a and b", height=380)
    return fig


def attribution_figure(attribution: pd.DataFrame) -> Any:
    """Spend attribution (the engine's Shapley table): contribution of each factor, £."""
    import plotly.graph_objects as go

    fig = go.Figure()
    for commissioner, rows in attribution.groupby("commissioner", sort=False):
        fig.add_trace(go.Bar(x=rows["factor"], y=rows["contribution_gbp"], name=str(commissioner)))
    fig.update_layout(title="What changed spend between the first and last year, £", height=360)
    return fig
