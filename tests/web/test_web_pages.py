"""Web pages and JSON API over the engines: the figures shown are the engines' own."""

from __future__ import annotations

import html
import io
import tomllib
from typing import Any

import numpy as np
import pandas as pd
import pytest

pytestmark = pytest.mark.unit


def _template(name: str = "national_tariff") -> str:
    from quasimarket.contracts import contract_template

    return contract_template(name)


def test_structure_page_shows_who_commissions_with_source(client: Any) -> None:
    from quasimarket.structure import who_commissions

    expected = who_commissions("elective_care", "2016/17").to_dict()
    page = client.get("/structure", params={"year": "2016/17", "service_id": "elective_care"})
    assert page.status_code == 200
    assert expected["arrangement"] in page.text
    assert expected["source"] in page.text
    assert all(body["name"] in page.text for body in expected["bodies"])
    assert 'data-figure="graph-data"' in page.text
    assert 'data-figure="eras-data"' in page.text
    api = client.get(
        "/api/structure/who-commissions", params={"service": "elective_care", "year": "2016/17"}
    )
    assert api.json() == expected


def test_structure_page_refuses_unknown_year_and_falls_back(client: Any) -> None:
    page = client.get("/structure", params={"year": "../../etc", "service_id": "x"})
    assert page.status_code == 200
    assert '<option value="2016/17" selected>' in page.text
    assert client.get("/api/structure/services", params={"year": "2016-17"}).status_code == 422


def test_economy_page_lists_every_commissioner(client: Any) -> None:
    from quasimarket.economy import small_economy, synthetic_economy

    for source, eco in (("small", small_economy(seed=0)), ("england", synthetic_economy(seed=0))):
        page = client.get(f"/economy?source={source}")
        assert page.status_code == 200
        for code in eco.commissioners["code"]:
            assert f"<td>{code}</td>" in page.text
        body = client.get("/api/economy", params={"source": source}).json()
        assert [c["code"] for c in body["commissioners"]] == list(eco.commissioners["code"])
    default = client.get("/api/economy").json()
    assert len(default["commissioners"]) == 42  # the built-in England-like economy


def test_real_economy_needs_a_configured_folder(client: Any) -> None:
    page = client.get("/economy?source=real")
    assert page.status_code == 422
    assert "--real-data" in page.text
    body = client.get("/api/economy", params={"source": "real"})
    assert body.status_code == 422
    assert "--real-data" in body.json()["fix"]


def test_designer_reports_an_error_beside_its_field(client: Any, csrf: Any) -> None:
    token = csrf(client)["X-CSRF-Token"]
    form = {"csrf_token": token, "action": "form", "text": _template(), "year": "2016/99"}
    form["lines.0.planned_activity"] = "30000"
    page = client.post("/contracts", data=form)
    assert page.status_code == 422
    assert "There is a problem" in page.text
    # the message sits in the year field's error slot, and the group is marked as in error
    slot = page.text.split('data-error-for="year"', 1)[1].split("</span></span>", 1)[0]
    assert "not a financial year" in slot
    assert 'class="nhsuk-form-group nhsuk-form-group--error" id="field-year"' in page.text
    fixed = client.post("/contracts", data={**form, "year": "2017/18"})
    assert fixed.status_code == 200
    assert 'year = "2017/18"' in html.unescape(fixed.text)
    assert "Who bears the risk" in fixed.text


def test_line_field_errors_are_placed_on_the_line(client: Any, csrf: Any) -> None:
    body = {"text": _template(), "fields": {"lines.0.planned_activity": "-5"}}
    report = client.post("/api/contracts/apply-form", json=body, headers=csrf(client)).json()
    assert report["valid"] is False
    assert report["errors"][0]["field"] == "lines.0.planned_activity"
    text_error = client.post(
        "/api/contracts/validate", json={"text": 'format = "'}, headers=csrf(client)
    ).json()
    assert text_error["errors"][0]["field"] == "text"
    assert text_error["errors"][0]["location"].startswith("line 1")


@pytest.mark.parametrize("name", ["national_tariff", "block", "blended", "alliance", "cquin"])
def test_form_edit_keeps_every_other_key(name: str) -> None:
    from quasimarket.web.designer import apply_form

    text, errors = apply_form(_template(name), {"name": "Renamed"})
    assert errors == []
    before, after = tomllib.loads(_template(name)), tomllib.loads(text)
    assert after.pop("name") == "Renamed"
    before.pop("name")
    assert after == before


