"""Mechanism behaviour through the public API: shapes, boundaries and the rules' edge cases."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from quasimarket.mechanisms import (
    REGISTRY,
    activity_cap,
    blended,
    block,
    capitation,
    caps_and_collars,
    cost_per_case,
    cquin,
    gain_loss_share,
    local_price,
    local_variation,
    mret,
    risk_share,
    sanctions,
    settlement,
)

pytestmark = pytest.mark.unit


def test_scalar_inputs_give_zero_dimensional_arrays() -> None:
    result = mret.marginal_rate_emergency(110.0, baseline_value=100.0, rate=0.3)
    assert result.paid.shape == ()
    assert result.paid.dtype == np.float64


def test_lines_by_months_broadcast() -> None:
    value = np.full((3, 12), 10.0)
    baseline = np.array([[8.0], [10.0], [12.0]])  # one baseline per line
    paid = mret.marginal_rate_emergency(value, baseline_value=baseline, rate=0.5).paid
    assert paid.shape == (3, 12)
    np.testing.assert_allclose(paid[:, 0], [9.0, 10.0, 10.0])


def test_block_monthly_has_trailing_axis_of_twelve() -> None:
    result = block.block_payment(np.array([[1.2e6, 2.4e6]]))
    assert result.monthly.shape == (1, 2, 12)
    np.testing.assert_allclose(result.annual, [[1.2e6, 2.4e6]])
    assert result.activity is None
    tracked = block.block_payment(1.2e6, activity=[5.0, 6.0]).activity
    assert tracked is not None
    np.testing.assert_array_equal(tracked, [5.0, 6.0])


def test_block_default_profile_is_flat_april_first() -> None:
    np.testing.assert_allclose(block.FLAT_PROFILE.sum(), 1.0)
    assert block.FLAT_PROFILE.shape == (12,)


def test_cost_per_case_has_zero_adjustment() -> None:
    result = cost_per_case.cost_per_case([1.0, 2.0], price=[3.0, 4.0])
    np.testing.assert_array_equal(result.payment, [3.0, 8.0])
    np.testing.assert_array_equal(result.adjustment, [0.0, 0.0])


def test_caps_and_collars_is_fixed_inside_the_corridor() -> None:
    activity = np.linspace(95.0, 105.0, 11)
    result = caps_and_collars.caps_and_collars(
        activity,
        fixed_value=1e4,
        collar_activity=95.0,
        cap_activity=105.0,
        price=100,
        marginal_rate=0.5,
    )
    np.testing.assert_array_equal(result.payment, np.full(11, 1e4))


def test_activity_cap_never_adds_money() -> None:
    adj = activity_cap.activity_cap([90.0, 100.0, 130.0], plan_value=100.0).adjustment
    np.testing.assert_array_equal(adj, [0.0, 0.0, -30.0])


def test_blended_rate_zero_is_a_block_and_one_is_cost_per_case() -> None:
    zero = blended.blended_payment([80.0, 120.0], planned_value=100.0, variable_rate=0.0)
    np.testing.assert_array_equal(zero.payment, [100.0, 100.0])
    one = blended.blended_payment([80.0, 120.0], planned_value=100.0, variable_rate=1.0)
    np.testing.assert_array_equal(one.payment, [80.0, 120.0])
    np.testing.assert_array_equal(one.adjustment, [0.0, 0.0])
    assert zero.fixed.shape == (2,)


def test_api_floor_only_binds_below_it() -> None:
    from quasimarket.structure import payment_rules

    result = blended.aligned_payment_incentive(
        [50.0, 150.0],
        fixed_value=1000.0,
        elective_threshold_value=100.0,
        variable_rate=payment_rules("2022/23").api_variable_rate.value,
        floor_value=990.0,
    )
    # 1000 + 0.75 × (50 − 100) = 962.5 → floored at 990; 1000 + 0.75 × 50 = 1037.5 unchanged
    np.testing.assert_allclose(result.payment, [990.0, 1037.5])
    np.testing.assert_allclose(result.variable, [-10.0, 37.5])


def test_blended_and_api_dated_rates_come_from_the_payment_rule_calendar() -> None:
    from quasimarket.structure import payment_rules

    # The calendar is the only source of these dated rates (the mechanism module keeps none).
    assert not hasattr(blended, "API_VARIABLE_RATE_BY_YEAR")
    assert not hasattr(blended, "BLENDED_VARIABLE_RATE")
    # payment-rules.md A6 [V: hsj 7026392]: 20% of the national price, 2019/20 only
    rules = payment_rules("2019/20").blended_variable_rate
    assert (rules.value, rules.status) == (0.2, "V")
    assert payment_rules("2018/19").blended_variable_rate.value is None
    assert payment_rules("2020/21").blended_variable_rate.value is None
    # payment-rules.md A7: 75% in 2022/23 [V: hfma 13 Jan 2022]; 100% from 2023/24
    # [V: england.nhs.uk/pay-syst/nhs-payment-scheme; hfma 16 Jun 2023]
    api = payment_rules("2022/23").api_variable_rate
    assert (api.value, api.status) == (0.75, "V")
    for year in ("2023/24", "2024/25", "2025/26"):
        api = payment_rules(year).api_variable_rate
        assert (api.value, api.status) == (1.0, "V"), year
    assert payment_rules("2021/22").api_variable_rate.value is None


def test_blended_and_api_need_the_rate_given() -> None:
    with pytest.raises(TypeError, match="variable_rate"):
        blended.blended_payment(1.0, planned_value=1.0)  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="variable_rate"):
        blended.aligned_payment_incentive(  # type: ignore[call-arg]
            1.0, fixed_value=1.0, elective_threshold_value=1.0
        )


def test_mret_and_cquin_dated_rates_come_from_the_payment_rule_calendar() -> None:
    from quasimarket.structure import payment_rules

    # The calendar is the only source of dated rates (the mechanisms keep no table of their own).
    assert not hasattr(mret, "MRET_RATE_BY_YEAR")
    assert not hasattr(cquin, "CQUIN_RATE_BY_YEAR")
    assert payment_rules("2012/13").mret_rate.value == 0.3
    assert payment_rules("2015/16").mret_rate.value == 0.3  # the 50% proposal not adopted (A4)
    assert payment_rules("2017/18").mret_rate.value == 0.7
    assert payment_rules("2019/20").mret_rate.value is None  # abolished (A4)
    assert payment_rules("2014/15").cquin_rate.value == 0.025
    assert payment_rules("2019/20").cquin_rate.value == 0.0125
    assert payment_rules("2020/21").cquin_rate.value is None  # suspended (A9)


def test_cquin_goals_on_last_axis_with_a_draw_axis() -> None:
    achievement = np.array([[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])  # (draws, goals)
    result = cquin.cquin_payment(1e6, rate=0.025, weights=[0.75, 0.25], achievement=achievement)
    np.testing.assert_allclose(result.earned, [18750.0, 6250.0, 12500.0])
    np.testing.assert_allclose(result.forgone, 25000.0 - result.earned)


def test_cquin_weights_under_100_percent_leave_money_unearnable() -> None:
    result = cquin.cquin_payment(1e6, rate=0.02, weights=[0.5], achievement=[1.0])
    assert float(result.earned) == pytest.approx(10000.0)
    assert float(result.forgone) == pytest.approx(10000.0)


def test_threshold_sanction_without_floor_keeps_counting() -> None:
    adj = sanctions.threshold_sanction(8000, 10000, threshold=0.95, unit_penalty=120).adjustment
    assert float(adj) == pytest.approx(-120 * 1500)


def test_cap_sanctions_accepts_positive_totals_too() -> None:
    adj = sanctions.cap_sanctions(1e6, revenue=1e7).adjustment
    assert float(adj) == pytest.approx(-0.025 * 1e7)
    assert sanctions.DEFAULT_SANCTION_CAP_PCT == 0.025


def test_local_variation_accepts_dates_datetime64_and_day_numbers() -> None:
    days = np.array(["2014-03-31", "2014-04-01"], dtype="datetime64[D]")
    by_datetime = local_variation.apply_local_variation(
        100.0, days, effective_from=np.datetime64("2014-04-01"), factor=0.5
    )
    by_number = local_variation.apply_local_variation(
        100.0,
        days.astype(np.int64),
        effective_from=int(np.datetime64("2014-04-01", "D").astype(np.int64)),
        factor=0.5,
    )
    by_date = local_variation.apply_local_variation(
        100.0,
        [dt.date(2014, 3, 31), dt.date(2014, 4, 1)],
        effective_from=dt.date(2014, 4, 1),
        factor=0.5,
    )
    for result in (by_datetime, by_number, by_date):
        np.testing.assert_array_equal(result.price, [100.0, 50.0])
        np.testing.assert_array_equal(result.adjustment, [0.0, -50.0])


def test_benchmark_statistics() -> None:
    peers = [[1.0, 2.0, 3.0, 10.0]]
    assert local_price.benchmark_price(peers, statistic="mean")[0] == 4.0
    assert local_price.benchmark_price(peers, statistic="minimum")[0] == 1.0
    assert local_price.benchmark_price(peers, statistic="upper_quartile")[0] == pytest.approx(4.75)
    assert local_price.benchmark_price(peers)[0] == 2.5


def test_capitation_parts_add_up_to_the_budget() -> None:
    r = capitation.capitation(1000.0, rate_per_head=10.0, outcome_share=0.1, contingency_share=0.05)
    assert float(r.fixed + r.outcome_available + r.contingency) == pytest.approx(10000.0)
    # default achievement 1 and released 0
    assert float(r.payment) == pytest.approx(9500.0)


def test_risk_share_zero_plan_and_zero_deviation() -> None:
    r = risk_share.risk_share(
        [100.0, 100.0], plan_value=[100.0, 0.0], band_edges=[0.1], provider_shares=[1.0, 0.25]
    )
    assert r.provider_bears[0] == 0.0
    # zero plan: every band has zero width except the open top band
    assert r.provider_bears[1] == pytest.approx(25.0)
    assert r.payment[1] == pytest.approx(75.0)


def test_risk_share_band_edges_can_vary_by_line() -> None:
    r = risk_share.risk_share(
        [110.0, 110.0], plan_value=100.0, band_edges=[[0.05], [0.2]], provider_shares=[1.0, 0.0]
    )
    np.testing.assert_allclose(r.provider_bears, [5.0, 10.0])


def test_settlement_pay_in_full_ignores_affordability() -> None:
    r = settlement.year_end_settlement(1e6, affordable=0.0)
    assert float(r.settled) == 1e6
    assert float(r.gap) == 0.0
    capped = settlement.year_end_settlement(8e5, affordable=1e6, rule="cap_at_affordable")
    assert float(capped.gap) == 0.0  # affordable above formal: nothing unpaid


def test_gain_loss_share_partner_axis_and_draw_axis_shapes() -> None:
    costs = np.array([[4.7e6, 4.65e6, 1.18e6, 1.17e6], [5.1e6, 5.0e6, 1.25e6, 1.25e6]])
    r = gain_loss_share.gain_loss_share(
        12e6, costs, shares=[0.4, 0.4, 0.1, 0.1], exempt=[False, False, True, True], year_index=2
    )
    assert r.net_position.shape == (2, 4)
    assert r.commissioner_position.shape == (2,)
    assert r.stepped_in.dtype == np.bool_


def test_gain_loss_share_never_steps_in_without_threshold() -> None:
    r = gain_loss_share.gain_loss_share(
        100.0, [80.0, 80.0], shares=[0.5, 0.5], demand_over_plan=0.5
    )
    assert not bool(r.stepped_in)
    np.testing.assert_allclose(r.net_position, [-30.0, -30.0])


def test_gain_loss_share_steps_in_at_exactly_the_threshold() -> None:
    r = gain_loss_share.gain_loss_share(
        100.0, [60.0, 50.0], shares=[0.5, 0.5], step_in_threshold=0.1, demand_over_plan=0.1
    )
    assert bool(r.stepped_in)
    assert float(r.step_in_total) == pytest.approx(10.0)
    np.testing.assert_allclose(r.net_position, [0.0, 0.0])


def test_every_function_is_registered_once_per_name() -> None:
    assert len(
        {(m.function.__module__, m.function.__name__, n) for n, m in REGISTRY.items()}
    ) == len(REGISTRY)


def test_alliance_statement_is_also_reachable_from_gain_loss_share() -> None:
    table = gain_loss_share.alliance_statement(
        100.0, [40.0, 50.0], partners=["A", "B"], shares=[0.5, 0.5], year_index=1
    )
    assert list(table.index) == ["A", "B", "Commissioner", "Service development", "System"]
    assert table.loc["Commissioner", "net_position"] == pytest.approx(10.0)
    assert table.loc["A", "under_over_spend"] == pytest.approx(10.0)
