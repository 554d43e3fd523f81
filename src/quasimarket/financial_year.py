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
        """Read ``2016/17``, ``2016-17``, ``2016/2017``, ``2016`` or an int.

        Raises:
            ConfigError: the text is not a financial year, or its two halves do not follow on.
        """
        if isinstance(value, FinancialYear):
            return value
        if isinstance(value, int):
            return cls(value)
        match = _PATTERN.match(str(value))
        if not match:
            raise ConfigError(
                f"'{value}' is not a financial year",
                expected="a year such as 2016/17",
                fix="write the financial year as YYYY/YY, e.g. 2016/17",
            )
        start = int(match.group(1))
        if match.group(2):
            end = int(match.group(2))
            if (end % 100 if end >= 100 else end) != (start + 1) % 100:
                raise ConfigError(
                    f"'{value}' is not a financial year: the second year must follow the first",
                    expected=f"{start}/{(start + 1) % 100:02d}",
                    fix="a financial year runs April to March of the next calendar year",
                )
        return cls(start)

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
