"""The API fixed element no longer pays planned elective activity twice (issue 10)."""

from __future__ import annotations

import pytest

from quasimarket.contracts import parse_contract
from quasimarket.errors import ConfigError

pytestmark = pytest.mark.unit

API = """
format = "quasimarket.contract/1"
name = "API 2023/24"
year = "2023/24"
[[commissioners]]
code = "QS01"
[[providers]]
code = "SR001"
[[lines]]
id = "acute"
service = "Acute"
currency = "spell"
pods = {pods}
mechanism = "aligned_payment_incentive"
planned_value_gbp = 100_000_000
[lines.terms]
elective_threshold_value = 0
{extra}
"""


def test_fixed_element_excludes_the_elective_plan_the_variable_element_pays() -> None:
    """2023/24: threshold 0, variable rate 1.0 (payment-rules.md A7). Plan £100m of which
    £40m elective: fixed element £60m, so delivering the plan pays £60m + £40m = £100m,
    not £140m as with the old default (fixed = whole plan)."""
    contract = parse_contract(
        API.format(pods='["elective", "non_elective"]', extra="planned_elective_value = 40e6")
    )
    assert contract.lines[0].terms.fixed_value == pytest.approx(60_000_000.0)  # type: ignore[union-attr]


def test_all_elective_line_defaults_to_the_threshold() -> None:
    contract = parse_contract(API.format(pods='["elective", "day_case"]', extra=""))
    assert contract.lines[0].terms.fixed_value == pytest.approx(0.0)  # type: ignore[union-attr]


def test_mixed_line_without_the_elective_plan_is_refused() -> None:
    with pytest.raises(ConfigError, match="fixed_value"):
        parse_contract(API.format(pods='["elective", "non_elective"]', extra=""))
