"""Achievement and performance files: what the payment rules need at pricing time, by line.

Two small hand-written files (TOML, or JSON of the same shape) give the inputs a contract
leaves to pricing time; ``docs/pricing.md`` documents both with examples.

* ``quasimarket.achievement/1`` (:func:`load_achievement`): CQUIN achievement per goal, for
  the whole contract (``[cquin]``), a provider (``[providers.<code>.cquin]``) or a line
  (``[lines.<id>.cquin]``); capitation outcome achievement and contingency release per
  provider or line (``outcome_achievement``, ``contingency_released``); the alliance's
  outcome achievement (``[alliance]``).
* ``quasimarket.performance/1`` (:func:`load_performance`): performance against the
  standards the contract's sanctions rules name, for the whole contract
  (``[standards.<name>]``), a provider (``[providers.<code>.<name>]``) or a line
  (``[lines.<id>.<name>]``): ``numerator``/``denominator`` for threshold sanctions, ``count``
  for per-breach sanctions.

The most specific entry wins (line over provider over contract), and everything is resolved to
contract line ids (:class:`~quasimarket.payment.inputs.Achievement`,
:class:`~quasimarket.payment.inputs.Performance`). Nothing is silently ignored: an unknown key,
line, provider, goal or standard, a share outside 0-1, a count that is not a whole number, a
numerator above its denominator, or a denominator that disagrees with the activity is one
clear error naming the file, the key, what was expected and the fix. The ``parse_*`` functions
take the same shape as a dict (the web API's JSON); there ``format`` may be left out.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from quasimarket.errors import ConfigError, InputError
from quasimarket.io.config_files import parse_toml, read_config_text
from quasimarket.payment.inputs import Achievement, Performance

if TYPE_CHECKING:
    from quasimarket.activity.table import ActivityTable
    from quasimarket.contracts.adjustments import Sanction
    from quasimarket.contracts.model import Contract, ServiceLine

__all__ = [
    "ACHIEVEMENT_FORMAT",
    "ACTIVITY_STANDARDS",
    "PERFORMANCE_FORMAT",
    "load_achievement",
    "load_performance",
    "parse_achievement",
    "parse_performance",
]

#: The achievement file format this version reads.
ACHIEVEMENT_FORMAT = "quasimarket.achievement/1"
#: The performance file format this version reads.
PERFORMANCE_FORMAT = "quasimarket.performance/1"
#: Achievement and performance files larger than this are refused (real ones are a few kB).
MAX_INPUT_BYTES = 1024**2
#: Where the two formats are documented, for fixes.
DOC = "docs/pricing.md"

#: Standards whose denominator is a count of the line's activity records of one point of
#: delivery: standard name -> (pod, what the records are, for messages). When the activity is
#: given, such a standard's ``denominator`` on a line covering that pod must equal the number
#: of the line's records of that pod. Only standards whose denominator is activity the
#: activity file holds belong here: the A&E 4-hour standard counts A&E attendances
#: (payment-rules.md A10). RTT, cancer and diagnostic waits count patients on waiting lists or
#: pathways, which the activity does not record, so their denominators are not checked.
ACTIVITY_STANDARDS: dict[str, tuple[str, str]] = {
    "ae_4_hour": ("ae", "A&E attendances"),
}

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")
_THRESHOLD_KEYS = ("numerator", "denominator")
_BREACH_KEYS = ("count",)
#: Capitation entries of an achievement file: key -> (the capitation terms' share that must be
#: above 0 for it to apply, what that payment is called in messages).
_CAPITATION_KEYS: dict[str, tuple[str, str]] = {
    "outcome_achievement": ("outcome_share", "outcome payment"),
    "contingency_released": ("contingency_share", "contingency"),
}


# -- shared helpers ---------------------------------------------------------------------------
def _key(*parts: str) -> str:
    """A TOML key path: ``lines.nel.cquin."Staff health"`` (quoted where not a bare key)."""
    return ".".join(part if _BARE_KEY.match(part) else json.dumps(part) for part in parts)


def _quote_list(names: Iterable[str], *, limit: int = 12) -> str:
    values = sorted(dict.fromkeys(names))
    shown = ", ".join(f"'{name}'" for name in values[:limit])
    rest = len(values) - limit
    return f"{shown} and {rest} more" if rest > 0 else shown


def _did_you_mean(name: str, valid: Iterable[str]) -> str:
    names = list(valid)
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6)
    if not close:
        lowered = {value.lower(): value for value in names}
        close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=0.6)
        close = [lowered[c] for c in close]
    return f"did you mean '{close[0]}'? " if close else ""


def _unknown(
    what: str,
    name: str,
    valid: Iterable[str],
    *,
    source: str,
    location: str,
    fix: str,
    problem: str | None = None,
) -> ConfigError:
    names = list(dict.fromkeys(valid))
    return ConfigError(
        problem or f"unknown {what} '{name}'",
        file=source,
        location=location,
        expected=f"one of {_quote_list(names)}" if names else f"none: there is no {what} here",
        fix=_did_you_mean(name, names) + fix,
    )


def _table(value: Any, *, source: str, location: str, expected: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise ConfigError(
            f"this is {_kind_of(value)}, not a table",
            file=source,
            location=location,
            expected=expected,
            fix=f"write it as a table ([{location}] with key = value lines)",
        )
    return value


def _kind_of(value: Any) -> str:
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, str):
        return f"the text {value!r}"
    if isinstance(value, list | tuple):
        return "a list"
    if isinstance(value, Mapping):
        return "a table"
    return f"a {type(value).__name__}"


def _check_keys(
    data: Mapping[str, Any], allowed: Iterable[str], *, source: str, prefix: tuple[str, ...]
) -> None:
    valid = list(allowed)
    for key in data:
        if key not in valid:
            where = _key(*prefix, str(key))
            raise _unknown(
                "key",
                str(key),
                valid,
                source=source,
                location=where,
                fix=f"remove '{where}' or correct its spelling (the format is in {DOC})",
            )


def _number(value: Any, *, source: str, location: str, expected: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigError(
            f"this is {_kind_of(value)}, not a number",
            file=source,
            location=location,
            expected=expected,
            fix="write a plain number, without quotes",
        )
    try:
        number = float(value)
    except OverflowError:  # a JSON integer too large for a float
        number = math.inf
    if not math.isfinite(number):
        raise ConfigError(
            f"{str(value)[:20]} is not a finite number",
            file=source,
            location=location,
            expected=expected,
            fix="write a finite number",
        )
    return number


def _share(value: Any, *, source: str, location: str) -> float:
    expected = "a share between 0 and 1 (0.9 = 90% achieved)"
    share = _number(value, source=source, location=location, expected=expected)
    if not 0.0 <= share <= 1.0:
        hint = f" (for {share:g}%, write {share / 100:g})" if 1.0 < share <= 100.0 else ""
        raise ConfigError(
            f"the share {share:g} is outside 0-1",
            file=source,
            location=location,
            expected=expected,
            fix=f"give the share as a fraction between 0 and 1{hint}",
        )
    return share


def _whole(value: Any, *, source: str, location: str, what: str) -> float:
    expected = f"a whole number of {what}, 0 or more"
    number = _number(value, source=source, location=location, expected=expected)
    if number < 0:
        raise ConfigError(
            f"{number:g} is negative",
            file=source,
            location=location,
            expected=expected,
            fix=f"give the number of {what} (0 or more)",
        )
    if number != math.floor(number) or number > 2**53:
        raise ConfigError(
            f"{number:g} is not a whole number",
            file=source,
            location=location,
            expected=expected,
            fix=f"give a count of {what} (a whole number, e.g. {math.floor(number):,.0f})",
        )
    return number


def _read(path: str | Path, *, what: str, fmt: str) -> dict[str, Any]:
    """The file's data (TOML, or JSON when the name ends .json); its ``format`` is required."""
    file = Path(path)
    text = read_config_text(
        file,
        what=what,
        max_bytes=MAX_INPUT_BYTES,
        fix_not_text=f'give the {what} file (TOML, format = "{fmt}"; see {DOC})',
    )
    source = str(file)
    data: Any
    if file.suffix.lower() == ".json":
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise ConfigError(
                f"JSON syntax error: {err.msg}",
                file=source,
                location=f"line {err.lineno}, column {err.colno}",
                expected='JSON: {"key": value, ...} with "quoted" keys and strings',
                fix="correct the syntax at that place",
            ) from None
        if not isinstance(data, dict):
            raise ConfigError(
                f"the {what} file is {_kind_of(data)}, not an object",
                file=source,
                location="(top level)",
                expected=f'a JSON object such as {{"format": "{fmt}", ...}}',
                fix=f"put the entries in one JSON object (see {DOC})",
            )
    else:
        data = parse_toml(text, source=source, fix=f"correct the syntax at that place (see {DOC})")
    if "format" not in data:
        raise ConfigError(
            f"the {what} file has no 'format' key",
            file=source,
            location="format",
            expected=f'format = "{fmt}" at the top of the file',
            fix=f'add format = "{fmt}" as the first line (see {DOC})',
        )
    return dict(data)


