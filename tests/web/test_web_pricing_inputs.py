"""``POST /api/pricings`` with achievement and performance: the file shapes as JSON objects."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[2]
ACUTE = ROOT / "examples" / "contracts" / "acute_pbr_2016.toml"
GOALS = ("Staff health and wellbeing", "Sepsis screening and antibiotic review")
N_RECORDS, SEED = 800, 3


def _direct(achievement: Any = None, performance: Any = None) -> tuple[Any, int]:
    """The engine's own pricing of the activity the web app generates, and its A&E count."""
    from quasimarket.activity import ActivityTable, synthetic_activity_for_contract
    from quasimarket.contracts import parse_contract
    from quasimarket.economy import small_economy
    from quasimarket.payment.input_files import parse_achievement, parse_performance
    from quasimarket.pricing import price
    from quasimarket.tariff import TariffTable

    contract = parse_contract(ACUTE.read_text(encoding="utf-8"))
    eco = small_economy(seed=0, year=str(contract.year))  # priced at its own year
    frame = synthetic_activity_for_contract(contract, eco, n_records=N_RECORDS, seed=SEED)
    table = ActivityTable.from_frame(frame)
    ach: Any = None if achievement is None else parse_achievement(achievement, contract)
    perf: Any = None if performance is None else parse_performance(performance, contract, table)
    result = price(
        contract, table, TariffTable.from_economy(eco), achievement=ach, performance=perf
    )
    return result, int((frame["pod"] == "ae").sum())


def _body(**extra: Any) -> dict[str, Any]:
    return {
        "contract_text": ACUTE.read_text(encoding="utf-8"),
        "n_records": N_RECORDS,
        "activity_seed": SEED,
        **extra,
    }


def test_pricing_with_achievement_and_performance(client: Any, csrf: Any) -> None:
    from quasimarket.money import round_pence
    from quasimarket.web import service

    _, attendances = _direct()
    achievement = {"cquin": {GOALS[0]: 0.5, GOALS[1]: 1.0}}
    numerator = attendances * 9 // 10
    performance = {
        "lines": {"ae": {"ae_4_hour": {"numerator": numerator, "denominator": attendances}}}
    }
    response = client.post(
        "/api/pricings",
        json=_body(achievement=achievement, performance=performance),
        headers=csrf(client),
    )
    assert response.status_code == 201, response.text
    summary = response.json()
    direct, _ = _direct(achievement, performance)
    totals = direct.totals()
    for name in ("cquin_gbp", "sanctions_gbp", "formal_gbp"):
        assert summary["totals"][name] == float(round_pence(totals[name])), name
    expected = -120 * (0.95 * attendances - numerator)
    assert summary["totals"]["sanctions_gbp"] == pytest.approx(expected, abs=0.01)
    assert not any("CQUIN achievement assumed" in note for note in summary["notes"])

    # priced again from the stored inputs (not the cache): the same money
    service._cache.clear()
    record = direct.records.iloc[3]
    explained = client.get(
        f"/api/pricings/{summary['pricing_id']}/explain/{record['record_id']}"
    ).json()
    assert explained["total_gbp"] == pytest.approx(float(record["settled_gbp"]), abs=0.01)


@pytest.mark.parametrize(
    ("field", "value", "location", "problem"),
    [
        ("achievement", {"cqiun": {}}, "cqiun", "unknown key 'cqiun'"),
        ("achievement", {"cquin": {GOALS[0]: 2}}, f'cquin."{GOALS[0]}"', "outside 0-1"),
        ("achievement", {"cquin": {"Staff": 0.5}}, "cquin.Staff", "no CQUIN goal 'Staff'"),
        ("achievement", {"format": "x"}, "format", "not the achievement file format"),
        (
            "performance",
            {"standards": {"ae_4_hour": {"numerator": 5, "denominator": 4}}},
            "standards.ae_4_hour",
            "numerator 5 is above denominator 4",
        ),
        (
            "performance",
            {"standards": {"ae_4_hour": {"numerator": 1, "denominator": 99_999}}},
            "standards.ae_4_hour.denominator",
            "disagrees with the",
        ),
        ("performance", {"ae_4_hour": {"count": 1}}, "ae_4_hour", "at the top level"),
    ],
)
def test_bad_achievement_or_performance_is_422(
    client: Any, csrf: Any, tmp_path: Path, field: str, value: Any, location: str, problem: str
) -> None:
    response = client.post("/api/pricings", json=_body(**{field: value}), headers=csrf(client))
    assert response.status_code == 422, response.text
    error = response.json()
    assert error["file"] == field
    assert error["location"] == location
    assert problem in error["problem"]
    assert error["expected"]
    assert error["fix"]
    assert not list(tmp_path.rglob("contract.toml"))  # nothing stored
