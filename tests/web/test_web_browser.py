"""End to end in headless Chromium (Debian's /usr/bin/chromium) driven by Playwright, against
the real server on loopback. Screenshots go to docs/screenshots/ (and $QUASIMARKET_ARTEFACTS).

Skips when /usr/bin/chromium is absent locally; fails in CI (CI=true), where .ci/run installs
it.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.integration

CHROMIUM = Path("/usr/bin/chromium")
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
PASSWORDS = {"alice": "alice-password-1", "bob": "bob-password-22"}


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} not found: install Debian's chromium (apt-get install chromium)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, accept_downloads=True)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on(
        "console",
        lambda msg: errors.append(msg.text) if msg.type == "error" else None,
    )
    yield tab
    context.close()
    assert not [e for e in errors if "404" not in e], errors  # no JS errors, no CSP violations


def shot(tab: Any, name: str) -> None:
    """Save a full-page screenshot to docs/screenshots (and the CI artefacts folder)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    tab.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("QUASIMARKET_ARTEFACTS")
    if extra:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / path.name)


def log_in(tab: Any, url: str, name: str, picture: str | None = None) -> None:
    tab.goto(url + "/login")
    tab.get_by_label("User name").fill(name)
    tab.get_by_label("Password").fill(PASSWORDS[name])
    if picture:
        shot(tab, picture)
    tab.get_by_role("button", name="Log in").click()
    tab.wait_for_url(url + "/")


def test_design_a_contract_price_it_and_explain_a_record(live_server: str, page: Any) -> None:
    log_in(page, live_server, "alice", "01-login")
    shot(page, "02-home")
    page.goto(live_server + "/contracts?template=national_tariff")
    year = page.locator("#f-year")
    assert year.input_value() == "2016/17"
    shot(page, "03-contract-designer")

    # an error, reported beside the field as you type
    year.fill("2016/99")
    error = page.locator("[data-error-for=year]")
    error.wait_for(state="visible")
    assert "not a financial year" in error.inner_text()
    assert "nhsuk-form-group--error" in (page.locator("#field-year").get_attribute("class") or "")
    assert page.locator("#error-summary").is_visible()
    shot(page, "04-contract-error-beside-field")

    # fixed: the error goes, the text follows the form, the risk summary comes back
    year.fill("2016/17")
    error.wait_for(state="hidden")
    page.locator("#f-lines-0-planned_activity").fill("25000")
    from playwright.sync_api import expect

    expect(page.locator("#f-text")).to_have_value(re.compile(r"planned_activity = 25000"))
    assert "commissioner" in page.locator("#contract-summary").inner_text()

    page.locator("#n_records").fill("600")
    page.get_by_role("button", name="Price activity").click()
    page.wait_for_url(re.compile(r".*/pricings/[0-9a-f]{16}$"))
    assert page.locator("#formal-total").inner_text().startswith("£")
    shot(page, "05-pricing-statement")

    with page.expect_download() as info:
        page.locator("#download-csv").click()
    assert info.value.suggested_filename.endswith(".csv")

    page.locator("a.qm-explain-link").first.click()
    page.wait_for_url(re.compile(r".*/explain\?record_id=1$"))
    assert "National tariff: base price" in page.locator("#explanation").inner_text()
    assert page.locator("#explain-total").inner_text().startswith("£")
    shot(page, "06-record-explanation")


def test_structure_and_economy_pages(live_server: str, page: Any) -> None:
    log_in(page, live_server, "alice")
    page.goto(live_server + "/structure")
    page.get_by_label("Financial year").select_option("2016/17")
    page.get_by_label("Service").select_option("elective_care")
    page.get_by_role("button", name="Show").click()
    assert "Clinical Commissioning Group" in page.locator("#who-commissions").inner_text()
    page.wait_for_selector("#graph[data-drawn=true]")
    shot(page, "07-structure")
    page.goto(live_server + "/economy")
    page.wait_for_selector("#economy-multiples[data-drawn=true]")
    shot(page, "08-economy")


def test_stress_test_runs_in_background_and_shows_charts(live_server: str, page: Any) -> None:
    log_in(page, live_server, "alice")
    page.goto(live_server + "/stress")
    shot(page, "09-stress-form")
    page.get_by_label("Draws").fill("4096")
    page.get_by_role("button", name="Run stress test").click()
    page.wait_for_url(re.compile(r".*/jobs/[0-9a-f]{16}$"))
    page.locator("#job-done").wait_for(state="visible", timeout=90_000)
    assert page.locator("#job-state").inner_text() == "done"
    shot(page, "10-stress-job-done")
    page.get_by_role("link", name="See the results").click()
    page.wait_for_selector("#figure-1[data-drawn=true]")
    assert page.locator(".qm-plot[data-drawn=true]").count() >= 3
    assert "Designs side by side" in page.content()
    shot(page, "11-stress-results")


def test_simulation_runs_and_two_runs_compare(live_server: str, page: Any) -> None:
    from quasimarket.web import simulation

    log_in(page, live_server, "alice")
    page.goto(live_server + "/simulation")
    if not simulation.available():
        assert page.locator("#simulation-unavailable").is_visible()
        shot(page, "12-simulation-unavailable")
        pytest.skip("quasimarket.simulation is not installed in this checkout")
    for seed in ("0", "1"):
        page.goto(live_server + "/simulation")
        page.get_by_label("Regime").select_option("small-baseline")
        page.get_by_label("First year").fill("2013/14")
        page.get_by_label("Last year").fill("2014/15")
        page.get_by_label("Draws").fill("3")
        page.get_by_label("Seed").fill(seed)
        if seed == "0":
            shot(page, "12-simulation-form")
        page.get_by_role("button", name="Run simulation").click()
        page.locator("#job-done").wait_for(state="visible", timeout=120_000)
    page.get_by_role("link", name="See the results").click()
    page.wait_for_selector("#figure-1[data-drawn=true]")
    shot(page, "13-simulation-results")
    page.goto(live_server + "/runs?kind=simulation")
    shot(page, "14-runs")
    page.get_by_role("button", name="Compare the two chosen runs").click()
    page.wait_for_url(re.compile(r".*/runs/compare\?.*"))
    assert "seed" in page.locator("#scenario-changes").inner_text()
    page.wait_for_selector("#compare-figure[data-drawn=true]")
    shot(page, "15-compare-runs")


def test_another_users_run_is_refused(live_server: str, live_data: Path, page: Any) -> None:
    import pandas as pd

    from quasimarket.runs import RunStore
    from quasimarket.web.jobs import store_lock
    from quasimarket.web.storage import Workspace

    store = Workspace(live_data, "alice").runs
    with store_lock(store):
        run_id = RunStore(store).write(
            "stress",
            {"name": "alice's private run"},
            {"summary": pd.DataFrame({"design": ["a"], "party": ["p"], "mean_gbp": [1.0]})},
            {"seed": 7},
            owner="alice",
        )
    log_in(page, live_server, "alice")
    page.goto(live_server + "/runs")
    assert run_id in page.locator("#runs-table").inner_text()
    run_url = f"{live_server}/runs/{run_id}"
    page.get_by_role("button", name="Log out").click()
    log_in(page, live_server, "bob")
    response = page.goto(run_url)
    assert response is not None
    assert response.status == 404
    assert "Page not found" in page.content()
    shot(page, "16-other-users-run-refused")
    page.goto(live_server + "/runs")
    assert page.locator("#runs-table").count() == 0
