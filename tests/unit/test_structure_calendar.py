"""The payment-rule calendar: the MUST-match rules, the API shape, and bad input."""

from __future__ import annotations

import dataclasses

import pytest

from quasimarket.errors import ConfigError, InputError
from quasimarket.financial_year import FinancialYear
from quasimarket.structure import PaymentRules, Sourced, payment_rules
from quasimarket.structure._data import parse_model
from quasimarket.structure.calendar import RULE_FIELDS, CalendarFile, _table, rule_spans

pytestmark = pytest.mark.unit

YEARS = range(1991, 2026)


def value(year: int, field: str) -> object:
    return getattr(payment_rules(year), field).value


# ------------------------------------------------------------------ API shape
def test_api_as_specified() -> None:
    rules = payment_rules("2016/17")
    assert isinstance(rules, PaymentRules)
    assert rules.year == FinancialYear(2016)
    assert isinstance(rules.mret_rate, Sourced)
    assert rules.mret_rate.value == 0.7
    assert rules.mret_rate.status == "V"
    assert "payment-rules.md A4" in rules.mret_rate.source
    assert "002@249400" in rules.mret_rate.source
    assert isinstance(rules.mret_rate.note, str)


@pytest.mark.parametrize("year", [2016, "2016/17", "2016-17", FinancialYear(2016)])
def test_year_forms_accepted(year: object) -> None:
    assert payment_rules(year).year == FinancialYear(2016)  # type: ignore[arg-type]


@pytest.mark.parametrize("year", [1990, 2026, "1850/51", "2016/18", "next year", True])
def test_bad_year_is_config_error(year: object) -> None:
    with pytest.raises(ConfigError) as caught:
        payment_rules(year)  # type: ignore[arg-type]
    assert caught.value.expected


def test_frozen() -> None:
    rules = payment_rules(2016)
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.mret_rate = Sourced(0.5, "x", "K")  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        rules.mret_rate.value = 0.5  # type: ignore[misc]


def test_as_dict_has_every_field_with_four_keys() -> None:
    table = payment_rules(2019).as_dict()
    assert tuple(table) == RULE_FIELDS
    assert len(RULE_FIELDS) == 19
    for item in table.values():
        assert set(item) == {"value", "source", "status", "note"}
        assert item["status"] in {"V", "K", "seed"}
        assert item["source"]


@pytest.mark.parametrize("year", YEARS)
def test_every_year_complete_and_typed(year: int) -> None:
    rules = payment_rules(year)
    for name in RULE_FIELDS:
        item = getattr(rules, name)
        assert isinstance(item, Sourced)
    assert isinstance(rules.rsse_min_age.value, int)
    for name in ("mret_rate", "cquin_rate", "blended_variable_rate", "api_variable_rate"):
        got = getattr(rules, name).value
        assert got is None or (isinstance(got, float) and 0 < got <= 1)


# ------------------------------------------------------------------ MUST-match rules
@pytest.mark.parametrize("year", YEARS)
def test_activity_caps_only_2011(year: int) -> None:
    assert value(year, "activity_caps_allowed") is (year == 2011)


@pytest.mark.parametrize("year", YEARS)
def test_mret_rate(year: int) -> None:
    expected = 0.3 if 2010 <= year <= 2015 else 0.7 if 2016 <= year <= 2018 else None
    assert value(year, "mret_rate") == expected


def test_mret_2015_proposal_noted() -> None:
    rule = payment_rules("2015/16").mret_rate
    assert rule.value == 0.3
    assert "50%" in rule.note
    assert "hsj 5077132" in rule.note


def test_mret_abolished_2019() -> None:
    rules = payment_rules("2019/20")
    assert rules.mret_rate.value is None
    assert rules.mret_baseline_year.value is None
    assert rules.readmission_rule.value is None
    assert rules.blended_payment.value is True
    assert rules.blended_variable_rate.value == 0.2


@pytest.mark.parametrize("year", YEARS)
def test_mret_baseline(year: int) -> None:
    expected = "2008/09" if 2010 <= year <= 2018 else None
    assert value(year, "mret_baseline_year") == expected
    assert value(year, "mret_variable_baseline") is (2014 <= year <= 2018)


CQUIN = {
    2009: (0.005, "V"),
    2010: (0.015, "V"),
    2011: (0.015, "K"),
    2012: (0.025, "K"),
    **dict.fromkeys(range(2013, 2019), (0.025, "V")),
    2019: (0.0125, "V"),
    2020: (None, "V"),
    2021: (None, "V"),
    2022: (0.0125, "V"),
    2023: (0.0125, "V"),
    2024: (0.0125, "V"),
    2025: (None, "K"),
}


@pytest.mark.parametrize("year", YEARS)
def test_cquin(year: int) -> None:
    rule = payment_rules(year).cquin_rate
    expected_value, expected_status = CQUIN.get(year, (None, rule.status))
    assert rule.value == expected_value
    assert rule.status == expected_status


def test_cquin_2024_clawback_suspended_noted() -> None:
    assert "clawback" in payment_rules(2024).cquin_rate.note.lower()


