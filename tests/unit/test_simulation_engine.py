"""Conservation, direction-of-change and reproducibility tests of the system simulation."""

from __future__ import annotations

import numpy as np
import pytest

from quasimarket.simulation import (
    PODS,
    builtin_scenario,
    parse_simulation_scenario,
    shapley_product,
    simulate,
)
from quasimarket.simulation.engine import PROVIDER_MONTHLY

pytestmark = pytest.mark.unit

N_P = len(PODS)


def _small(**extra: object) -> object:
    data: dict[str, object] = {
        "name": "t",
        "years": "2013/14:2015/16",
        "economy": {"kind": "small"},
    }
    data.update(extra)
    return parse_simulation_scenario(data)


@pytest.fixture(scope="module")
def small_run():  # type: ignore[no-untyped-def]
    return simulate(_small(draws=3), progress=False)  # type: ignore[arg-type]


def test_referrals_in_equal_completed_plus_list_change(small_run) -> None:  # type: ignore[no-untyped-def]
    cons = small_run.conservation  # (D, Y, 3)
    assert np.abs(cons[..., 0]).min() > 1000  # there is real activity
    np.testing.assert_allclose(cons[..., 0], cons[..., 1] + cons[..., 2], rtol=1e-9)
    # Provider view: referrals received - first attendances = change of the provider list.
    prov = small_run.provider.astype(np.float64)
    ref = prov[..., PODS.index("elective_referral")].sum(axis=1)
    done = prov[..., PODS.index("op_first")].sum(axis=1)
    lists = prov[..., N_P + PROVIDER_MONTHLY.index("waiting_list")]
    start = small_run.compiled.initial_list.sum(axis=0)
    np.testing.assert_allclose(lists[:, -1], start + ref - done, rtol=1e-5)


def test_commissioner_spend_equals_provider_income(small_run) -> None:  # type: ignore[no-untyped-def]
    spend = small_run.commissioner_yearly[..., 2].sum(axis=2)
    income = small_run.provider_yearly[..., 0].sum(axis=2)
    assert spend.min() > 1e8
    np.testing.assert_allclose(spend, income, rtol=1e-12)
    # Monthly spend adds up to the year's spend for each commissioner.
    monthly = small_run.commissioner[..., N_P].astype(np.float64)
    by_year = monthly.reshape(monthly.shape[0], -1, 12, monthly.shape[2]).sum(axis=2)
    np.testing.assert_allclose(by_year, small_run.commissioner_yearly[..., 2], rtol=1e-5)


def test_activity_adds_up_between_commissioners_and_providers(small_run) -> None:  # type: ignore[no-untyped-def]
    comm = small_run.commissioner[..., :N_P].astype(np.float64).sum(axis=2)
    prov = small_run.provider[..., :N_P].astype(np.float64).sum(axis=2)
    gp = PODS.index("gp")
    keep = [p for p in range(N_P) if p != gp]
    np.testing.assert_allclose(comm[..., keep], prov[..., keep], rtol=1e-5)
    assert prov[..., gp].max() == 0.0  # GP consultations are not provider activity


def test_populations_add_up(small_run) -> None:  # type: ignore[no-untyped-def]
    c = small_run.compiled
    flows = c.population_flows
    totals = c.population.sum(axis=1)
    # start + births - deaths + migration = next year's population (England totals).
    np.testing.assert_allclose(
        totals[1:], flows[1:, 0] + flows[1:, 1] - flows[1:, 2] + flows[1:, 3], rtol=1e-9
    )
    np.testing.assert_allclose(flows[1:, 0], totals[:-1], rtol=1e-9)
    assert totals[0] == pytest.approx(400_000, rel=0.01)


def test_more_capacity_gives_shorter_waits() -> None:
    busy = {"rates": {"per_head": {"elective_referral": 0.32}}}
    base = simulate(_small(**busy), progress=False)  # type: ignore[arg-type]
    more = simulate(
        _small(**busy, levers={"capacity": {"scale": {"SR001": 1.15}}}),
        progress=False,  # type: ignore[arg-type]
    )
    wait = N_P + PROVIDER_MONTHLY.index("mean_wait_weeks")
    lists = N_P + PROVIDER_MONTHLY.index("waiting_list")
    assert more.provider[0, -1, 0, wait] < base.provider[0, -1, 0, wait]
    assert more.provider[0, -1, 0, lists] < 0.8 * base.provider[0, -1, 0, lists]
    rtt = N_P + PROVIDER_MONTHLY.index("rtt_within_18_weeks")
    assert more.provider[0, -1, 0, rtt] > base.provider[0, -1, 0, rtt]


