"""Pricing and the stress tester pay one contract the same money: both call the one pipeline.

The pricing engine prices activity records (records -> cells -> pipeline); the stress tester
prices line aggregates with a leading draw axis (draws -> aggregates -> pipeline). For random
contracts and activity, the line totals must agree to the penny, draw by draw.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quasimarket.contracts import parse_contract
from quasimarket.payment import pipeline
from quasimarket.payment.units import Units
from quasimarket.pricing import price
from quasimarket.stress.engine import compile_scenario, evaluate_chunk
from quasimarket.stress.scenario import parse_scenario
from quasimarket.tariff import TariffTable
from quasimarket.tariff import annex_a as aa
from quasimarket.vocabulary import POD_CODES

pytestmark = pytest.mark.property

REGRESSION = """
format = "quasimarket.contract/1"
name = "C&V with MRET"
year = "2014/15"
[[commissioners]]
code = "QS01"
[[providers]]
code = "SR001"
[[lines]]
id = "nel"
service = "Non-elective"
currency = "spell"
pods = ["non_elective"]
mechanism = "cost_and_volume"
planned_activity = 10000
[lines.terms]
base_value = 10000000
threshold_activity = 10000
price = 1000
[[lines.adjustments]]
rule = "mret"
baseline_value = 8000000
"""


def records(counts: dict[tuple[str, str], int], year: str) -> pd.DataFrame:
    """Activity records: *counts* by (line pod, line id) spread over the 12 months."""
    rows: dict[str, list[Any]] = {k: [] for k in ("record_id", "pod", "line_id", "month")}
    rid = 0
    for (pod, line_id), n in counts.items():
        for i in range(n):
            rid += 1
            rows["record_id"].append(rid)
            rows["pod"].append(pod)
            rows["line_id"].append(line_id)
            rows["month"].append(i % 12 + 1)
    n = rid
    return pd.DataFrame(
        {
            **rows,
            "commissioner": ["QS01"] * n,
            "provider": ["SR001"] * n,
            "hrg": ["AA01A"] * n,
            "los_days": [2] * n,
            "age": [50] * n,
            "year": [year] * n,
        }
    )


def test_regression_cost_and_volume_after_mret_is_the_same_in_pricing_and_stress(
    tmp_path: Path,
) -> None:
    """Issue 10's case: 2014/15 C&V NEL line, base £10m to 10,000 spells then £1,000 a spell;
    MRET on a £8m baseline at the 2014/15 calendar rate (30% paid above baseline,
    payment-rules.md A4). 12,000 spells: value £12m; MRET −(12m − 8m) × 70% = −£2.8m; the
    C&V form pays £12m from activity and the MRET deduction stands: £9.2m in both engines."""
    contract = parse_contract(REGRESSION)
    priced = price(contract, records({("non_elective", "nel"): 12_000}, "2014/15"))
    totals = priced.totals()
    assert totals["mret_gbp"] == pytest.approx(-2_800_000.0, abs=0.01)
    assert totals["formal_gbp"] == pytest.approx(9_200_000.0, abs=0.01)

    (tmp_path / "contract.toml").write_text(REGRESSION)
    scenario = parse_scenario(
        {
            "name": "regression",
            "draws": 10,
            "seed": 1,
            "parties": [
                {"code": "QS01", "role": "commissioner"},
                {"code": "SR001", "role": "provider"},
            ],
            "lines": [
                {
                    "id": "nel",
                    "commissioner": "QS01",
                    "provider": "SR001",
                    "pod": "non_elective",
                    "planned_activity": 12_000,
                    "unit_price_gbp": 1000,
                }
            ],
            "designs": [{"name": "contract", "contract": "contract.toml"}],
        },
        base_dir=tmp_path,
    )
    chunk = evaluate_chunk(compile_scenario(scenario), 0, 1)
    assert chunk.first_payment[0, 0] == pytest.approx(9_200_000.0, abs=0.01)


# -- random contracts ---------------------------------------------------------------------
MECHANISMS = ("cost_per_case", "cost_and_volume", "caps_and_collars", "block", "capitation")
#: Tariff-based forms and the pods they may cover here (the API's variable element: elective).
TARIFF_FORMS = {"blended": ("elective", "non_elective"), "aligned_payment_incentive": ("elective",)}
#: National price of the test HRG by pod (no outpatient price: op_first is valued at £0).
TARIFF_PRICE = {"elective": 2000.0, "non_elective": 1000.0, "op_first": 0.0}
FIXED = ("block", "capitation")


def tariff() -> TariffTable:
    """One HRG, national prices by pod, no MFF, trims far above the test stays."""
    apc = pd.DataFrame(
        {
            aa.HRG_CODE: ["AA01A"],
            aa.HRG_NAME: ["x"],
            aa.OP_PROCEDURE: [np.nan],
            aa.COMBINED_DC_EL: [np.nan],
            aa.DAY_CASE: [800.0],
            aa.ELECTIVE: [TARIFF_PRICE["elective"]],
            aa.ELECTIVE_TRIM: [100],
            aa.NON_ELECTIVE: [TARIFF_PRICE["non_elective"]],
            aa.NON_ELECTIVE_TRIM: [100],
            aa.EXCESS_BED_DAY: [200.0],
            aa.RSSE_APPLICABLE: ["No"],
            aa.RSSE_PERCENT: [np.nan],
            aa.RSSE_PRICE: [np.nan],
        }
    )
    return TariffTable.from_frames(apc)


@st.composite
def contracts(draw: st.DrawFn) -> tuple[str, dict[tuple[str, str], int]]:
    """A random contract (one line per pod, every form) and activity counts per line."""
    year = draw(st.sampled_from(["2010/11", "2012/13", "2014/15", "2016/17", "2018/19"]))
    pods = draw(
        st.lists(
            st.sampled_from(["non_elective", "elective", "op_first"]),
            min_size=1,
            max_size=3,
            unique=True,
        )
    )
    text = [
        'format = "quasimarket.contract/1"',
        'name = "random"',
        f'year = "{year}"',
        '[[commissioners]]\ncode = "QS01"',
        '[[providers]]\ncode = "SR001"',
    ]
    counts: dict[tuple[str, str], int] = {}
    for pod in pods:
        allowed = MECHANISMS + tuple(m for m, ok in TARIFF_FORMS.items() if pod in ok)
        mech = draw(st.sampled_from(allowed))
        price_ = draw(st.integers(100, 3000))
        plan = draw(st.integers(10, 400))
        n = draw(st.integers(0, 600))
        counts[(pod, pod)] = n
        text.append(
            f'[[lines]]\nid = "{pod}"\nservice = "{pod}"\ncurrency = "spell"\n'
            f'pods = ["{pod}"]\nmechanism = "{mech}"\nplanned_activity = {plan}\n'
            f"planned_value_gbp = {plan * price_}\nallow_out_of_era = true"
        )
        if mech == "cost_per_case":
            text.append(f"[lines.terms]\nprice = {price_}")
        elif mech == "cost_and_volume":
            rate = draw(st.sampled_from([0.5, 1.0]))
            text.append(
                f"[lines.terms]\nbase_value = {plan * price_}\nthreshold_activity = {plan}\n"
                f"price = {price_}\nmarginal_rate = {rate}"
            )
        elif mech == "caps_and_collars":
            text.append(
                f"[lines.terms]\nfixed_value = {plan * price_}\n"
                f"collar_activity = {plan * 0.9}\ncap_activity = {plan * 1.1}\nprice = {price_}\n"
                "marginal_rate = 1.0"
            )
        elif mech == "blended":
            text.append(f"[lines.terms]\nplanned_value = {plan * price_}\nvariable_rate = 0.2")
        elif mech == "aligned_payment_incentive":
            text.append(
                f"[lines.terms]\nfixed_value = {plan * price_}\n"
                f"elective_threshold_value = {plan * price_ * 0.5}\nvariable_rate = 1.0"
            )
        elif mech == "capitation":
            text.append(
                f"[lines.terms]\nweighted_population = {plan * 10}\nrate_per_head = {price_ / 10}"
                "\noutcome_share = 0.1\noutcome_achievement = 0.5"
            )
        else:
            text.append(f"[lines.terms]\nannual_value = {plan * price_}")
        if mech not in FIXED:
            if pod == "non_elective" and draw(st.booleans()):
                text.append(
                    f'[[lines.adjustments]]\nrule = "mret"\nrate = 0.3\n'
                    f"baseline_value = {plan * price_ * 0.8}\nallow_out_of_era = true"
                )
            if draw(st.booleans()):
                text.append('[[lines.adjustments]]\nrule = "activity_cap"\nallow_out_of_era = true')
        if draw(st.booleans()):
            ach = draw(st.sampled_from([0.0, 0.5, 1.0]))
            text.append(
                '[[lines.adjustments]]\nrule = "cquin"\nrate = 0.025\nallow_out_of_era = true\n'
                f'[[lines.adjustments.goals]]\nname = "g"\nweight = 1.0\nachievement = {ach}'
            )
    if draw(st.booleans()):
        text.append("[risk_share]\nband_edges = [0.05]\nprovider_shares = [1.0, 0.5]")
    return "\n".join(text) + "\n", counts


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(contracts())
def test_pricing_and_line_aggregates_pay_the_same_to_the_penny(
    case: tuple[str, dict[tuple[str, str], int]],
) -> None:
    text, counts = case
    contract = parse_contract(text)
    if sum(counts.values()) == 0:
        return
    priced = price(contract, records(counts, str(contract.year)), tariff())
    statement = priced.statement.groupby("line_id")["formal_gbp"].sum()
    # the stress tester's view: one unit per line, three identical draws, valued at the
    # line's unit price (local price; national price for tariff forms; none for fixed forms)
    n = np.array([counts[(line.pods[0], line.id)] for line in contract.lines], dtype=float)
    unit = np.array(
        [
            TARIFF_PRICE[line.pods[0]]
            if line.mechanism in TARIFF_FORMS
            else 0.0
            if line.mechanism in FIXED
            else float(line.terms.kwargs()["price"])
            for line in contract.lines
        ]
    )
    draws = 3
    units = Units.of_lines(
        count=np.tile(n, (draws, 1)),
        value=np.tile(n * unit, (draws, 1)),
        pod=np.array([POD_CODES[line.pods[0]] for line in contract.lines]),
    )
    result = pipeline.run(contract, units, record_level=False)
    for li, line in enumerate(contract.lines):
        expected = float(statement.get(line.id, 0.0))
        for d in range(draws):
            assert result.formal_by_line[d, li] == pytest.approx(expected, abs=0.005), line.id


# -- the simulation's year-end contract ---------------------------------------------------
@settings(max_examples=25, deadline=None)
@given(
    n=st.integers(1, 400),
    unit=st.integers(100, 3000),
    baseline_share=st.floats(0.5, 1.2),
    achievement=st.sampled_from([0.0, 0.6, 1.0]),
    year=st.sampled_from([2011, 2014, 2017]),
)
def test_simulation_year_end_pays_what_the_contract_engine_pays(
    n: int, unit: int, baseline_share: float, achievement: float, year: int
) -> None:
    """A simulated PbR non-elective line (MRET + CQUIN at the calendar's rates) pays what
    `price` pays for the same contract written as a file and priced on records."""
    from quasimarket.simulation.engine import year_contract
    from quasimarket.structure import payment_rules

    rules = payment_rules(f"{year}/{(year + 1) % 100:02d}")
    mret_rate = float(rules.mret_rate.value)
    cquin_rate = float(rules.cquin_rate.value)
    forms = (
        ("acute_elective", "pbr"),
        ("acute_emergency", "pbr"),
        ("community", "block"),
        ("mental_health", "block"),
    )
    sim, _index = year_contract(year, forms, mret_rate, cquin_rate, achievement, 0.2, False)
    baseline = round(n * unit * baseline_share, 2)
    li = [line.id for line in sim.lines].index("non_elective")
    counts = np.zeros((1, len(sim.lines)))
    counts[0, li] = n
    units = Units.of_lines(
        count=counts,
        value=counts * unit,
        pod=np.array([POD_CODES[ln.pods[0]] if ln.pods else -1 for ln in sim.lines]),
    )
    agreed = {"non_elective": {"mret.baseline_value": np.array([baseline])}}
    simulated = pipeline.run(sim, units, record_level=False, agreed=agreed)
    text = f"""
format = "quasimarket.contract/1"
name = "NEL"
year = "{year}/{(year + 1) % 100:02d}"
[[commissioners]]
code = "QS01"
[[providers]]
code = "SR001"
[[lines]]
id = "nel"
service = "Non-elective"
currency = "spell"
pods = ["non_elective"]
mechanism = "cost_per_case"
[lines.terms]
price = {unit}
[[lines.adjustments]]
rule = "mret"
rate = {mret_rate}
baseline_value = {baseline}
[[lines.adjustments]]
rule = "cquin"
rate = {cquin_rate}
[[lines.adjustments.goals]]
name = "cquin"
weight = 1.0
achievement = {achievement}
"""
    priced = price(
        parse_contract(text),
        records({("non_elective", "nel"): n}, f"{year}/{(year + 1) % 100:02d}"),
    )
    assert simulated.formal_by_line[0, li] == pytest.approx(
        priced.totals()["formal_gbp"], abs=0.005
    )
