"""The built-in counterfactual, regime paths in the engine, and the new run tables."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from quasimarket.runs import RunStore

pytestmark = pytest.mark.integration

Cli = Callable[..., tuple[int, str, str]]
TABLES = {"tendering", "settlements", "fragmentation", "contract_forms", "regimes"}


def test_counterfactual_runs_both_paths_on_same_draws(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "runs"
    code, out, err = cli("regimes", "counterfactual", "--draws", "2", "--out", str(store), "--json")
    assert code == 0, err
    result = json.loads(out)
    report = {row["metric"]: row for row in result["report"]}
    # no 2012 Act: no split pathways, so no coordination cost (hand check: 3 pathways × 0)
    assert report["coordination_cost_gbp (per draw)"]["b"] == 0.0
    assert report["coordination_cost_gbp (per draw)"]["a"] > 0.0
    runs = RunStore(store)
    a, b = result["run_a"], result["run_b"]
    assert set(runs.get(a).tables) >= TABLES
    regimes = runs.table(a, "regimes")
    assert regimes.set_index("financial_year")["regime"].to_dict() == {
        "2013/14": "hsca-2013",
        "2014/15": "hsca-2013",
        "2015/16": "co-commissioning-2015",
        "2016/17": "stp-2016",
        "2017/18": "stp-2016",
        "2018/19": "stp-2016",
        "2019/20": "ics-2019",
    }
    # common random numbers: demand draws are identical, so referrals match exactly
    ca, cb = runs.table(a, "conservation"), runs.table(b, "conservation")
    assert (ca["referrals_in"] == cb["referrals_in"]).all()
    comparison = runs.compare(a, b)
    assert set(comparison.tables["table"]) >= TABLES
    code, out, err = cli("report", a, "--store", str(store), "--out", str(tmp_path / "r.html"))
    assert code == 0, err
    page = (tmp_path / "r.html").read_text("utf-8")
    assert "Procurement decisions at renewal" in page
    assert "Year-end settlements" in page


def test_simulate_regime_path_switches_mret(tmp_path: Path) -> None:
    """MRET 30% (hsca-2013) then 70% (stp-2016): same draws, emergency income rises in 2016/17."""
    from quasimarket.regimes import apply_regime, simulate
    from quasimarket.simulation import builtin_scenario

    base = builtin_scenario("small-baseline")
    off = {"behaviours": []}
    data = base.model_dump()
    data["regime"] = {"switches": off}
    from quasimarket.simulation import parse_simulation_scenario

    scenario = parse_simulation_scenario(data)
    years = "2013/14:2016/17"
    low = simulate(apply_regime(scenario, path="hsca-2013@2013/14", years=years), draws=2)
    switch = simulate(
        apply_regime(scenario, path="hsca-2013@2013/14,stp-2016@2016/17", years=years), draws=2
    )
    pay_low, pay_switch = low.pod_payment, switch.pod_payment
    # identical until the switch, then more paid for emergency spells above the baseline
    assert (pay_low[:, :3] == pay_switch[:, :3]).all()
    nel = 4  # index of non_elective in PODS
    from quasimarket.simulation import PODS

    assert PODS[nel] == "non_elective"
    assert (pay_switch[:, 3, :, nel] >= pay_low[:, 3, :, nel]).all()
    assert pay_switch[:, 3, :, nel].sum() > pay_low[:, 3, :, nel].sum()


def test_behaviour_tables_do_not_depend_on_chunking() -> None:
    """Named per-draw streams: the same rows whatever chunk_draws is."""
    import pandas as pd

    from quasimarket.regimes import apply_regime, simulate
    from quasimarket.simulation import builtin_scenario

    scenario = apply_regime(
        builtin_scenario("small-baseline"),
        path="hsca-2013@2013/14,stp-2016@2015/16",
        years="2013/14:2016/17",
    )
    whole = simulate(scenario, draws=4).records
    chunked = simulate(scenario.model_copy(update={"chunk_draws": 1}), draws=4).records
    assert set(whole) == set(chunked)
    for name in whole:
        pd.testing.assert_frame_equal(whole[name], chunked[name])


def test_switch_to_icb_writes_the_ccg_to_icb_mapping() -> None:
    """A path from a CCG regime to icb-2022 (beyond the research) writes table restructuring."""
    from quasimarket.regimes import apply_regime, simulate
    from quasimarket.simulation import builtin_scenario, parse_simulation_scenario

    data = builtin_scenario("small-baseline").model_dump()
    data["economy"]["level"] = "CCG"
    scenario = apply_regime(
        parse_simulation_scenario(data),
        path="ics-2019@2021/22,icb-2022@2022/23",
        years="2021/22:2022/23",
    )
    result = simulate(scenario, draws=1)
    mapping = result.records["restructuring"]
    assert list(mapping["ccg_code"]) == ["S001"]
    assert list(mapping["financial_year"]) == ["2022/23"]
    assert mapping["population"].iloc[0] == result.compiled.population[1, 0]
    regimes = result.records["regimes"].set_index("financial_year")
    assert regimes.loc["2022/23", "beyond_research"] == 1
    assert regimes.loc["2021/22", "beyond_research"] == 0
