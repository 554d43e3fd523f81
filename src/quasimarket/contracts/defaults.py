"""Defaults for fields a contract file leaves out, from the payment-rule calendar.

The calendar is :func:`quasimarket.structure.payment_rules` (one row per financial year, each
value with its source and a V/K/seed tag). A default is applied only when the file omits the
field; every applied default is recorded as a :class:`ResolvedDefault` so ``contract check`` can
show it with its source. Some values come from elsewhere in the contract instead (a line's
``planned_value_gbp`` for a block's ``annual_value``; the in-scope lines' planned values for a
risk share's ``plan_value``): those carry status ``"contract"``.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from quasimarket.contracts._base import MechanismTerms
from quasimarket.contracts.adjustments import RULES
from quasimarket.contracts.model import FIRST_YEAR, LAST_YEAR, ResolvedDefault
from quasimarket.contracts.terms import MECHANISMS
from quasimarket.errors import QuasimarketError
from quasimarket.financial_year import FinancialYear

__all__ = ["FALLBACKS", "calendar_value", "fill_defaults", "payment_rules_for"]

#: Calendar years whose value stands in when the contract year's calendar has none (the rule
#: was not the national default that year, but a contract may still use the mechanism
#: locally): (name, field) -> (calendar field, design year). The value itself is read from
#: the calendar, so no dated rate is kept here.
_FALLBACK_YEARS: dict[tuple[str, str], tuple[str, str]] = {
    # the 2019/20 national design value, 20% (payment-rules.md A6 [V])
    ("blended", "variable_rate"): ("blended_variable_rate", "2019/20"),
    # the 2022/23 value, 75% (payment-rules.md A7 [V]); unused while the API is refused
    # outside the years it was in force
    ("aligned_payment_incentive", "variable_rate"): ("api_variable_rate", "2022/23"),
    # every calendar year has an RSSE minimum age (payment-rules.md A1 [K])
    ("national_tariff", "rsse_min_age"): ("rsse_min_age", "2025/26"),
}


def _fallbacks() -> dict[tuple[str, str], tuple[Any, str, str]]:
    from quasimarket.structure import payment_rules

    out: dict[tuple[str, str], tuple[Any, str, str]] = {}
    for key, (field, year) in _FALLBACK_YEARS.items():
        sourced = getattr(payment_rules(year), field)
        if sourced.value is None:  # pragma: no cover - the calendar data says otherwise
            raise AssertionError(f"payment-rule calendar has no {field} in {year}")
        out[key] = (
            sourced.value,
            f"{sourced.source} (payment-rule calendar, {field} of {year})",
            str(sourced.status),
        )
    return out


#: Values used when the calendar has none for the year: (name, field) -> value, source,
#: status, each taken from the calendar year in :data:`_FALLBACK_YEARS`.
FALLBACKS: dict[tuple[str, str], tuple[Any, str, str]] = _fallbacks()


def payment_rules_for(year: FinancialYear) -> Any:
    """The payment-rule calendar row for *year* (``quasimarket.structure.payment_rules``)."""
    from quasimarket.structure import payment_rules

    return payment_rules(year)


def calendar_value(rules: Any, field: str) -> tuple[Any, str, str, str]:
    """``(value, source, status, note)`` of one calendar field."""
    sourced = getattr(rules, field)
    return sourced.value, str(sourced.source), str(sourced.status), str(sourced.note or "")


def _year_of(data: Mapping[str, Any]) -> FinancialYear | None:
    value = data.get("year")
    if isinstance(value, bool) or not isinstance(value, str | int):
        return None
    try:
        year = FinancialYear.parse(value)
    except QuasimarketError:
        return None
    return year if FIRST_YEAR <= year.start <= LAST_YEAR else None


def _fill(
    table: dict[str, Any],
    model: type[MechanismTerms],
    name: str,
    line: Mapping[str, Any],
    rules: Any,
    resolved: list[ResolvedDefault],
) -> None:
    line_id = line.get("id") if isinstance(line.get("id"), str) else None
    for field, calendar_field in model.CALENDAR_DEFAULTS.items():
        if field in table:
            continue
        value, source, status, _note = calendar_value(rules, calendar_field)
        if value is None and (name, field) in FALLBACKS and not model.IN_FORCE:
            value, source, status = FALLBACKS[(name, field)]
        if value is None:
            continue
        table[field] = value
        resolved.append(ResolvedDefault(line_id, name, field, value, source, status))
    if name == "aligned_payment_incentive":
        _api_fixed_default(table, line, resolved)
    for field, line_field in model.LINE_DEFAULTS.items():
        if field in table or line.get(line_field) is None:
            continue
        table[field] = line[line_field]
        resolved.append(
            ResolvedDefault(
                line_id, name, field, line[line_field], f"line '{line_id}' {line_field}", "contract"
            )
        )


#: Points of delivery in the API's variable element (mechanisms.blended.API_ELECTIVE_SCOPE).
_API_SCOPE = ("day_case", "elective", "op_procedure", "op_first")


def _api_fixed_default(
    table: dict[str, Any], line: Mapping[str, Any], resolved: list[ResolvedDefault]
) -> None:
    """The API fixed element: the plan less the elective value the variable element pays.

    Defaulting it to the whole plan while the threshold is 0 (2023/24 on) would pay planned
    elective activity twice: in the fixed element and again in the variable element.
    """
    planned = line.get("planned_value_gbp")
    threshold = table.get("elective_threshold_value")
    if "fixed_value" in table or not isinstance(planned, int | float):
        return
    if not isinstance(threshold, int | float):
        return
    elective = table.get("planned_elective_value")
    pods = line.get("pods")
    if elective is None and isinstance(pods, list) and pods and set(pods) <= set(_API_SCOPE):
        elective = planned
    if not isinstance(elective, int | float):
        return  # fixed_value stays missing: validation says it is required
    value = float(planned) - float(elective) + float(threshold)
    table["fixed_value"] = value
    line_id = line.get("id") if isinstance(line.get("id"), str) else None
    resolved.append(
        ResolvedDefault(
            line_id,
            "aligned_payment_incentive",
            "fixed_value",
            value,
            f"line '{line_id}' planned_value_gbp − planned_elective_value + "
            "elective_threshold_value",
            "contract",
        )
    )


def fill_defaults(data: Mapping[str, Any]) -> tuple[dict[str, Any], list[ResolvedDefault]]:
    """A copy of raw contract *data* with omitted defaultable fields filled in, and the record.

    Malformed data is left alone (validation then reports it); the year must be valid for
    any calendar default to be applied.
    """
    out: dict[str, Any] = copy.deepcopy(dict(data))
    resolved: list[ResolvedDefault] = []
    year = _year_of(out)
    if year is None:
        return out, resolved
    rules = payment_rules_for(year)
    lines = out.get("lines")
    if not isinstance(lines, list):
        return out, resolved
    for line in lines:
        if not isinstance(line, dict):
            continue
        mechanism = line.get("mechanism")
        terms = line.get("terms", {})
        if isinstance(mechanism, str) and mechanism in MECHANISMS and isinstance(terms, dict):
            terms = dict(terms)
            _fill(terms, MECHANISMS[mechanism], mechanism, line, rules, resolved)
            line["terms"] = terms
        adjustments = line.get("adjustments")
        if not isinstance(adjustments, list):
            continue
        for index, adjustment in enumerate(adjustments):
            if not isinstance(adjustment, dict):
                continue
            rule = adjustment.get("rule")
            if isinstance(rule, str) and rule in RULES:
                filled = dict(adjustment)
                _fill(filled, RULES[rule], rule, line, rules, resolved)
                adjustments[index] = filled
    _fill_risk_share(out, lines, resolved)
    return out, resolved


def _fill_risk_share(
    out: dict[str, Any], lines: list[Any], resolved: list[ResolvedDefault]
) -> None:
    share = out.get("risk_share")
    if not isinstance(share, dict) or "plan_value" in share:
        return
    scope = share.get("lines") or [line.get("id") for line in lines if isinstance(line, dict)]
    values = [
        line.get("planned_value_gbp")
        for line in lines
        if isinstance(line, dict) and line.get("id") in scope
    ]
    numbers = [float(v) for v in values if isinstance(v, int | float) and not isinstance(v, bool)]
    if not numbers or len(numbers) != len(values):
        return
    total = float(sum(numbers))
    share["plan_value"] = total
    ids = ", ".join(str(line_id) for line_id in scope)
    resolved.append(
        ResolvedDefault(
            None,
            "risk_share",
            "plan_value",
            total,
            f"sum of planned_value_gbp of lines {ids}",
            "contract",
        )
    )
