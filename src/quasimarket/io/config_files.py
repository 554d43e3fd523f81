"""Reading hand-written TOML files (contracts, scenarios, regimes) with one clear error each.

Checks, in order: the path exists and is a regular file (not a folder, a named pipe or a
device, which would hang or never end); it is not too large for a hand-written file, nor empty;
it is text (no NUL bytes); it is UTF-8 (a BOM is allowed); brackets do not nest absurdly deep;
it is valid TOML; no table nests deeper than :data:`MAX_CONFIG_DEPTH` and no key, name or text
value is absurdly long. A syntax error is reported as ``line L, column C`` with the offending
line shown. Content validation is the caller's (pydantic models).

The limits exist because every value of a hand-written file ends up in messages and tables:
a 100,000-character ``name`` took minutes to print (rich's highlighter is quadratic in the
length of one unbroken word), and 5,000 nested arrays crash the parser with a
``RecursionError``.
"""

from __future__ import annotations

import re
import stat
import tomllib
from pathlib import Path
from typing import Any

from quasimarket.errors import ConfigError

__all__ = [
    "MAX_CONFIG_BYTES",
    "MAX_CONFIG_DEPTH",
    "MAX_NAME_CHARS",
    "MAX_PARSE_BYTES",
    "MAX_TEXT_CHARS",
    "check_config_values",
    "describe_file_kind",
    "load_toml",
    "parse_toml",
    "read_config_text",
]

#: Hand-written configuration files larger than this are refused (real ones are a few kB).
MAX_CONFIG_BYTES = 1024**2
#: No config file is read for parsing beyond this, whatever ``max_bytes`` a caller passes.
MAX_PARSE_BYTES = 10 * 1024**2
#: Tables, arrays and inline tables nested deeper than this are refused (real files nest 4-5).
MAX_CONFIG_DEPTH = 64
#: Keys, and the values of name-like keys (:data:`NAME_KEYS`), longer than this are refused.
MAX_NAME_CHARS = 200
#: Any other text value longer than this (about two pages) is refused.
MAX_TEXT_CHARS = 5_000
#: Keys whose values are names or identifiers, held to :data:`MAX_NAME_CHARS`.
NAME_KEYS = frozenset({"name", "id", "code", "service", "title", "label"})

_TOML_WHERE = re.compile(r"\s*\(at line (\d+), column (\d+)\)\s*$")
# The tokens that matter for bracket depth: strings (skipped whole), comments, brackets.
_DEPTH_TOKEN = re.compile(r"\"\"\"|'''|\"|'|#|[\[{]|[\]}]")
_BASIC_STRING_REST = re.compile(r'(?:[^"\\\n]|\\.)*"?')