def _check_format(data: Mapping[str, Any], fmt: str, *, source: str, what: str) -> None:
    if "format" in data and data["format"] != fmt:
        raise ConfigError(
            f"format {data['format']!r} is not the {what} file format",
            file=source,
            location="format",
            expected=f'format = "{fmt}"',
            fix=f'write format = "{fmt}" (is this the right file for --{what}?)',
        )
    if "description" in data and not isinstance(data["description"], str):
        raise ConfigError(
            f"description is {_kind_of(data['description'])}, not text",
            file=source,
            location="description",
            expected='free text in quotes, e.g. description = "Q4 returns"',
            fix="put the description in quotes",
        )


def _lines_by_id(contract: Contract) -> dict[str, ServiceLine]:
    return {line.id: line for line in contract.lines}


def _provider_codes(contract: Contract) -> list[str]:
    return [party.code for party in contract.providers]


def _provider_lines(contract: Contract, code: str) -> list[ServiceLine]:
    return [line for line in contract.lines if contract.provider_of(line).code == code]


def _check_provider(contract: Contract, code: str, *, source: str, location: str) -> None:
    codes = _provider_codes(contract)
    if code in codes:
        return
    commissioners = [party.code for party in contract.commissioners]
    problem = (
        f"'{code}' is a commissioner of contract '{contract.name}', not a provider"
        if code in commissioners
        else f"no provider '{code}' in contract '{contract.name}'"
    )
    raise _unknown(
        "provider",
        code,
        codes,
        source=source,
        location=location,
        fix="use a provider code from the contract's [[providers]]",
        problem=problem,
    )


