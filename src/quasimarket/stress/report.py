"""One self-contained HTML report of a stored stress-test run.

The report holds: the scenario's name and description; its notes (caveats such as provider
costs not given or a default uncertainty used: ``Scenario.notes``); the designs side by side
(mean and P5 net position, probability of breach, variance share); the full statistics table; the
variance attribution; the static plots (PNG embedded as base64) and the interactive plotly
charts (plotly.js embedded: no network needed to open it); the resolved scenario; and the
provenance (manifest: package version, seed, draws, timings, machine). Money is rounded to
whole pounds for display only.
"""

from __future__ import annotations

import html
from pathlib import Path

from quasimarket.io import write_output_file
from quasimarket.io.outputs import Inputs
from quasimarket.runs import RunStore
from quasimarket.runs.report_html import html_table, load_run, png_img, report_page

__all__ = ["REPORT_COMMAND", "render_report", "write_report"]

#: The command recorded in a report's output marker (:mod:`quasimarket.io.outputs`).
REPORT_COMMAND = "report"


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

    record, tables, scenario = load_run(store, run_id, kind="stress", label="stress test")
    summary, attribution = tables["summary"], tables["attribution"]
    parts = [
        f"<h1>{html.escape(str(scenario.get('name', record.run_id)))}</h1>",
        f"<p>{html.escape(str(scenario.get('description', '')))}</p>",
        f"<p>Run <code>{record.run_id}</code>: {record.draws:,} draws, seed {record.seed}, "
        f"quasimarket {record.package_version}. Draw 0 is the central case; the statistics "
        "use the other draws. Net position: + = better off (commissioner: budget − payments; "
        "provider: income − cost).</p>",
    ]
    notes = scenario.get("notes") or []
    if notes:
        parts += [
            "<h2>Notes</h2>",
            "<ul>" + "".join(f"<li>{html.escape(str(note))}</li>" for note in notes) + "</ul>",
        ]
    parts.append("<h2>Designs side by side</h2>")
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
        shown = html_table(frame).replace("_gbp</th>", "</th>")
        if not statistic.endswith("_gbp"):
            shown = frame.to_html(
                index=False, border=0, na_rep="", float_format=lambda v: f"{v:.1%}"
            )
        parts += [f"<h3>{label}</h3>", shown]
    parts += ["<h2>Risk statistics</h2>", html_table(summary)]
    parts += ["<h2>Who bears the risk</h2>"]
    parts.append(png_img(png_bytes(risk_bar_figure(summary))))
    parts.append(png_img(png_bytes(density_figure(tables["outcomes"]))))
    parts += ["<h2>Which uncertainty drives whose risk</h2>"]
    wide = attribution.pivot_table(
        index=["design", "party"], columns="source", values="index", sort=False
    ).reset_index()
    parts.append(wide.to_html(index=False, border=0, float_format=lambda v: f"{v:.1%}"))
    parts.append(png_img(png_bytes(attribution_figure(attribution))))
    parts += ["<h2>Interactive charts</h2>"]
    parts += [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0))
        for i, fig in enumerate(plotly_figures(tables))
    ]
    if "lines" in tables:
        parts += ["<h2>Lines (mean over draws)</h2>", html_table(tables["lines"])]
    return report_page(record, scenario, parts)


def write_report(
    store: RunStore,
    run_id: str,
    out: str | Path,
    *,
    replace: bool = True,
    inputs: Inputs | None = None,
) -> Path:
    """Write the report of *run_id* to the file *out* atomically, with its output marker.

    Args:
        store: The run store.
        run_id: The stress run.
        out: The HTML file.
        replace: Replace an earlier, unchanged report at *out*; ``False`` refuses an existing
            *out* (the CLI without ``--force``). A file quasimarket did not write is never
            replaced.
        inputs: Other inputs, by label; the run store is always one (*out* may not lie in it).

    Raises:
        InputError: *out* is taken (:func:`quasimarket.io.prepare_output`).
    """
    text = render_report(store, run_id)
    return write_output_file(
        out,
        text,
        command=REPORT_COMMAND,
        force=replace,
        inputs={"run store": store.path, **(inputs or {})},
    )