def describe_file_kind(mode: int) -> str:
    """What a non-regular file is, from its ``st_mode``: ``'a named pipe (FIFO)'`` etc."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a special file"


def read_config_text(
    path: str | Path,
    *,
    what: str,
    max_bytes: int = MAX_CONFIG_BYTES,
    fix_missing: str = "check the path and name",
    fix_not_text: str = "give the .toml file",
) -> str:
    """The UTF-8 text of a hand-written config file, after the file checks.

    Only the first ``max_bytes + 1`` bytes are ever read, so a file that grows while it is
    read cannot exhaust memory either.

    Args:
        path: The file.
        what: What the file is, for messages (``"contract"``, ``"scenario"``).
        max_bytes: Refuse larger files (never more than :data:`MAX_PARSE_BYTES`).
        fix_missing: The fix to suggest when the file does not exist.
        fix_not_text: The fix to suggest when the file is binary or too large.

    Raises:
        ConfigError: missing, a folder or other non-regular file, unreadable, too large, not
            text, not UTF-8, or nested too deeply.
    """
    file = Path(path)
    limit = min(max_bytes, MAX_PARSE_BYTES)
    try:
        info = file.stat()
    except (FileNotFoundError, NotADirectoryError):
        raise ConfigError(f"{what} file not found", file=file, fix=fix_missing) from None
    except OSError as err:
        raise _unreadable(file, what, err) from None
    if stat.S_ISDIR(info.st_mode):
        raise ConfigError(f"is a folder, not a {what} file", file=file, fix="give a .toml file")
    if not stat.S_ISREG(info.st_mode):
        raise ConfigError(
            f"not a regular file: it is {describe_file_kind(info.st_mode)}",
            file=file,
            expected=f"a {what} file saved on disk",
            fix="save the content to a file and give its path",
        )
    if info.st_size > limit:
        raise _too_large(file, what, info.st_size, limit, fix_not_text)
    try:
        with open(file, "rb") as handle:
            raw = handle.read(limit + 1)
    except OSError as err:
        raise _unreadable(file, what, err) from None
    if len(raw) > limit:
        raise _too_large(file, what, len(raw), limit, fix_not_text)
    if not raw.strip():
        raise ConfigError(
            f"the {what} file is empty",
            file=file,
            expected=f"a TOML {what} (see the format in the docs)",
            fix="check the path; the file may not have been saved or copied in full",
        )
    if b"\x00" in raw:
        raise ConfigError(
            "file is not text (it contains NUL bytes)",
            file=file,
            expected=f"a UTF-8 TOML {what} file",
            fix=fix_not_text,
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ConfigError(
            f"file is not UTF-8 text (byte 0x{raw[err.start]:02x} at line {line})",
            file=file,
            location=f"line {line}",
            expected="UTF-8 text",
            fix="re-save the file as UTF-8",
        ) from None
    _check_bracket_depth(text, source=str(file))
    return text


def _too_large(file: Path, what: str, size: int, limit: int, fix: str) -> ConfigError:
    return ConfigError(
        f"file is too large for a {what} ({size / 1024:,.0f} KiB)",
        file=file,
        expected=f"a hand-written TOML {what} of at most {limit / 1024:,.0f} KiB",
        fix=fix,
    )


def _unreadable(file: Path, what: str, err: OSError) -> ConfigError:
    if isinstance(err, PermissionError):
        return ConfigError(
            f"permission denied: cannot read the {what} file",
            file=file,
            fix="check the file's permissions (ls -l), or copy it somewhere you can read",
        )
    return ConfigError(
        f"cannot read the {what} file: {err.strerror or type(err).__name__}",
        file=file,
        fix="check the path, and that the disk or network share is available",
    )


def _check_bracket_depth(text: str, *, source: str) -> None:
    """Refuse text whose ``[``/``{`` nest deeper than :data:`MAX_CONFIG_DEPTH`.

    The parsers (tomllib, json) recurse once per level and die with ``RecursionError`` near
    1,000 levels, so this runs before them. Strings and ``#`` comments are skipped; the scan is
    approximate only for text that is not valid TOML or JSON anyway.
    """
    depth = 0
    position = 0
    while match := _DEPTH_TOKEN.search(text, position):
        token = match.group()
        position = match.end()
        if token in ('"""', "'''"):
            end = text.find(token, position)
            position = len(text) if end < 0 else end + 3
        elif token == '"':
            rest = _BASIC_STRING_REST.match(text, position)
            position = rest.end() if rest else position
        elif token in ("'", "#"):
            stop = "'" if token == "'" else "\n"
            end = text.find(stop, position)
            newline = text.find("\n", position)
            if token == "'" and 0 <= newline < end:
                end = newline  # an unterminated literal string ends at the line's end
            position = len(text) if end < 0 else end + 1
        elif token in "[{":
            depth += 1
            if depth > MAX_CONFIG_DEPTH:
                line = text.count("\n", 0, match.start()) + 1
                raise _too_deep(source, f"line {line}")
        else:
            depth = max(depth - 1, 0)


def _too_deep(source: str, location: str) -> ConfigError:
    return ConfigError(
        f"nested too deeply (more than {MAX_CONFIG_DEPTH} levels of tables or arrays)",
        file=source,
        location=location,
        expected=f"at most {MAX_CONFIG_DEPTH} levels of nesting (real files use 4 or 5)",
        fix="check the file is the one meant; remove the runaway brackets or dotted keys",
    )


def check_config_values(data: dict[str, Any], *, source: str) -> None:
    """Refuse parsed config *data* that nests too deeply or holds absurdly long text.

    Keys and the values of :data:`NAME_KEYS` may be at most :data:`MAX_NAME_CHARS` long,
    other text values at most :data:`MAX_TEXT_CHARS`; nesting is at most
    :data:`MAX_CONFIG_DEPTH`. The walk is iterative, so it cannot itself recurse too deeply.

    Raises:
        ConfigError: naming the key path of the first offending value.
    """
    stack: list[tuple[Any, tuple[str, ...], int]] = [(data, (), 0)]
    while stack:
        value, where, depth = stack.pop()
        if depth > MAX_CONFIG_DEPTH:
            raise _too_deep(source, _key_path(where[:3]) + " > ...")
        if isinstance(value, dict):
            for key, item in value.items():
                if len(key) > MAX_NAME_CHARS:
                    raise ConfigError(
                        f"a key is {len(key):,} characters long",
                        file=source,
                        location=_key_path((*where, key[:40] + "...")),
                        expected=f"keys of at most {MAX_NAME_CHARS} characters",
                        fix="check the file is the one meant; keys are short words",
                    )
                stack.append((item, (*where, key), depth + 1))
        elif isinstance(value, list):
            stack.extend((item, (*where, f"#{n + 1}"), depth + 1) for n, item in enumerate(value))
        elif isinstance(value, str):
            key = next((part for part in reversed(where) if not part.startswith("#")), "")
            limit = MAX_NAME_CHARS if key in NAME_KEYS else MAX_TEXT_CHARS
            if len(value) > limit:
                raise ConfigError(
                    f"text is too long ({len(value):,} characters): {value[:40]!r}...",
                    file=source,
                    location=_key_path(where),
                    expected=f"at most {limit:,} characters"
                    + (f" for '{key}'" if key in NAME_KEYS else ""),
                    fix="shorten it; put long explanations in a separate document",
                )


def _key_path(parts: tuple[str, ...]) -> str:
    return " > ".join(parts) or "(top level)"


def parse_toml(
    text: str, *, source: str, fix: str = "correct the syntax at that place"
) -> dict[str, Any]:
    """Parse TOML *text*; a syntax error names ``line L, column C`` and shows that line.

    The parsed data then passes :func:`check_config_values` (nesting depth, text lengths).

    Raises:
        ConfigError: the text is not valid TOML, nests too deeply, or holds too long a value.
    """
    try:
        data = tomllib.loads(text)
    except RecursionError:  # a parser limit, whatever the text's brackets look like
        raise _too_deep(source, "(whole file)") from None
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
    check_config_values(data, source=source)
    return data


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
