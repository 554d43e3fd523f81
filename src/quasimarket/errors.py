"""Errors that bad input gets: one clear message saying where, what was expected and how to fix it.

Every error a user can cause by giving quasimarket a bad file or option is a
:class:`QuasimarketError`. The CLI turns it into a short message on stderr and exit code 2,
with no traceback. Code that finds a problem raises the most specific subclass and fills in
as many of *file*, *location*, *expected* and *fix* as it knows.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "InputError",
    "QuasimarketError",
    "RunError",
    "from_validation_error",
    "summarise_items",
]


class QuasimarketError(Exception):
    """A problem the user can fix, reported as one message.

    Args:
        problem: What is wrong, in one sentence.
        file: The file the problem is in, if any.
        location: Where in the file: a column, a row number, a field path or ``line 3, column 7``.
        expected: What quasimarket expected to find there.
        fix: How to fix it.
    """

    exit_code = 2

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        location: str | None = None,
        expected: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.location = location
        self.expected = expected
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        """The message as the CLI prints it: where and what, then expected, then fix."""
        where = ": ".join(part for part in (self.file, self.location) if part)
        lines = [f"{where}: {self.problem}" if where else self.problem]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.fix:
            lines.append(f"  fix: {self.fix}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for ``--json`` output and the web API."""
        return {
            "error": type(self).__name__,
            "problem": self.problem,
            "file": self.file,
            "location": self.location,
            "expected": self.expected,
            "fix": self.fix,
        }


class InputError(QuasimarketError):
    """A data file (activity, tariff, population, lookup) is malformed or inconsistent."""


class ConfigError(QuasimarketError):
    """A contract, scenario or option is invalid."""


class RunError(QuasimarketError):
    """A run cannot start or finish (too large for memory, unreachable scheduler, interrupted)."""


def summarise_items(items: Iterable[object], *, first: int = 5) -> str:
    """``'A, B, C and 12 more'``: the first few bad values, then a count of the rest."""
    values = [str(item) for item in items]
    shown = ", ".join(values[:first])
    rest = len(values) - first
    return f"{shown} and {rest} more" if rest > 0 else shown


def from_validation_error(
    error: Any, *, file: str | Path | None = None, what: str = "file"
) -> ConfigError:
    """Turn a pydantic ``ValidationError`` into one :class:`ConfigError` naming every bad field.

    Unknown keys are reported with the hint to check the spelling against the documented
    format; other errors carry pydantic's own message, which says what was expected.
    """
    problems: list[str] = []
    fixes: list[str] = []
    for item in error.errors():
        loc = ".".join(str(part) for part in item.get("loc", ())) or "(top level)"
        kind = item.get("type", "")
        msg = item.get("msg", "invalid value")
        if kind == "extra_forbidden":
            problems.append(f"{loc}: unknown key")
            fixes.append(f"remove or correct the spelling of '{loc}'")
        elif kind == "missing":
            problems.append(f"{loc}: required but missing")
            fixes.append(f"add '{loc}'")
        else:
            value = item.get("input")
            shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
            problems.append(f"{loc}: {msg}{shown}")
    count = len(problems)
    head = f"{count} problem{'s' if count != 1 else ''} in the {what}"
    return ConfigError(
        head + ":\n    " + "\n    ".join(problems),
        file=file,
        fix="; ".join(dict.fromkeys(fixes)) or "correct the fields listed above",
    )
