"""Counterfactual comparisons: the same economy and draws under two regime paths.

Both runs use the same scenario (economy, seed, draws), so the demand draws and every behaviour
rule's named random stream are identical (common random numbers): differences come from the
regimes alone. Both runs are stored; :func:`difference_report` summarises finances, waiting,
tendering, settlements, fragmentation and transaction costs, and ``quasimarket runs compare``
shows every table.

Built-in: ``2013-2019`` ("2013 to 2019 as it happened" vs "no 2012 Act": PCTs and Payment by
Results carry on, no HSCA procurement rules, no public health transfer or split pathways).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from quasimarket.errors import ConfigError

__all__ = ["COUNTERFACTUALS", "Counterfactual", "difference_report", "run_counterfactual"]

#: name → (description, path A, path B, years).
COUNTERFACTUALS: dict[str, tuple[str, str, str, str]] = {
    "2013-2019": (
        "2013 to 2019 as it happened vs. no 2012 Act (small economy)",
        "hsca-2013@2013/14,co-commissioning-2015@2015/16,stp-2016@2016/17,ics-2019@2019/20",
        "pct-pbr-2004@2013/14",
        "2013/14:2019/20",
    ),
}


@dataclass(frozen=True)
class Counterfactual:
    """Two stored runs and their difference report."""

    name: str
    run_a: str
    run_b: str
    label_a: str
    label_b: str
    report: pd.DataFrame


def _metrics(tables: dict[str, pd.DataFrame]) -> dict[str, float]:
    """Headline metrics (means over draws) of one run's tables."""
    summary = tables["summary"]
    last = summary.iloc[-1]
    draws = 1.0
    out: dict[str, float] = {
        "commissioner_position_gbp (all years)": float(summary["commissioners_position_gbp"].sum()),
        "provider_surplus_gbp (all years)": float(summary["providers_surplus_gbp"].sum()),
        "waiting_list_march (last year)": float(last["waiting_list_march"]),
        "rtt_within_18_weeks_march (last year)": float(last["rtt_within_18_weeks_march"]),
    }
    tendering = tables.get("tendering", pd.DataFrame())
    if len(tendering):
        draws = float(tendering["draw"].nunique())
        out["competitive_tenders (per draw)"] = float(tendering["competitive_tender"].sum()) / draws
        out["renewals_tendered_share"] = float(tendering["competitive_tender"].mean())
        out["tendering_transaction_cost_gbp (per draw)"] = (
            float(tendering["transaction_cost_gbp"].sum()) / draws
        )
    settlements = tables.get("settlements", pd.DataFrame())
    if len(settlements):
        draws = float(settlements["draw"].nunique())
        out["contracts_settled_below_outturn_share"] = float(settlements["below_outturn"].mean())
        out["settlement_gap_gbp (per draw)"] = float(settlements["gap_gbp"].sum()) / draws
        out["non_recurrent_support_gbp (per draw)"] = (
            float(settlements["non_recurrent_gbp"].sum()) / draws
        )
    fragmentation = tables.get("fragmentation", pd.DataFrame())
    if len(fragmentation):
        draws = float(fragmentation["draw"].nunique())
        out["coordination_cost_gbp (per draw)"] = (
            float(fragmentation["coordination_cost_gbp"].sum()) / draws
        )
        out["mean_pathway_disruption"] = float(fragmentation["disruption"].mean())
    return out


def difference_report(a: dict[str, pd.DataFrame], b: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """``metric, a, b, difference (b − a)`` for two runs' tables (missing metrics as 0)."""
    ma, mb = _metrics(a), _metrics(b)
    keys = list(dict.fromkeys([*ma, *mb]))
    rows: list[dict[str, Any]] = [
        {
            "metric": k,
            "a": ma.get(k, 0.0),
            "b": mb.get(k, 0.0),
            "difference": mb.get(k, 0.0) - ma.get(k, 0.0),
        }
        for k in keys
    ]
    return pd.DataFrame(rows)


def run_counterfactual(
    name: str = "2013-2019",
    *,
    draws: int | None = None,
    seed: int | None = None,
    store: str | Path | None = None,
) -> Counterfactual:
    """Run a built-in counterfactual (both paths on the small economy) and store both runs.

    Raises:
        ConfigError: unknown counterfactual name.
    """
    from quasimarket.regimes.path import apply_regime
    from quasimarket.regimes.run import simulate
    from quasimarket.simulation import builtin_scenario

    if name not in COUNTERFACTUALS:
        raise ConfigError(
            f"unknown counterfactual '{name}'",
            location="NAME",
            expected=f"one of: {', '.join(COUNTERFACTUALS)}",
            fix="list them with `quasimarket regimes counterfactual --list`",
        )
    description, path_a, path_b, years = COUNTERFACTUALS[name]
    base = builtin_scenario("small-baseline")
    scenario_a = apply_regime(base, path=path_a, years=years)
    scenario_b = apply_regime(base, path=path_b, years=years)
    # validate both before running either: nothing is stored unless both are good
    result_a = simulate(scenario_a, draws=draws, seed=seed)
    result_b = simulate(scenario_b, draws=draws, seed=seed)
    tables_a, tables_b = result_a.tables(), result_b.tables()
    run_a = result_a.save(store, source=f"counterfactual:{name}:as-it-happened")
    run_b = result_b.save(store, source=f"counterfactual:{name}:alternative")
    return Counterfactual(
        name=name,
        run_a=run_a,
        run_b=run_b,
        label_a=path_a,
        label_b=path_b,
        report=difference_report(tables_a, tables_b).assign(description=description),
    )
