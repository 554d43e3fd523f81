"""The main job on the built-in England-like economy, end to end, in well under a minute.

:func:`run_demo` builds the synthetic England-like economy, answers a structure question,
prices a year of synthetic acute activity under an NHS Standard Contract, stress-tests one acute
contract under four payment designs, simulates five years of the whole system, writes both HTML
reports, and returns a short summary. It needs no network and no data files: everything is
generated from the seed. ``quasimarket demo`` prints the summary.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["DemoSummary", "demo_contract_text", "run_demo"]

#: The financial year of the pricing step: MRET (70%), readmissions and CQUIN (2.5%) all in force.
PRICING_YEAR = "2016/17"
#: The years of the simulation step.
SIMULATION_YEARS = "2013/14:2017/18"


@dataclass
class DemoSummary:
    """What the demo did, as numbers and file paths (all money in unrounded £)."""

    seconds: dict[str, float] = field(default_factory=dict)
    economy: dict[str, Any] = field(default_factory=dict)
    structure: dict[str, Any] = field(default_factory=dict)
    pricing: dict[str, Any] = field(default_factory=dict)
    stress: dict[str, Any] = field(default_factory=dict)
    simulation: dict[str, Any] = field(default_factory=dict)
    outputs: dict[str, str] = field(default_factory=dict)


def demo_contract_text(commissioner: str, provider: str, *, nel_baseline_gbp: float) -> str:
    """An acute NHS Standard Contract for 2016/17 between *commissioner* and *provider*.

    Elective, non-elective (MRET and readmissions; rate and rules from the payment-rule
    calendar), outpatient and A&E lines at national tariff, with CQUIN on every line.
    """
    cquin = """
[[lines.adjustments]]
rule = "cquin"
[[lines.adjustments.goals]]
name = "Sepsis screening"
weight = 0.6
[[lines.adjustments.goals]]
name = "Staff health and wellbeing"
weight = 0.4
"""
    return f"""
format = "quasimarket.contract/1"
name = "Demo acute contract {PRICING_YEAR}"
year = "{PRICING_YEAR}"
form = "nhs_standard_contract"
[[commissioners]]
code = "{commissioner}"
[[providers]]
code = "{provider}"

