"""The system simulation: need → referral and choice → waiting lists → contracts → money, monthly.

Typical use::

    from quasimarket.simulation import builtin_scenario, simulate
    result = simulate(builtin_scenario("small-baseline"))
    result.summary()          # national totals by year
    run_id = result.save()    # to the run store (kind "simulation")

A scenario under a regime preset or path (``[regime] preset``, ``path`` or ``switches``) runs
with :func:`quasimarket.regimes.simulate`, which passes the regime-path rule in: this package
does not import :mod:`quasimarket.regimes`. See ``docs/simulation.md``.
"""

from quasimarket.simulation.attribution import FACTORS, shapley_product, spend_attribution
from quasimarket.simulation.compile import Compiled, compile_simulation, load_scenario_economy
from quasimarket.simulation.engine import ChunkOutput, SimulationState, run_chunk
from quasimarket.simulation.parameters import DEMAND_PODS, PODS, SERVICES
from quasimarket.simulation.regime import (
    BEHAVIOURS,
    CURRENT_RULES,
    BehaviourFactory,
    BehaviourRule,
    Regime,
    register_behaviour,
)
from quasimarket.simulation.run import SimulationResult, estimate_memory_bytes, simulate
from quasimarket.simulation.scenario import (
    BUILTIN,
    SimulationScenario,
    builtin_scenario,
    load_simulation_scenario,
    parse_simulation_scenario,
)

__all__ = [
    "BEHAVIOURS",
    "BUILTIN",
    "CURRENT_RULES",
    "DEMAND_PODS",
    "FACTORS",
    "PODS",
    "SERVICES",
    "BehaviourFactory",
    "BehaviourRule",
    "ChunkOutput",
    "Compiled",
    "Regime",
    "SimulationResult",
    "SimulationScenario",
    "SimulationState",
    "builtin_scenario",
    "compile_simulation",
    "estimate_memory_bytes",
    "load_scenario_economy",
    "load_simulation_scenario",
    "parse_simulation_scenario",
    "register_behaviour",
    "run_chunk",
    "shapley_product",
    "simulate",
    "spend_attribution",
]
