"""Accountability, funding and other relations between organisation types, as a graph by year.

Data: ``data/relations.toml`` (seeds digest §1.2, the money-flow graph §3.2 and the
accountability relations §5.6, from 002@341804-343600). Each relation is a directed edge
``from_org -> to_org`` of one kind:

* ``accountable_to``: with ``strength`` (strong / formal / weak / none) and ``sanctions``;
* ``funds``: with ``what`` money flows (mandate, allocation, ring-fenced grant, delegated
  budget, contract payments);
* ``regulates``, ``hosts``, ``delegates``, ``member_of``: with ``what`` describing the domain.

:func:`structure_graph` builds a :class:`networkx.MultiDiGraph` for one financial year: an
edge appears when the relation applies that year and both organisation types exist.
"""

from __future__ import annotations

import functools
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from quasimarket.errors import ConfigError
from quasimarket.financial_year import FinancialYear
from quasimarket.structure._data import load_model
from quasimarket.structure.calendar import FIRST_YEAR, LAST_YEAR, check_year
from quasimarket.structure.organisations import (
    check_quote,
    check_source,
    find_org_type,
    org_type_index,
    validate_bodies,
)

if TYPE_CHECKING:  # networkx costs 0.3 s to import: only the graph functions need it
    import networkx as nx

__all__ = [
    "EDGE_KINDS",
    "GRAPH_KINDS",
    "STRENGTHS",
    "AccountabilityLink",
    "Relation",
    "answers_to",
    "relations",
    "structure_graph",
]

EdgeKind = Literal["accountable_to", "funds", "regulates", "hosts", "delegates", "member_of"]
Strength = Literal["strong", "formal", "weak", "none"]

#: Edge kinds, in drawing order.
EDGE_KINDS: tuple[str, ...] = (
    "accountable_to",
    "funds",
    "regulates",
    "hosts",
    "delegates",
    "member_of",
)
#: Accountability strengths, strongest first (002@341804-343600).
STRENGTHS: tuple[str, ...] = ("strong", "formal", "weak", "none")
#: Graph selections accepted by :func:`structure_graph`: edge kinds they include.
GRAPH_KINDS: dict[str, tuple[str, ...]] = {
    "accountability": ("accountable_to",),
    "funding": ("funds",),
    "all": EDGE_KINDS,
    **{kind: (kind,) for kind in EDGE_KINDS},
}

_FILE = "quasimarket/structure/data/relations.toml"


class Relation(BaseModel):
    """One relation (``[[relation]]`` in ``relations.toml``).

    Attributes:
        kind: Edge kind (see module docstring).
        from_org: Organisation type id at the tail (who is accountable / who pays ...).
        to_org: Organisation type id at the head.
        start: First financial year (starting calendar year).
        end: First year it no longer applies; ``None`` to 2025/26.
        strength: ``accountable_to`` only: strong, formal, weak or none.
        sanctions: ``accountable_to`` only: what backs it.
        what: What money (``funds``) or which domain (other kinds).
        source: Seed locations (or ``[not in seeds]`` when ``beyond_research``).
        quote: Short verbatim quote from the source text.
        note: Caveats.
        beyond_research: From outside the seed documents.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    kind: EdgeKind
    from_org: str
    to_org: str
    start: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    end: int | None = Field(default=None, ge=FIRST_YEAR, le=LAST_YEAR + 1)
    strength: Strength | None = None
    sanctions: str = ""
    what: str = ""
    source: str
    quote: str
    note: str = ""
    beyond_research: bool = False

    @model_validator(mode="after")
    def _consistent(self) -> Relation:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        if self.from_org == self.to_org:
            raise ValueError("from_org and to_org must differ")
        if self.kind == "accountable_to":
            if self.strength is None or not self.sanctions:
                raise ValueError("accountable_to needs strength and sanctions")
        elif self.strength is not None or self.sanctions:
            raise ValueError("strength and sanctions apply only to accountable_to")
        if self.kind == "funds" and not self.what:
            raise ValueError("funds needs 'what' (the money: allocation, grant, ...)")
        check_quote(self.quote, self.beyond_research)
        check_source(self.source, self.beyond_research)
        return self

    def applies_in(self, year: int) -> bool:
        """Whether this relation applies in *year* (starting calendar year)."""
        return self.start <= year and (self.end is None or year < self.end)


class RelationsFile(BaseModel):
    """The whole of ``relations.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    relation: tuple[Relation, ...] = Field(min_length=1)


