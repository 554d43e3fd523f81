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
