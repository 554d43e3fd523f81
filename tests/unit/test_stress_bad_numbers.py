"""Stress scenarios refuse numbers that would make every draw meaningless (issue: reliability)."""

from __future__ import annotations

import math
from typing import Any

import pytest

from quasimarket.errors import ConfigError
from quasimarket.stress import load_example, run_stress
from quasimarket.stress.scenario import parse_scenario

pytestmark = pytest.mark.unit


def base() -> dict[str, Any]:
    return load_example("acute-designs").model_dump(mode="python", exclude_none=True)


def refused(data: dict[str, Any], *needles: str) -> str:
    with pytest.raises(ConfigError) as err:
        parse_scenario(data, source="s.toml")
    text = " ".join(err.value.render().split())
    for needle in needles:
        assert needle in text, text
    return text


def test_the_base_scenario_is_valid() -> None:
    assert parse_scenario(base(), source="s.toml").name


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_non_finite_distribution_parameters_are_refused(bad: float) -> None:
    data = base()
    data["uncertainty"]["volume"]["elective"] = {"distribution": "normal", "mean": 1.0, "sd": bad}
    refused(data, "uncertainty.volume")


def test_non_finite_interval_is_refused() -> None:
    data = base()
    data["uncertainty"]["volume"]["elective"] = {"interval_80": [0.9, math.inf]}
    refused(data, "uncertainty.volume")


@pytest.mark.parametrize(
    "spec",
    [
        {"interval_80": [-0.2, 0.1]},
        {"distribution": "triangular", "low": -0.1, "mode": 0.0, "high": 0.1},
        {"distribution": "normal", "mean": -0.05, "sd": 0.02},
    ],
)
def test_a_negative_volume_factor_range_is_refused(spec: dict[str, Any]) -> None:
    data = base()
    data["uncertainty"]["volume"]["elective"] = spec
    refused(data, "volume factor", "write 0.8 for 20% below plan")


def test_a_garbage_year_is_refused_and_a_real_one_normalised() -> None:
    data = base()
    data["year"] = "garbage"
    refused(data, "year", "'garbage' is not a financial year")
    data["year"] = "2016-17"
    assert parse_scenario(data, source="s.toml").year == "2016/17"


@pytest.mark.parametrize("chunk", [0, -1])
def test_a_chunk_size_below_one_is_refused_before_any_work(chunk: int) -> None:
    scenario = load_example("acute-designs")
    with pytest.raises(ConfigError, match="chunk size must be at least 1 draw") as err:
        run_stress(scenario, chunk_size=chunk)
    assert err.value.location == "--chunk-size"
