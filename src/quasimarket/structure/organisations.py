"""Organisation types of the English NHS commissioning system and the years they exist.

Data: ``data/org_types.toml``. Years are financial years identified by their starting calendar
year (2013 means 2013/14, which begins on 1 April 2013, the day the Health and Social Care Act
2012 took effect). An organisation type exists in year *y* when ``start <= y < end``.

Example:
    >>> from quasimarket.structure import org_types
    >>> "pct" in {o.id for o in org_types(2005)}
    True
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from quasimarket.errors import ConfigError, InputError
from quasimarket.financial_year import FinancialYear
from quasimarket.structure._data import load_model, word_count
from quasimarket.structure.calendar import FIRST_YEAR, LAST_YEAR, check_year

__all__ = [
    "CATEGORIES",
    "Ambiguity",
    "OrgType",
    "find_org_type",
    "org_type_index",
    "org_types",
]

Category = Literal[
    "government",
    "national body",
    "regulator",
    "intermediate tier",
    "commissioner",
    "commissioning support",
    "partnership",
    "provider",
    "public",
]

#: Organisation categories, top of the hierarchy first (also the drawing tiers).
CATEGORIES: tuple[str, ...] = (
    "government",
    "national body",
    "regulator",
    "intermediate tier",
    "commissioner",
    "commissioning support",
    "partnership",
    "provider",
    "public",
)


class Ambiguity(BaseModel):
    """Where the seed documents disagree (seeds digest §8.4): what, which bodies, which sources.

    Attributes:
        note: The disagreement in one or two sentences.
        sources: Seed locations on each side, e.g. ``"002@64221; 002@54597"``.
        bodies: Organisation type ids involved (may be empty).
        years: Years (starting calendar year) in which the disagreement changes the answer.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    note: str = Field(min_length=10)
    sources: str = Field(min_length=5)
    bodies: tuple[str, ...] = ()
    years: tuple[int, ...] = ()


def check_quote(quote: str, beyond_research: bool) -> None:
    """Every researched entry needs a short verbatim quote (4-15 words).

    Raises:
        ValueError: the quote is missing or not short.
    """
    if beyond_research:
        return
    if not 4 <= word_count(quote) <= 15:
        raise ValueError("quote must be a short verbatim extract of 4 to 15 words from the source")


def check_source(source: str, beyond_research: bool) -> None:
    """A researched entry cites a seed location; a beyond-research one says "[not in seeds]".

    Raises:
        ValueError: the source does not have the expected form.
    """
    if beyond_research:
        if "not in seeds" not in source:
            raise ValueError("a beyond-research source must say '[not in seeds]'")
    elif not re.search(r"\b\d{3}@\d", source):
        raise ValueError("source must cite a seed location such as 002@64221")


