"""Who bears the risk: the proofs of the stress tester on small hand-checkable scenarios."""

from __future__ import annotations

from statistics import NormalDist
from typing import Any

import numpy as np
import pytest

from quasimarket.stress.builtin import load_example
from quasimarket.stress.run import run_stress
from quasimarket.stress.scenario import parse_scenario

pytestmark = pytest.mark.unit

PLAN, PRICE = 10_000.0, 200.0  # planned value £2m


def one_line(designs: list[dict[str, Any]], *, draws: int = 20_000, **line: Any) -> Any:
    """One commissioner, one provider, one line; volume factor ~ normal(1, 0.05)."""
    return parse_scenario(
        {
            "name": "one line",
            "draws": draws,
            "seed": 42,
            "chunk_size": 8192,
            "parties": [
                {"code": "C", "role": "commissioner", "loss_tolerance_gbp": 100_000},
                {"code": "P", "role": "provider"},
            ],
            "lines": [
                {
                    "id": "x",
                    "commissioner": "C",
                    "provider": "P",
                    "planned_activity": PLAN,
                    "unit_price_gbp": PRICE,
                    **line,
                }
            ],
            "uncertainty": {
                "volume": {"x": {"distribution": "normal", "mean": 1.0, "sd": 0.05}},
                "case_mix": {"distribution": "normal", "mean": 0.0, "sd": 0.02},
            },
            "designs": designs,
        }
    )


def net(result: Any, design: int, party: str) -> np.ndarray[Any, Any]:
    return np.asarray(result.outcomes[design, result.compiled.parties.index(party), 1:])


def test_block_commissioner_bears_no_variance() -> None:
    result = run_stress(
        one_line(
            [{"name": "block", "lines": {"*": {"mechanism": "block"}}}],
            fixed_cost_gbp=500_000,
            variable_cost_gbp=140,
        )
    )
    assert net(result, 0, "C").var() == 0.0
    # budget defaults to the planned value, so the commissioner nets exactly 0
    np.testing.assert_allclose(net(result, 0, "C"), 0.0, atol=1e-6)
    row = result.summary.set_index(["design", "party"]).loc[("block", "P")]
    assert row["variance_share"] == 1.0
    assert row["sd_gbp"] > 0


def test_cost_per_case_provider_bears_no_volume_or_price_risk() -> None:
    # cost per unit equals the price, so income − cost = 0 whatever volume and case mix do
    result = run_stress(
        one_line(
            [{"name": "cpc", "lines": {"*": {"mechanism": "cost_per_case"}}}],
            variable_cost_gbp=PRICE,
        )
    )
    np.testing.assert_allclose(net(result, 0, "P"), 0.0, atol=1e-6)
    commissioner = net(result, 0, "C")
    assert commissioner.std() > 0.05 * PLAN * PRICE * 0.9
    summary = result.summary.set_index(["design", "party"])
    assert summary.loc[("cpc", "C"), "variance_share"] == 1.0


def test_fifty_fifty_risk_share_splits_deviations_equally() -> None:
    designs = [
        {"name": "cpc", "lines": {"*": {"mechanism": "cost_per_case"}}},
        {
            "name": "shared",
            "lines": {"*": {"mechanism": "cost_per_case"}},
            "risk_share": {"band_edges": [0.5], "provider_shares": [0.5, 0.5]},
        },
    ]
    result = run_stress(one_line(designs))
    plan_value = PLAN * PRICE
    deviation = -net(result, 0, "C")  # budget = plan value, so − net = payment − plan
    shared = -net(result, 1, "C")
    # the commissioner pays plan + half the deviation; the provider keeps the other half
    np.testing.assert_allclose(shared, 0.5 * deviation, rtol=1e-9, atol=1e-6)
    provider_gap = net(result, 0, "P") - net(result, 1, "P")
    np.testing.assert_allclose(provider_gap, 0.5 * deviation, rtol=1e-9, atol=1e-6)
    assert plan_value == 2_000_000


