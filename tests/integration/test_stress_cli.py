"""``quasimarket stress`` and ``report`` end to end, and every bad input: exit 2, nothing stored."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from quasimarket.runs import RunStore
from quasimarket.stress.builtin import example_text

pytestmark = pytest.mark.integration

CliRun = Callable[..., tuple[int, str, str]]


def test_examples_run_store_and_report(tmp_path: Path, cli: CliRun) -> None:
    store = tmp_path / "runs"
    code, out, _ = cli("stress", "examples", "--json")
    assert code == 0
    assert set(json.loads(out)) == {"acute-designs", "alliance-case-b", "capitation-case-c"}
    code, out, err = cli(
        "stress", "run", "--example", "acute-designs", "--draws", "2000", "--store", str(store),
        "--plots", str(tmp_path / "plots"),
    )  # fmt: skip
    assert code == 0, err
    assert "PbR with MRET" in out
    assert "stored as" in out
    (record,) = RunStore(store).list()
    assert record.draws == 2000
    assert (tmp_path / "plots" / "who_bears_the_risk.png").read_bytes()[:4] == b"\x89PNG"
    plots_html = (tmp_path / "plots" / "plots.html").read_text(encoding="utf-8")
    assert "<script src=" not in plots_html  # plotly.js inlined, no CDN
    report = tmp_path / "report.html"
    code, _, err = cli("report", record.run_id, "--store", str(store), "--out", str(report))
    assert code == 0, err
    text = report.read_text(encoding="utf-8")
    for needle in ("Designs side by side", "Which uncertainty drives", "Provenance", "20140401"):
        assert needle in text
    assert "data:image/png;base64," in text
    assert "<script src=" not in text


def test_run_json_and_check(tmp_path: Path, cli: CliRun) -> None:
    path = tmp_path / "s.toml"
    path.write_text(example_text("capitation-case-c"), encoding="utf-8")
    code, out, err = cli("stress", "check", str(path), "--json")
    assert code == 0, err
    assert "achievement:outcomes" in json.loads(out)["sources"]
    code, out, err = cli(
        "stress", "run", str(path), "--draws", "1500", "--seed", "9", "--json",
        "--store", str(tmp_path / "runs"),
    )  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    assert RunStore(tmp_path / "runs").get(payload["run_id"]).seed == 9
    rows = {(r["design"], r["party"]): r for r in payload["summary"]}
    assert rows[("Block (current)", "QC00")]["sd_gbp"] == 0.0
    assert rows[("Block (current)", "system")]["variance_share"] is None  # NaN → null
    assert "NaN" not in out


def _bad(tmp_path: Path, cli: CliRun, text: str, *extra: str) -> str:
    """Run a bad scenario; check exit 2, no traceback, nothing stored; return stderr."""
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    store = tmp_path / "runs"
    code, _, err = cli("stress", "run", str(path), "--store", str(store), *extra)
    assert code == 2, err
    assert "Traceback" not in err
    assert not store.exists()
    return err


def _example_with(old: str, new: str) -> str:
    text = example_text("acute-designs")
    assert old in text
    return text.replace(old, new, 1)


def test_bad_unknown_distribution(tmp_path: Path, cli: CliRun) -> None:
    err = _bad(tmp_path, cli, _example_with('distribution = "triangular"', 'distribution = "beta"'))
    assert "uncertainty.volume.ae" in err
    assert "unknown or missing distribution" in err


def test_bad_unknown_parameter(tmp_path: Path, cli: CliRun) -> None:
    err = _bad(tmp_path, cli, _example_with("sd = 0.01\n", "sigma = 0.01\n"))
    assert "demand_growth.normal.sigma: unknown key" in err


def test_bad_interval_low_above_high(tmp_path: Path, cli: CliRun) -> None:
    err = _bad(tmp_path, cli, _example_with("[0.94, 1.04]", "[1.04, 0.94]"))
    assert "interval_80 low (1.04) is above high (0.94)" in err


def test_bad_correlation_matrix(tmp_path: Path, cli: CliRun) -> None:
    text = _example_with('lines = ["non_elective", "ae"]', 'lines = ["non_elective"]').replace(
        "[[uncertainty.factors]]",
        "[uncertainty.correlation]\n"
        'lines = ["elective", "outpatients", "ae"]\n'
        "matrix = [[1, 0.95, -0.95], [0.95, 1, 0.95], [-0.95, 0.95, 1]]\n\n"
        "[[uncertainty.factors]]",
    )
    err = _bad(tmp_path, cli, text)
    assert "not positive semi-definite" in err
    assert "uncertainty.correlation.matrix" in err


@pytest.mark.parametrize("draws", ["0", "-3"])
def test_bad_draws_not_positive(tmp_path: Path, cli: CliRun, draws: str) -> None:
    err = _bad(tmp_path, cli, _example_with("draws = 20000", f"draws = {draws}"))
    assert "draws" in err
    assert "greater than 0" in err
    err = _bad(tmp_path, cli, example_text("acute-designs"), "--draws", draws)
    assert "greater than 0" in err


def test_bad_draws_too_large_for_memory(tmp_path: Path, cli: CliRun) -> None:
    err = _bad(tmp_path, cli, _example_with("draws = 20000", "draws = 500_000_000"))
    assert "GiB of memory" in err
    assert "set draws to" in err


def test_bad_design_refers_to_unknown_party(tmp_path: Path, cli: CliRun) -> None:
    text = example_text("alliance-case-b").replace(
        'partners = ["LA01", "MH01", "TS01", "TS02"]', 'partners = ["LA01", "MH01", "TS01", "TS03"]'
    )
    err = _bad(tmp_path, cli, text)
    assert "unknown party 'TS03'" in err
    assert "designs[0].alliance.partners" in err


def test_bad_toml_syntax(tmp_path: Path, cli: CliRun) -> None:
    err = _bad(tmp_path, cli, _example_with("seed = 20140401", "seed = [20140401"))
    assert "TOML syntax error" in err
    assert "line" in err


def test_bad_unknown_example_and_both_sources(tmp_path: Path, cli: CliRun) -> None:
    store = tmp_path / "runs"
    code, _, err = cli("stress", "run", "--example", "acute", "--store", str(store))
    assert code == 2
    assert "unknown example 'acute'" in err
    code, _, err = cli("stress", "run", "--store", str(store))
    assert code == 2
    assert "exactly one" in err
    assert not store.exists()


def test_bad_scheduler_unreachable(tmp_path: Path, cli: CliRun) -> None:
    err = _bad(
        tmp_path,
        cli,
        _example_with("draws = 20000", "draws = 100"),
        "--scheduler",
        "tcp://127.0.0.1:9",
    )
    assert "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in err
    assert "--workers" in err


def test_report_of_unknown_run(tmp_path: Path, cli: CliRun) -> None:
    code, _, err = cli("report", "stress-nope", "--store", str(tmp_path))
    assert code == 2
    assert "has no runs" in err


def test_ctrl_c_exits_130_and_stores_nothing(
    tmp_path: Path, cli: CliRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    import quasimarket.stress.run as run_module

    calls: list[int] = []

    def interrupted(compiled: object, start: int, stop: int) -> object:
        calls.append(start)
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "evaluate_chunk", interrupted)
    store = tmp_path / "runs"
    code, _, err = cli("stress", "run", "--example", "acute-designs", "--store", str(store))
    assert code == 130, err
    assert "Traceback" not in err
    assert calls == [0]
    assert not store.exists()


# -- strict scenario types and contract references (issue 10) -------------------------------


@pytest.mark.parametrize(
    ("old", "new", "words"),
    [
        ('currency = "spell"', 'currency = "spel"', "did you mean 'spell' for lines.0.currency?"),
        ('currency = "spell"', 'currency = "spell"\npod = "banana"', "lines.0.pod"),
        ('mechanism = "blended"', 'mechanism = "blendd"', "did you mean 'blended'"),
        ("variable_rate = 0.2", "variabl_rate = 0.2", "did you mean 'variable_rate'?"),
    ],
)
def test_bad_currency_pod_mechanism_or_term(
    tmp_path: Path, cli: CliRun, old: str, new: str, words: str
) -> None:
    err = " ".join(_bad(tmp_path, cli, _example_with(old, new)).split())
    assert "bad.toml" in err
    assert words in err


def test_bad_contract_reference_in_scenario(tmp_path: Path, cli: CliRun) -> None:
    text = _example_with('[designs.lines."*"]\nmechanism = "block"', 'contract = "missing.toml"')
    err = " ".join(_bad(tmp_path, cli, text).split())  # the console wraps long lines
    assert "bad.toml: designs[1].contract: contract file 'missing.toml' not found" in err


# -- stress run --contract --------------------------------------------------------------------

#: Issue 10's case: a 2014/15 contract, one cost-and-volume non-elective line with MRET.
CONTRACT = """
format = "quasimarket.contract/1"
name = "Acute cost and volume 2014/15"
year = "2014/15"
[[commissioners]]
code = "QS01"
[[providers]]
code = "SR001"
[[lines]]
id = "nel"
service = "Non-elective admissions"
currency = "spell"
pods = ["non_elective"]
mechanism = "cost_and_volume"
planned_activity = 12_000
[lines.terms]
base_value = 10_000_000
threshold_activity = 10_000
price = 1_000
[[lines.adjustments]]
rule = "mret"
baseline_value = 8_000_000
"""


def test_contract_runs_without_a_scenario_and_writes_results(tmp_path: Path, cli: CliRun) -> None:
    contract = tmp_path / "acute.toml"
    contract.write_text(CONTRACT, encoding="utf-8")
    store = tmp_path / "runs"
    code, out, err = cli(
        "stress", "run", "--contract", str(contract), "--draws", "1000", "--store", str(store)
    )
    assert code == 0, err
    out = " ".join(out.split())  # the console wraps long lines
    assert "Acute cost and volume 2014/15" in out
    assert "Provider costs were not given" in out
    assert "default volume uncertainty" in out
    assert "[modelling note" in out  # notes are printed as text, not rich markup
    (record,) = RunStore(store).list()
    assert record.draws == 1000
    report = tmp_path / "report.html"
    code, _, err = cli("report", record.run_id, "--store", str(store), "--out", str(report))
    assert code == 0, err
    text = report.read_text(encoding="utf-8")
    assert "<h2>Notes</h2>" in text
    assert "Provider costs were not given" in text


def test_contract_with_uncertainty_and_costs_files(tmp_path: Path, cli: CliRun) -> None:
    contract = tmp_path / "acute.toml"
    contract.write_text(CONTRACT, encoding="utf-8")
    uncertainty = tmp_path / "uncertainty.toml"
    uncertainty.write_text("[uncertainty.volume.nel]\ninterval_80 = [0.9, 1.2]\n")
    costs = tmp_path / "costs.toml"
    costs.write_text(
        "[lines.nel]\nfixed_cost_gbp = 4_000_000\nvariable_cost_gbp = 500\n"
        "[parties.SR001]\nloss_tolerance_gbp = 1_000_000\n"
    )
    args = ("--contract", str(contract), "--uncertainty", str(uncertainty), "--costs", str(costs))
    code, out, err = cli("stress", "check", *args, "--json")
    assert code == 0, err
    info = json.loads(out)
    assert info["notes"] == []
    assert info["sources"] == ["volume:nel"]
    code, out, err = cli(
        "stress", "run", *args, "--draws", "800", "--seed", "3", "--json",
        "--store", str(tmp_path / "runs"),
    )  # fmt: skip
    assert code == 0, err
    payload = json.loads(out)
    assert payload["notes"] == []
    rows = {(r["design"], r["party"]): r for r in payload["summary"]}
    provider = rows[("Acute cost and volume 2014/15", "SR001")]
    assert provider["sd_gbp"] > 0
    # the uncertainty file may also be the bare table
    uncertainty.write_text("[volume.nel]\ninterval_80 = [0.9, 1.2]\n")
    code, _, err = cli("stress", "check", *args)
    assert code == 0, err


def _bad_contract_run(tmp_path: Path, cli: CliRun, *args: str) -> str:
    """Run ``stress run`` with bad arguments; check exit 2, no traceback, nothing stored."""
    store = tmp_path / "runs"
    code, _, err = cli("stress", "run", *args, "--store", str(store))
    assert code == 2, err
    assert "Traceback" not in err
    assert not store.exists()
    return " ".join(err.split())  # the console wraps long lines


def test_bad_contract_path(tmp_path: Path, cli: CliRun) -> None:
    err = _bad_contract_run(tmp_path, cli, "--contract", str(tmp_path / "missing.toml"))
    assert "missing.toml: contract file not found" in err


def test_bad_contract_arguments(tmp_path: Path, cli: CliRun) -> None:
    contract = tmp_path / "acute.toml"
    contract.write_text(CONTRACT, encoding="utf-8")
    scenario = tmp_path / "s.toml"
    scenario.write_text(example_text("acute-designs"), encoding="utf-8")
    err = _bad_contract_run(tmp_path, cli, str(scenario), "--contract", str(contract))
    assert "exactly one" in err
    assert "got a scenario file and --contract" in err
    err = _bad_contract_run(tmp_path, cli, str(scenario), "--costs", str(contract))
    assert "--costs is only for --contract" in err
    err = _bad_contract_run(tmp_path, cli, "--contract", str(contract), "--draws", "0")
    assert "--draws must be greater than 0" in err
    err = _bad_contract_run(
        tmp_path, cli, "--contract", str(contract), "--ignore-rule", "readmission"
    )
    assert "did you mean 'readmissions'" in err


def test_bad_contract_inputs(tmp_path: Path, cli: CliRun) -> None:
    contract = tmp_path / "acute.toml"
    contract.write_text(CONTRACT.replace('currency = "spell"', 'currency = "spel"'))
    err = _bad_contract_run(tmp_path, cli, "--contract", str(contract))
    assert "acute.toml" in err
    assert "spel" in err
    contract.write_text(CONTRACT, encoding="utf-8")
    costs = tmp_path / "costs.toml"
    costs.write_text("[lines.ne]\nfixed_cost_gbp = 1\n")
    err = _bad_contract_run(tmp_path, cli, "--contract", str(contract), "--costs", str(costs))
    assert "costs.toml: lines.ne: refers to unknown line 'ne'" in err
    assert "did you mean 'nel'" in err
    uncertainty = tmp_path / "u.toml"
    uncertainty.write_text("[volume.nel]\ninterval_80 = [1.2, 0.9]\n")
    err = _bad_contract_run(
        tmp_path, cli, "--contract", str(contract), "--uncertainty", str(uncertainty)
    )
    assert "u.toml" in err
    assert "interval_80 low (1.2) is above high (0.9)" in err
    uncertainty.write_text("[volume.nell]\ninterval_80 = [0.9, 1.2]\n")
    err = _bad_contract_run(
        tmp_path, cli, "--contract", str(contract), "--uncertainty", str(uncertainty)
    )
    assert "u.toml: uncertainty.volume.nell: refers to unknown line" in err
