"""JSON outputs are strict JSON: a non-finite number never reaches a file or the screen.

Python's ``json`` writes ``NaN`` and ``Infinity`` by default, which no strict parser (nor a
spreadsheet's JSON import) reads. :func:`dumps` refuses them and names where they are, so a bug
that produced one is reported instead of written.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from typing import Any

from quasimarket.errors import RunError

__all__ = ["dumps", "non_finite_paths"]


def dumps(
    payload: Any,
    *,
    what: str,
    default: Callable[[Any], Any] | None = None,
    **options: Any,
) -> str:
    """``json.dumps(payload, allow_nan=False, ...)``; a non-finite number is a :class:`RunError`.

    Args:
        payload: What to write.
        what: What it is (``"totals.json"``), for the error.
        default: As for :func:`json.dumps`.
        options: Other :func:`json.dumps` options (``indent``, ``ensure_ascii`` ...).
    """
    try:
        return json.dumps(payload, allow_nan=False, default=default, **options)
    except ValueError as error:
        if "Out of range float values" not in str(error):
            raise
        plain = json.loads(json.dumps(payload, default=default))
        paths = list(non_finite_paths(plain))
        raise RunError(
            f"{what} would hold {len(paths):,} non-finite number(s) (NaN or infinity), at "
            + ", ".join(paths[:5]),
            location=what,
            expected="finite money and counts everywhere",
            fix="nothing was written; this is a bug if the inputs passed validation, please "
            "report it with the inputs",
        ) from None


def non_finite_paths(value: Any, path: str = "$") -> Iterator[str]:
    """JSON paths (``$.lines[3].value``) of every NaN or infinite float in *value*."""
    if isinstance(value, float) and not math.isfinite(value):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from non_finite_paths(item, f"{path}.{key}")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            yield from non_finite_paths(item, f"{path}[{i}]")
