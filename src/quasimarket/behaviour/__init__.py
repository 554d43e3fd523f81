"""Institutional behaviour rules (issue #6), one module per rule, plugged into the simulation.

Each rule is registered with :func:`quasimarket.behaviour.hooks.register_behaviour` (re-exported
as ``quasimarket.simulation.register_behaviour``) under its name and
runs at the engine's hook points; each documents its source locations in the seeds, its
options (validated, with ranges) and the run table it writes:

==========================  =====================================  ==================
rule                        module                                 run table
==========================  =====================================  ==================
``retreat_to_block``        :mod:`~.block_retreat`                 ``contract_forms``
``year_end_settlement``     :mod:`~.settlement`                    ``settlements``
``procurement``             :mod:`~.procurement`                   ``tendering``
``co_commissioning``        :mod:`~.co_commissioning`              ``co_commissioning``
``public_health_grant``     :mod:`~.public_health`                 ``public_health``
``alliance``                :mod:`~.alliance`                      ``alliance``
``fragmentation``           :mod:`~.fragmentation`                 ``fragmentation``
==========================  =====================================  ==================

Regime presets (:mod:`quasimarket.regimes`) switch them on and set their options from the
regime's switches; a scenario may also name them directly in ``[regime] behaviours``.
"""

from quasimarket.behaviour._common import InstitutionalRule
from quasimarket.behaviour.alliance import Alliance, AllianceOptions
from quasimarket.behaviour.block_retreat import BlockRetreatOptions, RetreatToBlock
from quasimarket.behaviour.co_commissioning import CoCommissioning, CoCommissioningOptions
from quasimarket.behaviour.fragmentation import Fragmentation, FragmentationOptions
from quasimarket.behaviour.procurement import Procurement, ProcurementOptions
from quasimarket.behaviour.public_health import PublicHealthGrant, PublicHealthOptions
from quasimarket.behaviour.settlement import SettlementOptions, YearEndSettlement

#: Rule name → class (all registered with the simulation on import).
RULES: dict[str, type[InstitutionalRule]] = {
    "retreat_to_block": RetreatToBlock,
    "year_end_settlement": YearEndSettlement,
    "procurement": Procurement,
    "co_commissioning": CoCommissioning,
    "public_health_grant": PublicHealthGrant,
    "alliance": Alliance,
    "fragmentation": Fragmentation,
}

__all__ = [
    "RULES",
    "Alliance",
    "AllianceOptions",
    "BlockRetreatOptions",
    "CoCommissioning",
    "CoCommissioningOptions",
    "Fragmentation",
    "FragmentationOptions",
    "InstitutionalRule",
    "Procurement",
    "ProcurementOptions",
    "PublicHealthGrant",
    "PublicHealthOptions",
    "RetreatToBlock",
    "SettlementOptions",
    "YearEndSettlement",
]
