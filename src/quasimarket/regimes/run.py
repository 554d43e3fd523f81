"""Simulate under a regime preset or path: the simulation, with the regimes' behaviour rules.

The simulation engine does not import :mod:`quasimarket.regimes` (the regimes sit above it), so it
cannot build the regime-path rule for a scenario whose ``[regime]`` names a ``preset``, ``path``
or ``switches``. :func:`simulate` is :func:`quasimarket.simulation.simulate` with those rules
passed in (:func:`~quasimarket.regimes.path.regime_behaviours`); it runs any scenario, with or
without a regime preset, and gives the same numbers as the simulation for the same seed.
"""

from __future__ import annotations

from typing import Any

from quasimarket.regimes.path import regime_behaviours
from quasimarket.simulation.run import Progress, SimulationResult
from quasimarket.simulation.run import simulate as simulate_with_rules
from quasimarket.simulation.scenario import SimulationScenario

__all__ = ["simulate"]


def simulate(
    scenario: SimulationScenario,
    *,
    years: str | None = None,
    draws: int | None = None,
    workers: int | None = None,
    seed: int | None = None,
    scheduler: str | None = None,
    progress: Progress | bool | None = None,
    economy: Any = None,
) -> SimulationResult:
    """Simulate *scenario*, including its regime preset or path (see the module docstring).

    The arguments are those of :func:`quasimarket.simulation.simulate`; the behaviour rules are
    :func:`~quasimarket.regimes.path.regime_behaviours` of the scenario's regime.

    Raises:
        ConfigError: an inconsistent scenario; an unknown regime, switch or behaviour option; a
            bad regime path. RunError: the run would not fit in memory.
    """
    return simulate_with_rules(
        scenario,
        years=years,
        draws=draws,
        workers=workers,
        seed=seed,
        scheduler=scheduler,
        progress=progress,
        economy=economy,
        behaviours=regime_behaviours(scenario.regime),
    )
