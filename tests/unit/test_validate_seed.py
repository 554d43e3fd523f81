"""Seeds are checked once, up front: whole numbers in [0, 2**63), before any work is done."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from quasimarket.errors import ConfigError, InputError
from quasimarket.random_streams import MAX_SEED, validate_seed

pytestmark = pytest.mark.unit

CliRun = Callable[..., tuple[int, str, str]]
TOO_BIG = 2**70


@pytest.mark.parametrize(
    "seed",
    [0, 1, 42, MAX_SEED, np.int64(7), np.int32(7), np.uint64(MAX_SEED), np.uint8(3)],
    ids=repr,
)
def test_whole_numbers_in_range_are_accepted_as_plain_ints(seed: Any) -> None:
    value = validate_seed(seed, location="seed")
    assert value == int(seed)
    assert type(value) is int


@pytest.mark.parametrize(
    ("seed", "problem"),
    [
        (-1, "out of range"),
        (MAX_SEED + 1, "out of range"),
        (TOO_BIG, "out of range"),
        (np.int64(-5), "out of range"),
        (True, "whole number"),
        (False, "whole number"),
        (1.0, "whole number"),
        (np.float64(3.0), "whole number"),
        ("3", "whole number"),
        (None, "whole number"),
    ],
    ids=repr,
)
def test_everything_else_is_an_input_error_naming_the_location(seed: Any, problem: str) -> None:
    with pytest.raises(InputError, match=problem) as info:
        validate_seed(seed, location="--seed")
    assert info.value.location == "--seed"
    assert info.value.expected is not None
    assert "2**63" in info.value.expected
    assert info.value.exit_code == 2


def test_stress_run_refuses_a_huge_seed_before_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    from quasimarket.stress import run as stress_run
    from quasimarket.stress.builtin import load_example

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(stress_run, "compile_scenario", must_not_run)
    scenario = load_example("acute-designs").model_copy(update={"seed": TOO_BIG, "draws": 100})
    with pytest.raises(InputError, match="out of range"):
        stress_run.run_stress(scenario)


def test_simulation_refuses_a_huge_seed_before_computing(monkeypatch: pytest.MonkeyPatch) -> None:
    from quasimarket.simulation import builtin_scenario
    from quasimarket.simulation import run as simulation_run

    def must_not_run(*args: object, **kwargs: object) -> None:
        raise AssertionError("the run started")

    monkeypatch.setattr(simulation_run, "compile_simulation", must_not_run)
    monkeypatch.setattr(simulation_run, "load_scenario_economy", must_not_run)
    scenario = builtin_scenario("small-baseline")
    with pytest.raises(InputError, match="out of range"):
        simulation_run.simulate(scenario, seed=TOO_BIG)
    with pytest.raises(InputError, match="out of range"):
        simulation_run.simulate(scenario.model_copy(update={"seed": TOO_BIG}))


def test_economy_and_activity_builders_check_the_seed() -> None:
    from quasimarket.activity.synthetic import synthetic_activity
    from quasimarket.economy.synthetic import small_economy, synthetic_economy

    with pytest.raises(InputError, match="out of range"):
        small_economy(seed=MAX_SEED + 1)
    with pytest.raises(InputError, match="out of range"):
        synthetic_economy(seed=TOO_BIG)
    with pytest.raises(ConfigError, match="seed"):  # the economy's own check, unchanged
        small_economy(seed=-1)
    with pytest.raises(InputError, match="out of range"):
        synthetic_activity(None, n_records=10, year="2025/26", seed=TOO_BIG)


def test_the_store_refuses_a_huge_seed_and_writes_nothing(tmp_path: Path) -> None:
    from quasimarket.runs import RunStore

    store = RunStore(tmp_path / "runs")
    tables = {"summary": pd.DataFrame({"x": [1.0]})}
    with pytest.raises(InputError, match="out of range"):
        store.write("stress", {"name": "huge"}, tables, {"seed": TOO_BIG})
    assert not (tmp_path / "runs").exists() or not any((tmp_path / "runs").iterdir())
    assert store.list() == []


def test_cli_stress_run_with_a_huge_seed_exits_2_at_once(tmp_path: Path, cli: CliRun) -> None:
    code, _, err = cli(
        "stress",
        "run",
        "--example",
        "acute-designs",
        "--draws",
        "100",
        "--seed",
        str(TOO_BIG),
        "--store",
        str(tmp_path / "runs"),
    )
    assert code == 2, err
    assert "seed" in err
    assert "out of range" in err
    assert "Traceback" not in err
    from quasimarket.runs import RunStore

    assert RunStore(tmp_path / "runs").list() == []
