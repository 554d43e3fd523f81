"""The financial-risk stress tester: Monte Carlo over contract designs, who bears the risk.

Typical use::

    from quasimarket.stress import load_scenario, run_stress, save_run
    result = run_stress(load_scenario("scenario.toml"))          # or load_example("acute-designs")
    result.summary            # mean, P5/P50/P95, VaR/ES 95%, breach probabilities, variance share
    result.attribution        # which source of uncertainty drives whose risk
    run_id = save_run(result, "runs")

See ``docs/stress-testing.md``.
"""

from quasimarket.stress.builtin import EXAMPLES, example_text, load_example
from quasimarket.stress.run import StressResult, estimate_memory_bytes, run_stress, save_run
from quasimarket.stress.sampling import RANDOM_BLOCK, stable_hash
from quasimarket.stress.scenario import (
    SCENARIO_FORMAT,
    Design,
    Line,
    Party,
    Scenario,
    Uncertainty,
    load_scenario,
    parse_scenario,
)

__all__ = [
    "EXAMPLES",
    "RANDOM_BLOCK",
    "SCENARIO_FORMAT",
    "Design",
    "Line",
    "Party",
    "Scenario",
    "StressResult",
    "Uncertainty",
    "estimate_memory_bytes",
    "example_text",
    "load_example",
    "load_scenario",
    "parse_scenario",
    "run_stress",
    "save_run",
    "stable_hash",
]