def test_normal_volumes_match_closed_form_quantiles() -> None:
    """Commissioner net = −price × plan × (V − 1) with V ~ N(1, 0.05) and no case mix.

    Closed form: mean 0, sd = 200 × 10,000 × 0.05 = £100,000, P5 = −1.6449 × sd.
    Tolerance: the Monte Carlo standard error of a 5% quantile with N = 19,999 draws is
    √(0.05 × 0.95 / N) / φ(1.6449) ≈ 0.015 sd, and of the mean 0.007 sd; we allow 0.05 sd
    (over 3 standard errors).
    """
    scenario = one_line([{"name": "cpc", "lines": {"*": {"mechanism": "cost_per_case"}}}])
    data = scenario.model_dump()
    data["uncertainty"]["case_mix"] = None
    result = run_stress(parse_scenario(data))
    sd = PRICE * PLAN * 0.05
    row = result.summary.set_index(["design", "party"]).loc[("cpc", "C")]
    z95 = NormalDist().inv_cdf(0.95)
    assert row["mean_gbp"] == pytest.approx(0.0, abs=0.05 * sd)
    assert row["sd_gbp"] == pytest.approx(sd, rel=0.03)
    assert row["p5_gbp"] == pytest.approx(-z95 * sd, abs=0.05 * sd)
    assert row["p95_gbp"] == pytest.approx(z95 * sd, abs=0.05 * sd)
    assert row["var95_gbp"] == pytest.approx(z95 * sd, abs=0.05 * sd)
    # expected shortfall of a normal: sd × φ(z) / 0.05
    es = sd * NormalDist().pdf(z95) / 0.05
    assert row["es95_gbp"] == pytest.approx(es, abs=0.06 * sd)
    # P(loss > £100,000 tolerance) = P(Z > 1) = 0.1587
    assert row["p_loss_over_tolerance"] == pytest.approx(0.1587, abs=0.01)
    assert row["p_breach"] == pytest.approx(0.5, abs=0.015)
    assert row["central_gbp"] == pytest.approx(0.0, abs=1e-6)


def test_attribution_names_the_driver() -> None:
    designs = [
        {"name": "block", "lines": {"*": {"mechanism": "block"}}},
        {"name": "cpc", "lines": {"*": {"mechanism": "cost_per_case"}}},
    ]
    result = run_stress(one_line(designs, variable_cost_gbp=100))
    table = result.attribution.set_index(["design", "party", "source"])["index"]
    # commissioner under cost per case: payment = price(1+cm) × plan × V; var shares are
    # (0.05² : 0.02²) = 86% volume, 14% case mix (first order, product ≈ additive)
    assert table[("cpc", "C", "volume:x")] == pytest.approx(0.862, abs=0.03)
    assert table[("cpc", "C", "case_mix")] == pytest.approx(0.138, abs=0.03)
    assert table[("block", "C", "volume:x")] == 0.0


def test_mret_and_caps_shift_risk_between_parties() -> None:
    designs = [
        {"name": "cpc", "lines": {"*": {"mechanism": "cost_per_case"}}},
        {
            "name": "mret",
            "lines": {
                "*": {
                    "mechanism": "national_tariff",
                    "adjustments": [{"rule": "mret", "rate": 0.3}],
                }
            },
        },
        {
            "name": "caps",
            "lines": {"*": {"mechanism": "caps_and_collars", "corridor": 0.02, "marginal_rate": 1}},
        },
    ]
    data = one_line(designs).model_dump()
    data["uncertainty"]["case_mix"] = None  # so that value moves exactly with activity
    result = run_stress(parse_scenario(data))
    cpc, mret, caps = (net(result, d, "C") for d in range(3))
    # MRET: above plan the commissioner pays only 30% of the excess
    over = cpc < 0
    np.testing.assert_allclose(mret[over], 0.3 * cpc[over], rtol=1e-9)
    np.testing.assert_allclose(mret[~over], cpc[~over], rtol=1e-9)
    # caps and collars at rate 1 around plan ± 2%: recover activity from cost per case
    # (net = plan value − price × activity), then pay the plan plus the price outside
    activity = PLAN - cpc / PRICE
    cap, collar = 1.02 * PLAN, 0.98 * PLAN
    extra = PRICE * np.maximum(0, activity - cap) - PRICE * np.maximum(0, collar - activity)
    np.testing.assert_allclose(caps, -extra, rtol=1e-9, atol=1e-6)
    assert np.mean(caps == 0.0) > 0.25  # about P(|Z| < 0.4) = 31% of draws inside
    assert caps.var() < cpc.var()


def test_system_outcome_is_the_same_under_every_design() -> None:
    result = run_stress(load_example("acute-designs").model_copy(update={"draws": 3000}))
    system = result.outcomes[:, -1, :]
    for d in range(1, system.shape[0]):
        np.testing.assert_allclose(system[d], system[0], rtol=1e-9, atol=1e-3)
    summary = result.summary.set_index(["design", "party"])
    assert summary.loc[("Block", "QS01"), "sd_gbp"] == 0.0
    assert summary.loc[("PbR with MRET", "QS01"), "sd_gbp"] > 1e6


def test_alliance_money_is_conserved_and_exempt_partners_bear_only_the_pot() -> None:
    result = run_stress(load_example("alliance-case-b").model_copy(update={"draws": 3000}))
    parties = result.compiled.parties
    alliance = result.outcomes[0]
    blocks = result.outcomes[2]
    np.testing.assert_allclose(alliance[-1], blocks[-1], rtol=1e-9, atol=1e-3)
    ts01 = alliance[parties.index("TS01"), 1:]
    # the exempt partner only gains or loses its 10% of the £140,000 outcome pot
    assert set(np.round(ts01, 2)) <= {0.0, -14_000.0}
    la, mh = alliance[parties.index("LA01")], alliance[parties.index("MH01")]
    np.testing.assert_allclose(la, mh, rtol=1e-9)  # 40/40 of the loss pool
