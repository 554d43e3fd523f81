"""The ``simulate`` command: built-in scenarios, the run store, reports, and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def _no_runs(store: Path) -> None:
    """Nothing was written: no catalog row and no run folder (hidden temporaries included)."""
    if store.exists():
        leftovers = [p.name for p in store.iterdir() if p.name != "catalog.duckdb"]
        assert leftovers == []
        from quasimarket.runs import RunStore

        assert RunStore(store).list() == []


def test_simulate_example_stores_run_and_compares(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "runs"
    code, out, err = cli("simulate", "--example", "small-baseline", "--store", str(store), "--json")
    assert code == 0, err
    first = json.loads(out)
    assert first["run_id"].startswith("simulation-")
    assert [row["financial_year"] for row in first["summary"]] == ["2013/14", "2014/15", "2015/16"]
    code, out, err = cli(
        "simulate",
        "--example",
        "small-baseline",
        "--store",
        str(store),
        "--json",
        "--draws",
        "3",
        "--years",
        "2013/14:2014/15",
    )
    assert code == 0, err
    second = json.loads(out)["run_id"]
    from quasimarket.runs import RunStore

    runs = RunStore(store)
    record = runs.get(second)
    assert record.kind == "simulation"
    assert record.draws == 3
    monthly = runs.table(second, "monthly")
    assert {"org_type", "org_code", "month", "metric", "mean", "p5", "p95"} <= set(monthly.columns)
    assert monthly["month"].nunique() == 24
    spend = monthly[(monthly["metric"] == "spend_gbp")]
    assert (spend["p5"] <= spend["p95"]).all()
    code, out, err = cli(
        "runs", "compare", first["run_id"], second, "--store", str(store), "--json"
    )
    assert code == 0, err
    changes = {c["field"] for c in json.loads(out)["scenario_changes"]}
    assert {"draws", "years"} <= changes
    report = tmp_path / "report.html"
    code, out, err = cli("report", second, "--store", str(store), "--out", str(report))
    assert code == 0, err
    text = report.read_text("utf-8")
    assert "Statistical process control" in text
    assert "data:image/png;base64," in text
    assert "Spend attribution" in text


def test_list_examples(cli) -> None:  # type: ignore[no-untyped-def]
    code, out, _ = cli("simulate", "--list", "--json")
    assert code == 0
    assert {
        "england-baseline",
        "small-baseline",
        "shift-of-care-block",
        "shift-of-care-pbr",
    } <= set(json.loads(out))


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "scenario.toml"
    path.write_text(text, "utf-8")
    return path


SMALL = 'years = "2013/14:2014/15"\n[economy]\nkind = "small"\n'


@pytest.mark.parametrize(
    ("extra", "needles"),
    [
        ("[levers.capacity.scale]\nSR001 = 0.0\n", ["SR001", "zero elective capacity"]),
        ("[rates.per_head]\nae = -0.5\n", ["rates.per_head", "zero or more"]),
        ("[rates.seasonality]\nae = [1.0, 1.0]\n", ["rates.seasonality", "needs 12 values"]),
        ("[levers.referral_caps]\nshare = 0.1\n", ["levers.referral_caps"]),
        (
            '[regime]\nbehaviours = ["nope"]\n',
            ["unknown behaviour rule 'nope'", "regime.behaviours"],
        ),
        ("[regime]\ntendring = true\n", ["regime.tendring"]),
        (
            '[levers.shift_of_care]\nshare = 0.1\nfrom_year = "2019/20"\n',
            ["outside the simulated years"],
        ),
    ],
)
def test_bad_scenarios_exit_2_and_write_nothing(
    cli, tmp_path: Path, extra: str, needles: list[str]
) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "runs"
    path = _write(tmp_path, SMALL + extra)
    code, _out, err = cli("simulate", str(path), "--store", str(store))
    assert code == 2
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err
    _no_runs(store)


def test_years_outside_a_stored_economy(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    from quasimarket.economy import save_economy, small_economy

    folder = save_economy(small_economy(year="2013/14"), tmp_path / "econ")
    store = tmp_path / "runs"
    path = _write(
        tmp_path, f'years = "2016/17:2017/18"\n[economy]\nkind = "stored"\npath = "{folder}"\n'
    )
    code, _, err = cli("simulate", str(path), "--store", str(store))
    assert code == 2
    assert "start outside the economy" in err
    assert "2013/14" in err
    _no_runs(store)


def test_years_outside_the_rule_calendar(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "runs"
    code, _, err = cli(
        "simulate",
        "--example",
        "small-baseline",
        "--years",
        "2024/25:2027/28",
        "--store",
        str(store),
    )
    assert code == 2
    assert "years" in err
    _no_runs(store)


def test_run_too_big_for_memory(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    store = tmp_path / "runs"
    code, _, err = cli(
        "simulate", "--example", "england-baseline", "--draws", "100000", "--store", str(store)
    )
    assert code == 2
    assert "GiB of memory" in err
    assert "--draws" in err
    _no_runs(store)


def test_unknown_example_and_both_inputs(cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    code, _, err = cli("simulate", "--example", "nope", "--store", str(tmp_path))
    assert code == 2
    assert "small-baseline" in err
    path = _write(tmp_path, SMALL)
    code, _, err = cli(
        "simulate", str(path), "--example", "small-baseline", "--store", str(tmp_path)
    )
    assert code == 2
    assert "exactly one" in err
