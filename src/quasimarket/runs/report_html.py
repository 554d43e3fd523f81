"""The HTML pieces shared by the run reports (stress tests and simulations).

A report is one self-contained page: a stylesheet, tables with money shown to whole pounds
(display only; stored tables keep full precision), PNG charts embedded as base64, and the run's
resolved scenario and provenance at the end, so the file opens offline.
"""

from __future__ import annotations

import base64
import html
import json
from typing import Any

import pandas as pd

from quasimarket.errors import ConfigError
from quasimarket.money import round_pence
from quasimarket.runs.store import RunRecord, RunStore

__all__ = ["REPORT_CSS", "html_table", "load_run", "png_img", "report_page"]

REPORT_CSS = """
body{font-family:system-ui,sans-serif;margin:2rem;max-width:75rem;color:#222}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem;font-size:0.85rem}
th,td{border:1px solid #ccc;padding:0.25rem 0.5rem;text-align:right;white-space:nowrap}
th{background:#f0f4f8} td:first-child,th:first-child{text-align:left}
pre{background:#f7f7f7;padding:0.75rem;overflow:auto;font-size:0.8rem}
img{max-width:100%} h2{border-bottom:2px solid #005eb8;padding-bottom:0.2rem}
"""


def _money(value: Any) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    pounds = float(round_pence(float(value))) + 0.0  # + 0.0 turns −0 into 0
    return f"−£{-pounds:,.0f}" if pounds < 0 else f"£{pounds:,.0f}"


def html_table(frame: pd.DataFrame) -> str:
    """*frame* as an HTML table: ``*_gbp`` columns as whole pounds, shares as percentages."""
    formatters: dict[str, Any] = {}
    for column in frame.columns:
        name = str(column)
        if name.endswith("_gbp"):
            formatters[name] = _money
        elif name.startswith("p_") or name in {"variance_share", "index"}:
            formatters[name] = lambda v: "" if v != v else f"{v:.1%}"
    return frame.to_html(index=False, formatters=formatters, border=0, escape=True, na_rep="")


def png_img(data: bytes) -> str:
    """An ``<img>`` with the PNG *data* embedded."""
    return f"<img alt='chart' src='data:image/png;base64,{base64.b64encode(data).decode()}'>"


def load_run(
    store: RunStore, run_id: str, *, kind: str, label: str
) -> tuple[RunRecord, dict[str, pd.DataFrame], dict[str, Any]]:
    """The run's record, all its tables and its scenario; a :class:`ConfigError` if it is not
    a *kind* run (*label* names the kind in the message, e.g. ``"stress test"``)."""
    record = store.get(run_id)
    if record.kind != kind:
        raise ConfigError(
            f"run {record.run_id} is a {record.kind} run, not a {label}",
            location="run id",
            expected=f"the id of a {kind} run",
            fix=f"list {kind} runs with `quasimarket runs list --kind {kind}`",
        )
    tables = {name: store.table(record.run_id, name) for name in record.tables}
    return record, tables, record.scenario()


def report_page(record: RunRecord, scenario: dict[str, Any], parts: list[str]) -> str:
    """The whole page: *parts*, then the resolved scenario and the provenance (manifest)."""
    body = [
        *parts,
        "<h2>Scenario</h2>",
        f"<pre>{html.escape(json.dumps(scenario, indent=2))}</pre>",
        "<h2>Provenance</h2>",
        f"<pre>{html.escape(json.dumps(record.manifest, indent=2, default=str))}</pre>",
    ]
    title = html.escape(str(scenario.get("name", record.run_id)))
    return (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{REPORT_CSS}</style></head><body>{''.join(body)}</body></html>"
    )