def test_choice_sensitivity_moves_patients_to_short_waits() -> None:
    squeezed = [f"SR{i:03d}" for i in range(1, 21)]  # 20 acute trusts lose 40% of capacity

    def run(lam: float):  # type: ignore[no-untyped-def]
        spec = parse_simulation_scenario(
            {
                "years": "2022/23",
                "economy": {"kind": "synthetic"},
                "rates": {"overdispersion": 0.0},
                "regime": {"choice_sensitivity": lam},
                "levers": {"capacity": {"scale": dict.fromkeys(squeezed, 0.6)}},
            }
        )
        return simulate(spec, progress=False)

    def share_to_squeezed(result) -> float:  # type: ignore[no-untyped-def]
        ref = result.provider[0, :, :, PODS.index("elective_referral")].astype(np.float64)
        index = [result.compiled.providers.index(code) for code in squeezed]
        return float(ref[:, index].sum() / ref.sum())

    def mean_wait(result) -> float:  # type: ignore[no-untyped-def]
        prov = result.provider[0].astype(np.float64)
        ref = prov[..., PODS.index("elective_referral")]
        wait = prov[..., N_P + PROVIDER_MONTHLY.index("mean_wait_weeks")]
        return float((ref * wait).sum() / ref.sum())

    none, some, strong = run(0.0), run(1.0), run(4.0)
    assert share_to_squeezed(strong) < share_to_squeezed(some) < share_to_squeezed(none)
    assert share_to_squeezed(strong) < 0.9 * share_to_squeezed(none)
    assert mean_wait(strong) < mean_wait(none)


def test_tighter_allocation_worsens_every_commissioner_position() -> None:
    base = simulate(_small(), progress=False)  # type: ignore[arg-type]
    tight = simulate(_small(allocation_scale=0.97), progress=False)  # type: ignore[arg-type]
    position = tight.commissioner_yearly[..., 6] - base.commissioner_yearly[..., 6]
    assert (position < 0).all()
    np.testing.assert_allclose(
        position, -0.03 / 0.97 * tight.commissioner_yearly[..., 1], rtol=1e-9
    )


def test_shift_of_care_under_community_block() -> None:
    def run(name: str, share: float, acute: str):  # type: ignore[no-untyped-def]
        spec = builtin_scenario(name).model_dump()
        spec["levers"]["shift_of_care"]["share"] = share
        spec["regime"]["contract_forms"]["acute_emergency"] = acute
        return simulate(parse_simulation_scenario(spec), progress=False)

    acute, community = 0, 1  # SR001 acute, SR002 community in the small economy
    # Community on a block: the shifted contacts are delivered but not paid in the year.
    block_none = run("shift-of-care-block", 0.0, "block")
    block_shift = run("shift-of-care-block", 0.10, "block")
    shift_year = 1
    comm_pod = PODS.index("community")
    more_contacts = (
        block_shift.provider[0, 12:24, community, comm_pod].sum()
        - block_none.provider[0, 12:24, community, comm_pod].sum()
    )
    assert more_contacts > 1000
    inc = 0
    assert block_shift.provider_yearly[0, shift_year, community, inc] == pytest.approx(
        block_none.provider_yearly[0, shift_year, community, inc], rel=1e-12
    )
    # ... and with the acute side on a block too, acute income does not move either.
    assert block_shift.provider_yearly[0, shift_year, acute, inc] == pytest.approx(
        block_none.provider_yearly[0, shift_year, acute, inc], rel=1e-12
    )
    # The community provider bears the cost of the extra contacts.
    assert (
        block_shift.provider_yearly[0, shift_year, community, 2]
        < block_none.provider_yearly[0, shift_year, community, 2]
    )
    # Acute on PbR: acute income falls; community still unpaid under the block.
    pbr_none = run("shift-of-care-block", 0.0, "pbr")
    pbr_shift = run("shift-of-care-block", 0.10, "pbr")
    assert (
        pbr_shift.provider_yearly[0, shift_year, acute, inc]
        < pbr_none.provider_yearly[0, shift_year, acute, inc]
    )
    assert pbr_shift.provider_yearly[0, shift_year, community, inc] == pytest.approx(
        pbr_none.provider_yearly[0, shift_year, community, inc], rel=1e-12
    )
    # Community paid per contact: the money follows the patient in the same year.
    follow_none = run("shift-of-care-pbr", 0.0, "pbr")
    follow = run("shift-of-care-pbr", 0.10, "pbr")
    paid = (
        follow.provider_yearly[0, shift_year, community, inc]
        - follow_none.provider_yearly[0, shift_year, community, inc]
    )
    price = follow.compiled.price[shift_year, community, comm_pod]
    cquin = 1 + 0.025 * 0.9  # 2014/15 CQUIN 2.5% [payment-rules.md A9], 90% achieved
    exact = (
        follow.pod_activity[0, shift_year, :, comm_pod].sum()
        - follow_none.pod_activity[0, shift_year, :, comm_pod].sum()
    )
    assert exact == pytest.approx(more_contacts, rel=1e-5)
    assert paid == pytest.approx(exact * price * cquin, rel=1e-9)
    # Block re-based on the outturn: the community block catches up the year after.
    assert (
        block_shift.provider_yearly[0, 2, community, inc]
        > block_none.provider_yearly[0, 2, community, inc]
    )


