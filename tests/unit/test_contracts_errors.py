"""Bad contract input: one ConfigError each, naming the place, what was expected and the fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from quasimarket.contracts import load_contract, parse_contract
from quasimarket.contracts.loading import MAX_CONTRACT_BYTES
from quasimarket.errors import ConfigError
from quasimarket.structure import payment_rules

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "contracts"

HEADER = """format = "quasimarket.contract/1"
name = "Test"
year = "{year}"
[[commissioners]]
code = "S001"
[[providers]]
code = "SR001"
"""

NEL = """
[[lines]]
id = "nel"
service = "NEL"
currency = "spell"
mechanism = "national_tariff"
"""


def error_for(text: str) -> ConfigError:
    with pytest.raises(ConfigError) as caught:
        parse_contract(text, source="bad.toml")
    error = caught.value
    assert error.file == "bad.toml"
    assert error.fix, "every error says how to fix it"
    return error


def body(extra: str, year: str = "2016/17") -> str:
    return HEADER.format(year=year) + NEL + extra


# --- shares ---------------------------------------------------------------------------------

ALLIANCE = """format = "quasimarket.contract/1"
name = "Alliance"
year = "2016/17"
form = "alliance_agreement"
[[commissioners]]
code = "S001"
[[providers]]
code = "SL001"
[[providers]]
code = "SR003"
[[lines]]
id = "beds"
service = "Beds"
currency = "bed_day"
provider = "SR003"
mechanism = "block"
planned_value_gbp = 1_000_000
[alliance]
envelope = 1_000_000
[[alliance.partners]]
code = "SL001"
share = {first}
[[alliance.partners]]
code = "SR003"
share = 0.4
"""


def test_alliance_shares_not_summing_to_one() -> None:
    error = error_for(ALLIANCE.format(first=0.5))
    assert "sum to 0.9, not 1" in error.problem
    assert error.location == "alliance > partners > share"
    assert "sum to 1" in (error.expected or "")


def test_alliance_shares_summing_to_one_are_accepted() -> None:
    contract = parse_contract(ALLIANCE.format(first=0.6))
    assert contract.alliance is not None


def test_risk_share_provider_and_commissioner_shares_must_sum_to_one() -> None:
    extra = """planned_value_gbp = 1e6
[risk_share]
band_edges = [0.02]
provider_shares = [1.0, 0.5]
commissioner_shares = [0.0, 0.6]
"""
    error = error_for(body(extra))
    assert "band 2" in error.problem
    assert "not 1" in error.problem
    assert error.location == "risk_share > commissioner_shares"


def test_risk_share_needs_one_share_per_band() -> None:
    extra = """planned_value_gbp = 1e6
