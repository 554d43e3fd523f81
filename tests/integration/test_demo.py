"""``quasimarket demo``: the main job on the built-in economy, end to end, small settings."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from quasimarket.demo import run_demo

pytestmark = pytest.mark.integration


def test_demo_prices_stress_tests_simulates_and_writes_reports(tmp_path: Path) -> None:
    lines: list[str] = []
    summary = run_demo(tmp_path / "demo", seed=1, records=60_000, draws=4096, say=lines.append)

    assert len(lines) == 4
    assert summary.economy["commissioners"] == 211  # 2016/17 is a CCG-era year
    assert summary.structure["bodies"]
    rules = summary.pricing["rules"]
    mret = next(v for k, v in rules.items() if k.startswith("Marginal rate"))
    assert mret < 0, "the baseline sits below this year's emergency value, so MRET deducts"
    assert summary.pricing["settled_gbp"] == pytest.approx(summary.pricing["formal_gbp"])

    shares = summary.stress["variance_share"]
    assert shares["Block"]["commissioner"] == pytest.approx(0.0, abs=1e-12)
    assert shares["PbR with MRET"]["commissioner"] > shares["PbR with MRET"]["provider"]

    assert len(summary.simulation["years"]) == 5
    for key in ("pricing", "stress_report", "simulation_report", "runs"):
        assert Path(summary.outputs[key]).exists(), key
    assert (Path(summary.outputs["pricing"]) / "statement.csv").exists()


def test_demo_cli_json(cli: Callable[..., tuple[int, str, str]], tmp_path: Path) -> None:
    code, out, err = cli(
        "demo", "--out", str(tmp_path / "d"), "--records", "20000", "--draws", "4096", "--json"
    )
    assert code == 0, err
    payload = json.loads(out)
    assert set(payload) >= {"economy", "pricing", "stress", "simulation", "outputs"}


@pytest.mark.parametrize("taken", ["simulation-report.html", "stress-report.html", "pricing/x.txt"])
def test_demo_refuses_a_users_file_before_any_work(tmp_path: Path, taken: str) -> None:
    from quasimarket.errors import InputError

    folder = tmp_path / "demo"
    (folder / taken).parent.mkdir(parents=True)
    (folder / taken).write_text("the user's own")
    lines: list[str] = []
    with pytest.raises(InputError, match="refusing"):
        run_demo(folder, records=100, draws=10, say=lines.append)
    assert lines == []  # refused before building anything
    assert (folder / taken).read_text() == "the user's own"
    assert sorted(p.name for p in folder.rglob("*")) == sorted(Path(taken).parts)
