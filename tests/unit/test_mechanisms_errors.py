"""Bad mechanism parameters: one ConfigError naming the parameter, what was expected and the fix."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

from quasimarket.errors import ConfigError
from quasimarket.mechanisms import (
    alliance,
    blended,
    block,
    capitation,
    caps_and_collars,
    cost_and_volume,
    cquin,
    gain_loss_share,
    gp_practice,
    local_price,
    local_variation,
    mret,
    readmissions,
    risk_share,
    sanctions,
    settlement,
)

pytestmark = pytest.mark.unit

GLS = gain_loss_share.gain_loss_share
COSTS = [4.7e6, 4.65e6, 1.18e6, 1.17e6]
SHARES = [0.4, 0.4, 0.1, 0.1]

# (id, call, parameter named in location, words the message must contain)
CASES: list[tuple[str, Callable[[], Any], str, str]] = [
    ("gls shares sum", lambda: GLS(12e6, COSTS, shares=[0.4, 0.4, 0.1, 0.2]), "shares", "sum to 1"),
    ("gls shares scalar", lambda: GLS(12e6, [1.0], shares=1.0), "shares", "list of shares"),
    (
        "gls share >1",
        lambda: GLS(12e6, [1.0, 1.0], shares=[1.5, -0.5]),
        "shares",
        "between 0 and 1",
    ),
    (
        "gls all exempt",
        lambda: GLS(12e6, COSTS, shares=SHARES, exempt=[True] * 4),
        "exempt",
        "exempt",
    ),
    ("gls partners", lambda: GLS(12e6, COSTS[:3], shares=SHARES), "actual_costs", "partners"),
    (
        "gls split",
        lambda: GLS(12e6, COSTS, shares=SHARES, provider_split=50),
        "provider_split",
        "0 and 1",
    ),
    (
        "gls achievement",
        lambda: GLS(12e6, COSTS, shares=SHARES, outcome_achievement=1.2),
        "outcome_achievement",
        "0 and 1",
    ),
    (
        "gls year 0",
        lambda: GLS(12e6, COSTS, shares=SHARES, year_index=0),
        "year_index",
        "1 or more",
    ),
    (
        "gls step-in funds",
        lambda: GLS(12e6, COSTS, shares=SHARES, step_in_funds="most"),
        "step_in_funds",
        "unknown",
    ),
    (
        "gls pot",
        lambda: GLS(12e6, COSTS, shares=SHARES, outcome_pot=-1.0),
        "outcome_pot",
        "negative",
    ),
    (
        "cquin weights",
        lambda: cquin.cquin_payment(1e6, rate=0.025, weights=[0.6, 0.5], achievement=[1, 1]),
        "weights",
        "CQUIN weights over 100%",
    ),
    (
        "cquin rate %",
        lambda: cquin.cquin_payment(1e6, rate=2.5, weights=[1.0], achievement=[1.0]),
        "rate",
        "between 0 and 1",
    ),
    (
        "cquin achievement",
        lambda: cquin.cquin_payment(1e6, rate=0.025, weights=[1.0], achievement=[1.1]),
        "achievement",
        "0 and 1",
    ),
    (
        "mret rate",
        lambda: mret.marginal_rate_emergency(1e6, baseline_value=9e5, rate=30),
        "rate",
        "between 0 and 1",
    ),
    (
        "mret rate nan",
        lambda: mret.marginal_rate_emergency(1e6, baseline_value=9e5, rate=float("nan")),
        "rate",
        "between 0 and 1",
    ),
    (
        "readmission share",
        lambda: readmissions.readmission_deduction(1e5, avoidable_share=-0.1),
        "avoidable_share",
        "0 and 1",
    ),
    (
        "blended rate",
        lambda: blended.blended_payment(1.0, planned_value=1.0, variable_rate=1.2),
        "variable_rate",
        "0 and 1",
    ),
    (
        "api rate",
        lambda: blended.aligned_payment_incentive(
            1.0, fixed_value=1.0, elective_threshold_value=1.0, variable_rate=75
        ),
        "variable_rate",
        "0 and 1",
    ),
    (
        "c&v rate",
        lambda: cost_and_volume.cost_and_volume(
            1, base_value=1, threshold_activity=1, price=1, marginal_rate=1.5
        ),
        "marginal_rate",
        "0 and 1",
    ),
    (
        "c&v threshold",
        lambda: cost_and_volume.cost_and_volume(1, base_value=1, threshold_activity=-1, price=1),
        "threshold_activity",
        "negative",
    ),
    (
        "caps rate",
        lambda: caps_and_collars.caps_and_collars(
            1, fixed_value=1, collar_activity=1, cap_activity=2, price=1, marginal_rate=-0.1
        ),
        "marginal_rate",
        "0 and 1",
    ),
    (
        "caps order",
        lambda: caps_and_collars.caps_and_collars(
            1, fixed_value=1, collar_activity=3, cap_activity=2, price=1, marginal_rate=0.5
        ),
        "collar_activity",
        "above cap_activity",
    ),
    (
        "risk edges order",
        lambda: risk_share.risk_share(
            1, plan_value=1, band_edges=[0.05, 0.02], provider_shares=[1, 0.5, 0]
        ),
        "band_edges",
        "strictly increasing",
    ),
    (
        "risk edges dup",
        lambda: risk_share.risk_share(
            1, plan_value=1, band_edges=[0.02, 0.02], provider_shares=[1, 0.5, 0]
        ),
        "band_edges",
        "strictly increasing",
    ),
    (
        "risk edges zero",
        lambda: risk_share.risk_share(
            1, plan_value=1, band_edges=[0.0, 0.02], provider_shares=[1, 0.5, 0]
        ),
        "band_edges",
        "positive",
    ),
    (
        "risk share >1",
        lambda: risk_share.risk_share(1, plan_value=1, band_edges=[0.02], provider_shares=[1.2, 0]),
        "provider_shares",
        "0 and 1",
    ),
    (
        "risk share count",
        lambda: risk_share.risk_share(
            1, plan_value=1, band_edges=[0.02, 0.05], provider_shares=[1, 0]
        ),
        "provider_shares",
        "band edges",
    ),
    (
        "block profile sum",
        lambda: block.block_payment(1.2e6, monthly_profile=[0.1] * 12),
        "monthly_profile",
        "sum to 1",
    ),
    (
        "block profile length",
        lambda: block.block_payment(1.2e6, monthly_profile=[0.5, 0.5]),
        "monthly_profile",
        "12 monthly",
    ),
    (
        "block profile negative",
        lambda: block.block_payment(1.2e6, monthly_profile=[0.2] * 6 + [-0.05] * 4 + [0.2, 0.2]),
        "monthly_profile",
        "0 and 1",
    ),
    (
        "rebase planned 0",
        lambda: block.rebase_block(1e6, planned_activity=0, observed_activity=10),
        "planned_activity",
        "> 0",
    ),
    (
        "capitation shares",
        lambda: capitation.capitation(
            1e3, rate_per_head=80, outcome_share=0.7, contingency_share=0.4
        ),
        "contingency_share",
        "over 1",
    ),
    (
        "capitation released",
        lambda: capitation.capitation(1e3, rate_per_head=80, contingency_released=2),
        "contingency_released",
        "0 and 1",
    ),
    (
        "settlement rule",
        lambda: settlement.year_end_settlement(1e6, affordable=9e5, rule="haircut"),
        "rule",
        "unknown rule",
    ),
    (
        "settlement share",
        lambda: settlement.year_end_settlement(
            1e6, affordable=9e5, rule="split_gap", commissioner_gap_share=1.5
        ),
        "commissioner_gap_share",
        "0 and 1",
    ),
    (
        "settlement affordable",
        lambda: settlement.year_end_settlement(1e6, affordable=-1.0),
        "affordable",
        "negative",
    ),
    (
        "threshold %",
        lambda: sanctions.threshold_sanction(90, 100, threshold=95, unit_penalty=120),
        "threshold",
        "0 and 1",
    ),
    (
        "floor above",
        lambda: sanctions.threshold_sanction(
            90, 100, threshold=0.85, unit_penalty=120, floor_threshold=0.95
        ),
        "floor_threshold",
        "above threshold",
    ),
    (
        "penalty negative",
        lambda: sanctions.per_breach_sanction(3, unit_penalty=-250),
        "unit_penalty",
        "negative",
    ),
    ("revenue pct", lambda: sanctions.revenue_sanction(1e4, pct=10), "pct", "0 and 1"),
    (
        "cap pct",
        lambda: sanctions.cap_sanctions(-1e5, revenue=1e6, cap_pct=2.5),
        "cap_pct",
        "0 and 1",
    ),
    (
        "efficiency %",
        lambda: local_price.roll_forward_price(100.0, efficiency_factor=4),
        "efficiency_factor",
        "0 and 1",
    ),
    (
        "overhead",
        lambda: local_price.costing_price(100.0, overhead_rate=-0.1),
        "overhead_rate",
        "negative",
    ),
    (
        "benchmark stat",
        lambda: local_price.benchmark_price([1.0, 2.0], statistic="mode"),
        "statistic",
        "unknown statistic",
    ),
    (
        "benchmark empty",
        lambda: local_price.benchmark_price(np.empty((2, 0))),
        "peer_prices",
        "no peer prices",
    ),
    (
        "variation both",
        lambda: local_variation.apply_local_variation(
            1.0, "2014-04-01", effective_from="2014-04-01", new_price=1.0, factor=1.0
        ),
        "new_price",
        "exactly one",
    ),
    (
        "variation neither",
        lambda: local_variation.apply_local_variation(
            1.0, "2014-04-01", effective_from="2014-04-01"
        ),
        "new_price",
        "exactly one",
    ),
    (
        "variation dates",
        lambda: local_variation.apply_local_variation(
            1.0, "2014-04-01", effective_from="2015-04-01", effective_to="2014-04-01", factor=0.9
        ),
        "effective_to",
        "before",
    ),
    (
        "variation bad date",
        lambda: local_variation.apply_local_variation(
            1.0, "1 April", effective_from="2014-04-01", factor=0.9
        ),
        "day",
        "not a date",
    ),
    (
        "variation factor",
        lambda: local_variation.apply_local_variation(
            1.0, "2014-04-01", effective_from="2014-04-01", factor=-1.0
        ),
        "factor",
        "negative",
    ),
    (
        "gp negative",
        lambda: gp_practice.gms_global_sum(-5.0, price_per_weighted_patient=90.0),
        "weighted_patients",
        "negative",
    ),
    (
        "qof factor",
        lambda: gp_practice.qof_payment(500, value_per_point=190, prevalence_factor=-1),
        "prevalence_factor",
        "negative",
    ),
    (
        "statement costs",
        lambda: alliance.alliance_statement(
            12e6, COSTS[:2], partners=["A", "B", "C"], shares=[0.5, 0.3, 0.2]
        ),
        "actual_costs",
        "one cost per partner",
    ),
    (
        "statement axes",
        lambda: alliance.alliance_statement(
            12e6, COSTS, partners=list("ABCD"), shares=SHARES, year_index=[1, 2]
        ),
        "terms",
        "one alliance-year",
    ),
]


@pytest.mark.parametrize(
    ("call", "location", "words"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_bad_parameter_raises_config_error(
    call: Callable[[], Any], location: str, words: str
) -> None:
    with pytest.raises(ConfigError) as info:
        call()
    err = info.value
    assert err.location == location
    assert words in err.problem, err.render()
    assert err.expected, "every error says what was expected"
    assert err.fix, "every error says how to fix it"
    assert err.exit_code == 2
    assert location in err.render()


def test_errors_summarise_many_bad_values() -> None:
    with pytest.raises(ConfigError) as info:
        mret.marginal_rate_emergency(1.0, baseline_value=1.0, rate=np.arange(2.0, 10.0))
    assert "and 3 more" in info.value.problem


def test_rates_at_the_edges_are_accepted() -> None:
    assert float(mret.marginal_rate_emergency(2.0, baseline_value=1.0, rate=0.0).paid) == 1.0
    assert float(mret.marginal_rate_emergency(2.0, baseline_value=1.0, rate=1.0).paid) == 2.0
    # shares summing to 1 within float noise (0.1 × 10) are accepted
    gain_loss_share.gain_loss_share(1.0, [0.1] * 10, shares=[0.1] * 10)
