"""Plots of a stress-test run: outcome densities per party and "who bears the risk".

Static PNG with matplotlib (Agg backend, no display needed) and interactive HTML with plotly
(self-contained: the plotly.js library is embedded, no CDN, so the files work offline).
All plots are drawn from the run's stored tables (``outcomes``, ``summary``,
``attribution``), so they can be made for any run in the store.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quasimarket.io import output_folder
from quasimarket.io.outputs import Inputs

__all__ = [
    "PLOTS_COMMAND",
    "PLOTS_FILES",
    "attribution_figure",
    "density_figure",
    "plotly_figures",
    "risk_bar_figure",
    "write_plots",
]

_MILLION = 1e6
#: Draws per trace in the interactive (plotly) charts, which embed their data in the HTML.
PLOTLY_MAX_DRAWS = 20_000
#: The command recorded in a plots folder's output marker (:mod:`quasimarket.io.outputs`).
PLOTS_COMMAND = "stress run"
#: The files a plots folder holds (besides its output marker).
PLOTS_FILES = ("density.png", "who_bears_the_risk.png", "attribution.png", "plots.html")


def _matplotlib() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _density(values: np.ndarray[Any, Any], grid: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Histogram density on *grid* (bin centres), smoothed with a 5-bin moving average."""
    width = grid[1] - grid[0]
    edges = np.concatenate([grid - width / 2, [grid[-1] + width / 2]])
    counts, _ = np.histogram(values, bins=edges, density=True)
    kernel = np.ones(5) / 5
    smoothed: np.ndarray[Any, Any] = np.convolve(counts, kernel, mode="same")
    return smoothed


def density_figure(outcomes: pd.DataFrame) -> Any:
    """Matplotlib figure: density of each party's net position (£m) under each design, one
    panel per party."""
    plt = _matplotlib()
    parties = list(dict.fromkeys(outcomes["party"]))
    fig, axes = plt.subplots(len(parties), 1, figsize=(7, 2.4 * len(parties)), squeeze=False)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for ax, party in zip(axes[:, 0], parties, strict=True):
        rows = outcomes[(outcomes["party"] == party) & (outcomes["draw"] > 0)]
        values = rows["net_gbp"].to_numpy() / _MILLION
        low, high = np.quantile(values, [0.001, 0.999]) if len(values) else (0.0, 1.0)
        if high - low < 1e-9:
            low, high = low - 0.5, high + 0.5
        grid = np.linspace(low, high, 120)
        for k, (design, group) in enumerate(rows.groupby("design", sort=False)):
            colour = colours[k % len(colours)]
            data = group["net_gbp"].to_numpy() / _MILLION
            if np.ptp(data) < 1e-12:
                ax.axvline(
                    float(data[0]), color=colour, linestyle="--", label=f"{design} (no risk)"
                )
            else:
                ax.plot(grid, _density(data, grid), color=colour, label=str(design))
        ax.axvline(0.0, color="grey", linewidth=0.8)
        ax.set_title(f"{party}: net position, £ million (+ = better off)", fontsize=9)
        ax.set_ylabel("density", fontsize=8)
        ax.legend(fontsize=7)
    fig.tight_layout()
    return fig


def risk_bar_figure(summary: pd.DataFrame) -> Any:
    """Matplotlib figure: standard deviation of each party's outcome (£m) by design."""
    plt = _matplotlib()
    parties = summary[summary["role"] != "system"]
    table = parties.pivot(index="design", columns="party", values="sd_gbp") / _MILLION
    table = table.loc[list(dict.fromkeys(parties["design"]))]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    table.plot.bar(ax=ax, rot=0)
    ax.set_ylabel("sd of net position, £ million")
    ax.set_title("Who bears the risk: spread of each party's outcome")
    ax.tick_params(axis="x", labelsize=8)
    fig.tight_layout()
    return fig


