"""The pricing engine on small hand-checked cases: rule order, attribution, statement, explain."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from quasimarket.activity import ActivityTable
from quasimarket.contracts import parse_contract
from quasimarket.errors import ConfigError, InputError
from quasimarket.pricing import price
from quasimarket.tariff import TariffTable
from quasimarket.tariff import annex_a as aa

pytestmark = pytest.mark.unit

HEAD = """
format = "quasimarket.contract/1"
name = "Test"
year = "{year}"
[[commissioners]]
code = "QS01"
[[providers]]
code = "SR001"
"""
ACUTE = (
    HEAD.format(year="2016/17")
    + """
[[lines]]
id = "el"
service = "Elective"
currency = "spell"
pods = ["elective", "day_case"]
mechanism = "national_tariff"
[[lines]]
id = "nel"
service = "Non-elective"
currency = "spell"
pods = ["non_elective"]
mechanism = "national_tariff"
[[lines.adjustments]]
rule = "mret"
baseline_value = 4000
rate = 0.7
[[lines.adjustments]]
rule = "readmissions"
avoidable_share = 0.5
[[lines.adjustments]]
rule = "cquin"
rate = 0.025
[[lines.adjustments.goals]]
name = "A"
weight = 0.5
achievement = 1.0
[[lines.adjustments.goals]]
name = "B"
weight = 0.5
achievement = 0.5
"""
)


def tariff() -> TariffTable:
    apc = pd.DataFrame(
        {
            aa.HRG_CODE: ["AA01A"],
            aa.HRG_NAME: ["x"],
            aa.OP_PROCEDURE: [np.nan],
            aa.COMBINED_DC_EL: [np.nan],
            aa.DAY_CASE: [800.0],
            aa.ELECTIVE: [2000.0],
            aa.ELECTIVE_TRIM: [100],
            aa.NON_ELECTIVE: [1000.0],
            aa.NON_ELECTIVE_TRIM: [100],
            aa.EXCESS_BED_DAY: [200.0],
            aa.RSSE_APPLICABLE: ["No"],
            aa.RSSE_PERCENT: [np.nan],
            aa.RSSE_PRICE: [np.nan],
        }
    )
    return TariffTable.from_frames(apc)


def activity(**changes: list[object]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            "record_id": [1, 2, 3, 4, 5, 6, 7],
            "commissioner": ["QS01"] * 7,
            "provider": ["SR001"] * 7,
            "pod": ["non_elective"] * 5 + ["elective"] * 2,
            "hrg": ["AA01A"] * 7,
            "los_days": [3] * 7,
            "age": [50] * 7,
            "month": [1, 2, 3, 4, 5, 6, 7],
            "year": ["2016/17"] * 7,
            "readmission_of": [None, None, None, None, 1, None, None],
        }
    )
    return frame.assign(**changes)


def test_mret_readmissions_cquin_by_hand() -> None:
    """NEL value 5 x 1,000 = 5,000; baseline 4,000 at 70%: paid 4,700, MRET -300 (-60 each).
    Record 5 readmits record 1: value 940, avoidable 50% -> -470.
    CQUIN 2.5% x (4,700 - 470 = 4,230) = 105.75 available; weights x achievement 0.75 -> 79.3125.
    NEL formal 4,309.3125; elective 2 x 2,000 = 4,000; total 8,309.3125."""
    result = price(parse_contract(ACUTE), activity(), tariff())
    t = result.totals()
    assert t["tariff_gbp"] == pytest.approx(9000.0)
    assert t["mret_gbp"] == pytest.approx(-300.0)
    assert t["readmissions_gbp"] == pytest.approx(-470.0)
    assert t["cquin_gbp"] == pytest.approx(79.3125)
    assert t["formal_gbp"] == pytest.approx(8309.3125)
    rec = result.records.set_index("record_id")
    assert rec.loc[1, "mret_gbp"] == pytest.approx(-60.0)
    assert rec.loc[5, "readmissions_gbp"] == pytest.approx(-470.0)
    assert rec.loc[6, "mret_gbp"] == 0.0  # elective line untouched
    # statement and records agree with the totals
    assert result.statement["formal_gbp"].sum() == pytest.approx(t["formal_gbp"])
    assert rec["formal_gbp"].sum() == pytest.approx(t["formal_gbp"])
    # explain: every rule's effect on record 5 adds up to its settled value
    items = result.explain(5)
    assert sum(i.amount_gbp for i in items) == pytest.approx(rec.loc[5, "settled_gbp"])
    titles = " ".join(i.title for i in items)
    assert "Marginal rate emergency rule" in titles
    assert "readmissions" in titles
    assert all(i.source for i in items)


def test_readmission_exclusions() -> None:
    """A child under 4, a transfer in, or a self-discharge from the index spell: still paid."""
    for change in (
        {"age": [50, 50, 50, 50, 3, 50, 50]},
        {"transfer_in": [False, False, False, False, True, False, False]},
        {"self_discharge": [True, False, False, False, False, False, False]},
    ):
        result = price(parse_contract(ACUTE), activity(**change), tariff())
        assert result.totals()["readmissions_gbp"] == 0.0


def test_settlement_caps_at_affordable() -> None:
    result = price(parse_contract(ACUTE), activity(), tariff(), affordable=8000.0)
    t = result.totals()
    assert t["settled_gbp"] == pytest.approx(8000.0)
    assert t["settlement_gap_gbp"] == pytest.approx(-309.3125)
    assert result.records["settled_gbp"].sum() == pytest.approx(8000.0)


def test_block_pays_the_profile_whatever_the_activity() -> None:
    text = (
        HEAD.format(year="2016/17")
        + """
