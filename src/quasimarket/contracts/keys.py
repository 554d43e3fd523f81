"""Friendly checks on the raw contract data before pydantic sees it.

Unknown keys are named with their path and the closest valid key (difflib); unknown mechanism
and rule names list the valid ones; an unsupported ``format`` version lists the supported ones.
Locations are written for people: ``lines #2 ('nel') > adjustments #1 ('mret') > rate``
(numbering from 1, with the line's id or the adjustment's rule in brackets).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, get_args, get_origin

from pydantic import BaseModel

from quasimarket.errors import ConfigError

__all__ = ["check_keys", "describe_loc", "field_description", "unknown_name_error"]

#: Keys whose value labels a table in a list (shown next to its number in locations).
_LABEL_KEYS = ("id", "rule", "code", "name", "standard")
#: Where contract files are documented, for fixes.
DOC = "docs/contract-format.md"


def describe_loc(loc: Sequence[str | int], data: Any) -> str:
    """Render a pydantic-style location (0-based list indices) against the raw *data*.

    Discriminator tags that pydantic inserts (``terms > block``) are dropped.
    """
    parts: list[str] = []
    node: Any = data
    previous: str | int | None = None
    for part in loc:
        if isinstance(part, int):
            label = ""
            if isinstance(node, list) and 0 <= part < len(node):
                node = node[part]
                if isinstance(node, Mapping):
                    for key in _LABEL_KEYS:
                        if isinstance(node.get(key), str):
                            label = f" ('{node[key]}')"
                            break
            else:
                node = None
            text = f"#{part + 1}{label}"
            if parts:
                parts[-1] = f"{parts[-1]} {text}"
            else:
                parts.append(text)
        else:
            is_tag = (
                isinstance(node, Mapping)
                and part not in node
                and (node.get("rule") == part or node.get("mechanism") == part)
            )
            if is_tag or (previous == "terms" and part not in (node or {})):
                previous = part
                continue
            node = node.get(part) if isinstance(node, Mapping) else None
            parts.append(str(part))
        previous = part
    return " > ".join(parts) or "(top level)"


def field_description(loc: Sequence[str | int], data: Any) -> str:
    """The documented description of the field at pydantic location *loc* ("" if unknown)."""
    from quasimarket.contracts.model import Contract

    model: type[BaseModel] | None = Contract
    node: Any = data
    description = ""
    parts = list(loc)
    position = 0
    while position < len(parts) and model is not None:
        part = parts[position]
        position += 1
        if isinstance(part, int) or part not in model.model_fields:
            continue  # list index or discriminator tag
        info = model.model_fields[part]
        description = info.description or ""
        parent = node if isinstance(node, Mapping) else {}
        node = parent.get(part)
        children = _models_in(info.annotation)
        if position < len(parts) and isinstance(parts[position], int) and isinstance(node, list):
            index = int(parts[position])
            node = node[index] if 0 <= index < len(node) else None
            position += 1
        model = None
        if len(children) == 1:
            model = children[0]
        elif children and isinstance(node, Mapping):
            for child in children:
                tag = _tag_of(child)
                if tag and node.get(tag[0], parent.get(tag[0])) == tag[1]:
                    model = child
    return description if position >= len(parts) else ""


def unknown_name_error(
    kind: str,
    value: object,
    valid: Iterable[str],
    *,
    location: str,
    file: str | None = None,
) -> ConfigError:
    """A ConfigError for an unknown *kind* name (mechanism, rule...) listing the valid ones."""
    names = sorted(valid)
    close = difflib.get_close_matches(str(value), names, n=1, cutoff=0.5)
    hint = f"did you mean '{close[0]}'? " if close else ""
    template = (
        "; `quasimarket contract new --mechanism NAME` writes a template for any of them"
        if kind in {"mechanism", "rule"}
        else ""
    )
    return ConfigError(
        f"unknown {kind} '{value}'",
        file=file,
        location=location,
        expected="one of " + ", ".join(names),
        fix=f"{hint}use one of the names listed{template}",
    )


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """Pydantic model classes inside an annotation (through Optional, tuple, Annotated...)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = get_origin(annotation)
    if origin is None:
        return []
    found: list[type[BaseModel]] = []
    for arg in get_args(annotation):
        if arg is Ellipsis:
            continue
        for model in _models_in(arg):
            if model not in found:
                found.append(model)
    return found


