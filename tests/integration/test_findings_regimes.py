"""Stylised facts of the research (seeds digest §6) reproduced as scenario tests.

Each test names the fact (its number in §6 of /work/shared/domain/seeds-digest.md) and source,
runs the small economy (one commissioner, three providers; draws stand in for many commissioners)
under two settings with the same draws (common random numbers), and asserts the direction (and,
where the research gives one, the rough size) of the effect. docs/findings.md lists all 66 facts.
"""

from __future__ import annotations

import json
from functools import cache

import numpy as np
import pandas as pd
import pytest

from quasimarket.regimes import apply_regime, simulate
from quasimarket.simulation import (
    SimulationResult,
    builtin_scenario,
    parse_simulation_scenario,
)

pytestmark = pytest.mark.integration


@cache
def _run(
    regime: str = "hsca-2013",
    *,
    path: str | None = None,
    years: str = "2013/14:2015/16",
    draws: int = 16,
    scale: float = 1.0,
    switches: str = "{}",
    options: str = "{}",
    economy_seed: int = 0,
) -> SimulationResult:
    data = builtin_scenario("small-baseline").model_dump()
    data["economy"]["seed"] = economy_seed
    data["allocation_scale"] = scale
    data["regime"] = {"switches": json.loads(switches), "behaviour_options": json.loads(options)}
    scenario = apply_regime(
        parse_simulation_scenario(data),
        regime=None if path else regime,
        path=path,
        years=years,
    )
    return simulate(scenario, draws=draws)


def run(**kwargs: object) -> dict[str, pd.DataFrame]:
    """Run records (cached); dict arguments are passed as JSON so they can be cached."""
    for key in ("switches", "options"):
        if key in kwargs:
            kwargs[key] = json.dumps(kwargs[key], sort_keys=True)
    return _run(**kwargs).records  # type: ignore[arg-type]


def test_fact_01_year_end_settlements_override_contract_terms() -> None:
    """Fact 1 (002@250676): year-end settlements outside the contract in most relationships."""
    s = run()["settlements"]
    outside = ((s["below_outturn"] == 1) | (s["non_recurrent_gbp"] > 0)).mean()
    assert outside > 0.5
    # switched off, the contract is paid as written
    off = run(switches={"behaviours": ["procurement"]})
    assert "settlements" not in off


def test_fact_02_tighter_money_more_settled_below_outturn() -> None:
    """Fact 2 (002@251075): tighter budgets → more contracts settled below formal outturn."""
    loose = run(scale=1.0)["settlements"]["below_outturn"].mean()
    tight = run(scale=0.97)["settlements"]["below_outturn"].mean()
    assert tight > loose + 0.2


def test_fact_03_sufficient_money_pays_in_full() -> None:
    """Fact 3 (002@251959): where money is sufficient, all activity is paid under the contract."""
    s = run(scale=1.2)["settlements"]
    assert s["below_outturn"].sum() == 0
    assert s["gap_gbp"].abs().max() < 1.0
    assert run(scale=0.97)["settlements"]["gap_gbp"].min() < -1e5


def test_fact_04_independent_sector_paid_in_full() -> None:
    """Fact 4 (002@256850): independent-sector acute activity is always paid in full."""
    from quasimarket.behaviour.settlement import SettlementOptions, settle

    formal = np.array([[[100.0, 20.0]], [[100.0, 20.0]]])  # draws × commissioner × provider
    independent = np.array([False, True])
    tight, loose = np.array([[90.0], [90.0]]), np.array([[130.0], [130.0]])
    options = SettlementOptions(relationship_strength=1.0, regulator_tolerance=0.0)
    settled_tight, _ = settle(formal, tight, independent, options)
    settled_loose, _ = settle(formal, loose, independent, options)
    assert settled_tight[0, 0, 1] == 20.0
    assert settled_loose[0, 0, 1] == 20.0
    assert settled_tight[0, 0, 0] == pytest.approx(100.0 - 30.0)  # the NHS trust absorbs all
    assert settled_loose[0, 0, 0] == 100.0


def test_fact_05_and_13_financial_stress_retreat_to_block() -> None:
    """Facts 5 and 13 (002@253164; 002@258884): under stress, parties move to block contracts."""
    loose = run(scale=1.2)["contract_forms"]
    tight = run(scale=0.97)["contract_forms"]
    assert loose["on_block"].sum() == 0
    assert tight["on_block"].mean() > 0.2
    assert (tight.loc[tight["on_block"] == 1, "stressed"] == 1).all()