def test_same_seed_same_result_whatever_the_chunking() -> None:
    a = simulate(_small(draws=5, chunk_draws=5), progress=False)  # type: ignore[arg-type]
    b = simulate(_small(draws=5, chunk_draws=2), progress=False)  # type: ignore[arg-type]
    np.testing.assert_array_equal(a.commissioner, b.commissioner)
    np.testing.assert_array_equal(a.provider_yearly, b.provider_yearly)
    c = simulate(_small(draws=5, seed=1), progress=False)  # type: ignore[arg-type]
    assert not np.array_equal(a.commissioner, c.commissioner)
    # Draws differ from each other (overdispersion), and draw 0 is the same in a 1-draw run.
    assert not np.array_equal(a.commissioner[0], a.commissioner[1])
    one = simulate(_small(draws=1), progress=False)  # type: ignore[arg-type]
    np.testing.assert_array_equal(one.commissioner[0], a.commissioner[0])


def test_shapley_hand_example() -> None:
    # spend = a × b from (1, 1) to (2, 3): total change 5. Shapley: a = ½[(2−1)+(6−3)] = 2,
    # b = ½[(3−1)+(6−2)] = 3.
    parts = shapley_product(np.array([1.0, 1.0]), np.array([2.0, 3.0]))
    np.testing.assert_allclose(parts, [2.0, 3.0])


def test_spend_attribution_adds_up(small_run) -> None:  # type: ignore[no-untyped-def]
    table = small_run.attribution()
    for _, group in table.groupby("commissioner"):
        total = group["spend_b_gbp"].iloc[0] - group["spend_a_gbp"].iloc[0]
        assert group["contribution_gbp"].sum() == pytest.approx(total, rel=1e-6, abs=1.0)
    england = table[table["commissioner"] == "England"].set_index("factor")["contribution_gbp"]
    assert england["demography"] > 0  # the population grows and ages
    assert england["price"] < 0  # 2013/14-2015/16 efficiency exceeded the uplift (002@255999)


def test_demand_management_cuts_referrals_at_a_cost() -> None:
    base = simulate(_small(), progress=False)  # type: ignore[arg-type]
    dm = simulate(
        _small(
            levers={
                "demand_management": {
                    "reduction": 0.1,
                    "cost_per_head": 2.0,
                    "from_year": "2014/15",
                }
            }
        ),  # type: ignore[arg-type]
        progress=False,
    )
    ref = PODS.index("elective_referral")
    ratio = dm.pod_activity[0, 1:, :, ref].sum() / base.pod_activity[0, 1:, :, ref].sum()
    assert ratio == pytest.approx(0.9, abs=0.02)
    assert dm.pod_activity[0, 0, :, ref].sum() == pytest.approx(
        base.pod_activity[0, 0, :, ref].sum()
    )
    np.testing.assert_allclose(
        dm.commissioner_yearly[0, 1:, :, 4], 2.0 * dm.compiled.population[1:]
    )
    assert dm.commissioner_yearly[0, 0, :, 4].sum() == 0.0


