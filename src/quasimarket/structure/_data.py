"""Load the structure package's TOML data files and check their shape with pydantic.

Every data file lives in ``quasimarket/structure/data/`` and is read through
:mod:`importlib.resources`, so it works from a wheel, a zip or a source checkout. A malformed
file is reported as one :class:`~quasimarket.errors.InputError` naming the file, the line or
field, what was expected and how to fix it.

Sources. Every entry carries ``source``: one or more seed locations (``002@64221`` = character
offset 64,221 of seed document 002, see the seeds digest §0) and/or a section of
``payment-rules.md`` (``payment-rules.md A4``), plus a short verbatim ``quote`` from the text
near that location. :func:`seed_locations` and :func:`payment_rule_sections` pull those
references out of a ``source`` string so tests can check each quote against its source.
"""

from __future__ import annotations

import re
import tomllib
from importlib import resources
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from quasimarket.errors import InputError, from_validation_error

__all__ = [
    "DATA_FILES",
    "load_model",
    "parse_model",
    "payment_rule_sections",
    "read_data_text",
    "seed_locations",
    "word_count",
]

M = TypeVar("M", bound=BaseModel)

#: The data files shipped with the package (all under ``quasimarket/structure/data``).
DATA_FILES = (
    "payment_rules.toml",
    "org_types.toml",
    "eras.toml",
    "responsibilities.toml",
    "relations.toml",
)

_SEED = re.compile(r"\b(\d{3})@(\d[\d,]*)")
_RULES = re.compile(r"payment-rules\.md((?:[\s,/;]*(?:and\s+)?A\d+(?:\.\d+)?\b)+)")
_SECTION = re.compile(r"A\d+(?:\.\d+)?")


def seed_locations(source: str) -> list[tuple[str, int]]:
    """Seed references in *source*: ``"002@64221; 001@3444"`` -> ``[("002", 64221), ...]``.

    Offsets may be written with thousands separators (``002@64,221``).
    """
    return [(doc, int(off.replace(",", ""))) for doc, off in _SEED.findall(source)]


def payment_rule_sections(source: str) -> list[str]:
    """Section tags in *source*: ``"payment-rules.md A4, A5"`` -> ``["A4", "A5"]``."""
    found: list[str] = []
    for group in _RULES.findall(source):
        found.extend(_SECTION.findall(group))
    return found


def word_count(text: str) -> int:
    """Number of whitespace-separated words in *text*."""
    return len(text.split())


def read_data_text(name: str) -> str:
    """The text of the packaged data file *name* (e.g. ``"eras.toml"``), read as UTF-8."""
    return resources.files("quasimarket.structure").joinpath("data", name).read_text("utf-8")


def parse_model(text: str, model: type[M], *, file: str, what: str) -> M:
    """Parse TOML *text* and validate it as *model*.

    Args:
        text: The TOML document.
        model: The pydantic model for the whole document (``extra="forbid"`` throughout).
        file: The file name to show in error messages.
        what: What the file is, for error messages ("organisation types file").

    Raises:
        InputError: the text is not valid TOML, or does not match *model*.
    """
    try:
        raw: dict[str, Any] = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        message = str(error)
        where = re.search(r"\(at (line \d+, column \d+)\)", message)
        raise InputError(
            f"the {what} is not valid TOML: {message.split(' (at ')[0]}",
            file=file,
            location=where.group(1) if where else None,
            expected='TOML (https://toml.io), e.g. key = "value" lines under [[table]] headers',
            fix="correct the syntax at the line shown",
        ) from None
    try:
        return model.model_validate(raw)
    except ValidationError as error:
        converted = from_validation_error(error, file=file, what=what)
        raise InputError(
            converted.problem,
            file=file,
            location=converted.location,
            expected=f"the fields documented in docs/structure.md for the {what}",
            fix=converted.fix,
        ) from None


def load_model(name: str, model: type[M], *, what: str) -> M:
    """Read and validate the packaged data file *name* as *model* (see :func:`parse_model`)."""
    return parse_model(
        read_data_text(name), model, file=f"quasimarket/structure/data/{name}", what=what
    )


def iter_citations(name: str) -> list[tuple[str, str, str, bool]]:
    """Every sourced entry of data file *name*: ``(where, source, quote, beyond_research)``.

    Walks the parsed TOML generically: any table with a ``source`` key is an entry. *where* is a
    field path such as ``org_type[3]``.
    """
    found: list[tuple[str, str, str, bool]] = []

    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            if "source" in node:
                found.append(
                    (
                        path or "(top level)",
                        str(node["source"]),
                        str(node.get("quote", "")),
                        bool(node.get("beyond_research", False)),
                    )
                )
            for key, value in node.items():
                walk(value, f"{path}.{key}" if path else key)
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{path}[{index}]")

    walk(tomllib.loads(read_data_text(name)), "")
    return found
