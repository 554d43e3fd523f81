"""The structure of the English NHS commissioning system, era by era, as sourced data.

* :func:`payment_rules`: the national payment rules in force in a financial year
  (:class:`PaymentRules` of :class:`Sourced` values).
* :func:`eras`, :func:`era_of`: the timeline, 1991/92 to 2025/26.
* :func:`org_types`, :func:`find_org_type`: organisation types and when they existed.
* :func:`who_commissions`, :func:`services`: which bodies commission which service, when.
* :func:`structure_graph`, :func:`answers_to`: accountability and funding relations as a graph.

Every entry in the data files cites the seed documents (e.g. ``002@64221``) or
``payment-rules.md`` with a verbatim quote; entries from outside the research are flagged
``beyond_research``.
"""

from __future__ import annotations

from quasimarket.structure.calendar import PaymentRules, Sourced, payment_rules
from quasimarket.structure.drawing import graph_to_dict, graph_to_dot, write_graph
from quasimarket.structure.eras import Era, era_of, eras
from quasimarket.structure.organisations import Ambiguity, OrgType, find_org_type, org_types
from quasimarket.structure.relations import (
    AccountabilityLink,
    Relation,
    answers_to,
    structure_graph,
)
from quasimarket.structure.responsibilities import (
    Commissioning,
    Service,
    find_service,
    services,
    who_commissions,
)

__all__ = [
    "AccountabilityLink",
    "Ambiguity",
    "Commissioning",
    "Era",
    "OrgType",
    "PaymentRules",
    "Relation",
    "Service",
    "Sourced",
    "answers_to",
    "era_of",
    "eras",
    "find_org_type",
    "find_service",
    "graph_to_dict",
    "graph_to_dot",
    "org_types",
    "payment_rules",
    "services",
    "structure_graph",
    "who_commissions",
    "write_graph",
]