def test_capacity_investment_lands_after_the_lag() -> None:
    spec = _small(
        levers={
            "capacity": {
                "growth": 0.0,
                "investment": 0.2,
                "investment_year": "2014/15",
                "lag_months": 3,
            }
        }
    )
    result = simulate(spec, progress=False)  # type: ignore[arg-type]
    from quasimarket.simulation.parameters import CAPACITY_SEASONALITY

    acute = result.compiled.capacity[:, 0] / CAPACITY_SEASONALITY[np.arange(36) % 12]
    np.testing.assert_allclose(acute[:15], acute[0])  # April 2013 - June 2014
    np.testing.assert_allclose(acute[15:], 1.2 * acute[0])  # from July 2014 (12 + 3)


def test_behaviour_hooks_are_called_at_fixed_points() -> None:
    from quasimarket.simulation import register_behaviour
    from quasimarket.simulation.regime import BEHAVIOURS, NoBehaviour

    calls: list[tuple[str, int]] = []

    class Recorder(NoBehaviour):
        def __init__(self, options: dict[str, object]) -> None:
            self.cut = float(options.get("cut", 0.0))  # type: ignore[arg-type]

        def on_contract_round(self, state, year: int) -> None:  # type: ignore[no-untyped-def]
            calls.append(("round", year))

        def on_month(self, state, month: int) -> None:  # type: ignore[no-untyped-def]
            calls.append(("month", month))

        def on_year_end(self, state, year: int) -> None:  # type: ignore[no-untyped-def]
            calls.append(("year_end", year))
            state.payments = state.payments * (1.0 - self.cut)

    register_behaviour("test_recorder", Recorder)
    try:
        base = simulate(_small(), progress=False)  # type: ignore[arg-type]
        spec = _small(
            regime={
                "behaviours": ["test_recorder"],
                "behaviour_options": {"test_recorder": {"cut": 0.1}},
            }
        )
        result = simulate(spec, progress=False)  # type: ignore[arg-type]
    finally:
        BEHAVIOURS.pop("test_recorder")
    assert [c for c in calls if c[0] == "round"] == [("round", 0), ("round", 1), ("round", 2)]
    assert [c[1] for c in calls if c[0] == "month"] == list(range(36))
    assert calls.index(("year_end", 0)) == calls.index(("month", 11)) + 1
    np.testing.assert_allclose(
        result.commissioner_yearly[0, 0, :, 2],
        0.9 * base.commissioner_yearly[0, 0, :, 2],
        rtol=1e-12,
    )


def test_capacity_investment_on_breach_rule_raises_capacity() -> None:
    busy = {"rates": {"per_head": {"elective_referral": 0.34}}}
    base = simulate(_small(**busy), progress=False)  # type: ignore[arg-type]
    ruled = simulate(
        _small(**busy, regime={"behaviours": ["capacity_investment_on_breach"]}),  # type: ignore[arg-type]
        progress=False,
    )
    lists = N_P + PROVIDER_MONTHLY.index("waiting_list")
    assert ruled.provider[0, -1, 0, lists] < base.provider[0, -1, 0, lists]


def test_settlement_caps_spend_at_what_the_commissioner_can_afford() -> None:
    tight = {
        "allocation_scale": 0.9,
        "regime": {"settlements": True, "settlement_rule": "cap_at_affordable"},
    }
    capped = simulate(_small(**tight), progress=False)  # type: ignore[arg-type]
    free = simulate(_small(allocation_scale=0.9), progress=False)  # type: ignore[arg-type]
    gap = capped.commissioner_yearly[0, :, 0, 5]
    assert (gap < 0).all()
    spend_free = free.commissioner_yearly[0, :, 0, 2]
    np.testing.assert_allclose(capped.commissioner_yearly[0, :, 0, 2], spend_free + gap, rtol=1e-9)
    # Spend still equals income after the settlement.
    np.testing.assert_allclose(
        capped.commissioner_yearly[0, :, :, 2].sum(axis=1),
        capped.provider_yearly[0, :, :, 0].sum(axis=1),
        rtol=1e-12,
    )
