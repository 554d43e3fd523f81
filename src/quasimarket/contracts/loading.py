"""Reading contract files: file checks, TOML parsing with line/column errors, validation.

Every problem is one :class:`~quasimarket.errors.ConfigError` naming the file, where in it
(``line 3, column 7`` for TOML syntax; a key path such as ``lines #2 ('nel') > terms > price``
for content), what was expected and how to fix it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from quasimarket.contracts.adjustments import RULES
from quasimarket.contracts.keys import DOC, describe_loc, field_description
from quasimarket.contracts.model import Contract
from quasimarket.contracts.terms import MECHANISMS
from quasimarket.errors import ConfigError, QuasimarketError
from quasimarket.io.config_files import parse_toml, read_config_text

__all__ = ["MAX_CONTRACT_BYTES", "load_contract", "parse_contract"]

#: Contract files larger than this are refused (a real contract is a few kB).
MAX_CONTRACT_BYTES = 1024**2

_TAGS = frozenset(MECHANISMS) | frozenset(RULES)


def load_contract(path: str | Path, *, max_bytes: int = MAX_CONTRACT_BYTES) -> Contract:
    """Read and validate a contract TOML file.

    Args:
        path: The ``.toml`` file.
        max_bytes: Refuse larger files (default 1 MiB).

    Raises:
        ConfigError: the file is missing, too large, not UTF-8 text, not valid TOML, or not a
            valid contract; the message names the file, the place and the fix.
    """
    text = read_config_text(
        path,
        what="contract",
        max_bytes=max_bytes,
        fix_not_text="check this is the contract file (write one with `quasimarket contract "
        "new`); activity and tariff tables are given separately to `quasimarket price`",
    )
    return parse_contract(text, source=str(path))


def parse_contract(text: str, *, source: str = "<string>") -> Contract:
    """Parse and validate contract TOML *text*; *source* names it in error messages.

    Raises:
        ConfigError: TOML syntax error (with line and column) or invalid contract content.
    """
    data = parse_toml(
        text,
        source=source,
        fix=f"correct the syntax at that place (see {DOC}; `quasimarket contract new` writes "
        "a valid template)",
    )
    return contract_from_data(data, source=source)


def contract_from_data(data: dict[str, Any], *, source: str = "<data>") -> Contract:
    """Validate already-parsed contract data (a dict as TOML gives it)."""
    try:
        return Contract.model_validate(data)
    except ValidationError as err:
        raise _validation_error(err, data, source) from None
    except QuasimarketError as err:
        if err.file is not None:
            raise
        raise type(err)(
            err.problem, file=source, location=err.location, expected=err.expected, fix=err.fix
        ) from None


def _validation_error(err: ValidationError, data: dict[str, Any], source: str) -> ConfigError:
    rows: list[tuple[str, str, str, str]] = []  # location, problem, expected, fix
    items = err.errors()
    locs = [tuple(item.get("loc", ())) for item in items]
    for item in items:
        loc_here = tuple(item.get("loc", ()))
        if item.get("type") == "too_short" and any(
            len(other) > len(loc_here) and other[: len(loc_here)] == loc_here for other in locs
        ):
            continue  # pydantic also counts a tuple whose items failed as too short
        loc = item.get("loc", ())
        where = describe_loc(loc, data)
        kind = item.get("type", "")
        message = str(item.get("msg", "invalid value")).removeprefix("Value error, ")
        context = item.get("ctx") or {}
        if kind == "contract_rule":
            expected = str(context.get("expected") or "")
        else:
            expected = field_description(loc, data)
        value = item.get("input")
        if kind == "missing":
            field = str(loc[-1]) if loc else "value"
            rows.append((where, "required but missing", expected, f"add the missing {field}"))
        elif kind == "string_pattern_mismatch":
            rows.append(
                (
                    where,
                    f"{value!r} is not a valid code or id",
                    expected or "a code",
                    "use letters, digits, '_', '.' and '-' only, starting with a letter or "
                    "digit (no spaces)",
                )
            )
        elif kind in {"tuple_type", "list_type"} and isinstance(value, dict):
            header = ".".join(
                str(part) for part in loc if isinstance(part, str) and part not in _TAGS
            )
            rows.append(
                (
                    where,
                    "a single table was given where a list of tables is expected",
                    expected,
                    f"write each table header with double brackets: [[{header}]]",
                )
            )
        elif kind == "contract_rule":
            rows.append((where, message, expected, str(context.get("fix") or "")))
        else:
            shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
            rows.append((where, f"{message}{shown}", expected, "correct the value"))
    if len(rows) == 1:
        where, problem, expected, fix = rows[0]
        return ConfigError(
            problem, file=source, location=where, expected=expected or None, fix=fix or None
        )
    listing = "\n    ".join(f"{where}: {problem}" for where, problem, _, _ in rows)
    missing = [fix.removeprefix("add the missing ") for *_, fix in rows if "missing" in fix]
    fixes = [fix for *_, fix in rows if fix and "missing" not in fix]
    if missing:
        fixes.insert(0, "add the missing " + ", ".join(missing) + f" (see {DOC})")
    return ConfigError(
        f"{len(rows)} problems in the contract:\n    {listing}",
        file=source,
        fix="; ".join(dict.fromkeys(fixes)) or None,
    )
