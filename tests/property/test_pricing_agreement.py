"""The vectorised engine agrees with the row-by-row reference to the penny, and invariants hold.

Invariants: PbR totals never fall as activity rises; pricing a table equals the sum of pricing
its parts where the rule is additive (record-level tariff), but not under MRET, which is
non-linear.
"""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quasimarket.activity import ActivityTable
from quasimarket.contracts import Contract, parse_contract
from quasimarket.pricing import price
from quasimarket.tariff import TariffTable
from quasimarket.tariff import annex_a as aa

sys.path.insert(0, str(Path(__file__).parent))
import reference_pricing as ref

pytestmark = pytest.mark.property

HRGS = {
    # code: (day case, elective, NEL, el trim, nel trim, excess/day, rsse?, rsse £, bpt £, top-up)
    "HB12C": (5870.0, 5870.0, 6500.0, 9, 18, 262.0, False, None, 7835.0, 0.0),
    "FZ21A": (520.0, 1100.0, 1650.0, 3, 20, 240.0, True, 495.0, None, 0.25),
    "NZ11A": (300.0, 900.0, 1200.0, 2, 5, 180.0, True, 360.0, None, 0.0),  # maternity: excluded
}
CODES = list(HRGS)


def tariff_table() -> TariffTable:
    rows = list(HRGS.values())
    apc = pd.DataFrame(
        {
            aa.HRG_CODE: CODES,
            aa.HRG_NAME: CODES,
            aa.OP_PROCEDURE: np.nan,
            aa.COMBINED_DC_EL: np.nan,
            aa.DAY_CASE: [r[0] for r in rows],
            aa.ELECTIVE: [r[1] for r in rows],
            aa.ELECTIVE_TRIM: [r[3] for r in rows],
            aa.NON_ELECTIVE: [r[2] for r in rows],
            aa.NON_ELECTIVE_TRIM: [r[4] for r in rows],
            aa.EXCESS_BED_DAY: [r[5] for r in rows],
            aa.RSSE_APPLICABLE: ["Yes" if r[6] else "No" for r in rows],
            aa.RSSE_PERCENT: np.nan,
            aa.RSSE_PRICE: [r[7] if r[7] else np.nan for r in rows],
            aa.BPT_PRICE: [r[8] if r[8] else np.nan for r in rows],
            aa.TOP_UP_CATEGORY: ["T" if r[9] else None for r in rows],
        }
    )
    top = pd.DataFrame({aa.TOP_UP_CATEGORY_CODE: ["T"], aa.TOP_UP_PERCENT: [0.25]})
    return TariffTable.from_frames(apc, top_up=top)


TARIFF = tariff_table()
REF_TARIFF = {
    code: ref.Hrg(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7] or 0.0, r[8], r[9])
    for code, r in HRGS.items()
}


@functools.cache
def contract(baseline: float, rate: float, mff: float, adjustments: bool = True) -> Contract:
    """A parsed contract (cached: parsing applies the calendar defaults and takes ~0.2 s).

    The readmissions avoidable share and the CQUIN achievement are given at pricing time.
    """
    text = contract_text(baseline, rate, mff)
    return parse_contract(text if adjustments else text.split("[[lines.adjustments]]")[0])


def contract_text(baseline: float, rate: float, mff: float) -> str:
    return f"""
format = "quasimarket.contract/1"
name = "Property"
year = "2016/17"
[[commissioners]]
code = "QS01"
[[providers]]
code = "SR001"
[[lines]]
id = "el"
service = "Elective"
currency = "spell"
pods = ["day_case", "elective"]
mechanism = "national_tariff"
[lines.terms]
mff = {mff}
[[lines]]
id = "nel"
service = "Non-elective"
currency = "spell"
pods = ["non_elective"]
mechanism = "national_tariff"
[lines.terms]
mff = {mff}
[[lines.adjustments]]
rule = "mret"
baseline_value = {baseline}
rate = {rate}
[[lines.adjustments]]
rule = "readmissions"
[[lines.adjustments]]
rule = "cquin"
rate = 0.025
[[lines.adjustments.goals]]
name = "A"
weight = 0.6
[[lines.adjustments.goals]]
name = "B"
weight = 0.4
"""


record = st.tuples(
    st.integers(0, 2),  # pod
    st.sampled_from(CODES),
    st.integers(0, 40),  # los
    st.integers(0, 95),  # age
    st.booleans(),  # bpt met
    st.booleans(),  # self-discharge
    st.booleans(),  # transfer in
    st.integers(-1, 30),  # readmission link (earlier record offset; <1 = none)
)


def build(rows: list[tuple[int, str, int, int, bool, bool, bool, int]]) -> list[ref.Spell]:
    spells = []
    for i, (pod, hrg, los, age, bpt, selfd, transfer, link) in enumerate(rows):
        los = 0 if pod == 0 else los
        readm = i - link + 1 if (pod == 2 and 1 <= link <= i) else None
        spells.append(
            ref.Spell(
                record_id=i + 1,
                line="nel" if pod == 2 else "el",
                pod=pod,
                hrg=hrg,
                los=los,
                age=age,
                bpt_met=bpt,
                readmission_of=readm,
                self_discharge=selfd,
                transfer_in=transfer and pod == 2,
            )
        )
    return spells