def _check_line(contract: Contract, line_id: str, *, source: str, location: str) -> ServiceLine:
    lines = _lines_by_id(contract)
    if line_id in lines:
        return lines[line_id]
    raise _unknown(
        "line",
        line_id,
        lines,
        source=source,
        location=location,
        fix="use a line id from the contract's [[lines]]",
        problem=f"no line '{line_id}' in contract '{contract.name}'",
    )


# -- achievement ------------------------------------------------------------------------------
def load_achievement(path: str | Path, contract: Contract) -> Achievement:
    """Read an achievement file (``quasimarket.achievement/1``) for *contract*.

    Raises:
        ConfigError: the file is missing, not TOML/JSON, has the wrong or no ``format``, or
            any entry is unknown or out of range (the message names the file and key).
    """
    data = _read(path, what="achievement", fmt=ACHIEVEMENT_FORMAT)
    return parse_achievement(data, contract, source=str(path))


def _cquin_goals(line: ServiceLine) -> list[str]:
    from quasimarket.contracts.adjustments import Cquin

    rules = [rule for rule in line.adjustments_of("cquin") if isinstance(rule, Cquin)]
    return [goal.name for rule in rules for goal in rule.goals]


def _capitation_share(line: ServiceLine, name: str) -> float:
    """The capitation terms' *name* share (``outcome_share``), or 0 for other mechanisms."""
    if line.mechanism != "capitation":
        return 0.0
    return float(getattr(line.terms, name, 0.0) or 0.0)


