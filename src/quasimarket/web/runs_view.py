"""Reading a user's run store for pages and the API (under the store lock)."""

from __future__ import annotations

from typing import Any

import pandas as pd

from quasimarket.runs import RunComparison, RunRecord, RunStore
from quasimarket.web import views
from quasimarket.web.jobs import store_lock
from quasimarket.web.storage import RUN_ID, NotFoundError, Workspace, check_id

__all__ = ["compare", "delete", "get", "list_runs", "stress_figures", "table"]


def _store(ws: Workspace) -> RunStore:
    return RunStore(ws.runs)


def list_runs(ws: Workspace, kind: str | None = None) -> list[RunRecord]:
    """The user's complete runs, newest first."""
    with store_lock(ws.runs):
        return _store(ws).list(kind)


def get(ws: Workspace, run_id: str) -> RunRecord:
    """One of the user's runs (exact id only).

    Raises:
        NotFoundError: malformed id or no such run in the user's store.
    """
    check_id(run_id, RUN_ID)
    for record in list_runs(ws):
        if record.run_id == run_id:
            return record
    raise NotFoundError(run_id)


def table(ws: Workspace, run_id: str, name: str, limit: int | None = None) -> pd.DataFrame:
    """A result table of one of the user's runs.

    Raises:
        NotFoundError: unknown run or table.
    """
    record = get(ws, run_id)
    if name not in record.tables:
        raise NotFoundError(name)
    with store_lock(ws.runs):
        frame = _store(ws).table(record.run_id, name)
    return frame if limit is None else frame.head(limit)


def compare(ws: Workspace, a: str, b: str) -> RunComparison:
    """Compare two of the user's runs."""
    get(ws, a)
    get(ws, b)
    with store_lock(ws.runs):
        return _store(ws).compare(a, b)


def delete(ws: Workspace, run_id: str) -> RunRecord:
    """Delete one of the user's runs."""
    get(ws, run_id)
    with store_lock(ws.runs):
        return _store(ws).delete(run_id)


def report_html(ws: Workspace, run_id: str) -> str:
    """The stress tester's self-contained HTML report of a run."""
    from quasimarket.stress.report import render_report

    record = get(ws, run_id)
    if record.kind != "stress":
        raise NotFoundError(run_id)
    with store_lock(ws.runs):
        return render_report(_store(ws), run_id)


def stress_figures(ws: Workspace, run_id: str) -> list[tuple[str, str]]:
    """The stress run's interactive figures (density per party, who bears the risk,
    attribution) as ``(embeddable JSON, title)``."""
    from quasimarket.stress.plots import plotly_figures

    tables = {name: table(ws, run_id, name) for name in ("outcomes", "summary")}
    figures = plotly_figures(tables)
    figures.append(_attribution_figure(table(ws, run_id, "attribution")))
    return [(views.figure_json(f), str(f.layout.title.text or "")) for f in figures]


def _attribution_figure(attribution: pd.DataFrame) -> Any:
    """Stacked bars: share of each party's variance by source of uncertainty (presentation of
    the stress tester's ``attribution`` table; no new statistics)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    labels = attribution["design"].astype(str) + " / " + attribution["party"].astype(str)
    for source, group in attribution.groupby("source", sort=False):
        fig.add_trace(
            go.Bar(x=labels[group.index], y=group["index"], name=str(source)),
        )
    fig.update_layout(
        barmode="stack",
        title="What drives each party's risk: share of variance by source",
        yaxis_tickformat=".0%",
        height=380,
    )
    return fig