[[lines]]
id = "community"
service = "Community"
currency = "contact"
pods = ["non_elective", "elective"]
mechanism = "block"
[lines.terms]
annual_value = 12000
"""
    )
    result = price(parse_contract(text), activity(), tariff())
    st = result.statement
    assert st["formal_gbp"].tolist() == pytest.approx([1000.0] * 12)  # months 8-12 no records
    assert result.totals()["formal_gbp"] == pytest.approx(12000.0)
    assert result.records["formal_gbp"].sum() == pytest.approx(7000.0)


def test_blended_and_caps_and_collars() -> None:
    blended = (
        HEAD.format(year="2019/20")
        + """
[[lines]]
id = "ec"
service = "Emergency care"
currency = "spell"
pods = ["non_elective", "elective"]
mechanism = "blended"
[lines.terms]
planned_value = 8000
variable_rate = 0.2
"""
    )
    act = activity(year=["2019/20"] * 7)
    # actual 9,000 at tariff; paid 8,000 + 0.2 x 1,000 = 8,200
    assert price(parse_contract(blended), act, tariff()).totals()["formal_gbp"] == pytest.approx(
        8200.0
    )
    caps = (
        HEAD.format(year="2014/15")
        + """
[[lines]]
id = "el"
service = "Elective"
currency = "spell"
pods = ["non_elective", "elective"]
mechanism = "caps_and_collars"
[lines.terms]
fixed_value = 10000
collar_activity = 2
cap_activity = 5
price = 1500
marginal_rate = 0.5
"""
    )
    act = activity(year=["2014/15"] * 7)
    # 7 spells, cap 5: 10,000 + 0.5 x 1,500 x 2 = 11,500
    assert price(parse_contract(caps), act, tariff()).totals()["formal_gbp"] == pytest.approx(
        11500.0
    )


def test_whole_equals_sum_of_parts_for_record_level_tariff() -> None:
    t = ActivityTable.from_frame(activity())
    contract = parse_contract(ACUTE.split("[[lines.adjustments]]")[0])
    whole = price(contract, t, tariff()).totals()["formal_gbp"]
    a = price(contract, t.take(np.arange(7) < 3), tariff()).totals()["formal_gbp"]
    b = price(contract, t.take(np.arange(7) >= 3), tariff()).totals()["formal_gbp"]
    assert whole == pytest.approx(a + b)


@pytest.mark.parametrize(
    ("change", "error", "message"),
    [
        ({"year": ["2015/16"] * 7}, InputError, "2015/16, but the contract covers 2016/17"),
        ({"provider": ["SR001"] * 6 + ["SR009"]}, InputError, "providers the contract does not"),
        ({"commissioner": ["QS02"] + ["QS01"] * 6}, InputError, "commissioners the contract"),
        ({"pod": ["non_elective"] * 6 + ["ae"]}, InputError, "not covered by any line"),
        ({"hrg": ["ZZ99Z", "YY01A"] + ["AA01A"] * 5}, InputError, "2 HRG/TFC codes not in the"),
    ],
)
def test_activity_the_contract_does_not_cover(change, error, message) -> None:  # type: ignore[no-untyped-def]
    # another commissioner's activity is refused only when asked to (else: non-contract
    # activity, tests/unit/test_real_inputs.py)
    with pytest.raises(error, match=message) as err:
        price(parse_contract(ACUTE), activity(**change), tariff(), non_contract="refuse")
    assert err.value.fix


def test_tariff_needed() -> None:
    with pytest.raises(ConfigError, match="no tariff was given"):
        price(parse_contract(ACUTE), activity(), None)