def parse_achievement(
    data: Mapping[str, Any], contract: Contract, *, source: str = "achievement"
) -> Achievement:
    """Check achievement *data* (the file's shape, as a dict) against *contract*.

    ``format`` is checked when present (:func:`load_achievement` requires it). *source* names
    the data in messages and in the result.

    Raises:
        ConfigError: an unknown key, line, provider or goal, or a share outside 0-1.
    """
    _check_format(data, ACHIEVEMENT_FORMAT, source=source, what="achievement")
    for key in _CAPITATION_KEYS:
        if key in data:
            raise ConfigError(
                f"{key} is at the top level of the achievement data",
                file=source,
                location=key,
                expected=f"{key} under [providers.CODE] or [lines.ID] (capitation lines), or "
                "outcome_achievement under [alliance]",
                fix=f"move it to [lines.ID] for the capitation line it is for (see {DOC})",
            )
    _check_keys(
        data,
        ("format", "description", "cquin", "lines", "providers", "alliance"),
        source=source,
        prefix=(),
    )
    cquin: dict[str, dict[str, float]] = {}
    capitation: dict[str, dict[str, float]] = {key: {} for key in _CAPITATION_KEYS}
    line_keys = ("cquin", *_CAPITATION_KEYS)

    # contract-wide [cquin]
    if "cquin" in data:
        goals = _table(
            data["cquin"],
            source=source,
            location="cquin",
            expected="a table of CQUIN goal name = share achieved (0-1)",
        )
        _cquin_entries(goals, list(contract.lines), cquin, source=source, prefix=("cquin",))

    # [providers.<code>], then [lines.<id>]: the more specific entry wins
    providers = _table(
        data.get("providers", {}),
        source=source,
        location="providers",
        expected="one table per provider code: [providers.CODE]",
    )
    for code, entry in providers.items():
        _check_provider(contract, code, source=source, location=_key("providers", code))
        table = _table(
            entry,
            source=source,
            location=_key("providers", code),
            expected="outcome_achievement = share and/or a [providers.CODE.cquin] table",
        )
        _check_keys(table, line_keys, source=source, prefix=("providers", code))
        own = _provider_lines(contract, code)
        who = f"provider '{code}'"
        if "cquin" in table:
            where = ("providers", code, "cquin")
            goals = _table(
                table["cquin"],
                source=source,
                location=_key(*where),
                expected="a table of CQUIN goal name = share achieved (0-1)",
            )
            _cquin_entries(goals, own, cquin, source=source, prefix=where, who=who)
        _capitation_entries(table, own, capitation, source=source, prefix=("providers", code))

    lines = _table(
        data.get("lines", {}),
        source=source,
        location="lines",
        expected="one table per line id: [lines.ID]",
    )
    for line_id, entry in lines.items():
        line = _check_line(contract, line_id, source=source, location=_key("lines", line_id))
        table = _table(
            entry,
            source=source,
            location=_key("lines", line_id),
            expected="outcome_achievement = share and/or a [lines.ID.cquin] table",
        )
        _check_keys(table, line_keys, source=source, prefix=("lines", line_id))
        if "cquin" in table:
            where = ("lines", line_id, "cquin")
            goals = _table(
                table["cquin"],
                source=source,
                location=_key(*where),
                expected="a table of CQUIN goal name = share achieved (0-1)",
            )
            _cquin_entries(
                goals, [line], cquin, source=source, prefix=where, who=f"line '{line_id}'"
            )
        _capitation_entries(table, [line], capitation, source=source, prefix=("lines", line_id))

    # [alliance]
    alliance: float | None = None
    if "alliance" in data:
        table = _table(
            data["alliance"],
            source=source,
            location="alliance",
            expected="outcome_achievement = share achieved (0-1)",
        )
        _check_keys(table, ("outcome_achievement",), source=source, prefix=("alliance",))
        if contract.alliance is None:
            raise ConfigError(
                f"contract '{contract.name}' has no alliance",
                file=source,
                location="alliance",
                expected="an [alliance] section in the contract (form = alliance_agreement)",
                fix="remove [alliance] from the achievement file, or price the alliance contract",
            )
        if "outcome_achievement" in table:
            alliance = _share(
                table["outcome_achievement"],
                source=source,
                location=_key("alliance", "outcome_achievement"),
            )
    return Achievement(
        cquin=cquin,
        outcomes=capitation["outcome_achievement"],
        alliance=alliance,
        contingency=capitation["contingency_released"],
        source=source,
    )