def test_fact_06_and_07_formal_flexibilities_minority_mret_baseline_sticky() -> None:
    """Facts 6 and 7 (002@252231; 002@255008): local variations by a minority; most keep the
    2008/09 MRET baseline."""
    cf = run(draws=48)["contract_forms"]
    assert 0.0 < cf["local_variation"].mean() < 0.3
    assert 0.0 < cf["mret_baseline_moved"].mean() < 0.5


def test_fact_08_non_recurrent_support_only_with_headroom() -> None:
    """Fact 8 (002@255508): non-recurrent support only where commissioners have spare funds."""
    tight = run(scale=0.97)["settlements"]
    loose = run(scale=1.2)["settlements"]
    assert (tight.loc[tight["below_outturn"] == 1, "non_recurrent_gbp"] == 0).all()
    per_draw_tight = tight["non_recurrent_gbp"].sum() / 16
    per_draw_loose = loose["non_recurrent_gbp"].sum() / 16
    assert per_draw_loose > 2 * per_draw_tight


def test_fact_10_block_holds_back_shift_to_community() -> None:
    """Fact 10 (002@257294; 002@259203): a community block holds back the shift out of hospital:
    the community provider's income does not follow the shifted activity."""
    growth = {}
    for name in ("shift-of-care-block", "shift-of-care-pbr"):
        result = simulate(builtin_scenario(name), draws=2)
        yearly = result.tables()["yearly"]
        rows = yearly[(yearly["org_code"] == "SR002") & (yearly["metric"] == "income_gbp")]
        income = rows.set_index("financial_year")["mean"]
        growth[name] = income / income.shift(1)  # year on year
    block, pbr = growth["shift-of-care-block"], growth["shift-of-care-pbr"]
    # In the year the activity moves (2014/15), per-contact payment follows it and the block
    # does not; the block catches up a year late, when it is re-based on that year's activity.
    assert pbr["2014/15"] > block["2014/15"] + 0.05
    assert block["2015/16"] > pbr["2015/16"]


def test_fact_17_partners_withdraw_when_risk_unquantified() -> None:
    """Fact 17 (002@281529): alliance partners withdraw when risk is unquantified."""
    years = "2016/17:2018/19"
    quantified = run(regime="stp-2016", years=years)["alliance"]
    unquantified = run(
        regime="stp-2016", years=years, options={"alliance": {"risk_quantified": False}}
    )["alliance"]
    assert unquantified["withdrew"].sum() > 3 * max(quantified["withdrew"].sum(), 1)
    last = unquantified["financial_year"] == "2018/19"
    assert unquantified.loc[last, "member"].mean() < 0.5


def test_fact_19_individual_control_totals_undermine_system_sharing() -> None:
    """Fact 19 (002@279453): individual control totals alongside the system total cause
    conflicts and withdrawals; one system control total does not.

    A conflict needs one partner at its own control total while the pool is below it, which
    the one-commissioner small economy produces in some economies and not others (it depends
    on how its three providers' finances diverge). So the fact is tested over eight small
    economies (economy seeds 0-7), not one.
    """
    years, seeds = "2016/17:2018/19", range(8)
    alongside = pd.concat(
        run(regime="stp-2016", years=years, draws=32, economy_seed=s)["alliance"] for s in seeds
    )
    single = pd.concat(
        run(
            regime="stp-2016",
            years=years,
            draws=32,
            switches={"system_control_total": "single"},
            economy_seed=s,
        )["alliance"]
        for s in seeds
    )
    assert alongside["conflict"].sum() > 0
    assert single["conflict"].sum() == 0
    assert alongside["withdrew"].sum() > single["withdrew"].sum()


def test_fact_22_23_whole_hospitals_never_tendered_small_services_are() -> None:
    """Facts 22 and 23 (002@212347; 002@212726): tendering concentrates on community,
    diagnostic and primary care; whole hospitals are never tendered."""
    t = run(draws=40)["tendering"]
    rate = t.groupby("service")["competitive_tender"].mean()
    assert rate["whole_hospital"] == 0.0
    small = t[t["service"].isin(["community", "diagnostics", "primary_care_apms"])]
    assert small["competitive_tender"].mean() > rate["acute_service_line"] + 0.2


