"""Defaults from the payment-rule calendar: applied only when omitted, recorded with sources."""

from __future__ import annotations

import pytest

from quasimarket.contracts import Contract, parse_contract
from quasimarket.structure import payment_rules

pytestmark = pytest.mark.unit

HEADER = """
format = "quasimarket.contract/1"
name = "Test"
year = "{year}"
[[commissioners]]
code = "S001"
[[providers]]
code = "SR001"
"""

NEL_MRET = """
[[lines]]
id = "nel"
service = "NEL"
currency = "spell"
mechanism = "national_tariff"
[[lines.adjustments]]
rule = "mret"
baseline_value = 1_000_000
{extra}
"""


def contract_with(body: str, year: str) -> Contract:
    return parse_contract(HEADER.format(year=year) + body, source="test.toml")


@pytest.mark.parametrize("year", ["2010/11", "2013/14", "2016/17", "2018/19"])
def test_mret_rate_defaults_to_the_calendar(year: str) -> None:
    contract = contract_with(NEL_MRET.format(extra=""), year)
    calendar = payment_rules(year).mret_rate
    mret = contract.line("nel").adjustments[0]
    assert mret.kwargs()["rate"] == calendar.value
    recorded = [d for d in contract.resolved_defaults() if d.rule == "mret" and d.field == "rate"]
    assert len(recorded) == 1
    assert recorded[0].line_id == "nel"
    assert recorded[0].value == calendar.value
    assert recorded[0].source == calendar.source
    assert recorded[0].status == calendar.status


def test_mret_values_match_the_research() -> None:
    """30% paid to 2014/15 (002@249400), 70% from 2016/17 (payment-rules.md A4 [V])."""
    low = contract_with(NEL_MRET.format(extra=""), "2012/13").line("nel").adjustments[0]
    high = contract_with(NEL_MRET.format(extra=""), "2017/18").line("nel").adjustments[0]
    assert low.kwargs()["rate"] == pytest.approx(0.3)
    assert high.kwargs()["rate"] == pytest.approx(0.7)


def test_a_value_in_the_file_overrides_the_calendar_and_is_not_recorded() -> None:
    contract = contract_with(NEL_MRET.format(extra="rate = 0.5"), "2016/17")
    assert contract.line("nel").adjustments[0].kwargs()["rate"] == 0.5
    assert not [d for d in contract.resolved_defaults() if d.field == "rate"]


@pytest.mark.parametrize(("year", "rate"), [("2016/17", 0.025), ("2019/20", 0.0125)])
def test_cquin_rate_defaults(year: str, rate: float) -> None:
    body = """
[[lines]]
id = "el"
service = "Elective"
currency = "spell"
mechanism = "national_tariff"
[[lines.adjustments]]
rule = "cquin"
[[lines.adjustments.goals]]
name = "g"
weight = 1.0
"""
    contract = contract_with(body, year)
    assert contract.line("el").adjustments[0].kwargs()["rate"] == pytest.approx(rate)
    assert payment_rules(year).cquin_rate.value == pytest.approx(rate)


def test_blended_rate_is_the_calendar_value_in_2019() -> None:
    body = """
[[lines]]
id = "em"
service = "Emergency"
currency = "spell"
mechanism = "blended"
planned_value_gbp = 10_000_000
"""
    contract = contract_with(body, "2019/20")
    terms = contract.line("em").terms
    assert terms.kwargs() == {"planned_value": 10_000_000.0, "variable_rate": 0.2}
    fields = {(d.rule, d.field): d for d in contract.resolved_defaults()}
    assert fields[("blended", "variable_rate")].source == (
        payment_rules("2019/20").blended_variable_rate.source
    )
    assert fields[("blended", "planned_value")].status == "contract"


def test_blended_outside_2019_uses_the_documented_fallback() -> None:
    body = """
[[lines]]
id = "em"
service = "Emergency"
currency = "spell"
mechanism = "blended"
planned_value_gbp = 10_000_000
"""
    contract = contract_with(body, "2016/17")
    assert payment_rules("2016/17").blended_variable_rate.value is None
    assert contract.line("em").terms.kwargs()["variable_rate"] == 0.2
    (record,) = [d for d in contract.resolved_defaults() if d.field == "variable_rate"]
    assert "A6" in record.source


def test_rsse_min_age_and_efficiency_factor_come_from_the_calendar() -> None:
    body = """
[[lines]]
id = "el"
service = "Elective"
currency = "spell"
mechanism = "national_tariff"
[[lines]]
id = "lp"
service = "Non-tariff"
currency = "attendance"
mechanism = "local_price"
[lines.terms]
method = "roll_forward"
previous_price = 100
"""
    contract = contract_with(body, "2016/17")
    rules = payment_rules("2016/17")
    assert contract.line("el").terms.kwargs()["rsse_min_age"] == rules.rsse_min_age.value
    assert contract.line("lp").terms.kwargs() == {
        "previous_price": 100.0,
        "efficiency_factor": rules.efficiency_factor.value,
    }


def test_risk_share_plan_defaults_to_the_lines_planned_values() -> None:
    body = """
[[lines]]
id = "a"
service = "A"
currency = "spell"
mechanism = "national_tariff"
planned_value_gbp = 3_000_000
[[lines]]
id = "b"
service = "B"
currency = "spell"
mechanism = "national_tariff"
planned_value_gbp = 7_000_000
[risk_share]
band_edges = [0.02]
provider_shares = [1.0, 0.5]
"""
    contract = contract_with(body, "2016/17")
    assert contract.risk_share is not None
    assert contract.risk_share.plan_value == pytest.approx(10_000_000)
    (record,) = [d for d in contract.resolved_defaults() if d.rule == "risk_share"]
    assert record.line_id is None
    assert record.status == "contract"


def test_out_of_era_rule_with_permission_needs_an_explicit_rate() -> None:
    from quasimarket.errors import ConfigError

    with pytest.raises(ConfigError) as caught:
        contract_with(NEL_MRET.format(extra="allow_out_of_era = true"), "2020/21")
    assert "rate" in (caught.value.location or "")
    assert "calendar has no mret_rate" in caught.value.problem
    ok = contract_with(NEL_MRET.format(extra="allow_out_of_era = true\nrate = 0.5"), "2020/21")
    assert ok.line("nel").adjustments[0].kwargs()["rate"] == 0.5