def _capitation_entries(
    table: Mapping[str, Any],
    lines: list[ServiceLine],
    out: dict[str, dict[str, float]],
    *,
    source: str,
    prefix: tuple[str, ...],
) -> None:
    """``outcome_achievement`` / ``contingency_released`` for the capitation lines in *lines*.

    Each applies to the capitation lines with a positive share of that kind (``outcome_share``,
    ``contingency_share``); an entry that reaches none of them is an error.
    """
    for key, (share_field, payment) in _CAPITATION_KEYS.items():
        if key not in table:
            continue
        at = _key(*prefix, key)
        share = _share(table[key], source=source, location=at)
        targets = [line for line in lines if _capitation_share(line, share_field) > 0]
        if not targets:
            if len(lines) == 1:
                line = lines[0]
                problem = (
                    f"line '{line.id}' is paid by '{line.mechanism}', not capitation, so it has "
                    f"no {payment}"
                    if line.mechanism != "capitation"
                    else f"line '{line.id}' has no {payment} (its {share_field} is 0)"
                )
            else:
                problem = f"provider '{prefix[-1]}' has no capitation line with a {payment}"
            raise ConfigError(
                problem,
                file=source,
                location=at,
                expected=f"a capitation line whose {share_field} is above 0",
                fix=f"remove '{at}', or give it for the capitation line with the {payment} "
                f"(or add {share_field} to that line in the contract)",
            )
        for line in targets:
            out[key][line.id] = share


def _cquin_entries(
    goals: Mapping[str, Any],
    lines: list[ServiceLine],
    out: dict[str, dict[str, float]],
    *,
    source: str,
    prefix: tuple[str, ...],
    who: str = "",
) -> None:
    """Set ``out[line][goal]`` for every line in *lines* that has each goal (later wins)."""
    with_cquin = [line for line in lines if line.adjustments_of("cquin")]
    if not with_cquin:
        raise ConfigError(
            f"{who or 'the contract'} has no CQUIN rule, so there is no goal to give "
            "achievement for",
            file=source,
            location=_key(*prefix),
            expected='CQUIN goals of lines with a rule = "cquin" adjustment',
            fix=f"remove [{_key(*prefix)}], or add the CQUIN rule to the contract",
        )
    known = [name for line in with_cquin for name in _cquin_goals(line)]
    for goal, value in goals.items():
        where = _key(*prefix, goal)
        if goal not in known:
            scope = f" of {who}" if who else " of the contract"
            raise _unknown(
                "CQUIN goal",
                goal,
                known,
                source=source,
                location=where,
                fix="use a goal name exactly as the contract's [[lines.adjustments.goals]] "
                "name gives it",
                problem=f"no CQUIN goal '{goal}' in the CQUIN rules{scope}",
            )
        share = _share(value, source=source, location=where)
        for line in with_cquin:
            if goal in _cquin_goals(line):
                out.setdefault(line.id, {})[goal] = share


# -- performance ------------------------------------------------------------------------------
def load_performance(
    path: str | Path, contract: Contract, activity: ActivityTable | None = None
) -> Performance:
    """Read a performance file (``quasimarket.performance/1``) for *contract*.

    With *activity*, the denominators of :data:`ACTIVITY_STANDARDS` are checked against it.

    Raises:
        ConfigError: the file is missing, not TOML/JSON, has the wrong or no ``format``, or an
            entry is unknown, has the wrong keys for its sanction, or bad numbers.
        InputError: a denominator disagrees with the activity.
    """
    data = _read(path, what="performance", fmt=PERFORMANCE_FORMAT)
    return parse_performance(data, contract, activity, source=str(path))


def _sanction_rules(line: ServiceLine) -> dict[str, Sanction]:
    from quasimarket.contracts.adjustments import Sanction

    rules: dict[str, Sanction] = {}
    for rule in line.adjustments_of("sanctions"):
        if isinstance(rule, Sanction):
            rules.setdefault(rule.standard, rule)
    return rules