def test_fact_25_fewer_resources_fewer_tenders() -> None:
    """Fact 25 (002@214177): commissioners with fewer resources tender less."""
    poor = run(draws=40, options={"procurement": {"resources": 0.1}})["tendering"]
    rich = run(draws=40, options={"procurement": {"resources": 0.9}})["tendering"]
    assert rich["competitive_tender"].mean() > poor["competitive_tender"].mean() + 0.1


def test_fact_26_appetite_for_competition_falls_2013_to_2016() -> None:
    """Fact 26 (002@31258; 002@223658): the appetite for tendering falls from hsca-2013 to
    stp-2016, with a shift to cooperative or hybrid procurement (same draws)."""
    hsca = run(draws=40)["tendering"]
    stp = run(regime="stp-2016", draws=40)["tendering"]
    assert stp["competitive_tender"].mean() < hsca["competitive_tender"].mean() - 0.15
    hybrid = "procured_collaboration"
    assert (stp["decision"] == hybrid).mean() > (hsca["decision"] == hybrid).mean()


def test_fact_27_community_and_mental_health_tendered_more_than_acute() -> None:
    """Fact 27 (002@220542): CHS/MH providers face more tendering than acute providers."""
    t = run(draws=40)["tendering"]
    chs_mh = t[t["service"].isin(["community", "mental_health"])]["competitive_tender"].mean()
    acute = t[t["service"].isin(["acute_service_line", "whole_hospital"])][
        "competitive_tender"
    ].mean()
    assert chs_mh > acute + 0.2


def test_fact_29_local_authorities_retender_more_often() -> None:
    """Fact 29 (002@316825; 002@327210): LAs retender by default with short contracts (all
    within two years); NHS commissioner relationships are more permanent."""
    la = run(years="2013/14:2014/15")["public_health"]
    nhs = run(regime="pct-pbr-2004", years="2013/14:2014/15")["public_health"]
    assert set(la["public_health_commissioner"]) == {"la"}
    # every LA service is retendered once in any two consecutive years
    per_draw = la.groupby("draw")["retendered_services"].sum()
    assert (per_draw == 6).all()
    assert nhs["retendered_services"].mean() < 0.6 * la["retendered_services"].mean()


def test_fact_30_retendering_is_path_dependent() -> None:
    """Fact 30 (002@225754): services tendered once are re-tendered at expiry."""

    def retender_gap(options: dict[str, object]) -> float:
        t = run(draws=40, years="2013/14:2016/17", options={"procurement": options})["tendering"]
        t = t.sort_values(["draw", "service", "financial_year"])
        before = t.groupby(["draw", "service"])["competitive_tender"].shift(1)
        was, now = before.dropna(), t.loc[before.dropna().index, "competitive_tender"]
        return float(now[was == 1].mean() - now[was == 0].mean())

    assert (
        retender_gap({"contract_years": 1})
        > retender_gap({"contract_years": 1, "w_path": 0.0}) + 0.1
    )


def test_fact_48_co_commissioning_ratchets_to_delegation() -> None:
    """Fact 48 (002@159093; 002@155960): 64 → 115 of 209 delegated; never back."""
    cc = run(regime="co-commissioning-2015", years="2015/16:2017/18", draws=64)["co_commissioning"]
    share = cc.groupby("financial_year")["delegated"].mean()
    assert share["2015/16"] == pytest.approx(64 / 209, abs=0.12)
    assert share["2016/17"] == pytest.approx(115 / 209, abs=0.12)
    assert share["2017/18"] > share["2016/17"]
    levels = cc.pivot(index="draw", columns="financial_year", values="level")
    assert (levels.diff(axis=1).dropna(axis=1) >= 0).all().all()


def test_fact_49_delegated_ccgs_reinvest_in_incentive_schemes() -> None:
    """Fact 49 (002@168931; 002@169309): delegated CCGs reinvest PMS/GMS equalisation money in
    local incentive schemes (no core contract change); others do not."""
    cc = run(regime="co-commissioning-2015", years="2015/16:2016/17", draws=32)["co_commissioning"]
    assert (cc.loc[cc["delegated"] == 1, "reinvested_gbp"] > 0).all()
    assert (cc.loc[cc["delegated"] == 0, "reinvested_gbp"] == 0).all()


