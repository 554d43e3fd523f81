"""Achievement and performance files: resolution to lines, precedence, and every bad input.

Each bad input is one error naming the file, the key, what was expected and the fix.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from quasimarket.activity import ActivityTable
from quasimarket.contracts import Contract, load_contract, parse_contract
from quasimarket.errors import ConfigError, InputError, QuasimarketError
from quasimarket.payment.input_files import (
    ACHIEVEMENT_FORMAT,
    ACTIVITY_STANDARDS,
    PERFORMANCE_FORMAT,
    load_achievement,
    load_performance,
    parse_achievement,
    parse_performance,
)
from quasimarket.payment.inputs import Achievement, Performance

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "contracts"

#: Two providers: SR001 has CQUIN and sanctions lines, SR002 two capitation lines (one with an
#: outcome payment and a contingency, one with neither).
CONTRACT = """
format = "quasimarket.contract/1"
name = "Inputs 2016/17"
year = "2016/17"
[[commissioners]]
code = "S001"
[[providers]]
code = "SR001"
[[providers]]
code = "SR002"

[[lines]]
id = "nel"
service = "Non-elective"
currency = "spell"
pods = ["non_elective"]
provider = "SR001"
mechanism = "national_tariff"
[[lines.adjustments]]
rule = "cquin"
[[lines.adjustments.goals]]
name = "Staff health"
weight = 0.4
[[lines.adjustments.goals]]
name = "Sepsis"
weight = 0.6
[[lines.adjustments]]
rule = "sanctions"
standard = "mixed_sex_accommodation"
kind = "per_breach"
unit_penalty = 250

[[lines]]
id = "ae"
service = "A&E"
currency = "attendance"
pods = ["ae"]
provider = "SR001"
mechanism = "national_tariff"
[[lines.adjustments]]
rule = "cquin"
[[lines.adjustments.goals]]
name = "Staff health"
weight = 1.0
[[lines.adjustments]]
rule = "sanctions"
standard = "ae_4_hour"
kind = "threshold"
threshold = 0.95
unit_penalty = 120
[[lines.adjustments]]
rule = "sanctions"
standard = "never_events"
kind = "revenue"
pct = 0.01

[[lines]]
id = "community"
service = "Community"
currency = "weighted_head"
pods = ["community_contact"]
provider = "SR002"
mechanism = "capitation"
[lines.terms]
weighted_population = 1000
rate_per_head = 250
outcome_share = 0.05
contingency_share = 0.02