def parse_performance(
    data: Mapping[str, Any],
    contract: Contract,
    activity: ActivityTable | None = None,
    *,
    source: str = "performance",
) -> Performance:
    """Check performance *data* (the file's shape, as a dict) against *contract*.

    ``format`` is checked when present (:func:`load_performance` requires it).

    Raises:
        ConfigError: an unknown key, line, provider or standard, the wrong keys for the
            standard's sanction kind, a negative or fractional count, a numerator above its
            denominator.
        InputError: a denominator disagrees with *activity*.
    """
    _check_format(data, PERFORMANCE_FORMAT, source=source, what="performance")
    named = {name for line in contract.lines for name in _sanction_rules(line)}
    for key in data:
        if key in named:  # the old flat shape: {"ae_4_hour": {...}}
            raise ConfigError(
                f"standard '{key}' is at the top level of the performance data",
                file=source,
                location=str(key),
                expected="standards under [standards.NAME] (all lines), "
                "[providers.CODE.NAME] or [lines.ID.NAME]",
                fix=f"move it to [standards.{key}] (see {DOC})",
            )
    _check_keys(
        data, ("format", "description", "standards", "providers", "lines"), source=source, prefix=()
    )
    # (line id, standard) -> (data, key path it came from); later (more specific) wins
    chosen: dict[tuple[str, str], tuple[dict[str, float], tuple[str, ...]]] = {}

    standards = _table(
        data.get("standards", {}),
        source=source,
        location="standards",
        expected="one table per standard: [standards.NAME]",
    )
    _standard_entries(standards, list(contract.lines), chosen, source=source, prefix=("standards",))

    providers = _table(
        data.get("providers", {}),
        source=source,
        location="providers",
        expected="one table per provider code: [providers.CODE.STANDARD]",
    )
    for code, entry in providers.items():
        _check_provider(contract, code, source=source, location=_key("providers", code))
        table = _table(
            entry,
            source=source,
            location=_key("providers", code),
            expected="one table per standard: [providers.CODE.STANDARD]",
        )
        _standard_entries(
            table,
            _provider_lines(contract, code),
            chosen,
            source=source,
            prefix=("providers", code),
            who=f"provider '{code}'",
        )

    lines = _table(
        data.get("lines", {}),
        source=source,
        location="lines",
        expected="one table per line id: [lines.ID.STANDARD]",
    )
    for line_id, entry in lines.items():
        line = _check_line(contract, line_id, source=source, location=_key("lines", line_id))
        table = _table(
            entry,
            source=source,
            location=_key("lines", line_id),
            expected="one table per standard: [lines.ID.STANDARD]",
        )
        _standard_entries(
            table, [line], chosen, source=source, prefix=("lines", line_id), who=f"line '{line_id}'"
        )

    if activity is not None:
        by_id = _lines_by_id(contract)
        for (line_id, standard), (values, where) in chosen.items():
            _check_denominator(contract, by_id[line_id], standard, values, activity, source, where)
    out: dict[str, dict[str, dict[str, float]]] = {}
    for (line_id, standard), (values, _) in chosen.items():
        out.setdefault(line_id, {})[standard] = values
    return Performance(lines=out, source=source)


def _standard_entries(
    table: Mapping[str, Any],
    lines: list[ServiceLine],
    chosen: dict[tuple[str, str], tuple[dict[str, float], tuple[str, ...]]],
    *,
    source: str,
    prefix: tuple[str, ...],
    who: str = "",
) -> None:
    rules = {line.id: _sanction_rules(line) for line in lines}
    known = [name for by_standard in rules.values() for name in by_standard]
    for standard, entry in table.items():
        where = (*prefix, standard)
        if standard not in known:
            if who.startswith("line"):
                problem = f"{who} has no sanctions rule on standard '{standard}'"
            elif who:
                problem = f"no line of {who} has a sanctions rule on standard '{standard}'"
            else:
                problem = f"no line of the contract has a sanctions rule on standard '{standard}'"
            hint = (
                ""
                if known
                else f"{who or 'the contract'} has no sanctions rule, so there is no "
                "performance to give; "
            )
            raise _unknown(
                "standard",
                standard,
                known,
                source=source,
                location=_key(*where),
                fix=hint + 'use a standard named by a sanctions rule (rule = "sanctions", '
                "standard = ...) of the contract",
                problem=problem,
            )
        values = _table(
            entry,
            source=source,
            location=_key(*where),
            expected="numerator = n, denominator = d (threshold standards) or count = n "
            "(per-breach standards)",
        )
        for line_id, by_standard in rules.items():
            rule = by_standard.get(standard)
            if rule is not None:
                checked = _standard_data(values, rule, line_id, source=source, where=where)
                chosen[(line_id, standard)] = (checked, where)


