"""Reading hand-written TOML files (contracts, scenarios, regimes) with one clear error each.

Checks, in order: the file exists and is a file; it is not too large for a hand-written file;
it is text (no NUL bytes); it is UTF-8 (a BOM is allowed); it is valid TOML. A syntax error is
reported as ``line L, column C`` with the offending line shown. Content validation is the
caller's (pydantic models).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from quasimarket.errors import ConfigError

__all__ = ["MAX_CONFIG_BYTES", "load_toml", "parse_toml", "read_config_text"]

#: Hand-written configuration files larger than this are refused (real ones are a few kB).
MAX_CONFIG_BYTES = 1024**2

_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")


def read_config_text(
    path: str | Path,
    *,
    what: str,
    max_bytes: int = MAX_CONFIG_BYTES,
    fix_missing: str = "check the path and name",
    fix_not_text: str = "give the .toml file",
) -> str:
    """The UTF-8 text of a hand-written config file, after the file checks.

    Args:
        path: The file.
        what: What the file is, for messages (``"contract"``, ``"scenario"``).
        max_bytes: Refuse larger files.
        fix_missing: The fix to suggest when the file does not exist.
        fix_not_text: The fix to suggest when the file is binary or too large.

    Raises:
        ConfigError: missing, a folder, too large, not text, or not UTF-8.
    """
    file = Path(path)
    if not file.exists():
        raise ConfigError(f"{what} file not found", file=file, fix=fix_missing)
    if not file.is_file():
        raise ConfigError(f"is a folder, not a {what} file", file=file, fix="give a .toml file")
    size = file.stat().st_size
    if size > max_bytes:
        raise ConfigError(
            f"file is too large for a {what} ({size / 1024:,.0f} KiB)",
            file=file,
            expected=f"a hand-written TOML {what} of at most {max_bytes / 1024:,.0f} KiB",
            fix=fix_not_text,
        )
    raw = file.read_bytes()
    if b"\x00" in raw:
        raise ConfigError(
            "file is not text (it contains NUL bytes)",
            file=file,
            expected=f"a UTF-8 TOML {what} file",
            fix=fix_not_text,
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"file is not UTF-8 text (byte 0x{raw[err.start]:02x} at line {line})",
            file=file,
            location=f"line {line}",
            expected="UTF-8 text",
            fix="re-save the file as UTF-8",
        ) from None


def parse_toml(
    text: str, *, source: str, fix: str = "correct the syntax at that place"
) -> dict[str, Any]:
    """Parse TOML *text*; a syntax error names ``line L, column C`` and shows that line.

    Raises:
        ConfigError: the text is not valid TOML.
    """
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as err:
        message = str(err)
        match = _TOML_WHERE.search(message)
        location = None
        shown = ""
        if match:
            line, column = int(match.group(1)), int(match.group(2))
            location = f"line {line}, column {column}"
            message = message[: match.start()]
            lines = text.splitlines()
            if 1 <= line <= len(lines):
                shown = f": {lines[line - 1].strip()[:80]!r}"
        elif "end of document" in message:
            location = f"line {text.count(chr(10)) + 1} (end of file)"
        raise ConfigError(
            f"TOML syntax error: {message.rstrip('.')}{shown}",
            file=source,
            location=location,
            expected='TOML: key = value lines, strings in "quotes", tables in brackets',
            fix=fix,
        ) from None


def load_toml(
    path: str | Path,
    *,
    what: str,
    max_bytes: int = MAX_CONFIG_BYTES,
    fix_missing: str = "check the path and name",
    fix_syntax: str = "correct the syntax at that place",
) -> dict[str, Any]:
    """:func:`read_config_text` then :func:`parse_toml`."""
    text = read_config_text(path, what=what, max_bytes=max_bytes, fix_missing=fix_missing)
    return parse_toml(text, source=str(path), fix=fix_syntax)
