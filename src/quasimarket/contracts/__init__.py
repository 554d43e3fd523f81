"""Contracts as data: the versioned TOML contract format, validation and calendar defaults.

* :func:`load_contract` / :func:`parse_contract`: read a ``quasimarket.contract/1`` file into a
  frozen :class:`Contract` (unknown keys refused; defaults from the payment-rule calendar).
* :class:`Contract`, :class:`ServiceLine`: the model; ``line.terms.kwargs()`` and each
  adjustment's ``kwargs()`` are the keyword arguments of the :mod:`quasimarket.mechanisms`
  functions.
* :meth:`Contract.summary`, :meth:`Contract.risk_table`: plain English, and who bears the risk.
* :func:`contract_template`: an annotated TOML template for any mechanism or rule.
"""

from __future__ import annotations

from quasimarket.contracts.adjustments import RULES, Adjustment, AdjustmentRule
from quasimarket.contracts.loading import contract_from_data, load_contract, parse_contract
from quasimarket.contracts.model import (
    CONTRACT_FORMAT,
    SUPPORTED_FORMATS,
    Alliance,
    AlliancePartner,
    Contract,
    Party,
    ResolvedDefault,
    RiskShare,
    ServiceLine,
    Settlement,
    Subcontract,
)
from quasimarket.contracts.risk import RiskRow
from quasimarket.contracts.templates import TEMPLATE_NAMES, contract_template
from quasimarket.contracts.terms import MECHANISMS, MechanismTerms

__all__ = [
    "CONTRACT_FORMAT",
    "MECHANISMS",
    "RULES",
    "SUPPORTED_FORMATS",
    "TEMPLATE_NAMES",
    "Adjustment",
    "AdjustmentRule",
    "Alliance",
    "AlliancePartner",
    "Contract",
    "MechanismTerms",
    "Party",
    "ResolvedDefault",
    "RiskRow",
    "RiskShare",
    "ServiceLine",
    "Settlement",
    "Subcontract",
    "contract_from_data",
    "contract_template",
    "load_contract",
    "parse_contract",
]