def frame_of(spells: list[ref.Spell]) -> pd.DataFrame:
    pods = ["day_case", "elective", "non_elective"]
    return pd.DataFrame(
        {
            "record_id": [s.record_id for s in spells],
            "commissioner": "QS01",
            "provider": "SR001",
            "pod": [pods[s.pod] for s in spells],
            "hrg": [s.hrg for s in spells],
            "los_days": [s.los for s in spells],
            "age": [s.age for s in spells],
            # months follow record order: a readmission is never dated before its index spell
            "month": [1 + min(s.record_id // 4, 11) for s in spells],
            "year": "2016/17",
            "bpt_met": [s.bpt_met for s in spells],
            "self_discharge": [s.self_discharge for s in spells],
            "transfer_in": [s.transfer_in for s in spells],
            "readmission_of": pd.array([s.readmission_of for s in spells], dtype="Int64"),
        }
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    rows=st.lists(record, min_size=1, max_size=40),
    baseline=st.sampled_from([0.0, 15_000.0, 60_000.0]),
    rate=st.sampled_from([0.3, 0.7]),
    share=st.floats(0, 1),
    ach=st.floats(0, 1),
    mff=st.sampled_from([0.9712, 1.1472]),
)
def test_engine_agrees_with_reference_to_the_penny(
    rows: list[tuple[int, str, int, int, bool, bool, bool, int]],
    baseline: float,
    rate: float,
    share: float,
    ach: float,
    mff: float,
) -> None:
    spells = build(rows)
    expected = ref.price_contract(
        spells,
        REF_TARIFF,
        mff=mff,
        nel_line="nel",
        mret_baseline=baseline,
        mret_rate=rate,
        avoidable_share=share,
        cquin_rate=0.025,
        cquin_weights=[0.6, 0.4],
        cquin_achievement=[ach, ach],
    )
    result = price(
        contract(baseline, rate, mff),
        frame_of(spells),
        TARIFF,
        achievement=ach,
        avoidable_share=share,
    )
    lines = result.statement.groupby("line_id")["formal_gbp"].sum()
    for line, value in expected.items():
        assert abs(lines[line] - value) < 0.005, (line, lines[line], value)
    records = result.records.set_index("record_id")
    for s in spells:
        got = records.at[s.record_id, "tariff_gbp"]
        assert abs(got - s.steps["tariff"]) < 0.005


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(record, min_size=1, max_size=30), extra=st.lists(record, min_size=1, max_size=5)
)
def test_totals_never_fall_as_activity_rises(
    rows: list[tuple[int, str, int, int, bool, bool, bool, int]],
    extra: list[tuple[int, str, int, int, bool, bool, bool, int]],
) -> None:
    terms = contract(15_000.0, 0.7, 1.1472)
    small = frame_of(build(rows))
    # extra records are new spells (not readmissions), appended after the others
    more = frame_of(
        build(rows + [(p, h, los, a, b, s, t, -1) for p, h, los, a, b, s, t, _ in extra])
    )
    before = price(terms, small, TARIFF, avoidable_share=0.5).totals()["formal_gbp"]
    after = price(terms, more, TARIFF, avoidable_share=0.5).totals()["formal_gbp"]
    assert after >= before - 1e-6


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(record, min_size=2, max_size=40), cut=st.integers(1, 39))
def test_record_level_tariff_is_additive(
    rows: list[tuple[int, str, int, int, bool, bool, bool, int]], cut: int
) -> None:
    terms = contract(0.0, 0.7, 1.1472, adjustments=False)
    table = ActivityTable.from_frame(frame_of(build(rows)))
    mask = np.arange(len(table)) < min(cut, len(table) - 1)
    whole = price(terms, table, TARIFF).totals()["formal_gbp"]
    parts = sum(price(terms, table.take(m), TARIFF).totals()["formal_gbp"] for m in (mask, ~mask))
    assert whole == pytest.approx(parts, abs=1e-6)


def test_mret_is_not_additive() -> None:
    """Two halves each below the baseline are paid in full; together they exceed it.

    10 emergency HB12C spells (LOS 5, age 50) at £6,500 x MFF 1.1472 = £7,456.80 each, £74,568
    in all. Whole, baseline £60,000 at 30%: excess 14,568 -> MRET -(0.7 x 14,568) = -10,197.60.
    Halves: 37,284 each, under the baseline: no MRET, so the halves are paid £10,197.60 more.
    """
    rows = [(2, "HB12C", 5, 50, False, False, False, -1)] * 10
    terms = contract(60_000.0, 0.3, 1.1472)
    table = ActivityTable.from_frame(frame_of(build(rows)))
    first = np.arange(10) < 5
    whole = price(terms, table, TARIFF, avoidable_share=0.0).totals()
    parts = [
        price(terms, table.take(m), TARIFF, avoidable_share=0.0).totals() for m in (first, ~first)
    ]
    assert whole["mret_gbp"] == pytest.approx(-10_197.60)
    assert all(p["mret_gbp"] == 0.0 for p in parts)
    assert sum(p["formal_gbp"] for p in parts) - whole["formal_gbp"] == pytest.approx(
        10_197.60 * 1.0 + 0.025 * 10_197.60
    )  # the MRET difference plus the CQUIN (2.5%, all achieved) earned on it
