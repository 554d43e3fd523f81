"""Alliance case study B (002@267300; 002@273159–275,000; 002@277932), checked by hand to the penny.

Terms: £12m envelope; shares 40/40/10/10 (LA, MH FT, two third-sector partners); third sector
exempt from the risk share; £140,000 outcome pot from year 2; commissioner steps in when demand is
≥10% over plan; underspend: service development (£100,000 call, [modelling note]) then 50/50.
The hand working for each year is in the comments; figures are £.
"""

from __future__ import annotations

import math
from decimal import Decimal

import pandas as pd
import pytest

from quasimarket.errors import ConfigError
from quasimarket.mechanisms import CASE_B, case_b_statement
from quasimarket.mechanisms.alliance import CASE_B_YEARS, STATEMENT_COLUMNS
from quasimarket.money import decimal_pence

pytestmark = pytest.mark.golden

PARTNERS = ["Local authority", "MH NHS FT", "Third sector 1", "Third sector 2"]
ROWS = [*PARTNERS, "Commissioner", "Service development", "System"]
_ = None  # not applicable (NaN in the statement)

# Columns: contract value, actual cost, under/over spend, loss pool share, step-in funding,
# outcome pot earned, outcome pot lost, underspend waterfall, net position.
#
# Under plan: costs 4.70m + 4.65m + 1.18m + 1.17m = 11.70m → underspend 300,000.
# Service development 100,000; remaining 200,000 split 50/50 → providers 100,000 (LA and MH FT
# 50,000 each, third sector exempt) and commissioner 100,000. Pot 140,000 × 40/40/10/10% =
# 56,000/56,000/14,000/14,000, 75% earned = 42,000/42,000/10,500/10,500, lost 14,000/14,000/3,500/
# 3,500 (35,000 kept by the commissioner). Commissioner net 100,000 + 35,000 = 135,000.
UNDER_PLAN = {
    "Local authority": [4_800_000, 4_700_000, 100_000, 0, 0, 42_000, -14_000, 50_000, 36_000],
    "MH NHS FT": [4_800_000, 4_650_000, 150_000, 0, 0, 42_000, -14_000, 50_000, 36_000],
    "Third sector 1": [1_200_000, 1_180_000, 20_000, 0, 0, 10_500, -3_500, 0, -3_500],
    "Third sector 2": [1_200_000, 1_170_000, 30_000, 0, 0, 10_500, -3_500, 0, -3_500],
    "Commissioner": [_, _, _, _, 0, _, 35_000, 100_000, 135_000],
    "Service development": [_, _, _, _, _, _, _, 100_000, 100_000],
    "System": [12_000_000, 11_700_000, 300_000, 0, 0, 105_000, 0, 300_000, 300_000],
}
# 5% over: costs 5.10m + 5.00m + 1.25m + 1.25m = 12.60m → overspend 600,000; demand 5% < 10%, so
# no step-in; the loss pool is shared by LA and MH FT 40:40 → 300,000 each. Pot 50% earned:
# 28,000/28,000/7,000/7,000 earned and lost. Commissioner keeps 70,000 of unearned pot.
FIVE_PCT_OVER = {
    "Local authority": [4_800_000, 5_100_000, -300_000, -300_000, 0, 28_000, -28_000, 0, -328_000],
    "MH NHS FT": [4_800_000, 5_000_000, -200_000, -300_000, 0, 28_000, -28_000, 0, -328_000],
    "Third sector 1": [1_200_000, 1_250_000, -50_000, 0, 0, 7_000, -7_000, 0, -7_000],
    "Third sector 2": [1_200_000, 1_250_000, -50_000, 0, 0, 7_000, -7_000, 0, -7_000],
    "Commissioner": [_, _, _, _, 0, _, 70_000, 0, 70_000],
    "Service development": [_, _, _, _, _, _, _, 0, 0],
    "System": [12_000_000, 12_600_000, -600_000, -600_000, 0, 70_000, 0, 0, -600_000],
}
# 12% over: costs 5.40m + 5.44m + 1.30m + 1.30m = 13.44m → overspend 1,440,000; demand 12% ≥ 10%,
# so the commissioner funds it all (step_in_funds="all"): loss pool −720,000 each for LA and MH FT,
# step-in +720,000 each. Pot 25% earned: 14,000/14,000/3,500/3,500; lost 42,000/42,000/10,500/
# 10,500 (105,000 kept). Commissioner net −1,440,000 + 105,000 = −1,335,000.
TWELVE_PCT_OVER = {
    "Local authority": [
        4_800_000,
        5_400_000,
        -600_000,
        -720_000,
        720_000,
        14_000,
        -42_000,
        0,
        -42_000,
    ],
    "MH NHS FT": [4_800_000, 5_440_000, -640_000, -720_000, 720_000, 14_000, -42_000, 0, -42_000],
    "Third sector 1": [1_200_000, 1_300_000, -100_000, 0, 0, 3_500, -10_500, 0, -10_500],
    "Third sector 2": [1_200_000, 1_300_000, -100_000, 0, 0, 3_500, -10_500, 0, -10_500],
    "Commissioner": [_, _, _, _, -1_440_000, _, 105_000, 0, -1_335_000],
    "Service development": [_, _, _, _, _, _, _, 0, 0],
    "System": [12_000_000, 13_440_000, -1_440_000, -1_440_000, 0, 35_000, 0, 0, -1_440_000],
}
EXPECTED = {
    "under_plan": UNDER_PLAN,
    "five_pct_over": FIVE_PCT_OVER,
    "twelve_pct_over": TWELVE_PCT_OVER,
}


