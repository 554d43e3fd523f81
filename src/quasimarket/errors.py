"""Errors that bad input gets: one clear message saying where, what was expected and how to fix it.

Every error a user can cause by giving quasimarket a bad file or option is a
:class:`QuasimarketError`. The CLI turns it into a short message on stderr and exit code 2,
with no traceback. Code that finds a problem raises the most specific subclass and fills in
as many of *file*, *location*, *expected* and *fix* as it knows.
"""

from __future__ import annotations

import difflib
import re
import types
import typing
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
    error: Any, *, file: str | Path | None = None, what: str = "file", model: Any = None
) -> ConfigError:
    """Turn a pydantic ``ValidationError`` into one :class:`ConfigError` naming every bad field.

    Unknown keys are reported with the hint to check the spelling against the documented
    format; other errors carry pydantic's own message, which says what was expected. A value
    outside a fixed set of choices (a ``Literal`` field or the tag of a discriminated union,
    e.g. ``currency = "spel"``) gets a did-you-mean suggestion in the fix; so does an unknown
    key when *model* (the pydantic model class that was validated) is given.
    """
    problems: list[str] = []
    fixes: list[str] = []
    for item in error.errors():
        loc = ".".join(str(part) for part in item.get("loc", ())) or "(top level)"
        kind = item.get("type", "")
        msg = item.get("msg", "invalid value")
        context = item.get("ctx") or {}
        if kind == "extra_forbidden":
            problems.append(f"{loc}: unknown key")
            parts = tuple(item.get("loc", ()))
            known = _keys_at(model, parts[:-1]) if model is not None and parts else []
            close = _close(str(parts[-1]) if parts else "", known)
            hint = f" (did you mean '{close}'?)" if close else ""
            fixes.append(f"remove or correct the spelling of '{loc}'{hint}")
        elif kind == "missing":
            problems.append(f"{loc}: required but missing")
            fixes.append(f"add '{loc}'")
        else:
            value = item.get("input")
            shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
            problems.append(f"{loc}: {msg}{shown}")
            if kind in ("literal_error", "union_tag_invalid"):
                given = value if kind == "literal_error" else context.get("tag")
                listed = str(context.get("expected") or context.get("expected_tags") or "")
                close = _close(given, re.findall(r"'((?:[^'\\]|\\.)*)'", listed))
                fixes.append(
                    f"did you mean '{close}' for {loc}?"
                    if close
                    else f"use one of the values listed for {loc}"
                )
            elif isinstance(context.get("fix"), str) and context["fix"]:
                fixes.append(context["fix"])
    count = len(problems)
    head = f"{count} problem{'s' if count != 1 else ''} in the {what}"
    return ConfigError(
        head + ":\n    " + "\n    ".join(problems),
        file=file,
        fix="; ".join(dict.fromkeys(fixes)) or "correct the fields listed above",
    )


def _close(value: object, choices: list[str]) -> str | None:
    """The closest of *choices* to *value* (difflib), or None."""
    if not isinstance(value, str) or not choices:
        return None
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _keys_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The field names of the pydantic model found at *loc* below *model* (best effort).

    Follows model fields, ``dict`` values (a key in *loc*), ``list``/``tuple`` items (an
    index), ``Optional`` and discriminated unions (the tag pydantic puts in *loc*).
    """
    annotation: Any = model
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    annotation = _step(annotation, None)
    fields = getattr(annotation, "model_fields", None)
    return list(fields) if isinstance(fields, dict) else []


def _step(annotation: Any, part: Any) -> Any:
    """One level down from *annotation* along *part* (``None``: only unwrap)."""
    for _ in range(20):  # unwrap Annotated / Optional / unions until a step is taken
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            tagged = [m for m in members if part is not None and part in _tags_of(m)]
            if tagged:
                return _strip(tagged[0])
            if len(members) == 1:
                annotation = members[0]
                continue
            return None
        if part is None:
            return annotation
        if origin is dict and len(args) == 2:
            return args[1]
        if origin in (list, tuple) and args and isinstance(part, int):
            return args[0]
        fields = getattr(annotation, "model_fields", None)
        if isinstance(fields, dict) and isinstance(part, str) and part in fields:
            return fields[part].annotation
        return None
    return None


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _tags_of(member: Any) -> tuple[str, ...]:
    """The discriminator tags a union member can carry: its ``Tag`` annotation, else the
    values of its ``Literal`` string fields."""
    if typing.get_origin(member) is typing.Annotated:
        for meta in typing.get_args(member)[1:]:
            tag = getattr(meta, "tag", None)
            if isinstance(tag, str):
                return (tag,)
    fields = getattr(_strip(member), "model_fields", None)
    tags: list[str] = []
    if isinstance(fields, dict):
        for info in fields.values():
            if typing.get_origin(info.annotation) is typing.Literal:
                tags += [v for v in typing.get_args(info.annotation) if isinstance(v, str)]
    return tuple(tags)
