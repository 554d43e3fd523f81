"""Plain-English summary and the risk table: who bears over- and under-performance."""

from __future__ import annotations

from pathlib import Path

import pytest

from quasimarket.contracts import Contract, load_contract, parse_contract
from quasimarket.structure import payment_rules

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "contracts"

HEADER = """format = "quasimarket.contract/1"
name = "Test"
year = "{year}"
[[commissioners]]
code = "S001"
name = "Test CCG"
[[providers]]
code = "SR001"
"""


def line_contract(line: str, year: str = "2016/17") -> Contract:
    text = HEADER.format(year=year) + '[[lines]]\nid = "x"\nservice = "S"\ncurrency = "spell"\n'
    return parse_contract(text + line)


def row(contract: Contract, line: str = "x") -> dict[str, object]:
    (found,) = [r for r in contract.risk_table() if r["line"] == line]
    return dict(found)


@pytest.mark.parametrize(
    ("line", "over", "under"),
    [
        # block: provider bears over-performance, commissioner under (002@72285, 002@243475)
        ('mechanism = "block"\nplanned_value_gbp = 1e6\n', 1.0, 0.0),
        # cost per case: commissioner bears over, provider under (002@73620)
        ('mechanism = "cost_per_case"\n[lines.terms]\nprice = 100\n', 0.0, 1.0),
        ('mechanism = "national_tariff"\n', 0.0, 1.0),
        # cost and volume: shared above the threshold at the marginal rate
        (
            'mechanism = "cost_and_volume"\n[lines.terms]\nbase_value = 1e6\n'
            "threshold_activity = 100\nprice = 1e4\nmarginal_rate = 0.4\n",
            0.6,
            0.0,
        ),
        # caps and collars: outside the corridor, shared at the marginal rate
        (
            'mechanism = "caps_and_collars"\nplanned_value_gbp = 1e6\n[lines.terms]\n'
            "collar_activity = 90\ncap_activity = 110\nprice = 1e4\nmarginal_rate = 0.25\n",
            0.75,
            0.25,
        ),
        # capitation: the provider bears the volume risk (002@262975)
        ('mechanism = "capitation"\n[lines.terms]\nrate_per_head = 100\n', 1.0, 0.0),
        # activity cap: the provider bears all over-plan activity (002@249037)
        (
            'mechanism = "national_tariff"\n[[lines.adjustments]]\nrule = "activity_cap"\n'
            "plan_value = 1e6\n",
            1.0,
            1.0,
        ),
    ],
)
def test_provider_shares_by_mechanism(line: str, over: float, under: float) -> None:
    year = "2011/12" if "activity_cap" in line else "2016/17"
    found = row(line_contract(line, year))
    assert found["provider_share_over"] == pytest.approx(over)
    assert found["provider_share_under"] == pytest.approx(under)


def test_mret_shares_follow_the_calendar_rate() -> None:
    contract = line_contract(
        'mechanism = "national_tariff"\n[[lines.adjustments]]\nrule = "mret"\n'
        "baseline_value = 5e6\n"
    )
    rate = payment_rules("2016/17").mret_rate.value
    assert rate is not None
    found = row(contract)
    assert found["provider_share_over"] == pytest.approx(1 - rate)
    assert found["over_performance_risk"] == "provider 30%, commissioner 70%"
    assert "£5.0m" in str(found["explanation"])


def test_blended_shares_are_the_variable_rate() -> None:
    contract = line_contract('mechanism = "blended"\nplanned_value_gbp = 2e6\n', "2019/20")
    found = row(contract)
    assert found["provider_share_over"] == pytest.approx(0.8)
    assert found["provider_share_under"] == pytest.approx(0.2)
    assert found["over_performance_risk"] == "provider 80%, commissioner 20%"
    assert found["under_performance_risk"] == "provider 20%, commissioner 80%"


def test_alliance_row_reallocates_exempt_partners_shares() -> None:
    contract = load_contract(EXAMPLES / "alliance_case_b.toml")
    found = row(contract, "(alliance)")
    # 40/40/10/10 with both third-sector partners exempt: the LA and the MH FT bear 50% each.
    assert found["over_performance_risk"] == "overspend: partners (SL001 50%, SR003 50%)"
    assert "10%" in str(found["explanation"])
    assert "steps in" in str(found["explanation"])
    assert "service development first" in str(found["under_performance_risk"])


def test_risk_share_row_lists_the_bands() -> None:
    contract = line_contract(
        'mechanism = "national_tariff"\nplanned_value_gbp = 1e7\n[risk_share]\n'
        "band_edges = [0.02, 0.05]\nprovider_shares = [1.0, 0.5, 0.0]\n"
    )
    found = row(contract, "(risk share)")
    assert found["over_performance_risk"] == (
        "by band: 0%–2% of plan: provider 100%; 2%–5% of plan: provider 50%; "
        "over 5% of plan: provider 0%"
    )


def test_settlement_row_and_subcontract_row() -> None:
    contract = load_contract(EXAMPLES / "capitation_case_c.toml")
    assert "15% of the lead's payment" in str(
        row(contract, "(subcontract gp_alliance)")["over_performance_risk"]
    )
    settled = line_contract(
        'mechanism = "national_tariff"\n[settlement]\nrule = "split_gap"\naffordable = 9e6\n'
        "commissioner_gap_share = 0.6\n"
    )
    assert "commissioner 60%, provider 40%" in str(
        row(settled, "(year-end settlement)")["over_performance_risk"]
    )


def test_summary_names_parties_year_regime_and_defaults() -> None:
    contract = load_contract(EXAMPLES / "acute_pbr_2016.toml")
    text = "\n".join(contract.summary())
    assert "Synthetic Midlands CCG 1 (S001)" in text
    assert "for 2016/17" in text
    assert f"national regime: {payment_rules('2016/17').regime.value}" in text
    assert "baseline of £90.0m is paid at 70% of tariff" in text
    assert "CQUIN: 2.5% of actual annual value" in text
    assert "£120 per patient below 95%" in text
    assert f"{len(contract.resolved_defaults())} value(s) were not in the file" in text
    assert "Who bears the risk on 'nel': over-performance: provider 30%, commissioner 70%" in text


def test_summary_percentages_keep_their_decimals() -> None:
    contract = load_contract(EXAMPLES / "api_2022.toml")
    text = "\n".join(contract.summary())
    assert "CQUIN: 1.25% of actual annual value" in text
    assert "paid or deducted at 75%" in text


def test_every_example_has_a_risk_row_per_line() -> None:
    for path in sorted(EXAMPLES.glob("*.toml")):
        contract = load_contract(path)
        lines = [r["line"] for r in contract.risk_table() if not r["line"].startswith("(")]
        assert lines == [line.id for line in contract.lines], path.name
        for found in contract.risk_table():
            assert found["explanation"], (path.name, found["line"])
            assert found["source"], (path.name, found["line"])
