"""Commissioning responsibilities: which bodies commission which service in which year.

Data: ``data/responsibilities.toml`` (Table 2.2 of seed 002 at ``002@64221`` and the
responsibility-by-era assembly in the seeds digest §2). Each service has arrangements over
spans of financial years (``start <= year < end``), each naming the commissioning bodies,
the arrangement in words, a source and a verbatim quote.

Two rules are applied when answering:

* **Successor bodies.** From the year an organisation type with ``replaces`` begins (the 2022
  ICBs replace CCGs), answers naming the replaced body name the successor instead and are
  flagged ``beyond_research`` (source "Health and Care Act 2022 [not in seeds]").
* **Ambiguity.** An arrangement's own ``ambiguity`` (e.g. out-of-hours care listed for both
  CCGs and NHS England, 002@64221 vs 002@54597) is always reported; an organisation type's
  ambiguity (e.g. PCGs dated 1997 vs 1999) is reported in the years it lists.

Example:
    >>> from quasimarket.structure import who_commissions
    >>> [b.id for b in who_commissions("sexual health services", 2016).bodies]
    ['local_authority']
"""

from __future__ import annotations

import difflib
import functools
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from quasimarket.errors import ConfigError
from quasimarket.financial_year import FinancialYear
from quasimarket.structure._data import load_model
from quasimarket.structure.calendar import FIRST_YEAR, LAST_YEAR, check_year
from quasimarket.structure.organisations import (
    Ambiguity,
    OrgType,
    check_quote,
    check_source,
    org_type_index,
    validate_bodies,
)

__all__ = [
    "Arrangement",
    "Body",
    "CoCommissioningLevel",
    "Commissioning",
    "Service",
    "find_service",
    "services",
    "who_commissions",
]

_FILE = "quasimarket/structure/data/responsibilities.toml"


