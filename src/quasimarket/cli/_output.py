"""Shared output helpers for CLI commands: rich console, JSON emission, tables."""

from __future__ import annotations

import sys
from typing import Any

from rich.console import Console

__all__ = ["console", "emit_json", "err_console"]


def console() -> Console:
    """A console on the current stdout (made per call so test capture works)."""
    return Console(file=sys.stdout, soft_wrap=False, width=None if sys.stdout.isatty() else 120)


def err_console() -> Console:
    """A console on the current stderr, for errors and progress."""
    return Console(file=sys.stderr, width=None if sys.stderr.isatty() else 120)


def _default(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalars
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def emit_json(payload: Any) -> None:
    """Print *payload* as indented JSON on stdout (plain print: no wrapping or colour)."""
    from quasimarket.io.json_output import dumps

    text = dumps(payload, what="the JSON output", indent=2, default=_default, ensure_ascii=False)
    sys.stdout.write(text + "\n")