[[lines]]
id = "mh"
service = "Mental health"
currency = "weighted_head"
pods = ["mh_contact"]
provider = "SR002"
mechanism = "capitation"
[lines.terms]
weighted_population = 1000
rate_per_head = 100
"""


@pytest.fixture(scope="module")
def contract() -> Contract:
    return parse_contract(CONTRACT, source="contract.toml")


def _activity(ae: int, *, line_ids: list[str] | None = None) -> ActivityTable:
    """*ae* A&E attendances and two emergency spells of SR001 (optionally naming their line)."""
    n = ae + 2
    frame = pd.DataFrame(
        {
            "record_id": range(1, n + 1),
            "commissioner": "S001",
            "provider": "SR001",
            "pod": ["ae"] * ae + ["non_elective"] * 2,
            "hrg": ["VB03Z"] * ae + ["FZ12A"] * 2,
            "los_days": 0,
            "age": 40,
            "month": 1,
            "year": "2016/17",
        }
    )
    if line_ids is not None:
        frame["line_id"] = line_ids
    return ActivityTable.from_frame(frame, file="activity.csv")


def _write(tmp_path: Path, text: str, name: str = "input.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _error(call: Callable[[], Any], kind: type[QuasimarketError] = ConfigError) -> Any:
    with pytest.raises(kind) as caught:
        call()
    error = caught.value
    assert error.fix, error.render()
    assert "Traceback" not in error.render()
    return error


def _ach(data: dict[str, Any], contract: Contract) -> Achievement:
    return parse_achievement(data, contract, source="ach.toml")


def _ach_error(data: dict[str, Any], contract: Contract, location: str) -> Any:
    error = _error(lambda: _ach(data, contract))
    assert error.file == "ach.toml"
    assert error.location == location, error.render()
    assert error.expected, error.render()
    return error


def _perf(
    data: dict[str, Any], contract: Contract, activity: ActivityTable | None = None
) -> Performance:
    return parse_performance(data, contract, activity, source="perf.toml")


def _perf_error(
    data: dict[str, Any],
    contract: Contract,
    location: str,
    activity: ActivityTable | None = None,
    kind: type[QuasimarketError] = ConfigError,
) -> Any:
    error = _error(lambda: _perf(data, contract, activity), kind)
    assert error.file == "perf.toml"
    assert error.location == location, error.render()
    assert error.expected, error.render()
    return error


# -- achievement: happy paths -------------------------------------------------------------------
def test_contract_wide_goal_reaches_every_line_with_that_goal(contract: Contract) -> None:
    got = _ach({"format": ACHIEVEMENT_FORMAT, "cquin": {"Staff health": 0.8}}, contract)
    assert got.cquin == {"nel": {"Staff health": 0.8}, "ae": {"Staff health": 0.8}}
    assert got.outcomes == {}
    assert got.alliance is None
    assert got.source == "ach.toml"


def test_line_beats_provider_beats_contract(contract: Contract) -> None:
    data = {
        "cquin": {"Staff health": 0.5, "Sepsis": 0.5},
        "providers": {"SR001": {"cquin": {"Staff health": 0.6}}},
        "lines": {"nel": {"cquin": {"Staff health": 0.7}}},
    }
    got = _ach(data, contract)
    assert got.cquin == {
        "nel": {"Staff health": 0.7, "Sepsis": 0.5},
        "ae": {"Staff health": 0.6},
    }
    # the order of the tables in the file does not matter
    reordered = {"lines": data["lines"], "providers": data["providers"], "cquin": data["cquin"]}
    assert _ach(reordered, contract).cquin == got.cquin


def test_outcome_achievement_and_contingency_for_capitation_lines(contract: Contract) -> None:
    by_provider = _ach({"providers": {"SR002": {"outcome_achievement": 0.75}}}, contract)
    assert by_provider.outcomes == {"community": 0.75}  # mh has no outcome payment
    by_line = _ach(
        {
            "providers": {"SR002": {"outcome_achievement": 0.75}},
            "lines": {"community": {"outcome_achievement": 0.9, "contingency_released": 0.5}},
        },
        contract,
    )
    assert by_line.outcomes == {"community": 0.9}
    assert by_line.contingency == {"community": 0.5}


def test_alliance_outcome_achievement() -> None:
    alliance = load_contract(EXAMPLES / "alliance_case_b.toml")
    got = _ach({"alliance": {"outcome_achievement": 0.6}}, alliance)
    assert got.alliance == 0.6


def test_bounds_are_inclusive(contract: Contract) -> None:
    got = _ach({"cquin": {"Staff health": 0, "Sepsis": 1}}, contract)
    assert got.cquin["nel"] == {"Staff health": 0.0, "Sepsis": 1.0}


def test_load_achievement_toml_and_json(contract: Contract, tmp_path: Path) -> None:
    toml = _write(
        tmp_path,
        f'format = "{ACHIEVEMENT_FORMAT}"\ndescription = "Q4"\n'
        '[lines.nel.cquin]\n"Staff health" = 0.25\n'
        "[lines.community]\noutcome_achievement = 0.5\n",
    )
    got = load_achievement(toml, contract)
    assert got.cquin == {"nel": {"Staff health": 0.25}}
    assert got.outcomes == {"community": 0.5}
    assert got.source == str(toml)
    data = {"format": ACHIEVEMENT_FORMAT, "lines": {"nel": {"cquin": {"Staff health": 0.25}}}}
    as_json = _write(tmp_path, json.dumps(data), "achievement.json")
    assert load_achievement(as_json, contract).cquin == got.cquin


# -- achievement: bad input -----------------------------------------------------------------------
def test_unknown_top_level_key(contract: Contract) -> None:
    error = _ach_error({"cqiun": {}}, contract, "cqiun")
    assert "unknown key 'cqiun'" in error.problem
    assert "did you mean 'cquin'?" in error.fix


def test_outcome_achievement_at_top_level(contract: Contract) -> None:
    error = _ach_error({"outcome_achievement": 0.9}, contract, "outcome_achievement")
    assert "[lines.ID]" in error.fix


def test_unknown_line(contract: Contract) -> None:
    error = _ach_error({"lines": {"nell": {}}}, contract, "lines.nell")
    assert "no line 'nell'" in error.problem
    assert "did you mean 'nel'?" in error.fix
    assert "'ae', 'community', 'mh', 'nel'" in error.expected


def test_unknown_provider(contract: Contract) -> None:
    error = _ach_error({"providers": {"SR003": {}}}, contract, "providers.SR003")
    assert "no provider 'SR003'" in error.problem
    assert "did you mean" in error.fix


def test_commissioner_is_not_a_provider(contract: Contract) -> None:
    error = _ach_error({"providers": {"S001": {}}}, contract, "providers.S001")
    assert "is a commissioner" in error.problem


def test_unknown_key_in_a_line_table(contract: Contract) -> None:
    error = _ach_error(
        {"lines": {"community": {"outcome_achievment": 0.5}}},
        contract,
        "lines.community.outcome_achievment",
    )
    assert "did you mean 'outcome_achievement'?" in error.fix


def test_unknown_goal_suggests_the_closest(contract: Contract) -> None:
    error = _ach_error({"cquin": {"Staff Health": 0.5}}, contract, 'cquin."Staff Health"')
    assert "no CQUIN goal 'Staff Health'" in error.problem
    assert "did you mean 'Staff health'?" in error.fix


def test_goal_of_another_line(contract: Contract) -> None:
    error = _ach_error(
        {"lines": {"ae": {"cquin": {"Sepsis": 0.5}}}}, contract, "lines.ae.cquin.Sepsis"
    )
    assert "line 'ae'" in error.problem
    assert "'Staff health'" in error.expected


def test_cquin_for_a_line_or_provider_without_cquin(contract: Contract) -> None:
    error = _ach_error(
        {"lines": {"mh": {"cquin": {"Staff health": 0.5}}}}, contract, "lines.mh.cquin"
    )
    assert "line 'mh' has no CQUIN rule" in error.problem
    error = _ach_error(
        {"providers": {"SR002": {"cquin": {"Staff health": 0.5}}}},
        contract,
        "providers.SR002.cquin",
    )
    assert "provider 'SR002' has no CQUIN rule" in error.problem


@pytest.mark.parametrize(
    ("value", "problem"),
    [
        (1.5, "the share 1.5 is outside 0-1"),
        (90, "the share 90 is outside 0-1"),
        (-0.1, "the share -0.1 is outside 0-1"),
        ("0.9", "not a number"),
        (True, "not a number"),
        (float("nan"), "not a finite number"),
        (10**400, "not a finite number"),
    ],
)
def test_share_outside_0_1_or_not_a_number(contract: Contract, value: Any, problem: str) -> None:
    error = _ach_error({"cquin": {"Sepsis": value}}, contract, "cquin.Sepsis")
    assert problem in error.problem
    assert "between 0 and 1" in error.expected


def test_percent_hint(contract: Contract) -> None:
    error = _ach_error({"cquin": {"Sepsis": 90}}, contract, "cquin.Sepsis")
    assert "for 90%, write 0.9" in error.fix


def test_outcome_achievement_on_a_line_that_is_not_capitation(contract: Contract) -> None:
    error = _ach_error(
        {"lines": {"nel": {"outcome_achievement": 0.5}}},
        contract,
        "lines.nel.outcome_achievement",
    )
    assert "not capitation" in error.problem
    assert "outcome_share" in error.expected


def test_outcome_achievement_on_capitation_without_outcome_share(contract: Contract) -> None:
    error = _ach_error(
        {"lines": {"mh": {"outcome_achievement": 0.5}}}, contract, "lines.mh.outcome_achievement"
    )
    assert "line 'mh' has no outcome payment (its outcome_share is 0)" in error.problem
    error = _ach_error(
        {"lines": {"mh": {"contingency_released": 0.5}}},
        contract,
        "lines.mh.contingency_released",
    )
    assert "contingency_share" in error.problem


def test_provider_outcome_achievement_without_capitation(contract: Contract) -> None:
    error = _ach_error(
        {"providers": {"SR001": {"outcome_achievement": 0.5}}},
        contract,
        "providers.SR001.outcome_achievement",
    )
    assert "provider 'SR001' has no capitation line" in error.problem


def test_alliance_without_an_alliance(contract: Contract) -> None:
    error = _ach_error({"alliance": {"outcome_achievement": 0.5}}, contract, "alliance")
    assert "has no alliance" in error.problem


def test_unknown_key_in_alliance() -> None:
    alliance = load_contract(EXAMPLES / "alliance_case_b.toml")
    _ach_error({"alliance": {"outcome": 0.5}}, alliance, "alliance.outcome")


def test_a_table_that_is_not_a_table(contract: Contract) -> None:
    error = _ach_error({"cquin": 0.5}, contract, "cquin")
    assert "not a table" in error.problem


# -- the files themselves -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("load", "fmt"),
    [(load_achievement, ACHIEVEMENT_FORMAT), (load_performance, PERFORMANCE_FORMAT)],
)
def test_file_errors(contract: Contract, tmp_path: Path, load: Any, fmt: str) -> None:
    missing = _error(lambda: load(tmp_path / "missing.toml", contract))
    assert "not found" in missing.problem
    assert missing.file == str(tmp_path / "missing.toml")

    no_format = _write(tmp_path, "[lines]\n")
    error = _error(lambda: load(no_format, contract))
    assert error.file == str(no_format)
    assert error.location == "format"
    assert fmt in error.fix

    other = "quasimarket.contract/1"
    wrong = _write(tmp_path, f'format = "{other}"\n')
    error = _error(lambda: load(wrong, contract))
    assert error.location == "format"
    assert other in error.problem
    assert fmt in error.expected

    syntax = _write(tmp_path, f'format = "{fmt}"\n[lines.nel\n')
    error = _error(lambda: load(syntax, contract))
    assert "TOML syntax error" in error.problem
    assert error.location.startswith("line 2")

    bad_json = _write(tmp_path, '{"format": ', "bad.json")
    error = _error(lambda: load(bad_json, contract))
    assert "JSON syntax error" in error.problem
    assert error.location.startswith("line 1")

    a_list = _write(tmp_path, "[1, 2]", "list.json")
    error = _error(lambda: load(a_list, contract))
    assert "not an object" in error.problem

    description = _write(tmp_path, f'format = "{fmt}"\ndescription = 3\n')
    error = _error(lambda: load(description, contract))
    assert error.location == "description"


def test_parse_allows_format_to_be_left_out(contract: Contract) -> None:
    assert _ach({}, contract) == Achievement(source="ach.toml")
    assert _perf({}, contract) == Performance(source="perf.toml")
    _ach_error({"format": PERFORMANCE_FORMAT}, contract, "format")


# -- performance: happy paths -------------------------------------------------------------------
def test_contract_wide_standard_and_kinds(contract: Contract) -> None:
    got = _perf(
        {
            "format": PERFORMANCE_FORMAT,
            "standards": {
                "ae_4_hour": {"numerator": 900, "denominator": 1000},
                "mixed_sex_accommodation": {"count": 12},
            },
        },
        contract,
    )
    assert got.lines == {
        "ae": {"ae_4_hour": {"numerator": 900.0, "denominator": 1000.0}},
        "nel": {"mixed_sex_accommodation": {"count": 12.0}},
    }
    assert got.source == "perf.toml"


def test_performance_precedence(contract: Contract) -> None:
    got = _perf(
        {
            "lines": {"ae": {"ae_4_hour": {"numerator": 3, "denominator": 4}}},
            "providers": {"SR001": {"ae_4_hour": {"numerator": 1, "denominator": 2}}},
            "standards": {"ae_4_hour": {"numerator": 5, "denominator": 6}},
        },
        contract,
    )
    assert got.lines == {"ae": {"ae_4_hour": {"numerator": 3.0, "denominator": 4.0}}}
    provider = _perf(
        {
            "providers": {"SR001": {"ae_4_hour": {"numerator": 1, "denominator": 2}}},
            "standards": {"ae_4_hour": {"numerator": 5, "denominator": 6}},
        },
        contract,
    )
    assert provider.lines["ae"]["ae_4_hour"] == {"numerator": 1.0, "denominator": 2.0}


def test_whole_numbers_written_as_floats_and_zero(contract: Contract) -> None:
    got = _perf(
        {
            "standards": {
                "ae_4_hour": {"numerator": 0, "denominator": 10.0},
                "mixed_sex_accommodation": {"count": 0},
            }
        },
        contract,
    )
    assert got.lines["ae"]["ae_4_hour"] == {"numerator": 0.0, "denominator": 10.0}
    assert got.lines["nel"]["mixed_sex_accommodation"] == {"count": 0.0}


def test_load_performance_toml(contract: Contract, tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        f'format = "{PERFORMANCE_FORMAT}"\n'
        "[lines.ae.ae_4_hour]\nnumerator = 3\ndenominator = 4\n"
        "[providers.SR001.mixed_sex_accommodation]\ncount = 2\n",
    )
    got = load_performance(path, contract, _activity(4))
    assert got.lines == {
        "ae": {"ae_4_hour": {"numerator": 3.0, "denominator": 4.0}},
        "nel": {"mixed_sex_accommodation": {"count": 2.0}},
    }


def test_denominator_matches_the_activity(contract: Contract) -> None:
    assert ACTIVITY_STANDARDS["ae_4_hour"][0] == "ae"
    data = {"lines": {"ae": {"ae_4_hour": {"numerator": 3, "denominator": 4}}}}
    assert _perf(data, contract, _activity(4)).lines["ae"]["ae_4_hour"]["denominator"] == 4
    # records naming their line are counted for that line
    named = _activity(4, line_ids=["ae"] * 4 + ["nel"] * 2)
    assert _perf(data, contract, named).lines["ae"]["ae_4_hour"]["denominator"] == 4


# -- performance: bad input -----------------------------------------------------------------------
def test_denominator_disagrees_with_the_activity(contract: Contract) -> None:
    error = _perf_error(
        {"standards": {"ae_4_hour": {"numerator": 1000, "denominator": 1200}}},
        contract,
        "standards.ae_4_hour.denominator",
        activity=_activity(1150),
        kind=InputError,
    )
    assert (
        "denominator 1,200 for ae_4_hour on line 'ae' disagrees with the 1,150 A&E "
        "attendances in the activity (activity.csv)" in error.problem
    )
    assert "1,150" in error.expected
    assert "denominator = 1150" in error.fix


def test_denominator_not_checked_without_activity(contract: Contract) -> None:
    data = {"standards": {"ae_4_hour": {"numerator": 1000, "denominator": 1200}}}
    assert _perf(data, contract).lines["ae"]["ae_4_hour"]["denominator"] == 1200


def test_unknown_standard_suggests_the_closest(contract: Contract) -> None:
    error = _perf_error({"standards": {"ae_4_hours": {}}}, contract, "standards.ae_4_hours")
    assert "no line of the contract has a sanctions rule on standard 'ae_4_hours'" in (
        error.problem
    )
    assert "did you mean 'ae_4_hour'?" in error.fix


def test_standard_of_another_line(contract: Contract) -> None:
    error = _perf_error(
        {"lines": {"nel": {"ae_4_hour": {"count": 1}}}}, contract, "lines.nel.ae_4_hour"
    )
    assert "line 'nel' has no sanctions rule on standard 'ae_4_hour'" in error.problem
    assert "'mixed_sex_accommodation'" in error.expected


def test_provider_without_sanctions(contract: Contract) -> None:
    error = _perf_error(
        {"providers": {"SR002": {"ae_4_hour": {"count": 1}}}},
        contract,
        "providers.SR002.ae_4_hour",
    )
    assert "no line of provider 'SR002'" in error.problem
    assert "has no sanctions rule" in error.fix


def test_unknown_line_and_provider(contract: Contract) -> None:
    _perf_error({"lines": {"a_e": {}}}, contract, "lines.a_e")
    _perf_error({"providers": {"SR01": {}}}, contract, "providers.SR01")


def test_unknown_top_level_key_and_the_old_flat_shape(contract: Contract) -> None:
    error = _perf_error({"standard": {}}, contract, "standard")
    assert "did you mean 'standards'?" in error.fix
    error = _perf_error({"ae_4_hour": {"numerator": 1, "denominator": 2}}, contract, "ae_4_hour")
    assert "[standards.ae_4_hour]" in error.fix


def test_unknown_key_in_a_standard(contract: Contract) -> None:
    error = _perf_error(
        {"standards": {"ae_4_hour": {"numerator": 1, "denominatr": 2}}},
        contract,
        "standards.ae_4_hour.denominatr",
    )
    assert "did you mean 'denominator'?" in error.fix


def test_wrong_keys_for_the_kind(contract: Contract) -> None:
    error = _perf_error(
        {"standards": {"ae_4_hour": {"count": 3}}}, contract, "standards.ae_4_hour.count"
    )
    assert "threshold sanction" in error.problem
    assert "give numerator and denominator instead of count" in error.fix
    error = _perf_error(
        {"standards": {"mixed_sex_accommodation": {"numerator": 1, "denominator": 2}}},
        contract,
        "standards.mixed_sex_accommodation.numerator",
    )
    assert "per-breach sanction" in error.problem
    assert "give count" in error.fix


def test_missing_key(contract: Contract) -> None:
    error = _perf_error(
        {"lines": {"ae": {"ae_4_hour": {"numerator": 3}}}}, contract, "lines.ae.ae_4_hour"
    )
    assert "needs denominator" in error.problem
    assert "add denominator" in error.fix


def test_revenue_sanctions_take_no_data(contract: Contract) -> None:
    error = _perf_error(
        {"standards": {"never_events": {"count": 1}}}, contract, "standards.never_events"
    )
    assert "revenue sanction" in error.problem


def test_numerator_above_denominator(contract: Contract) -> None:
    error = _perf_error(
        {"standards": {"ae_4_hour": {"numerator": 1001, "denominator": 1000}}},
        contract,
        "standards.ae_4_hour",
    )
    assert "numerator 1,001 is above denominator 1,000" in error.problem


@pytest.mark.parametrize(
    ("data", "location", "problem"),
    [
        ({"mixed_sex_accommodation": {"count": -1}}, "mixed_sex_accommodation.count", "negative"),
        ({"mixed_sex_accommodation": {"count": 2.5}}, "mixed_sex_accommodation.count", "whole"),
        ({"mixed_sex_accommodation": {"count": "2"}}, "mixed_sex_accommodation.count", "number"),
        (
            {"ae_4_hour": {"numerator": -1, "denominator": 10}},
            "ae_4_hour.numerator",
            "negative",
        ),
        (
            {"ae_4_hour": {"numerator": 1, "denominator": 10.5}},
            "ae_4_hour.denominator",
            "whole",
        ),
        ({"ae_4_hour": 5}, "ae_4_hour", "not a table"),
    ],
)
def test_bad_numbers(contract: Contract, data: dict[str, Any], location: str, problem: str) -> None:
    error = _perf_error({"standards": data}, contract, f"standards.{location}")
    assert problem in error.problem