@functools.cache
def relations() -> tuple[Relation, ...]:
    """All relations, checked against the organisation types."""
    data = load_model("relations.toml", RelationsFile, what="relations file")
    for number, item in enumerate(data.relation):
        validate_bodies([item.from_org, item.to_org], file=_FILE, location=f"relation[{number}]")
    return data.relation


def structure_graph(year: str | int | FinancialYear, kind: str = "all") -> nx.MultiDiGraph:
    """The relations in force in financial year *year* as a directed multigraph.

    Nodes are organisation type ids (attributes: ``name``, ``label``, ``category``, ``role``,
    ``source``, ``beyond_research``); only organisation types with at least one selected edge
    appear. Edges are keyed by kind and carry every :class:`Relation` field.

    Args:
        year: ``2016``, ``"2016/17"`` or a :class:`FinancialYear`.
        kind: ``"accountability"``, ``"funding"``, ``"all"`` or one edge kind.

    Raises:
        ConfigError: unknown *kind*, or *year* malformed or outside 1991/92..2025/26.
    """
    fy = check_year(year)
    if kind not in GRAPH_KINDS:
        raise ConfigError(
            f"unknown graph kind '{kind}'",
            location="--kind",
            expected=", ".join(GRAPH_KINDS),
            fix="choose accountability, funding or all",
        )
    wanted = GRAPH_KINDS[kind]
    index = org_type_index()
    import networkx as nx

    graph = nx.MultiDiGraph(year=str(fy), kind=kind)
    for item in relations():
        if item.kind not in wanted or not item.applies_in(fy.start):
            continue
        ends = (index[item.from_org], index[item.to_org])
        if not all(org.exists_in(fy.start) for org in ends):
            continue
        for org in ends:
            graph.add_node(
                org.id,
                name=org.name,
                label=org.label,
                category=org.category,
                role=org.role,
                source=org.source,
                beyond_research=org.beyond_research,
            )
        key = item.kind if not graph.has_edge(item.from_org, item.to_org, item.kind) else None
        graph.add_edge(
            item.from_org,
            item.to_org,
            key=key if key is not None else f"{item.kind}:{item.what}",
            **item.model_dump(),
        )
    return graph


@dataclass(frozen=True, slots=True)
class AccountabilityLink:
    """One step of an upward accountability chain.

    Attributes:
        depth: 1 for the organisation's own links, 2 for the next level up, ...
        from_org: Who is accountable.
        to_org: To whom.
        strength: strong, formal, weak or none.
        sanctions: What backs it.
        source: Seed locations.
        beyond_research: From outside the seed documents.
    """

    depth: int
    from_org: str
    to_org: str
    strength: str
    sanctions: str
    source: str
    beyond_research: bool

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with display names."""
        index = org_type_index()
        return {
            "depth": self.depth,
            "from": self.from_org,
            "from_name": index[self.from_org].name,
            "to": self.to_org,
            "to_name": index[self.to_org].name,
            "strength": self.strength,
            "sanctions": self.sanctions,
            "source": self.source,
            "beyond_research": self.beyond_research,
        }


def answers_to(org: str, year: str | int | FinancialYear) -> list[AccountabilityLink]:
    """The upward accountability chain of organisation type *org* in financial year *year*.

    Breadth-first over ``accountable_to`` edges: first the organisation's own links (strongest
    first), then those of the bodies it answers to, and so on; each body is expanded once.

    Raises:
        ConfigError: unknown organisation, one that does not exist in *year*, or a bad year.
    """
    fy = check_year(year)
    found = find_org_type(org)
    if not found.exists_in(fy.start):
        raise ConfigError(
            f"{found.label} did not exist in {fy}",
            location="--year",
            expected=f"a year in which {found.label} existed ({found.period})",
            fix=f"run 'quasimarket org-types --year {fy.start}' to see who existed then",
        )
    graph = structure_graph(fy, "accountability")
    links: list[AccountabilityLink] = []
    seen = {found.id}
    queue: deque[tuple[str, int]] = deque([(found.id, 1)])
    while queue:
        node, depth = queue.popleft()
        if node not in graph:
            continue
        edges = sorted(
            graph.out_edges(node, data=True),
            key=lambda e: (STRENGTHS.index(e[2]["strength"]), e[1]),
        )
        for _, target, data in edges:
            links.append(
                AccountabilityLink(
                    depth=depth,
                    from_org=node,
                    to_org=target,
                    strength=data["strength"],
                    sanctions=data["sanctions"],
                    source=data["source"],
                    beyond_research=data["beyond_research"],
                )
            )
            if target not in seen:
                seen.add(target)
                queue.append((target, depth + 1))
    return links
