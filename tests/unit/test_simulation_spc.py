"""The Making Data Count XmR chart and built-in/example scenarios."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from quasimarket.simulation import BUILTIN, builtin_scenario, load_simulation_scenario
from quasimarket.simulation.spc import xmr

pytestmark = pytest.mark.unit

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "scenarios"


def test_xmr_hand_example() -> None:
    # 10, 12, 11, 13, 12: mean 11.6; moving ranges 2, 1, 2, 1 → mean 1.5; σ = 1.5 / 1.128.
    chart = xmr([10, 12, 11, 13, 12])
    assert chart.mean == pytest.approx(11.6)
    assert chart.sigma == pytest.approx(1.5 / 1.128)
    assert chart.upper == pytest.approx(11.6 + 3 * 1.5 / 1.128)
    assert not chart.special_cause.any()


def test_xmr_flags_outside_limits_and_shifts() -> None:
    base = [100.0, 102.0, 98.0, 101.0, 99.0, 100.0, 103.0, 97.0, 101.0, 99.0]  # mean 100
    chart = xmr([*base, 130.0], baseline=len(base))
    assert chart.outside.tolist() == [False] * 10 + [True]
    run = xmr([*base, 101.5, 101.5, 101.5, 101.5, 101.5, 101.5, 101.5], baseline=len(base))
    assert run.shift[-7:].all()
    assert not run.outside.any()
    six = xmr([*base, 101.5, 101.5, 101.5, 101.5, 101.5, 101.5], baseline=len(base))
    assert not six.shift[-6:].any()  # 6 in a row is not a shift


@pytest.mark.parametrize("name", sorted(BUILTIN))
def test_builtin_scenarios_validate(name: str) -> None:
    scenario = builtin_scenario(name)
    assert scenario.name == name
    assert len(scenario.year_list()) >= 2


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("simulation_*.toml")), ids=lambda p: p.name)
def test_example_files_validate(path: Path) -> None:
    scenario = load_simulation_scenario(path)
    assert scenario.description
    assert np.isfinite(scenario.allocation_scale)
