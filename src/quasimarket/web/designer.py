"""The contract designer: form fields ↔ contract data, and errors placed beside their field.

The designer edits the contract's TOML text. A form edit sets the form's fields in the parsed
data and writes the text again (:mod:`quasimarket.web.tomlwrite`); validation is
:func:`quasimarket.contracts.parse_contract`, whose error *location* (``year``,
``lines #1 ('acute') > planned_activity``, ``line 3, column 7``) names the field to show the
message beside.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from typing import Any

from quasimarket.contracts import Contract, parse_contract
from quasimarket.errors import QuasimarketError
from quasimarket.web import tomlwrite

__all__ = [
    "LINE_FIELDS",
    "TOP_FIELDS",
    "FieldError",
    "apply_form",
    "form_values",
    "validate",
]

#: Contract-level fields in the form.
TOP_FIELDS = ("name", "year", "form")
#: Per-line fields in the form (form names ``lines.<i>.<field>``).
LINE_FIELDS = ("id", "service", "mechanism", "planned_activity", "planned_value_gbp")
_NUMERIC = {"planned_activity", "planned_value_gbp"}
_LINE_LOCATION = re.compile(r"^lines #(\d+)(?: \(.*?\))? > (\w+)")
#: The field name for errors that belong to the text as a whole.
TEXT_FIELD = "text"


@dataclass(frozen=True)
class FieldError:
    """One validation error, placed on a form field (or on the text)."""

    field: str
    problem: str
    location: str | None
    expected: str | None
    fix: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {
            "field": self.field,
            "problem": self.problem,
            "location": self.location,
            "expected": self.expected,
            "fix": self.fix,
        }


def _field_of(location: str | None) -> str:
    if not location:
        return TEXT_FIELD
    if location in TOP_FIELDS:
        return location
    found = _LINE_LOCATION.match(location)
    if found and found.group(2) in LINE_FIELDS:
        return f"lines.{int(found.group(1)) - 1}.{found.group(2)}"
    return TEXT_FIELD


def _error(error: QuasimarketError) -> FieldError:
    return FieldError(
        _field_of(error.location), error.problem, error.location, error.expected, error.fix
    )


def validate(text: str) -> tuple[Contract | None, list[FieldError]]:
    """Parse *text* as a contract: the contract, or the error placed on its field."""
    try:
        return parse_contract(text, source="contract"), []
    except QuasimarketError as error:
        return None, [_error(error)]


def form_values(text: str) -> dict[str, Any]:
    """The form's field values read from *text* (empty when the text is not TOML)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError:
        return {}
    values: dict[str, Any] = {k: data.get(k, "") for k in TOP_FIELDS}
    lines = data.get("lines", [])
    values["lines"] = [
        {k: line.get(k, "") for k in LINE_FIELDS} for line in lines if isinstance(line, dict)
    ]
    return values


def _number(text: str) -> int | float | str:
    cleaned = text.replace(",", "").replace("_", "").replace("£", "").strip()
    try:
        return int(cleaned)
    except ValueError:
        try:
            return float(cleaned)
        except ValueError:
            return text  # left as text: validation reports it beside the field


def apply_form(text: str, fields: dict[str, str]) -> tuple[str, list[FieldError]]:
    """Set the form's *fields* in the contract *text*; the new text (or the TOML error).

    Field names are those of :data:`TOP_FIELDS` and ``lines.<i>.<field>`` for
    :data:`LINE_FIELDS`; an empty numeric field removes the key.
    """
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        return text, [
            FieldError(TEXT_FIELD, f"TOML syntax error: {err}", None, "TOML text", "fix the text")
        ]
    for key in TOP_FIELDS:
        if key in fields:
            data[key] = fields[key].strip()
    lines = data.get("lines")
    if isinstance(lines, list):
        for i, line in enumerate(lines):
            if not isinstance(line, dict):
                continue
            for key in LINE_FIELDS:
                given = fields.get(f"lines.{i}.{key}")
                if given is None:
                    continue
                if key in _NUMERIC:
                    if given.strip() == "":
                        line.pop(key, None)
                    else:
                        line[key] = _number(given)
                else:
                    line[key] = given.strip()
    return tomlwrite.dumps(data), []
