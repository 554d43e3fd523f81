"""quasimarket: a model of the English NHS commissioning quasi-market.

Price activity under contract terms, stress-test who bears the financial risk, simulate the
system under policy regimes, and explain who commissions what for whom in which year::

    import quasimarket as qm

    qm.who_commissions("sexual health services", 2016).bodies
    economy = qm.synthetic_economy(seed=0, year="2016/17")
    result = qm.price(qm.load_contract("contract.toml"), qm.load_activity("activity.csv"),
                      qm.TariffTable.from_economy(economy))
    qm.run_stress(qm.load_example("acute-designs")).summary
    qm.simulate(qm.builtin_scenario("england-baseline"), years="2013/14:2017/18").summary()

Names are imported on first use (PEP 562), so ``import quasimarket`` stays fast; the
``TYPE_CHECKING`` block gives type checkers and editors the real objects.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from quasimarket.errors import ConfigError, InputError, QuasimarketError, RunError
from quasimarket.financial_year import FinancialYear
from quasimarket.money import round_pence

if TYPE_CHECKING:
    from quasimarket.activity import (
        ActivityTable,
        load_activity,
        synthetic_activity,
        synthetic_activity_for_contract,
    )
    from quasimarket.contracts import (
        Contract,
        ServiceLine,
        contract_template,
        load_contract,
        parse_contract,
    )
    from quasimarket.demo import (
        run_demo,
    )
    from quasimarket.economy import (
        Economy,
        describe_economy,
        load_economy,
        load_real_economy,
        save_economy,
        small_economy,
        synthetic_economy,
    )
    from quasimarket.mechanisms import REGISTRY as MECHANISMS
    from quasimarket.mechanisms import (
        Mechanism,
    )
    from quasimarket.mechanisms import get as get_mechanism
    from quasimarket.pricing import (
        PricingResult,
        price,
    )
    from quasimarket.regimes import simulate
    from quasimarket.runs import (
        RunStore,
    )
    from quasimarket.simulation import (
        Regime,
        SimulationResult,
        SimulationScenario,
        builtin_scenario,
        load_simulation_scenario,
    )
    from quasimarket.stress import (
        StressResult,
        load_example,
        run_stress,
        save_run,
    )
    from quasimarket.stress import load_scenario as load_stress_scenario
    from quasimarket.structure import (
        PaymentRules,
        Sourced,
        answers_to,
        org_types,
        payment_rules,
        services,
        structure_graph,
        who_commissions,
    )
    from quasimarket.structure.eras import eras
    from quasimarket.tariff import (
        TariffTable,
        annex_a_from_reference_costs,
        load_tariff,
    )

__version__ = "0.1.0"

#: Lazily imported public names: name -> (module, attribute).
_LAZY: dict[str, tuple[str, str]] = {
    "PaymentRules": ("quasimarket.structure", "PaymentRules"),
    "Sourced": ("quasimarket.structure", "Sourced"),
    "answers_to": ("quasimarket.structure", "answers_to"),
    "eras": ("quasimarket.structure", "eras"),
    "org_types": ("quasimarket.structure", "org_types"),
    "payment_rules": ("quasimarket.structure", "payment_rules"),
    "services": ("quasimarket.structure", "services"),
    "structure_graph": ("quasimarket.structure", "structure_graph"),
    "who_commissions": ("quasimarket.structure", "who_commissions"),
    "Economy": ("quasimarket.economy", "Economy"),
    "describe_economy": ("quasimarket.economy", "describe_economy"),
    "load_economy": ("quasimarket.economy", "load_economy"),
    "load_real_economy": ("quasimarket.economy", "load_real_economy"),
    "save_economy": ("quasimarket.economy", "save_economy"),
    "small_economy": ("quasimarket.economy", "small_economy"),
    "synthetic_economy": ("quasimarket.economy", "synthetic_economy"),
    "TariffTable": ("quasimarket.tariff", "TariffTable"),
    "annex_a_from_reference_costs": ("quasimarket.tariff", "annex_a_from_reference_costs"),
    "load_tariff": ("quasimarket.tariff", "load_tariff"),
    "ActivityTable": ("quasimarket.activity", "ActivityTable"),
    "load_activity": ("quasimarket.activity", "load_activity"),
    "synthetic_activity": ("quasimarket.activity", "synthetic_activity"),
    "synthetic_activity_for_contract": ("quasimarket.activity", "synthetic_activity_for_contract"),
    "Mechanism": ("quasimarket.mechanisms", "Mechanism"),
    "Contract": ("quasimarket.contracts", "Contract"),
    "ServiceLine": ("quasimarket.contracts", "ServiceLine"),
    "contract_template": ("quasimarket.contracts", "contract_template"),
    "load_contract": ("quasimarket.contracts", "load_contract"),
    "parse_contract": ("quasimarket.contracts", "parse_contract"),
    "PricingResult": ("quasimarket.pricing", "PricingResult"),
    "price": ("quasimarket.pricing", "price"),
    "RunStore": ("quasimarket.runs", "RunStore"),
    "StressResult": ("quasimarket.stress", "StressResult"),
    "load_example": ("quasimarket.stress", "load_example"),
    "run_stress": ("quasimarket.stress", "run_stress"),
    "save_run": ("quasimarket.stress", "save_run"),
    "Regime": ("quasimarket.simulation", "Regime"),
    "SimulationResult": ("quasimarket.simulation", "SimulationResult"),
    "SimulationScenario": ("quasimarket.simulation", "SimulationScenario"),
    "builtin_scenario": ("quasimarket.simulation", "builtin_scenario"),
    "load_simulation_scenario": ("quasimarket.simulation", "load_simulation_scenario"),
    # the regime-aware entry point: it builds a preset's or path's behaviour rules and passes
    # them to quasimarket.simulation.simulate (which does not import the regimes)
    "simulate": ("quasimarket.regimes", "simulate"),
    "run_demo": ("quasimarket.demo", "run_demo"),
    "MECHANISMS": ("quasimarket.mechanisms", "REGISTRY"),
    "get_mechanism": ("quasimarket.mechanisms", "get"),
    "load_stress_scenario": ("quasimarket.stress", "load_scenario"),
}

__all__ = [
    "MECHANISMS",
    "ActivityTable",
    "ConfigError",
    "Contract",
    "Economy",
    "FinancialYear",
    "InputError",
    "Mechanism",
    "PaymentRules",
    "PricingResult",
    "QuasimarketError",
    "Regime",
    "RunError",
    "RunStore",
    "ServiceLine",
    "SimulationResult",
    "SimulationScenario",
    "Sourced",
    "StressResult",
    "TariffTable",
    "__version__",
    "annex_a_from_reference_costs",
    "answers_to",
    "builtin_scenario",
    "contract_template",
    "describe_economy",
    "eras",
    "get_mechanism",
    "load_activity",
    "load_contract",
    "load_economy",
    "load_example",
    "load_real_economy",
    "load_simulation_scenario",
    "load_stress_scenario",
    "load_tariff",
    "org_types",
    "parse_contract",
    "payment_rules",
    "price",
    "round_pence",
    "run_demo",
    "run_stress",
    "save_economy",
    "save_run",
    "services",
    "simulate",
    "small_economy",
    "structure_graph",
    "synthetic_activity",
    "synthetic_activity_for_contract",
    "synthetic_economy",
    "who_commissions",
]


def __getattr__(name: str) -> Any:
    """Import a public name on first use."""
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'quasimarket' has no attribute {name!r}") from None
    value = getattr(importlib.import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
