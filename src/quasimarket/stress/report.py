"""One self-contained HTML report of a stored stress-test run.

The report holds: the scenario's name and description; the designs side by side (mean and
P5 net position, probability of breach, variance share); the full statistics table; the
variance attribution; the static plots (PNG embedded as base64) and the interactive plotly
charts (plotly.js embedded: no network needed to open it); the resolved scenario; and the
provenance (manifest: package version, seed, draws, timings, machine). Money is rounded to
whole pounds for display only.
"""

from __future__ import annotations

import base64
import html
import json
from pathlib import Path
from typing import Any

import pandas as pd

from quasimarket.errors import ConfigError
from quasimarket.io import atomic_write_text
from quasimarket.runs import RunStore

__all__ = ["render_report", "write_report"]

_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem;color:#222}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem;font-size:0.85rem}
th,td{border:1px solid #ccc;padding:0.25rem 0.5rem;text-align:right}
th{background:#f0f4f8} td:first-child,th:first-child{text-align:left}
pre{background:#f7f7f7;padding:0.75rem;overflow:auto;font-size:0.8rem}
img{max-width:100%} h2{border-bottom:2px solid #005eb8;padding-bottom:0.2rem}
"""


def _money(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    from quasimarket.money import round_pence

    pounds = float(round_pence(float(value))) + 0.0  # + 0.0 turns −0 into 0
    return f"−£{-pounds:,.0f}" if pounds < 0 else f"£{pounds:,.0f}"


def _table(frame: pd.DataFrame) -> str:
    formatters: dict[str, Any] = {}
    for column in frame.columns:
        name = str(column)
        if name.endswith("_gbp"):
            formatters[name] = _money
        elif name.startswith("p_") or name in {"variance_share", "index"}:
            formatters[name] = lambda v: "" if v != v else f"{v:.1%}"
    return frame.to_html(index=False, formatters=formatters, border=0, escape=True, na_rep="")


def render_report(store: RunStore, run_id: str) -> str:
    """The HTML text of the report for *run_id*.

    Raises:
        ConfigError: the run is not a stress run.
    """
    from quasimarket.stress.plots import (
        attribution_figure,
        density_figure,
        plotly_figures,
        png_bytes,
        risk_bar_figure,
    )
    from quasimarket.stress.stats import comparison_table

    record = store.get(run_id)
    if record.kind != "stress":
        raise ConfigError(
            f"run {record.run_id} is a {record.kind} run, not a stress test",
            location="run id",
            expected="the id of a stress run",
            fix="list stress runs with `quasimarket runs list --kind stress`",
        )
    tables = {name: store.table(record.run_id, name) for name in record.tables}
    scenario = record.scenario()
    summary, attribution = tables["summary"], tables["attribution"]
    parts = [
        f"<h1>{html.escape(str(scenario.get('name', record.run_id)))}</h1>",
        f"<p>{html.escape(str(scenario.get('description', '')))}</p>",
        f"<p>Run <code>{record.run_id}</code>: {record.draws:,} draws, seed {record.seed}, "
        f"quasimarket {record.package_version}. Draw 0 is the central case; the statistics "
        "use the other draws. Net position: + = better off (commissioner: budget − payments; "
        "provider: income − cost).</p>",
        "<h2>Designs side by side</h2>",
    ]
    for statistic, label in (
        ("mean_gbp", "Mean net position"),
        ("p5_gbp", "P5 net position (a bad year, 1 in 20)"),
        ("p_breach", "Probability of breaching budget / control total"),
        ("variance_share", "Share of the outcome variance borne"),
    ):
        frame = comparison_table(summary, statistic)
        frame.columns = [
            f"{c}_gbp" if statistic.endswith("_gbp") and c != "party" else c for c in frame.columns
        ]
        shown = _table(frame).replace("_gbp</th>", "</th>")
        if not statistic.endswith("_gbp"):
            shown = frame.to_html(
                index=False, border=0, na_rep="", float_format=lambda v: f"{v:.1%}"
            )
        parts += [f"<h3>{label}</h3>", shown]
    parts += ["<h2>Risk statistics</h2>", _table(summary)]
    parts += ["<h2>Who bears the risk</h2>"]
    parts.append(_img(png_bytes(risk_bar_figure(summary))))
    parts.append(_img(png_bytes(density_figure(tables["outcomes"]))))
    parts += ["<h2>Which uncertainty drives whose risk</h2>"]
    wide = attribution.pivot_table(
        index=["design", "party"], columns="source", values="index", sort=False
    ).reset_index()
    parts.append(wide.to_html(index=False, border=0, float_format=lambda v: f"{v:.1%}"))
    parts.append(_img(png_bytes(attribution_figure(attribution))))
    parts += ["<h2>Interactive charts</h2>"]
    parts += [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0))
        for i, fig in enumerate(plotly_figures(tables))
    ]
    if "lines" in tables:
        parts += ["<h2>Lines (mean over draws)</h2>", _table(tables["lines"])]
    parts += [
        "<h2>Scenario</h2>",
        f"<pre>{html.escape(json.dumps(scenario, indent=2))}</pre>",
        "<h2>Provenance</h2>",
        f"<pre>{html.escape(json.dumps(record.manifest, indent=2, default=str))}</pre>",
    ]
    title = html.escape(str(scenario.get("name", record.run_id)))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_CSS}</style></head><body>{''.join(parts)}</body></html>"
    )


def _img(data: bytes) -> str:
    return f"<img alt='chart' src='data:image/png;base64,{base64.b64encode(data).decode()}'>"


def write_report(store: RunStore, run_id: str, out: str | Path) -> Path:
    """Write the report of *run_id* to *out* atomically; return the path."""
    return atomic_write_text(out, render_report(store, run_id))