def test_pricing_matches_the_engine_to_the_penny(client: Any, csrf: Any) -> None:
    from quasimarket.activity import synthetic_activity_for_contract
    from quasimarket.contracts import parse_contract
    from quasimarket.economy import small_economy
    from quasimarket.money import round_pence
    from quasimarket.pricing import price
    from quasimarket.tariff import TariffTable

    text = _template()
    body = {"contract_text": text, "n_records": 800, "activity_seed": 3}
    response = client.post("/api/pricings", json=body, headers=csrf(client))
    assert response.status_code == 201
    summary = response.json()
    contract = parse_contract(text)
    eco = small_economy(seed=0, year=str(contract.year))  # priced at its own year
    frame = synthetic_activity_for_contract(contract, eco, n_records=800, seed=3)
    direct = price(contract, frame, TariffTable.from_economy(eco))
    assert summary["totals"]["formal_gbp"] == float(round_pence(direct.totals()["formal_gbp"]))
    assert summary["records"] == 800

    pid = summary["pricing_id"]
    csv = client.get(f"/pricings/{pid}/download/statement.csv")
    assert csv.headers["content-disposition"].endswith('.csv"')
    statement = pd.read_csv(io.BytesIO(csv.content))
    assert statement["formal_gbp"].sum() == pytest.approx(
        direct.totals()["formal_gbp"], abs=0.01 * 12
    )
    parquet = pd.read_parquet(
        io.BytesIO(client.get(f"/pricings/{pid}/download/statement.parquet").content)
    )
    assert np.allclose(parquet["formal_gbp"], statement["formal_gbp"])

    record = direct.records.iloc[5]
    explained = client.get(f"/api/pricings/{pid}/explain/{record['record_id']}").json()
    assert explained["total_gbp"] == pytest.approx(float(record["settled_gbp"]), abs=0.01)
    assert explained["items"][0]["title"].startswith("National tariff: base price")
    page = client.get(f"/pricings/{pid}/explain", params={"record_id": str(record["record_id"])})
    assert page.status_code == 200
    assert explained["items"][0]["source"] in page.text
    missing = client.get(f"/pricings/{pid}/explain", params={"record_id": "999999999"})
    assert missing.status_code == 404
    assert "no record" in missing.text


def test_pricing_page_links_records_to_their_explanation(client: Any, csrf: Any) -> None:
    token = csrf(client)["X-CSRF-Token"]
    form = {"csrf_token": token, "action": "price", "text": _template(), "n_records": "300"}
    response = client.post("/contracts", data=form, follow_redirects=False)
    assert response.status_code == 303
    page = client.get(response.headers["location"])
    assert page.status_code == 200
    assert "explain?record_id=1" in page.text
    assert "Download statement (CSV)" in page.text


def test_bad_record_count_is_reported_beside_pricing(client: Any, csrf: Any) -> None:
    token = csrf(client)["X-CSRF-Token"]
    form = {"csrf_token": token, "action": "price", "text": _template(), "n_records": "0"}
    page = client.post("/contracts", data=form)
    assert page.status_code == 422
    slot = page.text.split('data-error-for="pricing"', 1)[1].split("</span></span>", 1)[0]
    assert "n records must be a whole number" in slot


def test_stress_request_validation(client: Any, csrf: Any) -> None:
    both = client.post("/api/stress/jobs", json={}, headers=csrf(client))
    assert both.status_code == 422
    assert both.json()["location"] == "example"
    unknown = client.post(
        "/api/stress/jobs",
        json={"example": "acute-designs", "designs": ["No such design"]},
        headers=csrf(client),
    )
    assert unknown.status_code == 422
    assert "unknown design" in unknown.json()["problem"]
    token = csrf(client)["X-CSRF-Token"]
    page = client.post("/stress", data={"csrf_token": token, "scenario_text": "x ="})
    assert page.status_code == 422
    assert "There is a problem" in page.text


def test_home_and_every_page_render(client: Any) -> None:
    for url in ("/", "/structure", "/economy", "/contracts", "/stress", "/simulation", "/runs"):
        page = client.get(url)
        assert page.status_code == 200, url
        assert '<html lang="en-GB">' in page.text
        assert 'href="#maincontent"' in page.text  # skip link
    assert client.get("/static/vendor/plotly.min.js").text.lstrip().startswith("/**")