def _standard_data(
    values: Mapping[str, Any],
    rule: Sanction,
    line_id: str,
    *,
    source: str,
    where: tuple[str, ...],
) -> dict[str, float]:
    standard = rule.standard
    location = _key(*where)
    if rule.kind == "revenue":
        raise ConfigError(
            f"'{standard}' on line '{line_id}' is a revenue sanction (a share of the line's "
            "revenue), which takes no performance data",
            file=source,
            location=location,
            expected="performance only for threshold and per-breach sanctions",
            fix=f"remove [{location}]",
        )
    keys: tuple[str, ...]
    other: tuple[str, ...]
    if rule.kind == "threshold":
        keys, other = _THRESHOLD_KEYS, _BREACH_KEYS
        kind_text = "a threshold sanction (a share of patients meeting the standard)"
        expected = "numerator = patients meeting the standard, denominator = patients it applies to"
    else:
        keys, other = _BREACH_KEYS, _THRESHOLD_KEYS
        kind_text = "a per-breach sanction (a penalty per breach)"
        expected = "count = number of breaches"
    for key in values:
        if key in keys:
            continue
        full = _key(*where, str(key))
        if key in other:
            given = [name for name in other if name in values]
            raise ConfigError(
                f"'{standard}' on line '{line_id}' is {kind_text}, so '{key}' does not apply",
                file=source,
                location=full,
                expected=expected,
                fix=f"give {' and '.join(keys)} instead of {' and '.join(given)}",
            )
        raise _unknown(
            "key",
            str(key),
            keys,
            source=source,
            location=full,
            fix=f"remove '{full}' or correct its spelling ({expected})",
        )
    missing = [key for key in keys if key not in values]
    if missing:
        raise ConfigError(
            f"'{standard}' on line '{line_id}' is {kind_text} and needs {' and '.join(missing)}",
            file=source,
            location=location,
            expected=expected,
            fix=f"add {' and '.join(missing)} to [{location}]",
        )
    if rule.kind == "threshold":
        numerator = _whole(
            values["numerator"],
            source=source,
            location=_key(*where, "numerator"),
            what="patients meeting the standard",
        )
        denominator = _whole(
            values["denominator"],
            source=source,
            location=_key(*where, "denominator"),
            what="patients the standard applies to",
        )
        if numerator > denominator:
            raise ConfigError(
                f"numerator {numerator:,.0f} is above denominator {denominator:,.0f} for "
                f"'{standard}'",
                file=source,
                location=location,
                expected="numerator (patients meeting the standard) at most the denominator "
                "(patients it applies to)",
                fix="check the two are not swapped, and that both are for the same period",
            )
        return {"numerator": numerator, "denominator": denominator}
    count = _whole(values["count"], source=source, location=_key(*where, "count"), what="breaches")
    return {"count": count}


def _line_pod_records(
    contract: Contract, line: ServiceLine, pod: str, activity: ActivityTable
) -> int:
    """How many of *activity*'s records of *pod* are *line*'s (as pricing assigns them)."""
    import numpy as np

    from quasimarket.vocabulary import POD_CODES

    mask = activity.pod == POD_CODES[pod]
    provider = contract.provider_of(line).code
    if provider not in activity.providers:
        return 0
    by_party = mask & (activity.provider == activity.providers.index(provider))
    commissioners = (
        [line.commissioner]
        if line.commissioner is not None
        else [p.code for p in contract.commissioners]
    )
    codes = [activity.commissioners.index(c) for c in commissioners if c in activity.commissioners]
    by_party &= np.isin(activity.commissioner, codes)
    named = activity.line
    if activity.line_ids and named.shape[0] == len(activity):
        ids = np.array([*activity.line_ids, ""], dtype=object)[named]  # -1 -> ""
        mine = mask & (ids == line.id)
        return int((mine | (by_party & (named < 0))).sum())
    return int(by_party.sum())


def _check_denominator(
    contract: Contract,
    line: ServiceLine,
    standard: str,
    values: Mapping[str, float],
    activity: ActivityTable,
    source: str,
    where: tuple[str, ...],
) -> None:
    if standard not in ACTIVITY_STANDARDS or "denominator" not in values:
        return
    pod, records = ACTIVITY_STANDARDS[standard]
    if pod not in line.pods:
        return  # the line's activity does not include what the standard counts
    count = _line_pod_records(contract, line, pod, activity)
    denominator = values["denominator"]
    if denominator == count:
        return
    raise InputError(
        f"denominator {denominator:,.0f} for {standard} on line '{line.id}' disagrees with the "
        f"{count:,} {records} in the activity ({activity.source})",
        file=source,
        location=_key(*where, "denominator"),
        expected=f"the line's {records} in the activity: {count:,}",
        fix=f"give denominator = {count} for this activity, or price the activity the "
        "performance figures are for",
    )
