"""Bad input for regimes: one clear error, exit code 2, and no run written."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

Cli = Callable[..., tuple[int, str, str]]

SCENARIO = """
name = "bad regime"
years = "2013/14:2014/15"
[economy]
kind = "small"
[regime]
{regime}
"""


def _nothing_written(store: Path) -> None:
    runs = [p for p in store.iterdir() if p.name.startswith("simulation")] if store.exists() else []
    assert runs == []


def _scenario(tmp_path: Path, regime: str) -> str:
    path = tmp_path / "scenario.toml"
    path.write_text(SCENARIO.format(regime=regime), encoding="utf-8")
    return str(path)


@pytest.mark.parametrize(
    ("args", "message", "where"),
    [
        (("--regime", "hsca-2031"), "unknown regime 'hsca-2031'", "--regime"),
        (
            ("--regime-path", "hsca-2013@2013/14,stp-2016@2013/14"),
            "overlaps",
            "--regime-path entry 2",
        ),
        (
            ("--regime-path", "stp-2016@2014/15,hsca-2013@2013/14"),
            "is out of order",
            "--regime-path entry 2",
        ),
        (("--regime-path", "stp-2016@2014/15"), "after the first simulated year", "entry 1"),
        (("--regime-path", "hsca-2013@2013/14,ics-2019@2019/20"), "after the last", "path"),
        (("--regime-path", "hsca-2013"), "cannot read regime path entry 1", "entry 1"),
        (("--regime-path", "hsca-2013@13/14"), "bad financial year", "entry 1"),
        (
            ("--regime", "hsca-2013", "--regime-path", "hsca-2013@2013/14"),
            "exactly one",
            "--regime",
        ),
    ],
)
def test_bad_regime_options(
    cli: Cli, tmp_path: Path, args: tuple[str, ...], message: str, where: str
) -> None:
    store = tmp_path / "runs"
    code, _out, err = cli(
        "simulate",
        "--example",
        "small-baseline",
        "--years",
        "2013/14:2014/15",
        "--out",
        str(store),
        *args,
    )
    assert code == 2
    assert message in err
    assert where in err
    assert "expected" in err
    assert "fix" in err
    assert "Traceback" not in err
    _nothing_written(store)


@pytest.mark.parametrize(
    ("regime", "message", "where"),
    [
        ('preset = "hsca-2013"\nswitches = { mret = 0.5 }', "unknown regime switch", "mret"),
        (
            'preset = "hsca-2013"\nswitches = { procurement_signal = 3.0 }',
            "procurement_signal",
            "regime.switches",
        ),
        (
            'preset = "hsca-2013"\n[regime.behaviour_options.settlment]\nx = 1',
            "unknown behaviour rule(s): settlment",
            "regime.behaviour_options.settlment",
        ),
        (
            'preset = "hsca-2013"\n[regime.behaviour_options.procurement]\nspeed = 1',
            "bad option for behaviour rule 'procurement'",
            "regime.behaviour_options.procurement.speed",
        ),
        (
            'preset = "hsca-2013"\n[regime.behaviour_options.year_end_settlement]\n'
            "relationship_strength = 1.5",
            "relationship_strength",
            "regime.behaviour_options.year_end_settlement.relationship_strength",
        ),
        ('path = "hsca-2013@2014/15,pct-pbr-2004@2013/14"', "out of order", "regime.path"),
        ('preset = "nhs-1948"', "unknown regime 'nhs-1948'", "regime.preset"),
        ("switches = { mret_rate = 0.5 }", "switches are given without a preset", "regime"),
    ],
)
def test_bad_regime_in_scenario_file(
    cli: Cli, tmp_path: Path, regime: str, message: str, where: str
) -> None:
    store = tmp_path / "runs"
    code, _out, err = cli("simulate", _scenario(tmp_path, regime), "--out", str(store))
    assert code == 2, err
    assert message in err
    assert where in err
    assert "Traceback" not in err
    _nothing_written(store)


def test_unknown_preset_in_show_and_diff(cli: Cli) -> None:
    code, _, err = cli("regimes", "show", "hsca-2012")
    assert code == 2
    assert "unknown regime 'hsca-2012'" in err
    assert "hsca-2013" in err
    code, _, err = cli("regimes", "diff", "hsca-2013", "nope")
    assert code == 2
    assert "unknown regime 'nope'" in err
    assert "B" in err


def test_unknown_counterfactual_writes_nothing(cli: Cli, tmp_path: Path) -> None:
    store = tmp_path / "runs"
    code, _, err = cli("regimes", "counterfactual", "1990-1997", "--out", str(store))
    assert code == 2
    assert "unknown counterfactual" in err
    _nothing_written(store)
