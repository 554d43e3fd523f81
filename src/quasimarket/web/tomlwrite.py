"""Write the contract's data back as TOML after a form edit (the format has no writer here).

Only the shapes a ``quasimarket.contract/1`` file uses are needed: scalars, arrays of scalars,
tables and arrays of tables. Comments in the original text are not kept.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from typing import Any

__all__ = ["dumps"]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # a TOML basic string is JSON-compatible
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_scalar(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _key(key: str) -> str:
    bare = key.replace("_", "").replace("-", "").isalnum() and key.isascii()
    return key if bare else json.dumps(key)


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _table(data: dict[str, Any], path: list[str], out: list[str]) -> None:
    simple = {k: v for k, v in data.items() if not isinstance(v, dict) and not _is_table_array(v)}
    for key, value in simple.items():
        out.append(f"{_key(key)} = {_scalar(value)}")
    for key, value in data.items():
        if isinstance(value, dict):
            name = ".".join(_key(p) for p in [*path, key])
            out.extend(["", f"[{name}]"])
            _table(value, [*path, key], out)
        elif _is_table_array(value):
            name = ".".join(_key(p) for p in [*path, key])
            for item in value:
                out.extend(["", f"[[{name}]]"])
                _table(item, [*path, key], out)


def dumps(data: dict[str, Any]) -> str:
    """*data* as TOML text."""
    out: list[str] = []
    _table(data, [], out)
    return "\n".join(out).lstrip("\n") + "\n"
