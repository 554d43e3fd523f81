"""The built-in example scenarios: ``quasimarket stress run --example NAME``.

* ``acute-designs``: one acute contract under PbR with MRET, block, blended payment and caps
  and collars (002@72285; payment-rules.md A4, A6).
* ``alliance-case-b``: the five-partner mental health alliance of case study B (£12m, 25%
  savings target, 1% gain/pain pot, 40/40/10/10, step-in at +10%; 002@273159–275,045).
* ``capitation-case-c``: a £20m capitation plus outcomes lead-provider deal in the shape of
  case study C (002@267810; 002@272684).
"""

from __future__ import annotations

from importlib import resources

from quasimarket.errors import ConfigError
from quasimarket.stress.scenario import Scenario, parse_scenario

__all__ = ["EXAMPLES", "example_text", "load_example"]

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
