"""Calibration check: simulated monthly A&E attendances per trust against NHS England statistics.

    .venv/bin/python bench/validate_ae.py [/work/shared/data] [--write]

Runs the real-data economy (:func:`quasimarket.economy.load_real_economy`, 2025/26, 42 ICBs,
138 acute trusts) for one year with the default [K] rates, and compares each trust's simulated
monthly A&E attendances with the observed attendances (all department types) of the same trust
in ``ae_attendances_2016_2019.csv`` for April 2018 - March 2019 (the latest year in the file),
for the trusts present in both. This is a check, not a fit: nothing is tuned to it. The years
differ (2025/26 populations against 2018/19 activity), so the level comparison includes seven
years of growth; the "level-adjusted" figures rescale the simulation to the observed total first,
isolating how well the catchment model distributes attendances between trusts and months.

With ``--write`` the results replace the text between ``<!-- ae:start -->`` and
``<!-- ae:end -->`` in docs/validation.md.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quasimarket.economy import load_real_economy
from quasimarket.simulation import parse_simulation_scenario, simulate

DOC = Path(__file__).resolve().parent.parent / "docs" / "validation.md"
START, END = "<!-- ae:start -->", "<!-- ae:end -->"


def _errors(sim: np.ndarray[Any, Any], obs: np.ndarray[Any, Any]) -> dict[str, float]:
    ape = np.abs(sim - obs) / obs
    return {
        "mape": float(ape.mean()),
        "median_ape": float(np.median(ape)),
        "pearson_r": float(np.corrcoef(sim, obs)[0, 1]),
    }


def validate(folder: str | Path) -> dict[str, Any]:
    """Run the comparison on the data folder; return the error measures."""
    folder = Path(folder)
    economy = load_real_economy(folder)
    scenario = parse_simulation_scenario(
        {
            "name": "A&E validation",
            "years": str(economy.year),
            "economy": {"kind": "real", "path": str(folder)},
        }
    )
    result = simulate(scenario, economy=economy)
    monthly = result.tables()["monthly"]
    sim = monthly[(monthly["org_type"] == "provider") & (monthly["metric"] == "ae")].copy()
    sim["month_of_year"] = sim["month"].str[5:7].astype(int)
    observed = pd.read_csv(folder / "ae_attendances_2016_2019.csv", parse_dates=["period"])
    window = observed[(observed["period"] >= "2018-04-01") & (observed["period"] < "2019-04-01")]
    obs = (
        window.groupby(["org_code", window["period"].dt.month])["attendances"]
        .sum()
        .rename_axis(["org_code", "month_of_year"])
        .reset_index()
    )
    both = sim.merge(
        obs, left_on=["org_code", "month_of_year"], right_on=["org_code", "month_of_year"]
    )
    both = both[both["attendances"] > 0]
    trusts = both.groupby("org_code")[["mean", "attendances"]].sum()
    level = float(trusts["attendances"].sum() / trusts["mean"].sum())
    national = both.groupby("month_of_year")[["mean", "attendances"]].sum()
    return {
        "trusts_compared": int(trusts.shape[0]),
        "trusts_in_economy": len(economy.providers),
        "trusts_in_file": int(observed["org_code"].nunique()),
        "simulated_total": float(trusts["mean"].sum()),
        "observed_total": float(trusts["attendances"].sum()),
        "trust_month": _errors(both["mean"].to_numpy(), both["attendances"].to_numpy()),
        "trust_year": _errors(trusts["mean"].to_numpy(), trusts["attendances"].to_numpy()),
        "trust_year_level_adjusted": _errors(
            trusts["mean"].to_numpy() * level, trusts["attendances"].to_numpy()
        ),
        "seasonal_profile_r": float(
            np.corrcoef(national["mean"].to_numpy(), national["attendances"].to_numpy())[0, 1]
        ),
    }


def _markdown(stats: dict[str, Any], folder: str) -> str:
    def row(name: str, key: str) -> str:
        e = stats[key]
        return f"| {name} | {e['mape']:.1%} | {e['median_ape']:.1%} | {e['pearson_r']:.2f} |"

    return "\n".join(
        [
            START,
            f"Trusts compared: {stats['trusts_compared']} (of {stats['trusts_in_economy']} acute "
            f"trusts in the real economy and {stats['trusts_in_file']} organisations in the A&E "
            f"file). Simulated total {stats['simulated_total']:,.0f} against observed "
            f"{stats['observed_total']:,.0f} attendances a year for these trusts "
            f"(ratio {stats['simulated_total'] / stats['observed_total']:.2f}).",
            "",
            "| comparison | MAPE | median APE | Pearson r |",
            "|---|---:|---:|---:|",
            row("trust × month", "trust_month"),
            row("trust, year total", "trust_year"),
            row("trust, year total, level-adjusted", "trust_year_level_adjusted"),
            "",
            f"Correlation of the national monthly profile (12 months): "
            f"{stats['seasonal_profile_r']:.2f}.",
            "",
            f"Reproduce: `.venv/bin/python bench/validate_ae.py {folder} --write`.",
            END,
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("folder", nargs="?", default="/work/shared/data")
    parser.add_argument("--write", action="store_true", help="update docs/validation.md")
    args = parser.parse_args()
    stats = validate(args.folder)
    text = _markdown(stats, args.folder)
    print(text)
    if args.write:
        doc = DOC.read_text("utf-8")
        pattern = re.compile(re.escape(START) + ".*?" + re.escape(END), re.S)
        DOC.write_text(pattern.sub(lambda _: text, doc), "utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
