"""Named policy regimes (issue #6): presets as data, regime paths, CCG → ICB restructuring.

Typical use::

    from quasimarket.regimes import apply_regime, get_preset, diff_presets
    from quasimarket.simulation import builtin_scenario, simulate
    get_preset("hsca-2013").switches          # every switch, with .sources
    scenario = apply_regime(builtin_scenario("small-baseline"), regime="hsca-2013")
    result = simulate(scenario)               # tables tendering, settlements, fragmentation, …

See ``docs/regimes.md``.
"""

from quasimarket.regimes.counterfactual import COUNTERFACTUALS, run_counterfactual
from quasimarket.regimes.path import RegimePath, Segment, apply_regime, parse_regime_path
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

__all__ = [
    "COUNTERFACTUALS",
    "INSTITUTIONAL_BEHAVIOURS",
    "Preset",
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
    "restructure_contracts",
    "run_counterfactual",
]
