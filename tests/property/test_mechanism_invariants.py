"""Invariants of the payment mechanisms (Hypothesis): conservation, monotonicity, draw axes."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quasimarket.mechanisms import (
    activity_cap,
    blended,
    block,
    capitation,
    caps_and_collars,
    cost_and_volume,
    cost_per_case,
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
from quasimarket.structure import payment_rules

pytestmark = pytest.mark.property

FAST = settings(max_examples=150, deadline=None)
money = st.floats(min_value=0.0, max_value=1e9, allow_nan=False, allow_infinity=False)
signed_money = st.floats(min_value=-1e9, max_value=1e9, allow_nan=False, allow_infinity=False)
rate = st.floats(min_value=0.0, max_value=1.0, allow_nan=False)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


def close(a: Any, b: Any, scale: float = 1.0) -> None:
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-6 * max(1.0, scale))


@FAST
@given(
    seed=seeds,
    partners=st.integers(1, 6),
    year=st.integers(1, 3),
    gate=st.booleans(),
    funds=st.sampled_from(["all", "excess"]),
)
def test_gain_loss_share_conserves_money(
    seed: int, partners: int, year: int, gate: bool, funds: str
) -> None:
    rng = np.random.default_rng(seed)
    draws = 5
    shares = rng.dirichlet(np.ones(partners))
    exempt = rng.random(partners) < 0.4
    exempt[int(np.argmax(shares))] = False  # someone carries the risk
    envelope = rng.uniform(1e5, 5e7, draws)
    costs = envelope[:, None] * shares * rng.uniform(0.7, 1.3, (draws, partners))
    r = gain_loss_share.gain_loss_share(
        envelope,
        costs,
        shares=shares,
        exempt=exempt,
        outcome_gate=gate,
        outcome_pot=rng.uniform(0, 0.02) * envelope,
        outcome_achievement=rng.random(draws),
        step_in_threshold=rng.uniform(0, 0.2),
        demand_over_plan=rng.uniform(-0.2, 0.3, draws),
        year_index=year,
        service_development=rng.uniform(0, 2e5, draws),
        provider_split=rng.random(),
        step_in_funds=funds,
    )
    total = r.net_position.sum(axis=-1) + r.commissioner_position + r.service_development
    close(total, envelope - costs.sum(axis=-1), scale=float(envelope.max()))
    close(r.system_variance, envelope - costs.sum(axis=-1), scale=float(envelope.max()))
    # exempt partners carry no loss-pool or underspend share; nobody bears more loss than exists
    assert np.all(r.loss_share[:, exempt] == 0)
    assert np.all(r.underspend_share[:, exempt] == 0)
    assert np.all(r.step_in_total <= -np.minimum(r.system_variance, 0) + 1e-6)
    assert np.all(r.service_development >= 0)
    assert np.all(r.underspend_share >= 0)


@FAST
@given(actual=signed_money, plan=money, seed=seeds, bands=st.integers(1, 4))
def test_risk_share_parts_sum_to_the_deviation(
    actual: float, plan: float, seed: int, bands: int
) -> None:
    rng = np.random.default_rng(seed)
    edges = np.cumsum(rng.uniform(0.005, 0.1, bands))
    shares = rng.random(bands + 1)
    r = risk_share.risk_share(actual, plan_value=plan, band_edges=edges, provider_shares=shares)
    scale = abs(actual) + abs(plan)
    close(r.provider_bears + r.commissioner_bears, r.deviation, scale)
    close(r.payment, plan + r.commissioner_bears, scale)
    # each party's part has the deviation's sign and is no bigger than it
    assert r.provider_bears * r.deviation >= 0
    assert r.commissioner_bears * r.deviation >= -1e-6 * scale
    assert abs(r.provider_bears) <= abs(r.deviation) + 1e-6 * scale


@FAST
@given(
    formal=money,
    affordable=money,
    share=rate,
    nr=money,
    tr=money,
    independent=st.booleans(),
    rule=st.sampled_from(["pay_in_full", "cap_at_affordable", "split_gap"]),
)
def test_settlement_commissioner_and_provider_sides_add_up(
    formal: float,
    affordable: float,
    share: float,
    nr: float,
    tr: float,
    independent: bool,
    rule: str,
) -> None:
    r = settlement.year_end_settlement(
        formal,
        affordable=affordable,
        rule=rule,
        commissioner_gap_share=share,
        independent=independent,
        non_recurrent=nr,
        transitional=tr,
    )
    scale = formal + affordable + nr + tr
    # commissioner pays `settled`; provider absorbs `−gap`; together the formal outturn
    close(r.settled - r.gap, formal, scale)
    close(r.total_paid, r.settled + nr + tr, scale)
    assert float(r.settled) <= formal + 1e-6 * scale
    assert float(r.settled) >= min(formal, affordable) - 1e-6 * scale
    if independent:
        close(r.gap, 0.0)


@FAST
@given(annual=money, seed=seeds)
def test_block_total_is_independent_of_activity(annual: float, seed: int) -> None:
    rng = np.random.default_rng(seed)
    profile = rng.dirichlet(np.ones(12))
    low = block.block_payment(annual, monthly_profile=profile, activity=rng.uniform(0, 1e3, 12))
    high = block.block_payment(annual, monthly_profile=profile, activity=rng.uniform(1e4, 1e6, 12))
    np.testing.assert_array_equal(low.monthly, high.monthly)
    close(low.annual, annual, annual)
    close(low.monthly.sum(), annual, annual)


@FAST
@given(seed=seeds, baseline=money, r=rate, price=st.floats(0.0, 1e5))
def test_mret_paid_and_cost_per_case_never_fall_as_activity_rises(
    seed: int, baseline: float, r: float, price: float
) -> None:
    values = np.sort(np.random.default_rng(seed).uniform(0, 2e9, 50))
    paid = mret.marginal_rate_emergency(values, baseline_value=baseline, rate=r).paid
    assert np.all(np.diff(paid) >= -1e-6)
    assert np.all(paid <= values + 1e-6)
    case = cost_per_case.cost_per_case(values / 1e4, price=price).payment
    assert np.all(np.diff(case) >= 0)


@FAST
@given(seed=seeds, goals=st.integers(1, 8), outturn=money, r=rate)
def test_cquin_earned_within_available(seed: int, goals: int, outturn: float, r: float) -> None:
    rng = np.random.default_rng(seed)
    weights = rng.dirichlet(np.ones(goals)) * rng.uniform(0.5, 1.0)
    achievement = rng.random((4, goals))
    c = cquin.cquin_payment(outturn, rate=r, weights=weights, achievement=achievement)
    assert np.all(c.earned >= 0)
    assert np.all(c.earned <= c.available * (1 + 1e-12) + 1e-9)
    close(c.earned + c.forgone, np.broadcast_to(c.available, c.earned.shape), outturn)


# ---- every function works with a leading draw axis -------------------------------------------
# (name, function, per-draw argument maker, fixed keyword arguments). Per-draw arguments are
# arrays over lines (3,), except those marked "system" that are one value per draw.
LINES = 3


def _u(rng: np.random.Generator, lo: float, hi: float, shape: tuple[int, ...] = (LINES,)) -> Any:
    return rng.uniform(lo, hi, shape)


DRAW_CASES: list[
    tuple[str, Callable[..., Any], Callable[[np.random.Generator], dict[str, Any]], dict[str, Any]]
] = [
    (
        "roll_forward",
        local_price.roll_forward_price,
        lambda g: {"previous_price": _u(g, 10, 1e4), "efficiency_factor": _u(g, 0, 0.1)},
        {},
    ),
    (
        "benchmark",
        local_price.benchmark_price,
        lambda g: {"peer_prices": _u(g, 10, 1e4, (LINES, 5))},
        {"statistic": "lower_quartile"},
    ),
    (
        "costing",
        local_price.costing_price,
        lambda g: {"unit_cost": _u(g, 1, 1e3), "overhead_rate": _u(g, 0, 1)},
        {},
    ),
    (
        "local_variation",
        local_variation.apply_local_variation,
        lambda g: {
            "price": _u(g, 10, 1e4),
            "day": g.integers(16000, 16600, LINES),
            "factor": _u(g, 0.5, 1.5),
        },
        {"effective_from": 16200, "effective_to": 16400},
    ),
    ("block", block.block_payment, lambda g: {"annual_value": _u(g, 0, 1e7)}, {}),
    (
        "rebase",
        block.rebase_block,
        lambda g: {
            "annual_value": _u(g, 0, 1e7),
            "planned_activity": _u(g, 1, 1e4),
            "observed_activity": _u(g, 0, 1e4),
        },
        {},
    ),
    (
        "cost_and_volume",
        cost_and_volume.cost_and_volume,
        lambda g: {
            "activity": _u(g, 0, 1e4),
            "base_value": _u(g, 0, 1e7),
            "threshold_activity": _u(g, 0, 1e4),
            "price": _u(g, 0, 5e3),
            "marginal_rate": _u(g, 0, 1),
        },
        {},
    ),
    (
        "cost_per_case",
        cost_per_case.cost_per_case,
        lambda g: {"activity": _u(g, 0, 1e4), "price": _u(g, 0, 5e3)},
        {},
    ),
    (
        "caps_and_collars",
        caps_and_collars.caps_and_collars,
        lambda g: {
            "activity": _u(g, 0, 2e4),
            "fixed_value": _u(g, 0, 1e7),
            "price": _u(g, 0, 5e3),
            "marginal_rate": _u(g, 0, 1),
        },
        {"collar_activity": 9000.0, "cap_activity": 11000.0},
    ),
    (
        "activity_cap",
        activity_cap.activity_cap,
        lambda g: {"value": _u(g, 0, 1e7), "plan_value": _u(g, 0, 1e7)},
        {},
    ),
    (
        "blended",
        blended.blended_payment,
        lambda g: {"actual_value": _u(g, 0, 1e7), "planned_value": _u(g, 0, 1e7)},
        # the calendar's 2019/20 rate (payment-rules.md A6 [V]); mechanisms keep no default
        {"variable_rate": payment_rules("2019/20").blended_variable_rate.value},
    ),
    (
        "api",
        blended.aligned_payment_incentive,
        lambda g: {
            "elective_actual_value": _u(g, 0, 1e7),
            "fixed_value": _u(g, 0, 1e8),
            "elective_threshold_value": _u(g, 0, 1e7),
            "floor_value": _u(g, 0, 1e8),
        },
        # the calendar's 2022/23 rate (payment-rules.md A7 [V])
        {"variable_rate": payment_rules("2022/23").api_variable_rate.value},
    ),
    (
        "capitation",
        capitation.capitation,
        lambda g: {
            "weighted_population": _u(g, 0, 1e5),
            "rate_per_head": _u(g, 0, 100),
            "outcome_achievement": _u(g, 0, 1),
            "contingency_released": _u(g, 0, 1),
        },
        {"outcome_share": 0.05, "contingency_share": 0.02},
    ),
    (
        "mret",
        mret.marginal_rate_emergency,
        lambda g: {"nel_value": _u(g, 0, 1e7), "baseline_value": _u(g, 0, 1e7)},
        {"rate": 0.3},
    ),
    (
        "readmissions",
        readmissions.readmission_deduction,
        lambda g: {"readmission_value": _u(g, 0, 1e6), "avoidable_share": _u(g, 0, 1)},
        {},
    ),
    (
        "cquin",
        cquin.cquin_payment,
        lambda g: {"outturn_value": _u(g, 0, 1e8), "achievement": _u(g, 0, 1, (LINES, 4))},
        {"rate": 0.025, "weights": [0.4, 0.3, 0.2, 0.1]},
    ),
    (
        "threshold_sanction",
        sanctions.threshold_sanction,
        lambda g: {"numerator": _u(g, 0, 1e4), "denominator": _u(g, 1e4, 1.2e4)},
        {"threshold": 0.95, "unit_penalty": 120.0, "floor_threshold": 0.85},
    ),
    (
        "per_breach",
        sanctions.per_breach_sanction,
        lambda g: {"count": _u(g, 0, 50)},
        {"unit_penalty": 250.0},
    ),
    (
        "revenue_sanction",
        sanctions.revenue_sanction,
        lambda g: {"revenue": _u(g, 0, 1e6), "pct": _u(g, 0, 1)},
        {},
    ),
    (
        "cap_sanctions",
        sanctions.cap_sanctions,
        lambda g: {"total": _u(g, -1e6, 0), "revenue": _u(g, 0, 3e7)},
        {},
    ),
    (
        "risk_share",
        risk_share.risk_share,
        lambda g: {"actual_value": _u(g, 0, 2e7), "plan_value": _u(g, 1, 2e7)},
        {"band_edges": [0.02, 0.05], "provider_shares": [1.0, 0.5, 0.0]},
    ),
    (
        "settlement",
        settlement.year_end_settlement,
        lambda g: {
            "formal_outturn": _u(g, 0, 1e8),
            "affordable": _u(g, 0, 1e8),
            "non_recurrent": _u(g, 0, 1e6),
        },
        {"rule": "split_gap", "independent": [True, False, False]},
    ),
    (
        "gain_loss_share",
        gain_loss_share.gain_loss_share,
        lambda g: {
            "envelope": _u(g, 1e6, 2e7, ()),
            "actual_costs": _u(g, 1e5, 8e6, (4,)),
            "demand_over_plan": _u(g, -0.1, 0.2, ()),
            "outcome_achievement": _u(g, 0, 1, ()),
        },
        {
            "shares": [0.4, 0.4, 0.1, 0.1],
            "exempt": [False, False, True, True],
            "outcome_pot": 140000.0,
            "step_in_threshold": 0.1,
            "year_index": 2,
            "service_development": 1e5,
        },
    ),
    (
        "global_sum",
        gp_practice.gms_global_sum,
        lambda g: {"weighted_patients": _u(g, 0, 2e4)},
        {"price_per_weighted_patient": 89.88},
    ),
    (
        "qof",
        gp_practice.qof_payment,
        lambda g: {"points": _u(g, 0, 559), "list_size_factor": _u(g, 0.5, 2)},
        {"value_per_point": 187.74},
    ),
    (
        "enhanced",
        gp_practice.enhanced_services,
        lambda g: {"units": _u(g, 0, 1e4), "price_per_unit": _u(g, 0, 100)},
        {},
    ),
    ("agreed_sum", gp_practice.locally_agreed_sum, lambda g: {"agreed_value": _u(g, 0, 2e6)}, {}),
]


def _fields(result: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(result):
        return {
            f.name: getattr(result, f.name)
            for f in dataclasses.fields(result)
            if getattr(result, f.name) is not None
        }
    return {"value": result}


@settings(max_examples=5, deadline=None)
@given(seed=seeds)
@pytest.mark.parametrize(
    ("name", "function", "make", "fixed"), DRAW_CASES, ids=[c[0] for c in DRAW_CASES]
)
def test_leading_draw_axis_equals_stacked_draws(
    name: str,
    function: Callable[..., Any],
    make: Callable[[np.random.Generator], dict[str, Any]],
    fixed: dict[str, Any],
    seed: int,
) -> None:
    rng = np.random.default_rng(seed)
    draws = [make(rng) for _ in range(4)]
    stacked_inputs = {k: np.stack([d[k] for d in draws]) for k in draws[0]}
    together = _fields(function(**stacked_inputs, **fixed))
    apart = [_fields(function(**d, **fixed)) for d in draws]
    for field, value in together.items():
        expected = np.stack([np.asarray(a[field]) for a in apart])
        assert np.asarray(value).shape == expected.shape, f"{name}.{field}"
        np.testing.assert_allclose(
            value, expected, rtol=1e-12, atol=1e-9, err_msg=f"{name}.{field}"
        )
