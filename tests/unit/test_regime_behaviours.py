"""The regimes hand the simulation its behaviour rules (the simulation never imports the regimes).

A regime preset or path is resolved by :func:`quasimarket.regimes.regime_behaviours` into a
picklable factory that :func:`quasimarket.simulation.simulate` calls once per chunk of draws;
:func:`quasimarket.regimes.simulate` passes it in.
"""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from quasimarket.errors import ConfigError
from quasimarket.regimes import RegimeBehaviours, RegimePath, apply_regime, regime_behaviours
from quasimarket.regimes import simulate as simulate_regime
from quasimarket.simulation import Regime, builtin_scenario, parse_simulation_scenario, simulate
from quasimarket.simulation.regime import make_behaviours

pytestmark = pytest.mark.unit


@pytest.mark.parametrize(
    ("regime", "where"),
    [
        (Regime(preset="hsca-2013"), "regime.preset"),
        (Regime(path="hsca-2013@2013/14"), "regime.path"),
        (Regime(switches={"mret_rate": 0.5}), "regime.switches"),
    ],
)
def test_the_simulation_refuses_a_preset_without_its_rules(regime: Regime, where: str) -> None:
    with pytest.raises(ConfigError) as error:
        make_behaviours(regime)
    assert error.value.location == where
    assert "quasimarket.regimes" in str(error.value.problem)
    assert "quasimarket.regimes.simulate" in str(error.value.fix)


def test_simulate_refuses_a_preset_before_any_work() -> None:
    data = builtin_scenario("small-baseline").model_dump()
    data["regime"] = {"preset": "hsca-2013"}
    with pytest.raises(ConfigError, match="regime-path rule"):
        simulate(parse_simulation_scenario(data), economy=object())  # never reaches the economy


def test_regime_behaviours_build_fresh_rules_and_pickle() -> None:
    regime = Regime(path="hsca-2013@2013/14,stp-2016@2016/17", tendering=True)
    factory = regime_behaviours(regime)
    first, second = factory(), factory()
    assert [type(r).__name__ for r in first] == ["RegimePath", "Procurement"]
    assert all(a is not b for a, b in zip(first, second, strict=True))  # one set per chunk
    copy = pickle.loads(pickle.dumps(factory))  # what a Dask worker receives
    assert isinstance(copy, RegimeBehaviours)
    assert copy == factory
    rule = copy()[0]
    assert isinstance(rule, RegimePath)
    assert [s.name for s in rule.segments] == ["hsca-2013", "stp-2016"]


def test_regime_behaviours_without_a_preset_are_the_named_rules() -> None:
    factory = regime_behaviours(Regime(tendering=True))
    assert factory.segments is None
    assert [type(r).__name__ for r in factory()] == ["Procurement"]


def test_regime_behaviours_validate_up_front() -> None:
    with pytest.raises(ConfigError, match="unknown regime 'nhs-1948'"):
        regime_behaviours(Regime(preset="nhs-1948"))
    with pytest.raises(ConfigError, match="unknown behaviour rule 'nope'"):
        regime_behaviours(Regime(preset="hsca-2013", behaviours=["nope"]))


def test_the_regimes_simulate_passes_the_rules_in() -> None:
    scenario = apply_regime(builtin_scenario("small-baseline"), regime="hsca-2013")
    years = "2013/14:2014/15"
    via_regimes = simulate_regime(scenario, years=years, draws=2)
    injected = simulate(
        scenario, years=years, draws=2, behaviours=regime_behaviours(scenario.regime)
    )
    np.testing.assert_array_equal(via_regimes.commissioner, injected.commissioner)
    assert list(via_regimes.records["regimes"]["regime"]) == ["hsca-2013", "hsca-2013"]


def test_the_regimes_simulate_runs_a_plain_scenario_unchanged() -> None:
    scenario = builtin_scenario("small-baseline")
    plain = simulate(scenario, years="2013/14:2013/14", draws=2)
    via_regimes = simulate_regime(scenario, years="2013/14:2013/14", draws=2)
    np.testing.assert_array_equal(plain.commissioner, via_regimes.commissioner)
    np.testing.assert_array_equal(plain.provider_yearly, via_regimes.provider_yearly)
