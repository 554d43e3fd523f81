"""NHS financial years: 1 April to 31 March, written ``2016/17``."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from quasimarket.errors import ConfigError

__all__ = ["MONTHS", "FinancialYear"]

#: Months of a financial year in order, April first (month index 0 = April).
MONTHS = ("Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar")

_PATTERN = re.compile(r"^\s*(\d{4})\s*(?:[/\-–]\s*(\d{2}|\d{4}))?\s*$")


@dataclass(frozen=True, order=True, slots=True)
class FinancialYear:
    """A financial year, identified by the calendar year in which it starts.

    ``FinancialYear(2016)`` is 2016/17: 1 April 2016 to 31 March 2017.
    """

    start: int

    @classmethod
    def parse(cls, value: str | int | FinancialYear) -> FinancialYear:
        """Read ``2016/17``, ``2016-17``, ``2016/2017``, ``201617``, ``2016`` or an int.

        A bare four-digit ``2016`` is the start year here (config files); activity extracts,
        where HES writes ``1617``, use :meth:`parse_extract`.

        Raises:
            ConfigError: the text is not a financial year, or its two halves do not follow on.
        """
        if isinstance(value, FinancialYear):
            return value
        if isinstance(value, int):
            return cls(value)
        if re.fullmatch(r"\s*\d{6}\s*", str(value)):
            return cls.parse_extract(str(value))
        match = _PATTERN.match(str(value))
        if not match:
            raise ConfigError(
                f"'{value}' is not a financial year",
                expected="a year such as 2016/17",
                fix="write the financial year as YYYY/YY, e.g. 2016/17",
            )
        start = int(match.group(1))
        if start < 1948:  # 1617 is HES FYEAR 2016/17, not the year 1617
            hint = (
                f"; if '{value}' is HES FYEAR, write {cls.parse_extract(str(value))}"
                if (re.fullmatch(r"\s*\d{4}\s*", str(value)) and _follows_on(str(value).strip()))
                else ""
            )
            raise ConfigError(
                f"'{value}' is outside the NHS's financial years (from 1948/49)",
                expected="a year such as 2016/17",
                fix="write the financial year as YYYY/YY, e.g. 2016/17" + hint,
            )
        if match.group(2):
            end = int(match.group(2))
            if (end % 100 if end >= 100 else end) != (start + 1) % 100:
                raise ConfigError(
                    f"'{value}' is not a financial year: the second year must follow the first",
                    expected=f"{start}/{(start + 1) % 100:02d}",
                    fix="a financial year runs April to March of the next calendar year",
                )
        return cls(start)

    @classmethod
    def parse_extract(cls, value: str | int) -> FinancialYear:
        """Read a financial year as NHS extracts write it.

        HES ``FYEAR`` is four digits, ``1617`` (so here ``2021`` is 2020/21, not 2021/22); SUS
        and NCDR write ``201617``, ``2016/17`` or ``2016-17``. Two-digit years from 48 are
        19xx (the NHS began in 1948).

        Raises:
            ConfigError: not one of those forms, or the two halves do not follow on.
        """
        text = str(value).strip()
        if re.fullmatch(r"\d{4}|\d{6}", text):
            first, second = (text[:2], text[2:]) if len(text) == 4 else (text[:4], text[4:])
            start = int(first) if len(first) == 4 else _century(int(first))
            if int(second) != (start + 1) % 100:
                raise ConfigError(
                    f"'{text}' is not a financial year: the second year must follow the first",
                    expected="HES FYEAR such as 1617, or 201617, 2016/17",
                    fix="a financial year runs April to March of the next calendar year",
                )
            return cls(start)
        return cls.parse(text)

    def __str__(self) -> str:
        return f"{self.start}/{(self.start + 1) % 100:02d}"

    @property
    def first_day(self) -> dt.date:
        """1 April of the starting year."""
        return dt.date(self.start, 4, 1)

    @property
    def last_day(self) -> dt.date:
        """31 March of the following year."""
        return dt.date(self.start + 1, 3, 31)

    def contains(self, day: dt.date) -> bool:
        """Whether *day* falls in this financial year."""
        return self.first_day <= day <= self.last_day

    def month_index(self, day: dt.date) -> int:
        """0 for April ... 11 for March."""
        return (day.month - 4) % 12

    def next(self) -> FinancialYear:
        """The following financial year."""
        return FinancialYear(self.start + 1)


def _century(two_digits: int) -> int:
    """1948-2047 from a two-digit year (the NHS began in 1948)."""
    return (1900 if two_digits >= 48 else 2000) + two_digits


def _follows_on(four_digits: str) -> bool:
    """``1617``: the last two digits are the year after the first two."""
    return int(four_digits[2:]) == (int(four_digits[:2]) + 1) % 100