def test_fact_50_ccgs_raid_primary_care_under_pressure() -> None:
    """Fact 50 (002@168538): some CCGs use primary care funds to support secondary care."""
    years = "2015/16:2016/17"
    loose = run(regime="co-commissioning-2015", years=years, draws=32, scale=1.2)
    tight = run(regime="co-commissioning-2015", years=years, draws=32, scale=0.97)
    assert loose["co_commissioning"]["diverted_gbp"].sum() == 0
    diverted = tight["co_commissioning"]["diverted_gbp"]
    assert diverted.sum() > 0
    assert (diverted > 0).mean() < 1.0


def test_fact_53_public_health_grant_funds_other_council_services() -> None:
    """Fact 53 (002@315777; 002@329041): the grant is used for other council services, more so
    as it is cut and without the ring fence."""
    years = "2015/16:2017/18"
    cut = run(regime="co-commissioning-2015", years=years)["public_health"]
    flat = run(
        regime="co-commissioning-2015", years=years, switches={"public_health_grant_cut": 0.0}
    )["public_health"]
    unfenced = run(
        regime="co-commissioning-2015", years=years, switches={"public_health_ring_fence": False}
    )["public_health"]

    def share(frame: pd.DataFrame) -> float:
        last = frame[frame["financial_year"] == "2017/18"]
        return float((last["other_services_gbp"] / last["grant_gbp"]).mean())

    assert share(flat) > 0
    assert share(cut) > share(flat)
    assert share(unfenced) > share(cut)
    g = cut.groupby("financial_year")["grant_gbp"].mean()
    assert g["2017/18"] < g["2015/16"]


def test_fact_59_fragmentation_costs_grow_with_commissioners() -> None:
    """Fact 59 (002@340046): the more commissioners on a pathway, the more disruption; the
    coordination cost falls on commissioners (exactly, with the same draws)."""
    one = {"pathway_commissioners": {"sexual_health": 1, "obesity": 1, "children_0_19": 1}}
    split = _run(draws=4)
    whole = _run(draws=4, switches=json.dumps(one, sort_keys=True))
    frag = split.records["fragmentation"]
    assert (
        frag.groupby("pathway")["disruption"].mean()["sexual_health"]
        > frag.groupby("pathway")["disruption"].mean()["children_0_19"]
    )
    assert whole.records["fragmentation"]["coordination_cost_gbp"].sum() == 0
    cost = frag.groupby(["draw", "financial_year"])["coordination_cost_gbp"].sum().unstack()
    position = split.commissioner_yearly[:, :, 0, 6]
    position_whole = whole.commissioner_yearly[:, :, 0, 6]
    np.testing.assert_allclose(position_whole - position, cost.to_numpy(), rtol=1e-9)


def test_fact_12_flexibility_only_where_relationships_work() -> None:
    """Fact 12 (002@258513): informal flexibility depends on working relationships: with a weak
    relationship little of an unaffordable outturn is settled informally."""
    strong = run(scale=0.97, options={"year_end_settlement": {"relationship_strength": 0.9}})
    weak = run(scale=0.97, options={"year_end_settlement": {"relationship_strength": 0.1}})
    written_off_strong = -strong["settlements"]["gap_gbp"].sum()
    written_off_weak = -weak["settlements"]["gap_gbp"].sum()
    assert written_off_weak > 0
    assert written_off_strong > 5 * written_off_weak  # 0.9 / 0.1 = 9 before feedbacks


def test_fact_20_alliances_hold_where_there_is_trust() -> None:
    """Fact 20 (002@281762): alliances work where there are prior trusting relationships."""
    years = "2016/17:2018/19"
    options = {"risk_quantified": False}
    trusting = run(regime="stp-2016", years=years, options={"alliance": {**options, "trust": 0.9}})
    wary = run(regime="stp-2016", years=years, options={"alliance": {**options, "trust": 0.1}})

    def members_left(frame: pd.DataFrame) -> float:
        return float(frame.loc[frame["financial_year"] == "2018/19", "member"].mean())

    assert members_left(trusting["alliance"]) > members_left(wary["alliance"]) + 0.3


def test_fact_21_risk_handled_outside_the_contract_in_every_era() -> None:
    """Fact 21 (002@284724): risk is handled outside the written contract for 25 years: the
    internal market of 1991 and the ICS era of 2019 both settle outside the contract when
    money is short, and neither does with headroom."""
    for regime in ("internal-market-1991", "ics-2019"):
        tight = run(regime=regime, scale=0.97)["settlements"]
        loose = run(regime=regime, scale=1.2)["settlements"]
        assert tight["below_outturn"].mean() > 0.3, regime
        assert loose["below_outturn"].sum() == 0, regime