[risk_share]
band_edges = [0.02, 0.05]
provider_shares = [1.0, 0.5]
"""
    error = error_for(body(extra))
    assert "3 bands" in error.problem
    assert error.location == "risk_share"


# --- CQUIN ----------------------------------------------------------------------------------


@pytest.mark.parametrize("weights", [(0.6, 0.6), (1.5,)])
def test_cquin_weights_over_100_percent(weights: tuple[float, ...]) -> None:
    goals = "".join(
        f'[[lines.adjustments.goals]]\nname = "g{i}"\nweight = {w}\n' for i, w in enumerate(weights)
    )
    error = error_for(body('[[lines.adjustments]]\nrule = "cquin"\n' + goals))
    assert "CQUIN weights over 100%" in error.problem
    assert f"{sum(weights):.1%}" in error.problem
    assert error.location == "lines #1 ('nel') > adjustments #1 ('cquin')"


# --- TOML syntax ----------------------------------------------------------------------------


def test_toml_syntax_error_reports_line_and_column() -> None:
    text = HEADER.format(year="2016/17").replace('name = "Test"', "name = Test contract")
    error = error_for(text)
    assert error.location == "line 2, column 8"
    assert "TOML syntax error" in error.problem
    assert "Test contract" in error.problem  # the offending line is shown


def test_toml_error_on_a_later_line() -> None:
    text = body('[[lines.adjustments]]\nrule = "mret"\nbaseline_value = 1,000,000\n')
    error = error_for(text)
    line = text.splitlines().index("baseline_value = 1,000,000") + 1
    assert error.location is not None
    assert error.location.startswith(f"line {line}, column ")


# --- unknown keys -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "location", "suggestion"),
    [
        (
            HEADER.format(year="2016/17").replace("year =", "yeer =") + NEL,
            "yeer",
            "year",
        ),
        (
            body('[[lines.adjustments]]\nrule = "mret"\nbaseline_valu = 1\n'),
            "lines #1 ('nel') > adjustments #1 ('mret') > baseline_valu",
            "baseline_value",
        ),
        (
            body("[lines.terms]\nmf = 1.0\n"),
            "lines #1 ('nel') > terms > mf",
            "mff",
        ),
        (
            body(
                '[[lines.adjustments]]\nrule = "cquin"\n[[lines.adjustments.goals]]\n'
                'name = "a"\nweigth = 0.5\n'
            ),
            "lines #1 ('nel') > adjustments #1 ('cquin') > goals #1 ('a') > weigth",
            "weight",
        ),
        (
            body("planed_activity = 5\n"),
            "lines #1 ('nel') > planed_activity",
            "planned_activity",
        ),
    ],
)
def test_unknown_key_names_the_path_and_suggests(text: str, location: str, suggestion: str) -> None:
    error = error_for(text)
    assert error.problem.startswith("unknown key")
    assert error.location == location
    assert f"did you mean '{suggestion}'?" in (error.fix or "")
    assert suggestion in (error.expected or "")


def test_unknown_key_without_a_close_match_says_remove() -> None:
    error = error_for(body("zzzz = 1\n"))
    assert "remove 'zzzz'" in (error.fix or "")


# --- unknown names and versions ---------------------------------------------------------------


def test_unknown_mechanism_lists_valid_ones() -> None:
    error = error_for(body("").replace('"national_tariff"', '"national_tarif"'))
    assert error.problem == "unknown mechanism 'national_tarif'"
    assert error.location == "lines #1 ('nel') > mechanism"
    assert "block" in (error.expected or "")
    assert "capitation" in (error.expected or "")
    assert "did you mean 'national_tariff'?" in (error.fix or "")


def test_unknown_rule_lists_valid_ones() -> None:
    error = error_for(body('[[lines.adjustments]]\nrule = "mert"\n'))
    assert error.problem == "unknown rule 'mert'"
    assert "activity_cap" in (error.expected or "")
    assert "cquin" in (error.expected or "")
    assert "did you mean 'mret'?" in (error.fix or "")


def test_adjustment_without_rule() -> None:
    error = error_for(body("[[lines.adjustments]]\nbaseline_value = 1\n"))
    assert "no 'rule'" in error.problem


def test_unsupported_format_version_lists_supported() -> None:
    error = error_for(body("").replace("contract/1", "contract/2"))
    assert "unsupported contract format 'quasimarket.contract/2'" in error.problem
    assert "quasimarket.contract/1" in (error.expected or "")


def test_missing_format_version() -> None:
    error = error_for(body("").replace('format = "quasimarket.contract/1"\n', ""))
    assert error.location == "format"


@pytest.mark.parametrize("year", ["1990/91", "2026/27"])
def test_year_outside_the_calendar(year: str) -> None:
    error = error_for(body("", year=year))
    assert error.location == "year"
    assert "outside the payment-rule calendar" in error.problem
    assert "1991/92 to 2025/26" in (error.expected or "")


def test_malformed_year() -> None:
    error = error_for(body("", year="2016/18"))
    assert error.location == "year"


# --- rules out of era -------------------------------------------------------------------------

ERA_CASES = [
    (
        "activity_cap",
        '[[lines.adjustments]]\nrule = "activity_cap"\nplan_value = 1e6\n',
        "2012/13",
        "activity_caps_allowed",
    ),
    (
        "mret",
        '[[lines.adjustments]]\nrule = "mret"\nbaseline_value = 1e6\n',
        "2019/20",
        "mret_rate",
    ),
    (
        "cquin",
        '[[lines.adjustments]]\nrule = "cquin"\n[[lines.adjustments.goals]]\n'
        'name = "g"\nweight = 1\n',
        "2020/21",
        "cquin_rate",
    ),
    (
        "sanctions",
        '[[lines.adjustments]]\nrule = "sanctions"\nstandard = "ae"\n'
        'kind = "per_breach"\nunit_penalty = 100\n',
        "2021/22",
        "sanctions_in_force",
    ),
    (
        "local_variation",
        '[[lines.adjustments]]\nrule = "local_variation"\n'
        "effective_from = 2012-04-01\neffective_to = 2013-03-31\nfactor = 0.9\n",
        "2012/13",
        "local_variations_allowed",
    ),
]


@pytest.mark.parametrize(("rule", "extra", "year", "field"), ERA_CASES)
def test_rule_not_in_force_in_the_contract_year(
    rule: str, extra: str, year: str, field: str
) -> None:
    error = error_for(body(extra, year=year))
    assert error.problem == f"rule '{rule}' was not in force in {year}"
    assert error.location == f"lines #1 ('nel') > adjustments #1 ('{rule}')"
    calendar = getattr(payment_rules(year), field)
    assert calendar.source in (error.expected or "")
    assert "set `allow_out_of_era = true` on the adjustment to model a counterfactual" in (
        error.fix or ""
    )


@pytest.mark.parametrize(("rule", "extra", "year", "field"), ERA_CASES)
def test_allow_out_of_era_accepts_a_counterfactual(
    rule: str, extra: str, year: str, field: str
) -> None:
    extra = extra.replace(f'rule = "{rule}"\n', f'rule = "{rule}"\nallow_out_of_era = true\n')
    if rule in {"mret", "cquin"}:  # no calendar rate that year: it must be given
        extra = extra.replace("allow_out_of_era = true\n", "allow_out_of_era = true\nrate = 0.3\n")
    contract = parse_contract(body(extra, year=year))
    assert contract.lines[0].adjustments[0].allow_out_of_era
    assert any("counterfactual" in sentence for sentence in contract.summary())


def test_activity_cap_in_2011_is_accepted() -> None:
    contract = parse_contract(
        body('[[lines.adjustments]]\nrule = "activity_cap"\nplan_value = 1e6\n', year="2011/12")
    )
    assert contract.lines[0].adjustments[0].kwargs() == {"plan_value": 1e6}


def test_national_tariff_before_pbr_is_out_of_era() -> None:
    error = error_for(body("", year="1995/96"))
    assert error.problem == "mechanism 'national_tariff' was not in force in 1995/96"
    assert "on the line" in (error.fix or "")
    contract = parse_contract(body("allow_out_of_era = true\n", year="1995/96"))
    assert contract.lines[0].allow_out_of_era


# --- other cross-field checks -----------------------------------------------------------------


def test_monthly_profile_must_sum_to_one() -> None:
    text = (
        HEADER.format(year="2016/17")
        + """