[[lines]]
id = "elective"
service = "Elective and day case inpatients"
currency = "spell"
pods = ["day_case", "elective"]
mechanism = "national_tariff"
planned_activity = 40000
{cquin}
[[lines]]
id = "nel"
service = "Non-elective inpatients"
currency = "spell"
pods = ["non_elective"]
mechanism = "national_tariff"
planned_activity = 50000
[[lines.adjustments]]
rule = "mret"
baseline_value = {nel_baseline_gbp:.2f}
[[lines.adjustments]]
rule = "readmissions"
avoidable_share = 0.5
{cquin}
[[lines]]
id = "outpatients"
service = "Consultant-led outpatients"
currency = "attendance"
pods = ["op_first", "op_follow_up", "op_procedure"]
mechanism = "national_tariff"
planned_activity = 300000
{cquin}
[[lines]]
id = "ae"
service = "Accident and emergency"
currency = "attendance"
pods = ["ae"]
mechanism = "national_tariff"
planned_activity = 110000
{cquin}"""


def run_demo(
    out: str | Path = "quasimarket-out/demo",
    *,
    seed: int = 0,
    records: int = 600_000,
    draws: int = 20_000,
    say: Callable[[str], None] | None = None,
) -> DemoSummary:
    """Run the demo and write its outputs under *out*.

    Args:
        out: Output folder: ``pricing/`` (statement, records, totals), ``runs/`` (the run store
            of the stress test and simulation) and the two HTML reports.
        seed: Seed for the economy, the activity, the stress test and the simulation.
        records: Synthetic activity records to price.
        draws: Monte Carlo draws for the stress test.
        say: Called with a short progress line as each step starts.
    """
    from quasimarket.activity import ActivityTable, synthetic_activity_for_contract
    from quasimarket.contracts import parse_contract
    from quasimarket.economy import synthetic_economy
    from quasimarket.io import prepare_output
    from quasimarket.pricing import price
    from quasimarket.pricing.report import OUTPUT_COMMAND, write_outputs
    from quasimarket.runs import RunStore
    from quasimarket.simulation import builtin_scenario, simulate
    from quasimarket.simulation.report import write_simulation_report
    from quasimarket.stress import load_example, run_stress, save_run
    from quasimarket.stress.report import REPORT_COMMAND, write_report
    from quasimarket.structure import who_commissions
    from quasimarket.tariff import TariffTable

    tell = say or (lambda _line: None)
    folder = Path(out)
    store = folder / "runs"
    summary = DemoSummary()
    # Before any work: an earlier demo's outputs may be replaced, anything else is refused.
    prepare_output(folder / "pricing", command=OUTPUT_COMMAND, force=True)
    for report in ("stress-report.html", "simulation-report.html"):
        prepare_output(folder / report, command=REPORT_COMMAND, kind="file", force=True)

    tell("building the synthetic England-like economy")
    started = time.perf_counter()
    economy = synthetic_economy(seed=seed, year=PRICING_YEAR)
    summary.seconds["economy"] = time.perf_counter() - started
    providers = economy.providers
    summary.economy = {
        "name": economy.name,
        "year": str(economy.year),
        "commissioners": len(economy.commissioners),
        "commissioner_level": economy.commissioner_level,
        "regions": len(economy.regions),
        "practices": len(economy.practices),
        "population": economy.population,
        "allocation_gbp": float(economy.commissioners["allocation_gbp"].sum()),
        "providers": len(providers),
        "acute_trusts": int((providers["kind"] == "acute").sum()),
    }

    answer = who_commissions("sexual health services", PRICING_YEAR)
    summary.structure = {
        "question": f"Who commissions sexual health services in {PRICING_YEAR}?",
        "bodies": [body.name for body in answer.bodies],
        "arrangement": answer.arrangement,
        "source": answer.source,
    }

    tell("pricing a year of synthetic acute activity under an NHS Standard Contract")
    started = time.perf_counter()
    acute = providers[providers["kind"] == "acute"].sort_values("beds", ascending=False)
    provider = str(acute["code"].iloc[0])
    flows = economy.catchments[economy.catchments["provider_code"] == provider]
    commissioner = str(flows.sort_values("share", ascending=False)["commissioner_code"].iloc[0])
    tariff = TariffTable.from_economy(economy)
    draft = parse_contract(
        demo_contract_text(commissioner, provider, nel_baseline_gbp=0.0), source="demo contract"
    )
    activity = ActivityTable.from_frame(
        synthetic_activity_for_contract(draft, economy, n_records=records, seed=seed)
    )
    # The MRET baseline stands for an earlier year's emergency value: set it at 92% of this
    # year's tariff value, as if emergency activity had grown about 9% since then.
    statement = price(draft, activity, tariff).statement
    nel_value = float(statement.loc[statement["line_id"] == "nel", "tariff_gbp"].sum())
    baseline = round(0.92 * nel_value, 2)
    contract = parse_contract(
        demo_contract_text(commissioner, provider, nel_baseline_gbp=baseline),
        source="demo contract",
    )
    result = price(contract, activity, tariff)
    totals = result.totals()
    write_outputs(result, folder / "pricing")
    summary.seconds["pricing"] = time.perf_counter() - started
    summary.pricing = {
        "contract": contract.name,
        "commissioner": commissioner,
        "provider": provider,
        "records": records,
        "mret_baseline_gbp": baseline,
        "formal_gbp": totals["formal_gbp"],
        "settled_gbp": totals["settled_gbp"],
        "rules": {row["title"]: row["amount_gbp"] for row in result.breakdown()},
    }
    summary.outputs["pricing"] = str(folder / "pricing")

    tell(f"stress-testing one acute contract under four designs ({draws:,} draws)")
    started = time.perf_counter()
    scenario = load_example("acute-designs").model_copy(update={"draws": draws, "seed": seed})
    stress = run_stress(scenario)
    stress_id = save_run(stress, store, source="example acute-designs")
    stress_report = write_report(RunStore(store), stress_id, folder / "stress-report.html")
    summary.seconds["stress"] = time.perf_counter() - started
    table = stress.summary
    parties = table[table["role"] != "system"]
    summary.stress = {
        "run_id": stress_id,
        "draws": draws,
        "variance_share": {
            str(design): dict(
                zip(rows["role"].astype(str), rows["variance_share"].astype(float), strict=True)
            )
            for design, rows in parties.groupby("design", sort=False)
        },
    }
    summary.outputs["stress_report"] = str(stress_report)

    tell(f"simulating the whole system, {SIMULATION_YEARS.replace(':', ' to ')}")
    started = time.perf_counter()
    simulation = simulate(builtin_scenario("england-baseline"), years=SIMULATION_YEARS, seed=seed)
    simulation_id = simulation.save(store, source="example england-baseline")
    simulation_report = write_simulation_report(
        RunStore(store), simulation_id, folder / "simulation-report.html"
    )
    summary.seconds["simulation"] = time.perf_counter() - started
    yearly = simulation.summary()
    summary.simulation = {"run_id": simulation_id, "years": yearly.to_dict(orient="records")}
    summary.outputs["simulation_report"] = str(simulation_report)
    summary.outputs["runs"] = str(store)
    return summary
