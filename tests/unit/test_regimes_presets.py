"""Regime presets as data: sources, documented eras, diff and the regimes CLI."""

from __future__ import annotations

import json
from collections.abc import Callable

import pandas as pd
import pytest

from quasimarket.regimes import (
    ccg_to_icb,
    diff_presets,
    get_preset,
    list_presets,
    parse_regime_path,
    preset_names,
    restructure_contracts,
)
from quasimarket.regimes.presets import Switches

pytestmark = pytest.mark.unit

Cli = Callable[..., tuple[int, str, str]]


def test_seven_presets_in_order_every_switch_sourced() -> None:
    assert preset_names() == [
        "internal-market-1991",
        "pct-pbr-2004",
        "hsca-2013",
        "co-commissioning-2015",
        "stp-2016",
        "ics-2019",
        "icb-2022",
    ]
    for preset in list_presets():
        assert preset.switches.model_fields_set <= set(preset.sources)
        assert all(preset.sources[k].strip() for k in preset.switches.model_fields_set)


def test_issue_figures_are_encoded() -> None:
    hsca = get_preset("hsca-2013").switches
    assert (hsca.mret_rate, hsca.cquin_rate, hsca.activity_caps) == (0.3, 0.025, False)
    assert hsca.public_health_commissioner == "la"
    assert hsca.public_health_ring_fence
    cc = get_preset("co-commissioning-2015").switches
    assert cc.co_commissioning_uptake == (58, 87, 64)
    assert sum(cc.co_commissioning_uptake) == 209
    assert get_preset("stp-2016").switches.mret_rate == 0.7
    assert get_preset("stp-2016").switches.system_control_total == "alongside"
    ics = get_preset("ics-2019").switches
    assert ics.mret_rate == "off"
    assert ics.system_control_total == "single"
    assert ics.contract_forms["acute_emergency"] == "blended"
    assert get_preset("internal-market-1991").switches.binding_contracts is False
    icb = get_preset("icb-2022")
    assert icb.switches.beyond_research
    assert "BEYOND" in icb.sources["beyond_research"]
    assert not any(p.switches.beyond_research for p in list_presets() if p.name != "icb-2022")


def test_diff_lists_only_changed_switches() -> None:
    rows = {r["switch"]: r for r in diff_presets("hsca-2013", "stp-2016")}
    assert rows["mret_rate"]["a"] == 0.3
    assert rows["mret_rate"]["b"] == 0.7
    assert "cquin_rate" not in rows
    assert diff_presets("ics-2019", "ics-2019") == []


def test_path_parsing() -> None:
    path = parse_regime_path("hsca-2013@2013/14, stp-2016@2016/17,ics-2019@2019/20")
    assert [(s.name, s.start) for s in path] == [
        ("hsca-2013", 2013),
        ("stp-2016", 2016),
        ("ics-2019", 2019),
    ]
    over = parse_regime_path("hsca-2013@2013/14", overrides={"procurement_signal": 0.0})
    assert over[0].switches.procurement_signal == 0.0
    assert isinstance(over[0].switches, Switches)


def test_ccg_to_icb_mapping_conserves_population_and_contracts() -> None:
    ccgs = pd.DataFrame(
        {
            "code": ["A1", "A2", "A3", "B1", "B2"],
            "region_code": ["R1", "R1", "R1", "R2", "R2"],
            "population": [100.0, 200.0, 300.0, 150.0, 50.0],
        }
    )
    mapping = ccg_to_icb(ccgs, icbs=3)
    assert mapping["icb_code"].nunique() == 3
    # every ICB sits in one region; the bigger region gets two ICBs
    assert mapping.groupby("icb_code")["region_code"].nunique().max() == 1
    assert mapping[mapping["region_code"] == "R1"]["icb_code"].nunique() == 2
    contracts = pd.DataFrame(
        {
            "commissioner": ["A1", "A2", "A3", "B1", "B2"],
            "provider": ["P", "P", "P", "Q", "Q"],
            "value_gbp": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    rolled = restructure_contracts(contracts, mapping, value_columns=["value_gbp"])
    assert rolled["value_gbp"].sum() == 15.0
    assert len(rolled) == 3


def test_cli_list_show_diff_json(cli: Cli) -> None:
    code, out, _ = cli("regimes", "list", "--json")
    assert code == 0
    listed = json.loads(out)
    assert [r["name"] for r in listed][:3] == ["internal-market-1991", "pct-pbr-2004", "hsca-2013"]
    assert [r["name"] for r in listed if r["beyond_research"]] == ["icb-2022"]
    code, out, _ = cli("regimes", "show", "hsca-2013", "--json")
    shown = json.loads(out)
    assert shown["switches"]["mret_rate"] == {
        "value": 0.3,
        "source": get_preset("hsca-2013").sources["mret_rate"],
    }
    code, out, _ = cli("regimes", "diff", "hsca-2013", "stp-2016", "--json")
    assert code == 0
    assert {"mret_rate", "procurement_signal"} <= {
        r["switch"] for r in json.loads(out)["differences"]
    }
    code, out, _ = cli("regimes", "show", "stp-2016")
    assert code == 0
    assert "70%" in out