[[lines]]
id = "blk"
service = "Community"
currency = "contact"
mechanism = "block"
planned_value_gbp = 1e6
[lines.terms]
monthly_profile = [0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1, 0.1]
"""
    )
    error = error_for(text)
    assert "sums to 1.2, not 1" in error.problem
    assert error.location == "lines #1 ('blk') > terms"


def test_block_without_a_value() -> None:
    text = (
        HEADER.format(year="2016/17")
        + """
[[lines]]
id = "blk"
service = "Community"
currency = "contact"
mechanism = "block"
"""
    )
    error = error_for(text)
    assert error.location == "lines #1 ('blk') > terms > annual_value"
    assert "planned_value_gbp" in (error.fix or "")


def test_duplicate_line_ids() -> None:
    error = error_for(body(NEL))
    assert "line id 'nel' is used by more than one line" in error.problem


def test_line_provider_must_be_in_the_contract() -> None:
    error = error_for(body('provider = "SR009"\n'))
    assert "SR009" in error.problem
    assert error.location == "lines #1 ('nel') > provider"


def test_line_must_name_its_provider_when_there_are_several() -> None:
    text = body("").replace(
        '[[providers]]\ncode = "SR001"\n',
        '[[providers]]\ncode = "SR001"\n[[providers]]\ncode = "SR002"\n',
    )
    error = error_for(text)
    assert error.location == "lines #1 ('nel') > provider"


def test_bad_value_type_names_field_and_description() -> None:
    error = error_for(body("planned_activity = -5\n"))
    assert error.location == "lines #1 ('nel') > planned_activity"
    assert "greater than or equal to 0" in error.problem
    assert error.expected == "planned activity, units of the currency"


def test_several_problems_are_listed_together() -> None:
    error = error_for(
        body('currency = "spel"\n').replace('currency = "spell"\n', "")
        + '[[lines]]\nid = "x"\nservice = "X"\nmechanism = "block"\n'
    )
    assert error.problem.startswith("2 problems in the contract")
    assert "currency" in error.problem


# --- files --------------------------------------------------------------------------------------


def test_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_contract(tmp_path / "missing.toml")


def test_file_too_large(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text("# padding\n" * (MAX_CONTRACT_BYTES // 10 + 10))
    with pytest.raises(ConfigError) as caught:
        load_contract(path)
    assert "too large" in caught.value.problem
    assert caught.value.file == str(path)


def test_file_not_text(tmp_path: Path) -> None:
    path = tmp_path / "binary.toml"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(ConfigError) as caught:
        load_contract(path)
    assert "not text" in caught.value.problem


def test_file_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(body("").encode("utf-8") + b"# caf\xe9\n")
    with pytest.raises(ConfigError) as caught:
        load_contract(path)
    assert "not UTF-8" in caught.value.problem
    assert caught.value.location == f"line {body('').count(chr(10)) + 1}"


def test_a_folder_is_not_a_contract(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="folder"):
        load_contract(tmp_path)


def test_load_gives_the_same_as_parse() -> None:
    path = EXAMPLES / "blended_2019.toml"
    assert load_contract(path).to_json() == parse_contract(path.read_text()).to_json()


def test_mret_baseline_year_can_vary_only_from_2014() -> None:
    mret = '[[lines.adjustments]]\nrule = "mret"\nbaseline_value = 1e6\nbaseline_year = "2011/12"\n'
    error = error_for(body(mret, year="2012/13"))
    assert error.location == "lines #1 ('nel') > adjustments #1 ('mret') > baseline_year"
    assert "2008/09" in error.problem
    assert "002@249952" in (error.expected or "")
    contract = parse_contract(body(mret, year="2014/15"))  # variable baseline allowed (002@249952)
    assert contract.lines[0].adjustments[0].baseline_year == "2011/12"


def test_local_variation_dates_must_fall_in_the_contract_year() -> None:
    variation = (
        '[[lines.adjustments]]\nrule = "local_variation"\n'
        "effective_from = 2016-04-01\neffective_to = 2017-06-30\nfactor = 0.9\n"
    )
    error = error_for(body(variation))
    assert "outside the contract year 2016/17" in error.problem
    assert error.expected == "dates from 2016-04-01 to 2017-03-31"


def test_line_without_mechanism() -> None:
    error = error_for(body("").replace('mechanism = "national_tariff"\n', ""))
    assert error.problem == "the line has no 'mechanism'"
    assert error.location == "lines #1 ('nel') > mechanism"


def test_codes_with_spaces_are_refused() -> None:
    error = error_for(body("").replace('id = "nel"', 'id = "non elective"'))
    assert error.problem == "'non elective' is not a valid code or id"
    assert "no spaces" in (error.fix or "")


def test_missing_keys_are_gathered_into_one_fix() -> None:
    error = error_for('format = "quasimarket.contract/1"\n')
    assert error.problem.startswith("5 problems in the contract")
    assert error.fix == (
        "add the missing name, year, commissioners, providers, lines (see docs/contract-format.md)"
    )


def test_unknown_point_of_delivery_is_refused_with_a_suggestion() -> None:
    error = error_for(body('pods = ["non_electve"]\n'))
    assert error.problem == "unknown point of delivery 'non_electve'"
    assert error.location == "lines #1 ('nel') > pods #1"
    assert error.fix == "did you mean 'non_elective'?"


def test_single_bracket_table_where_a_list_is_expected() -> None:
    error = error_for(body('[lines.adjustments]\nrule = "mret"\nbaseline_value = 1\n'))
    assert error.location == "lines #1 ('nel') > adjustments"
    assert "list of tables" in error.problem
    assert error.fix == "write each table header with double brackets: [[lines.adjustments]]"