class OrgType(BaseModel):
    """One organisation type (``[[org_type]]`` in ``org_types.toml``).

    Attributes:
        id: Stable identifier, e.g. ``"ccg"``.
        name: Full NHS name.
        short: Abbreviation (``"CCG"``), or ``""``.
        aliases: Other names it is known by (lower case).
        category: One of :data:`CATEGORIES`.
        role: What it does, in one or two sentences.
        start: First year (starting calendar year) it exists.
        end: First year it no longer exists; ``None`` if it exists in 2025/26.
        source: Seed locations, or ``"... [not in seeds]"`` when ``beyond_research``.
        quote: Short verbatim quote from the source text.
        beyond_research: From outside the seed documents (e.g. the 2022 ICBs).
        replaces: Id of the organisation type whose functions it took over, if any.
        end_note: Caveat on the dates.
        ambiguity: Where the seeds disagree about it.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    short: str = ""
    aliases: tuple[str, ...] = ()
    category: Category
    role: str
    start: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    end: int | None = Field(default=None, ge=FIRST_YEAR, le=LAST_YEAR + 1)
    source: str
    quote: str
    beyond_research: bool = False
    replaces: str | None = None
    end_note: str = ""
    ambiguity: Ambiguity | None = None

    @model_validator(mode="after")
    def _consistent(self) -> OrgType:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        check_quote(self.quote, self.beyond_research)
        check_source(self.source, self.beyond_research)
        return self

    def exists_in(self, year: int) -> bool:
        """Whether it exists in financial year *year* (given by its starting calendar year)."""
        return self.start <= year and (self.end is None or year < self.end)

    @property
    def label(self) -> str:
        """Short display name: the abbreviation if there is one, else the name."""
        return self.short or self.name

    @property
    def period(self) -> str:
        """``"2013/14 to 2021/22"`` or ``"2013/14 onwards"``."""
        first = FinancialYear(self.start)
        if self.end is None:
            return f"{first} onwards"
        return f"{first} to {FinancialYear(self.end - 1)}"


class OrgTypesFile(BaseModel):
    """The whole of ``org_types.toml``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    org_type: tuple[OrgType, ...]

    @field_validator("org_type")
    @classmethod
    def _unique(cls, items: tuple[OrgType, ...]) -> tuple[OrgType, ...]:
        ids = [item.id for item in items]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise ValueError(f"duplicate ids: {', '.join(duplicates)}")
        known = set(ids)
        for item in items:
            if item.replaces and item.replaces not in known:
                raise ValueError(f"{item.id}.replaces names unknown id '{item.replaces}'")
            for body in item.ambiguity.bodies if item.ambiguity else ():
                if body not in known:
                    raise ValueError(f"{item.id}.ambiguity.bodies names unknown id '{body}'")
        return items


@functools.cache
def org_type_index() -> dict[str, OrgType]:
    """All organisation types by id, in file order."""
    data = load_model("org_types.toml", OrgTypesFile, what="organisation types file")
    return {item.id: item for item in data.org_type}


def org_types(year: str | int | FinancialYear | None = None) -> list[OrgType]:
    """Organisation types, optionally only those existing in financial year *year*.

    Args:
        year: ``2005``, ``"2005/06"`` or a :class:`FinancialYear`; ``None`` for all.

    Raises:
        ConfigError: *year* is malformed or outside 1991/92..2025/26.
    """
    items = list(org_type_index().values())
    if year is None:
        return items
    start = check_year(year).start
    return [item for item in items if item.exists_in(start)]


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^a-z0-9&]+", " ", text.lower()).split())


def find_org_type(text: str) -> OrgType:
    """The organisation type named by *text*: id, name, abbreviation or alias (any case).

    Raises:
        ConfigError: no organisation type has that name; lists the closest names.
    """
    index = org_type_index()
    names: dict[str, str] = {}
    for item in index.values():
        for name in (item.id, item.name, item.short, *item.aliases):
            if name:
                names.setdefault(_key(name), item.id)
        names.setdefault(_key(item.id.replace("_", " ")), item.id)
    wanted = _key(text)
    if wanted in names:
        return index[names[wanted]]
    close = difflib.get_close_matches(wanted, list(names), n=5, cutoff=0.6)
    hint = f"did you mean {', '.join(repr(c) for c in close)}? " if close else ""
    raise ConfigError(
        f"unknown organisation type '{text}'",
        location="organisation",
        expected="an organisation type id, name or abbreviation such as CCG, NHS England, LA",
        fix=f"{hint}run 'quasimarket org-types' to list them all",
    )


def validate_bodies(bodies: tuple[str, ...] | list[str], *, file: str, location: str) -> None:
    """Check every id in *bodies* is a known organisation type.

    Raises:
        InputError: an id is not in ``org_types.toml``.
    """
    index = org_type_index()
    unknown = [body for body in bodies if body not in index]
    if unknown:
        raise InputError(
            f"unknown organisation type id(s): {', '.join(unknown)}",
            file=file,
            location=location,
            expected="ids defined in org_types.toml",
            fix="correct the id or add the organisation type to org_types.toml",
        )
