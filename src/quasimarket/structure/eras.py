"""Eras of the English NHS commissioning system, 1991/92 to 2025/26.

Data: ``data/eras.toml``. Each era has a start year, an exclusive end year (the next era's
start), key changes and a source with a verbatim quote.
"""

from __future__ import annotations

import functools
import itertools

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from quasimarket.financial_year import FinancialYear
from quasimarket.structure._data import load_model
from quasimarket.structure.calendar import FIRST_YEAR, LAST_YEAR, check_year
from quasimarket.structure.organisations import Ambiguity, check_quote, check_source

__all__ = ["Era", "era_of", "eras"]


class Era(BaseModel):
    """One era of the commissioning system (``[[era]]`` in ``eras.toml``).

    Attributes:
        id: Stable identifier, e.g. ``"hsca_2012"``.
        name: Display name.
        start: First financial year (starting calendar year).
        end: First year of the next era; ``None`` for the current era.
        key_changes: The main structural changes of the era.
        source: Seed locations (or ``[not in seeds]`` when ``beyond_research``).
        quote: Short verbatim quote from the source text.
        beyond_research: From outside the seed documents.
        ambiguity: Where the seeds disagree about its dates.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    name: str
    start: int = Field(ge=FIRST_YEAR, le=LAST_YEAR)
    end: int | None = Field(default=None, ge=FIRST_YEAR, le=LAST_YEAR + 1)
    key_changes: tuple[str, ...] = Field(min_length=1)
    source: str
    quote: str
    beyond_research: bool = False
    ambiguity: Ambiguity | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Era:
        if self.end is not None and self.end <= self.start:
            raise ValueError(f"end ({self.end}) must be after start ({self.start})")
        check_quote(self.quote, self.beyond_research)
        check_source(self.source, self.beyond_research)
        return self

    @property
    def period(self) -> str:
        """``"1991/92 to 1996/97"`` or ``"2022/23 onwards"``."""
        if self.end is None:
            return f"{FinancialYear(self.start)} onwards"
        return f"{FinancialYear(self.start)} to {FinancialYear(self.end - 1)}"


class ErasFile(BaseModel):
    """The whole of ``eras.toml``: eras in order, each starting where the last ended."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    era: tuple[Era, ...] = Field(min_length=1)

    @field_validator("era")
    @classmethod
    def _contiguous(cls, items: tuple[Era, ...]) -> tuple[Era, ...]:
        if items[0].start != FIRST_YEAR:
            raise ValueError(f"the first era must start in {FIRST_YEAR}")
        for before, after in itertools.pairwise(items):
            if before.end != after.start:
                raise ValueError(
                    f"era '{before.id}' ends in {before.end} "
                    f"but '{after.id}' starts in {after.start}"
                )
        if items[-1].end is not None:
            raise ValueError("the last era must have no end")
        return items


@functools.cache
def eras() -> tuple[Era, ...]:
    """All eras, in time order."""
    return load_model("eras.toml", ErasFile, what="eras file").era


def era_of(year: str | int | FinancialYear) -> Era:
    """The era containing financial year *year*.

    Raises:
        ConfigError: *year* is malformed or outside 1991/92..2025/26.
    """
    start = check_year(year).start
    for era in eras():
        if era.start <= start and (era.end is None or start < era.end):
            return era
    raise AssertionError("eras are contiguous from 1991")  # pragma: no cover
