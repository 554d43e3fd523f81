"""The built-in example scenarios: ``quasimarket stress run --example NAME``.

* ``acute-designs``: one acute contract under PbR with MRET, block, blended payment and caps
  and collars (002@72285; payment-rules.md A4, A6).
* ``alliance-case-b``: the five-partner mental health alliance of case study B (£12m, 25%
  savings target, 1% gain/pain pot, 40/40/10/10, step-in at +10%; 002@273159–275,045).
* ``capitation-case-c``: a £20m capitation plus outcomes lead-provider deal in the shape of
  case study C (002@267810; 002@272684).

:func:`default_uncertainty` is the volume uncertainty a scenario made from a contract gets
when none is given (``Scenario.from_contract``; ``quasimarket stress run --contract FILE``).
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources

from quasimarket.errors import ConfigError
from quasimarket.stress.scenario import Scenario, Uncertainty, parse_scenario

__all__ = [
    "DEFAULT_UNCERTAINTY_TEXT",
    "EMERGENCY_PODS",
    "EXAMPLES",
    "default_uncertainty",
    "example_text",
    "load_example",
]

#: Example name → what it shows.
EXAMPLES: dict[str, str] = {
    "acute-designs": "one acute contract under PbR + MRET, block, blended payment and caps "
    "and collars: block puts volume risk on the provider, PbR on the commissioner",
    "alliance-case-b": "case study B mental health alliance (£12m, 40/40/10/10, third sector "
    "exempt, commissioner steps in at +10% demand)",
    "capitation-case-c": "case study C shape: £20m lead-provider deal, block vs capitation "
    "with outcome payment and contingency vs cost per case",
}


def example_text(name: str) -> str:
    """The TOML text of a built-in example.

    Raises:
        ConfigError: unknown example (listing the known ones).
    """
    if name not in EXAMPLES:
        raise ConfigError(
            f"unknown example '{name}'",
            location="--example",
            expected="one of " + ", ".join(EXAMPLES),
            fix="list the examples with `quasimarket stress examples`",
        )
    files = resources.files("quasimarket.stress.examples")
    return files.joinpath(f"{name}.toml").read_text(encoding="utf-8")


def load_example(name: str) -> Scenario:
    """A built-in example as a validated scenario."""
    return parse_scenario(example_text(name), source=f"example:{name}")


#: Points of delivery whose volume the default uncertainty skews upwards (emergency demand).
EMERGENCY_PODS = ("non_elective", "ae")
#: The default volume uncertainty in words (for the scenario's notes and the docs).
DEFAULT_UNCERTAINTY_TEXT = (
    "each line's activity has an 80% interval (P10-P90) of 95%-105% of plan (normal); "
    "emergency lines (first point of delivery non_elective or ae) 97%-109% (lognormal, "
    "skewed upwards), as the acute-designs example; lines independent; no price, cost, "
    "length-of-stay or achievement uncertainty [modelling note: stylised, not estimated]."
)


def default_uncertainty(pods: Iterable[str] = ()) -> Uncertainty:
    """The default volume uncertainty for lines with these points of delivery.

    Every line: volume factor (actual / planned activity) with an 80% interval of
    [0.95, 1.05] (normal). Lines whose point of delivery is in :data:`EMERGENCY_PODS`:
    [0.97, 1.09], lognormal (the ``acute-designs`` example's non-elective line: emergency
    demand skews upwards). Nothing else is uncertain. The widths are a stylised
    [modelling note], meant for a first look; a real stress test gives its own.
    """
    volume: dict[str, object] = {"*": {"interval_80": [0.95, 1.05]}}
    for pod in sorted(set(pods)):
        if pod in EMERGENCY_PODS:
            volume[f"pod:{pod}"] = {"interval_80": [0.97, 1.09], "shape": "lognormal"}
    return Uncertainty.model_validate({"volume": volume})