READMISSION = {2010: ("14_day_threshold", 14), 2011: ("30_day_elective", 30)}
READMISSION.update(dict.fromkeys(range(2012, 2019), ("30_day_clinical_review", 30)))


@pytest.mark.parametrize("year", YEARS)
def test_readmission_rule(year: int) -> None:
    rule, window = READMISSION.get(year, (None, None))
    assert value(year, "readmission_rule") == rule
    assert value(year, "readmission_window_days") == window


REGIMES = {
    **dict.fromkeys(range(1991, 2004), "pre-PbR"),
    **dict.fromkeys(range(2004, 2014), "PbR"),
    **dict.fromkeys(range(2014, 2020), "NTPS"),
    2020: "COVID block",
    2021: "COVID block",
    2022: "NTPS with API",
    2023: "NHSPS",
    2024: "NHSPS",
    2025: "NHSPS",
}


@pytest.mark.parametrize("year", YEARS)
def test_regime_and_tariff(year: int) -> None:
    assert value(year, "regime") == REGIMES[year]
    assert value(year, "national_tariff") is (year >= 2004)


@pytest.mark.parametrize("year", YEARS)
def test_api(year: int) -> None:
    rules = payment_rules(year)
    assert rules.api.value is (year >= 2022)
    assert rules.api_variable_rate.value == (
        0.75 if year == 2022 else 1.0 if year >= 2023 else None
    )
    assert rules.api_elective_threshold.value == (1.04 if year == 2022 else None)


@pytest.mark.parametrize("year", YEARS)
def test_sanctions_variations_bpt(year: int) -> None:
    rules = payment_rules(year)
    assert rules.sanctions_in_force.value is (2009 <= year <= 2019)
    assert rules.local_variations_allowed.value is (year >= 2014)
    assert rules.best_practice_tariffs.value is (year >= 2010)
    assert rules.blended_payment.value is (year == 2019)


@pytest.mark.parametrize("year", YEARS)
def test_efficiency_and_rsse_are_k_defaults(year: int) -> None:
    rules = payment_rules(year)
    assert rules.efficiency_factor.status == "K"
    factor = rules.efficiency_factor.value
    assert (factor is None) is (year < 2004)
    assert factor is None or 0 < factor < 0.1
    assert rules.rsse_min_age.value == 19
    assert rules.rsse_min_age.status == "K"


def test_sanctions_removed_april_2021_sourced() -> None:
    rule = payment_rules("2021/22").sanctions_in_force
    assert rule.value is False
    assert "A10" in rule.source


# ------------------------------------------------------------------ data-file checks
def test_calendar_entries_all_quoted() -> None:
    for span in rule_spans():
        assert 4 <= len(span.quote.split()) <= 15
        assert span.status in {"V", "K", "seed"}


_GOOD = """
[[rule]]
field = "rsse_min_age"
from = "1991/92"
to = "2025/26"
value = 19
status = "K"
source = "payment-rules.md A1"
quote = "emergency spells with LOS 0 or 1 day"
"""


def _parse(text: str) -> CalendarFile:
    return parse_model(text, CalendarFile, file="bad.toml", what="payment-rule calendar")


def test_unknown_key_reported_with_field() -> None:
    with pytest.raises(InputError) as caught:
        _parse(_GOOD + 'colour = "red"\n')
    message = caught.value.render()
    assert "bad.toml" in message
    assert "rule.0.colour" in message
    assert "unknown key" in message


def test_wrong_value_type_reported() -> None:
    with pytest.raises(InputError) as caught:
        _parse(_GOOD.replace("value = 19", 'value = "nineteen"'))
    assert "rsse_min_age must be a int" in caught.value.render()


def test_unknown_field_reported() -> None:
    with pytest.raises(InputError) as caught:
        _parse(_GOOD.replace('"rsse_min_age"', '"mret_rat"'))
    assert "unknown rule field 'mret_rat'" in caught.value.render()


def test_toml_syntax_error_has_line() -> None:
    with pytest.raises(InputError) as caught:
        _parse(_GOOD + "value = = 3\n")
    assert caught.value.location is not None
    assert caught.value.location.startswith("line ")


def test_missing_years_reported() -> None:
    data = _parse(_GOOD)
    with pytest.raises(InputError) as caught:
        _table(list(data.rule), file="bad.toml")
    assert "no rule for regime" in caught.value.problem


def test_overlap_reported() -> None:
    data = _parse(_GOOD + _GOOD)
    with pytest.raises(InputError) as caught:
        _table(list(data.rule), file="bad.toml")
    assert "overlap" in caught.value.problem
    assert "1991/92" in caught.value.problem


def test_reversed_span_reported() -> None:
    bad = _GOOD.replace('from = "1991/92"', 'from = "2030/31"').replace("value = 19\n", "")
    with pytest.raises(InputError) as caught:
        _parse(bad.replace('"rsse_min_age"', '"mret_rate"'))
    assert "is after 'to'" in caught.value.render()