class CoCommissioningLevel(BaseModel):
    """A level of primary care co-commissioning (002@153710; uptake 002@159069, 002@155936).

    Attributes:
        level: 1 (greater involvement), 2 (joint) or 3 (delegated).
        name: Level name.
        description: What the CCG does at this level.
        ccgs_april_2015: CCGs at this level from April 2015 (of 209).
        ccgs_2016_17: CCGs at this level by 2016/17, where stated.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    level: int = Field(ge=1, le=3)
    name: str
    description: str
    ccgs_april_2015: int | None = Field(default=None, ge=0)
    ccgs_2016_17: int | None = Field(default=None, ge=0)


class Arrangement(BaseModel):
    """Who commissions a service over a span of years (``[[service.arrangement]]``).

    Attributes:
        start: First financial year (starting calendar year).
        end: First year it no longer applies; ``None`` to 2025/26.
        bodies: Commissioning organisation type ids.
        arrangement: The arrangement in words.
        source: Seed locations (or ``[not in seeds]`` when ``beyond_research``).
        quote: Short verbatim quote from the source text.
        note: Caveats.
        statutory: Organisation type with statutory responsibility, where it differs from
            who commissions in practice (primary care co-commissioning).
        ambiguity: Where the seeds disagree.
        beyond_research: From outside the seed documents.
        level: Co-commissioning levels, where they apply.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    start: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    end: int | None = Field(default=None, ge=FIRST_YEAR, le=LAST_YEAR + 1)
    bodies: tuple[str, ...] = Field(min_length=1)
    arrangement: str = Field(min_length=5)
    source: str
    quote: str
    note: str = ""
    statutory: str | None = None
    ambiguity: Ambiguity | None = None
    beyond_research: bool = False
    level: tuple[CoCommissioningLevel, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Arrangement:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        check_quote(self.quote, self.beyond_research)
        check_source(self.source, self.beyond_research)
        return self

    def applies_in(self, year: int) -> bool:
        """Whether this arrangement applies in *year* (starting calendar year)."""
        return self.start <= year and (self.end is None or year < self.end)


class Service(BaseModel):
    """A commissioned service (``[[service]]``) and its arrangements over time.

    Attributes:
        id: Stable identifier, e.g. ``"sexual_health"``.
        name: Display name.
        aliases: Other names users may type (matching ignores case, plurals and "services").
        arrangement: Arrangements in time order, not overlapping.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_]*$")
    name: str
    aliases: tuple[str, ...] = ()
    arrangement: tuple[Arrangement, ...] = Field(min_length=1)

    @field_validator("arrangement")
    @classmethod
    def _ordered(cls, items: tuple[Arrangement, ...]) -> tuple[Arrangement, ...]:
        for before, after in itertools.pairwise(items):
            if before.end is None or before.end > after.start:
                raise ValueError(
                    f"arrangements overlap or are out of order: one starting {before.start} "
                    f"runs into the next starting {after.start}"
                )
        return items

    def arrangement_in(self, year: int) -> Arrangement | None:
        """The arrangement applying in *year*, or ``None`` if the seeds describe none."""
        for item in self.arrangement:
            if item.applies_in(year):
                return item
        return None


class ResponsibilitiesFile(BaseModel):
    """The whole of ``responsibilities.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    service: tuple[Service, ...] = Field(min_length=1)

    @field_validator("service")
    @classmethod
    def _unique_names(cls, items: tuple[Service, ...]) -> tuple[Service, ...]:
        owner: dict[str, str] = {}
        for item in items:
            for name in {service_key(n) for n in (item.id, item.name, *item.aliases)}:
                if owner.setdefault(name, item.id) != item.id:
                    raise ValueError(
                        f"name '{name}' is used by both {owner[name]} and {item.id}; "
                        "each name must identify one service"
                    )
        return items


_DROP_WORDS = {"service", "the", "nhs"}


def service_key(text: str) -> str:
    """Matching key for a service name: lower case, '&' as 'and', no plurals or 'services'.

    ``"A&E"`` -> ``"a and e"``; ``"Sexual health services"`` -> ``"sexual health"``;
    ``"0–5 children's public health"`` -> ``"0 5 children public health"``.
    """
    text = text.lower().replace("&", " and ").replace("'", "").replace("’", "")
    words = re.sub(r"[^a-z0-9]+", " ", text).split()
    out = []
    for word in words:
        if len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        if word not in _DROP_WORDS:
            out.append(word)
    return " ".join(out)


@functools.cache
def _services() -> tuple[Service, ...]:
    data = load_model("responsibilities.toml", ResponsibilitiesFile, what="responsibilities file")
    for item in data.service:
        for index, arrangement in enumerate(item.arrangement):
            where = f"service {item.id}, arrangement {index + 1}"
            validate_bodies(arrangement.bodies, file=_FILE, location=f"{where}: bodies")
            extra = [arrangement.statutory] if arrangement.statutory else []
            if arrangement.ambiguity:
                extra.extend(arrangement.ambiguity.bodies)
            validate_bodies(extra, file=_FILE, location=f"{where}: statutory/ambiguity")
    return data.service


@functools.cache
def _names() -> dict[str, str]:
    names: dict[str, str] = {}
    for item in _services():
        for name in (item.id.replace("_", " "), item.name, *item.aliases):
            names.setdefault(service_key(name), item.id)
    return names


def services(year: str | int | FinancialYear | None = None) -> list[Service]:
    """Known services; with *year*, only those the seeds assign to a body in that year.

    Raises:
        ConfigError: *year* is malformed or outside 1991/92..2025/26.
    """
    items = list(_services())
    if year is None:
        return items
    start = check_year(year).start
    return [item for item in items if item.arrangement_in(start) is not None]


def find_service(text: str) -> Service:
    """The service named by *text* (forgiving: case, plurals, "services", synonyms).

    Raises:
        ConfigError: no service matches; lists the closest known services.
    """
    by_id = {item.id: item for item in _services()}
    names = _names()
    wanted = service_key(text)
    if wanted in names:
        return by_id[names[wanted]]
    close_keys = difflib.get_close_matches(wanted, list(names), n=8, cutoff=0.5)
    close = list(dict.fromkeys(by_id[names[key]].name for key in close_keys))[:4]
    hint = f"closest known services: {'; '.join(close)}. " if close else ""
    raise ConfigError(
        f"unknown service '{text}'",
        location="service",
        expected="a service such as 'sexual health services', 'A&E' or 'GP services'",
        fix=f"{hint}Run 'quasimarket services' to list them all",
    )


@dataclass(frozen=True, slots=True)
class Body:
    """A commissioning body in an answer: organisation type id, name and abbreviation."""

    id: str
    name: str
    short: str

    @classmethod
    def of(cls, org: OrgType) -> Body:
        """The :class:`Body` for an organisation type."""
        return cls(org.id, org.name, org.short)


@dataclass(frozen=True, slots=True)
class Commissioning:
    """The answer to "who commissions *service* in *year*?".

    Attributes:
        service_id: The service's id.
        service: The service's display name.
        year: The financial year asked about.
        described: ``False`` when the seeds assign the service to no body that year.
        bodies: The commissioning bodies.
        arrangement: The arrangement in words.
        source: Seed locations (plus "[not in seeds]" where beyond the research).
        quote: Verbatim quote from the source.
        note: Caveats.
        statutory: The body with statutory responsibility, when it differs (primary care).
        levels: Co-commissioning levels, where they apply.
        ambiguities: Disagreements in the seeds that affect this answer.
        beyond_research: Whether any part of the answer comes from outside the seeds.
    """

    service_id: str
    service: str
    year: FinancialYear
    described: bool
    bodies: tuple[Body, ...] = ()
    arrangement: str = ""
    source: str = ""
    quote: str = ""
    note: str = ""
    statutory: Body | None = None
    levels: tuple[CoCommissioningLevel, ...] = ()
    ambiguities: tuple[Ambiguity, ...] = field(default_factory=tuple)
    beyond_research: bool = False

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        index = org_type_index()

        def body(item: Body) -> dict[str, str]:
            return {"id": item.id, "name": item.name, "short": item.short}

        return {
            "service_id": self.service_id,
            "service": self.service,
            "year": str(self.year),
            "described": self.described,
            "bodies": [body(b) for b in self.bodies],
            "arrangement": self.arrangement,
            "source": self.source,
            "quote": self.quote,
            "note": self.note,
            "statutory": body(self.statutory) if self.statutory else None,
            "levels": [level.model_dump() for level in self.levels],
            "ambiguities": [
                {
                    "note": a.note,
                    "sources": a.sources,
                    "bodies": [body(Body.of(index[b])) for b in a.bodies],
                }
                for a in self.ambiguities
            ],
            "beyond_research": self.beyond_research,
        }


def who_commissions(service: str, year: str | int | FinancialYear) -> Commissioning:
    """Which bodies commission *service* in financial year *year*, how, and on what source.

    Args:
        service: A service name or synonym ("sexual health services", "A&E", "GP services").
        year: ``2016``, ``"2016/17"`` or a :class:`FinancialYear` (1991/92 to 2025/26).

    Returns:
        A :class:`Commissioning` answer (``described`` is ``False`` when the seeds assign the
        service to no body that year).

    Raises:
        ConfigError: unknown service, or *year* malformed or outside 1991/92..2025/26.
    """
    fy = check_year(year)
    item = find_service(service)
    found = item.arrangement_in(fy.start)
    if found is None:
        first = item.arrangement[0]
        return Commissioning(
            service_id=item.id,
            service=item.name,
            year=fy,
            described=False,
            note=(
                f"The seed documents do not say who commissioned {item.name.lower()} in {fy}; "
                f"the earliest arrangement recorded starts in {FinancialYear(first.start)}."
            ),
        )
    index = org_type_index()
    successors = {
        org.replaces: org
        for org in index.values()
        if org.replaces and org.exists_in(fy.start) and not index[org.replaces].exists_in(fy.start)
    }
    bodies: list[str] = []
    notes = [found.note] if found.note else []
    sources = [found.source]
    beyond = found.beyond_research
    for body in found.bodies:
        successor = successors.get(body)
        if successor is None:
            bodies.append(body)
            continue
        bodies.append(successor.id)
        beyond = True
        notes.append(
            f"From {FinancialYear(successor.start)} the {successor.label} replaced the "
            f"{index[body].label} ({successor.source}); the arrangement text describes the "
            f"{index[body].label} the research studied."
        )
        if successor.source not in sources:
            sources.append(successor.source)
    ambiguities = [found.ambiguity] if found.ambiguity else []
    for body in dict.fromkeys(bodies):
        ambiguity = index[body].ambiguity
        if ambiguity and fy.start in ambiguity.years and ambiguity not in ambiguities:
            ambiguities.append(ambiguity)
    return Commissioning(
        service_id=item.id,
        service=item.name,
        year=fy,
        described=True,
        bodies=tuple(Body.of(index[b]) for b in dict.fromkeys(bodies)),
        arrangement=found.arrangement,
        source="; ".join(sources),
        quote=found.quote,
        note=" ".join(notes),
        statutory=Body.of(index[found.statutory]) if found.statutory else None,
        levels=found.level,
        ambiguities=tuple(ambiguities),
        beyond_research=beyond,
    )