def _tag_of(model: type[BaseModel]) -> tuple[str, str] | None:
    for key in ("rule", "mechanism"):
        field = model.model_fields.get(key)
        if field is not None and isinstance(field.default, str):
            return key, field.default
    return None


def check_keys(data: Mapping[str, Any]) -> None:
    """Raise one ConfigError for the first unknown key, name, or format version in *data*."""
    from quasimarket.contracts.model import CONTRACT_FORMAT, SUPPORTED_FORMATS, Contract

    if "format" not in data:
        raise ConfigError(
            "the contract has no 'format' version",
            location="format",
            expected=f'format = "{CONTRACT_FORMAT}" as the first line',
            fix=f'add the line  format = "{CONTRACT_FORMAT}"  at the top of the file',
        )
    if data["format"] not in SUPPORTED_FORMATS:
        raise ConfigError(
            f"unsupported contract format '{data['format']}'",
            location="format",
            expected="one of " + ", ".join(SUPPORTED_FORMATS),
            fix=f'write format = "{CONTRACT_FORMAT}" and check the file against {DOC}',
        )
    _walk(data, Contract, (), data)


def _walk(
    node: Any, model: type[BaseModel], loc: tuple[str | int, ...], root: Mapping[str, Any]
) -> None:
    if not isinstance(node, Mapping):
        return  # pydantic reports the wrong type
    from quasimarket.contracts.model import ServiceLine
    from quasimarket.contracts.terms import MECHANISMS

    fields = model.model_fields
    for key in node:
        if key not in fields:
            _unknown_key(str(key), model, loc, root)
    if model is ServiceLine and "mechanism" not in node:
        raise ConfigError(
            "the line has no 'mechanism'",
            location=describe_loc((*loc, "mechanism"), root),
            expected="mechanism = one of " + ", ".join(sorted(MECHANISMS)),
            fix='add mechanism = "..." to the line (`quasimarket contract mechanisms` lists them)',
        )
    if model is ServiceLine and node["mechanism"] not in MECHANISMS:
        raise unknown_name_error(
            "mechanism",
            node["mechanism"],
            MECHANISMS,
            location=describe_loc((*loc, "mechanism"), root),
        )
    for name, value in node.items():
        children = _models_in(fields[name].annotation)
        if not children:
            continue
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            item_loc = (*loc, name) if index is None else (*loc, name, index)
            child = _choose(children, item, node, item_loc, root)
            if child is not None:
                _walk(item, child, item_loc, root)


def _choose(
    children: list[type[BaseModel]],
    item: Any,
    parent: Mapping[str, Any],
    loc: tuple[str | int, ...],
    root: Mapping[str, Any],
) -> type[BaseModel] | None:
    if len(children) == 1:
        return children[0]
    tags = {tag: model for model in children if (tag := _tag_of(model)) is not None}
    if not tags:
        return None
    key = next(iter(tags))[0]
    value = item.get(key, parent.get(key)) if isinstance(item, Mapping) else None
    if not isinstance(item, Mapping):
        return None
    if value is None:
        raise ConfigError(
            f"this table has no '{key}'",
            location=describe_loc(loc, root),
            expected=f"{key} = one of " + ", ".join(sorted(name for _, name in tags)),
            fix=f"add a '{key}' key naming the {key}",
        )
    for (_, name), model in tags.items():
        if name == value:
            return model
    raise unknown_name_error(
        key, value, (name for _, name in tags), location=describe_loc((*loc, key), root)
    )


def _unknown_key(
    key: str, model: type[BaseModel], loc: tuple[str | int, ...], root: Mapping[str, Any]
) -> None:
    valid = sorted(model.model_fields)
    close = difflib.get_close_matches(key, valid, n=1, cutoff=0.6)
    tag = _tag_of(model)
    what = (
        f"a '{tag[1]}' {'adjustment' if tag[0] == 'rule' else 'terms table'}"
        if tag
        else ("this table")
    )
    fix = (
        f"did you mean '{close[0]}'?"
        if close
        else f"remove '{key}' or correct its spelling (see {DOC})"
    )
    raise ConfigError(
        f"unknown key '{key}'",
        location=describe_loc((*loc, key), root),
        expected=f"keys of {what}: " + ", ".join(valid),
        fix=fix,
    )