def attribution_figure(attribution: pd.DataFrame) -> Any:
    """Matplotlib figure: which uncertainty drives each party's risk (first-order indices),
    one panel per design."""
    plt = _matplotlib()
    designs = list(dict.fromkeys(attribution["design"]))
    fig, axes = plt.subplots(len(designs), 1, figsize=(8, 2.2 * len(designs)), squeeze=False)
    for k, (ax, design) in enumerate(zip(axes[:, 0], designs, strict=True)):
        rows = attribution[attribution["design"] == design]
        table = rows.pivot(index="party", columns="source", values="index")
        table = table.loc[list(dict.fromkeys(rows["party"])), list(dict.fromkeys(rows["source"]))]
        table.plot.barh(ax=ax, stacked=True, legend=k == 0, width=0.7)
        ax.set_title(f"What drives the risk: {design}", fontsize=9)
        ax.set_xlim(0, max(1.0, float(table.sum(axis=1).max())))
        ax.set_ylabel("")
        if k == 0:
            ax.legend(fontsize=6, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    axes[-1, 0].set_xlabel("share of outcome variance (first-order index)")
    fig.tight_layout()
    return fig


def png_bytes(fig: Any) -> bytes:
    """Render a matplotlib figure to PNG bytes and close it."""
    plt = _matplotlib()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=90)
    plt.close(fig)
    return buffer.getvalue()


def plotly_figures(tables: dict[str, pd.DataFrame]) -> list[Any]:
    """Interactive plotly figures: density per party (histograms overlaid) and the risk bars."""
    import plotly.graph_objects as go

    outcomes, summary = tables["outcomes"], tables["summary"]
    figures = []
    for party in dict.fromkeys(summary["party"]):
        fig = go.Figure()
        # interactive charts embed their data: use at most the first 20,000 draws per trace
        shown = (outcomes["draw"] > 0) & (outcomes["draw"] <= PLOTLY_MAX_DRAWS)
        rows = outcomes[(outcomes["party"] == party) & shown]
        for design, group in rows.groupby("design", sort=False):
            fig.add_trace(
                go.Histogram(
                    x=group["net_gbp"] / _MILLION,
                    name=str(design),
                    histnorm="probability density",
                    opacity=0.55,
                    nbinsx=80,
                )
            )
        fig.update_layout(
            barmode="overlay",
            title=f"{party}: net position by design (£ million)",
            xaxis_title="£ million (+ = better off)",
            height=360,
        )
        figures.append(fig)
    parties = summary[summary["role"] != "system"]
    bars = go.Figure()
    for party, group in parties.groupby("party", sort=False):
        bars.add_trace(go.Bar(x=group["design"], y=group["sd_gbp"] / _MILLION, name=str(party)))
    bars.update_layout(
        title="Who bears the risk: sd of each party's net position (£ million)", height=360
    )
    figures.append(bars)
    return figures


def write_plots(
    tables: dict[str, pd.DataFrame],
    folder: str | Path,
    *,
    replace: bool = True,
    inputs: Inputs | None = None,
) -> list[Path]:
    """Write ``density.png``, ``who_bears_the_risk.png``, ``attribution.png`` and one
    self-contained interactive ``plots.html`` into *folder*, atomically.

    Args:
        tables: The run's stored tables (``outcomes``, ``summary``, ``attribution``).
        folder: The folder (created; written whole, with its output marker).
        replace: Replace an earlier, unchanged plots folder at *folder*; ``False`` refuses any
            non-empty *folder* (the CLI without ``--force``). Files quasimarket did not write
            are never replaced.
        inputs: The files the run read, by label: *folder* may not be, hold or lie in one.

    Raises:
        InputError: *folder* is taken (:func:`quasimarket.io.prepare_output`).
    """
    parts = [
        fig.to_html(full_html=False, include_plotlyjs=(i == 0))
        for i, fig in enumerate(plotly_figures(tables))
    ]
    html = "<!doctype html><html><head><meta charset='utf-8'><title>stress plots</title></head>"
    html += "<body>" + "\n".join(parts) + "</body></html>"
    content = dict(
        zip(
            PLOTS_FILES,
            (
                png_bytes(density_figure(tables["outcomes"])),
                png_bytes(risk_bar_figure(tables["summary"])),
                png_bytes(attribution_figure(tables["attribution"])),
                html.encode("utf-8"),
            ),
            strict=True,
        )
    )
    with output_folder(
        folder, command=PLOTS_COMMAND, force=replace, inputs=inputs, option="--plots"
    ) as tmp:
        for name, data in content.items():
            (tmp / name).write_bytes(data)
    return [Path(folder) / name for name in PLOTS_FILES]