def _check(table: pd.DataFrame, expected: dict[str, list[int | None]]) -> None:
    assert list(table.index) == ROWS
    assert list(table.columns) == list(STATEMENT_COLUMNS)
    for party, values in expected.items():
        for column, want in zip(STATEMENT_COLUMNS, values, strict=True):
            got = float(table.loc[party, column])
            if want is None:
                assert math.isnan(got), f"{party}/{column}: expected blank, got {got}"
            else:
                assert decimal_pence(got) == Decimal(want), f"{party}/{column}: {got} != {want}"


@pytest.mark.parametrize("year", list(EXPECTED))
def test_case_b_statement(year: str) -> None:
    _check(case_b_statement(year), EXPECTED[year])


def test_case_b_terms_are_the_research_figures() -> None:
    assert CASE_B.envelope == 12_000_000
    assert CASE_B.outcome_pot == 140_000
    assert CASE_B.shares == (0.4, 0.4, 0.1, 0.1)
    assert CASE_B.exempt == (False, False, True, True)
    assert CASE_B.step_in_threshold == 0.10
    assert CASE_B.provider_split == 0.5
    assert CASE_B.outcome_from_year == 2
    assert {y.demand_over_plan for y in CASE_B_YEARS.values()} == {-0.025, 0.05, 0.12}


def test_case_b_excess_step_in_removes_the_cliff_edge() -> None:
    # Excess rule: commissioner funds 1,440,000 − 10% × 12,000,000 = 240,000 (120,000 each);
    # LA net = −720,000 + 120,000 − 42,000 = −642,000.
    table = case_b_statement("twelve_pct_over", step_in_funds="excess")
    assert decimal_pence(float(table.loc["Local authority", "net_position"])) == Decimal(-642_000)
    assert decimal_pence(float(table.loc["Commissioner", "net_position"])) == Decimal(-135_000)
    assert decimal_pence(float(table.loc["System", "net_position"])) == Decimal(-1_440_000)


def test_case_b_year_one_returns_underspend_to_commissioner() -> None:
    # Year 1 (no pot yet): the 300,000 underspend all goes to the commissioner.
    from dataclasses import replace

    year = replace(CASE_B_YEARS["under_plan"], year_index=1)
    table = CASE_B.statement(year)
    assert decimal_pence(float(table.loc["Commissioner", "net_position"])) == Decimal(300_000)
    for partner in PARTNERS:
        assert decimal_pence(float(table.loc[partner, "net_position"])) == 0
    assert decimal_pence(float(table.loc["System", "outcome_pot_earned"])) == 0


def test_case_b_unknown_override_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="step_in_fund") as info:
        case_b_statement("under_plan", step_in_fund="all")
    assert info.value.location == "overrides"
    with pytest.raises(ConfigError) as info2:
        case_b_statement("next_year")
    assert info2.value.location == "year"
