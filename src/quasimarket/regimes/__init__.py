"""Named policy regimes (issue #6): presets as data, regime paths, CCG → ICB restructuring.

Typical use::

    from quasimarket.regimes import apply_regime, get_preset, diff_presets, simulate
    from quasimarket.simulation import builtin_scenario
    get_preset("hsca-2013").switches          # every switch, with .sources
    scenario = apply_regime(builtin_scenario("small-baseline"), regime="hsca-2013")
    result = simulate(scenario)               # tables tendering, settlements, fragmentation, …

This package imports the simulation, never the reverse: :func:`simulate` is
:func:`quasimarket.simulation.simulate` with the regime's behaviour rules passed in
(:func:`regime_behaviours`). See ``docs/regimes.md``.
"""

from quasimarket.regimes.counterfactual import COUNTERFACTUALS, run_counterfactual
from quasimarket.regimes.path import (
    RegimeBehaviours,
    RegimePath,
    Segment,
    apply_regime,
    parse_regime_path,
    regime_behaviours,
)
from quasimarket.regimes.presets import (
    INSTITUTIONAL_BEHAVIOURS,
    Preset,
    Switches,
    diff_presets,
    get_preset,
    list_presets,
    preset_names,
)
from quasimarket.regimes.restructure import ccg_to_icb, restructure_contracts
from quasimarket.regimes.run import simulate

__all__ = [
    "COUNTERFACTUALS",
    "INSTITUTIONAL_BEHAVIOURS",
    "Preset",
    "RegimeBehaviours",
    "RegimePath",
    "Segment",
    "Switches",
    "apply_regime",
    "ccg_to_icb",
    "diff_presets",
    "get_preset",
    "list_presets",
    "parse_regime_path",
    "preset_names",
    "regime_behaviours",
    "restructure_contracts",
    "run_counterfactual",
    "simulate",
]
