"""One self-contained HTML report of a stored simulation run (``quasimarket report RUN``).

Contents: England totals by year; an SPC chart (Making Data Count XmR) of national emergency
activity against plan; time series with P5-P95 uncertainty bands as small multiples per
commissioner (the largest 24) and per region (RTT share within 18 weeks); commissioner and
provider positions; the spend attribution (Shapley) between the first and last year; the
conservation checks; the scenario and provenance. PNG charts are embedded as base64, so the file
opens offline. Money is rounded to whole pounds for display only.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quasimarket.io import write_output_file
from quasimarket.io.outputs import Inputs
from quasimarket.runs import RunStore
from quasimarket.runs.report_html import html_table, load_run, png_img, report_page
from quasimarket.simulation.spc import xmr

__all__ = ["render_simulation_report", "spc_figure", "write_simulation_report"]


def _series(monthly: pd.DataFrame, org_type: str, metric: str) -> pd.DataFrame:
    rows = monthly[(monthly["org_type"] == org_type) & (monthly["metric"] == metric)]
    return rows


def spc_figure(
    months: list[str], values: np.ndarray[Any, Any], plan: np.ndarray[Any, Any], title: str
) -> Any:
    """An XmR chart (Making Data Count style) of *values* with the *plan* line."""
    from quasimarket.stress.plots import _matplotlib

    plt = _matplotlib()
    chart = xmr(values, baseline=min(24, len(values)))
    fig, ax = plt.subplots(figsize=(10, 4))
    x = np.arange(len(values))
    ax.plot(x, values, color="#768692", marker="o", markersize=3, lw=1, label="activity")
    special = chart.special_cause
    high = special & (chart.values > chart.mean)
    low = special & (chart.values < chart.mean)
    ax.scatter(x[high], chart.values[high], color="#ED8B00", zorder=3, label="special cause (high)")
    ax.scatter(x[low], chart.values[low], color="#41B6E6", zorder=3, label="special cause (low)")
    ax.axhline(chart.mean, color="black", lw=1, label="mean")
    ax.axhline(chart.upper, color="#425563", lw=1, ls="--", label="process limits (±3σ)")
    ax.axhline(chart.lower, color="#425563", lw=1, ls="--")
    ax.plot(x, plan, color="#DA291C", lw=1.2, ls=":", label="plan")
    ticks = x[::6]
    ax.set_xticks(ticks, [months[i] for i in ticks], rotation=45, fontsize=7)
    ax.set_title(title)
    ax.legend(fontsize=7, ncol=3)
    fig.tight_layout()
    return fig


def _bands_figure(
    frame: pd.DataFrame, codes: list[str], title: str, scale: float, unit: str
) -> Any:
    from quasimarket.stress.plots import _matplotlib

    plt = _matplotlib()
    n = len(codes)
    cols = min(6, n)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(
        rows, cols, figsize=(2.2 * cols, 1.7 * rows), sharex=True, squeeze=False
    )
    for ax, code in zip(axes.ravel(), codes, strict=False):
        part = frame[frame["org_code"] == code]
        x = np.arange(len(part))
        ax.fill_between(
            x, part["p5"] / scale, part["p95"] / scale, color="#41B6E6", alpha=0.35, lw=0
        )
        ax.plot(x, part["mean"] / scale, color="#005EB8", lw=1)
        ax.set_title(code, fontsize=7)
        ax.tick_params(labelsize=6)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    fig.suptitle(f"{title} ({unit}; line = mean, band = P5-P95 over draws)", fontsize=9)
    fig.tight_layout()
    return fig


def _attribution_figure(attribution: pd.DataFrame) -> Any:
    from quasimarket.stress.plots import _matplotlib

    plt = _matplotlib()
    england = attribution[attribution["commissioner"] == "England"]
    fig, ax = plt.subplots(figsize=(7, 3))
    values = england["contribution_gbp"].to_numpy() / 1e6
    ax.barh(england["factor"], values, color=np.where(values >= 0, "#DA291C", "#009639"))
    ax.axvline(0, color="black", lw=0.8)
    ax.set_xlabel("£ million")
    ax.set_title("Change in commissioner spend by factor (Shapley)")
    fig.tight_layout()
    return fig


def render_simulation_report(store: RunStore, run_id: str) -> str:
    """The HTML text of the report of simulation run *run_id*.

    Raises:
        ConfigError: the run is not a simulation run.
    """
    from quasimarket.stress.plots import png_bytes

    record, tables, scenario = load_run(store, run_id, kind="simulation", label="simulation")
    monthly, summary = tables["monthly"], tables["summary"]
    months = sorted(monthly["month"].unique())
    parts = [
        f"<h1>{html.escape(str(scenario.get('name', record.run_id)))}</h1>",
        f"<p>{html.escape(str(scenario.get('description', '')))}</p>",
        f"<p>Run <code>{record.run_id}</code>: {record.draws:,} draw(s), seed {record.seed}, "
        f"years {html.escape(str(scenario.get('years')))}, quasimarket {record.package_version}."
        "</p>",
        "<h2>England totals by financial year</h2>",
        html_table(summary),
    ]
    # SPC: national emergency spells against plan (plan = last year's outturn, the re-basing
    # rule; the first year's plan is its own outturn).
    nel = _series(monthly, "commissioner", "non_elective").groupby("month", sort=True)["mean"].sum()
    values = nel.reindex(months).to_numpy(dtype=np.float64)
    yearly = values.reshape(-1, 12).sum(axis=1)
    plan_year = np.concatenate([yearly[:1], yearly[:-1]]) / 12.0
    plan = np.repeat(plan_year, 12)
    chart = xmr(values, baseline=min(24, len(values)))
    parts += [
        "<h2>Statistical process control: emergency spells against plan</h2>",
        f"<p>XmR chart (Making Data Count): mean {chart.mean:,.0f} a month, process limits "
        f"{chart.lower:,.0f}-{chart.upper:,.0f} (±3σ, σ from the mean moving range of the first "
        f"{min(24, len(values))} months); {int(chart.special_cause.sum())} special-cause "
        "point(s) (outside the limits, or 7 in a row on one side of the mean).</p>",
        png_img(png_bytes(spc_figure(months, values, plan, "Emergency spells, England, monthly"))),
    ]
    spend = _series(monthly, "commissioner", "spend_gbp")
    largest = (
        spend.groupby("org_code")["mean"].sum().sort_values(ascending=False).index[:24].tolist()
    )
    parts += [
        "<h2>Contract spend by commissioner</h2>",
        png_img(png_bytes(_bands_figure(spend, largest, "Monthly contract spend", 1e6, "£m"))),
    ]
    orgs = tables["organisations"]
    rtt = _series(monthly, "provider", "rtt_within_18_weeks")
    lists = _series(monthly, "provider", "waiting_list")
    if len(rtt):
        merged = rtt.merge(
            lists[["org_code", "month", "mean"]].rename(columns={"mean": "list"}),
            on=["org_code", "month"],
        ).merge(orgs[["org_code", "region_code"]], on="org_code")
        for column in ("mean", "p5", "p95"):
            merged[column] = merged[column] * merged["list"]
        region = merged.groupby(["region_code", "month"], sort=True)[
            ["mean", "p5", "p95", "list"]
        ].sum()
        for column in ("mean", "p5", "p95"):
            region[column] = region[column] / region["list"].where(region["list"] > 0, 1.0)
        region = region.reset_index().rename(columns={"region_code": "org_code"})
        parts += [
            "<h2>Waiting times by region (small multiples)</h2>",
            png_img(
                png_bytes(
                    _bands_figure(
                        region,
                        sorted(region["org_code"].unique()),
                        "Share of the RTT list waiting under 18 weeks",
                        0.01,
                        "%",
                    )
                )
            ),
        ]
    yearly_table = tables["yearly"]
    positions = yearly_table[yearly_table["metric"].isin(["position_gbp", "surplus_gbp"])]
    wide = positions.pivot_table(
        index=["org_type", "metric"],
        columns="financial_year",
        values="mean",
        aggfunc=lambda v: float((v < 0).sum()),
    ).reset_index()
    parts += [
        "<h2>Organisations in deficit (count, mean over draws)</h2>",
        wide.to_html(index=False, border=0, float_format=lambda v: f"{v:,.0f}"),
    ]
    attribution = tables.get("attribution")
    if attribution is not None and len(attribution):
        england = attribution[attribution["commissioner"] == "England"]
        parts += [
            "<h2>Spend attribution</h2>",
            "<p>Change in commissioner contract spend between the first and last year, split "
            "over demography, need, referral, capacity, price and payment rules with the exact "
            "Shapley value of the spend chain (components add up to the total).</p>",
            html_table(england),
            png_img(png_bytes(_attribution_figure(attribution))),
        ]
    parts += _behaviour_sections(tables)
    parts += [
        "<h2>Conservation checks</h2>",
        html_table(tables["conservation"]),
    ]
    return report_page(record, scenario, parts)


#: Institutional behaviour tables (issue #6): table → (heading, keys, numeric columns shown).
_BEHAVIOUR_TABLES = {
    "regimes": ("Regime by year", ["financial_year", "regime", "behaviours"], []),
    "tendering": (
        "Procurement decisions at renewal (mean over draws)",
        ["financial_year", "service"],
        ["competitive_tender", "provider_changed", "transaction_cost_gbp"],
    ),
    "settlements": (
        "Year-end settlements (mean over draws and contracts)",
        ["financial_year"],
        ["below_outturn", "formal_gbp", "settled_gbp", "gap_gbp", "non_recurrent_gbp"],
    ),
    "contract_forms": (
        "Retreat to block contracts (share of commissioners)",
        ["financial_year"],
        ["stressed", "on_block", "local_variation", "mret_baseline_moved"],
    ),
    "fragmentation": (
        "Fragmented pathways (mean over draws and commissioners)",
        ["financial_year", "pathway"],
        ["commissioners", "coordination_cost_gbp", "disruption"],
    ),
    "co_commissioning": (
        "Primary care co-commissioning (share delegated; £ mean)",
        ["financial_year"],
        ["delegated", "reinvested_gbp", "diverted_gbp"],
    ),
    "public_health": (
        "Public health grant (mean over draws)",
        ["financial_year"],
        ["grant_gbp", "other_services_gbp", "retendered_services"],
    ),
    "alliance": (
        "Alliance membership and withdrawals (share of providers)",
        ["financial_year"],
        ["member", "conflict", "withdrew"],
    ),
}


def _behaviour_sections(tables: dict[str, pd.DataFrame]) -> list[str]:
    """HTML sections for the institutional behaviour tables present in the run."""

    parts: list[str] = []
    for name, (heading, keys, values) in _BEHAVIOUR_TABLES.items():
        frame = tables.get(name)
        if frame is None or not len(frame):
            continue
        shown = (
            frame[keys].drop_duplicates()
            if not values
            else frame.groupby(keys, as_index=False)[values].mean()
        )
        parts += [f"<h2>{html.escape(heading)}</h2>", html_table(shown)]
    return parts


def write_simulation_report(
    store: RunStore,
    run_id: str,
    out: str | Path,
    *,
    replace: bool = True,
    inputs: Inputs | None = None,
) -> Path:
    """Write the report of *run_id* to *out* atomically, with its output marker; return the path.

    As :func:`quasimarket.stress.report.write_report`: *replace* allows replacing an earlier,
    unchanged report; a file quasimarket did not write is never replaced.

    Raises:
        InputError: *out* is taken (:func:`quasimarket.io.prepare_output`).
    """
    from quasimarket.stress.report import REPORT_COMMAND

    return write_output_file(
        out,
        render_simulation_report(store, run_id),
        command=REPORT_COMMAND,
        force=replace,
        inputs={"run store": store.path, **(inputs or {})},
    )
