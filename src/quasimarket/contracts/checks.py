"""Cross-field checks on a whole contract, each failure one ConfigError with location and fix.

Checked: unique line ids; lines refer to parties in the contract; the form's required section is
present; alliance shares sum to one; risk-share bands are consistent; every rule and mechanism
was in force in the contract year (payment-rule calendar) unless ``allow_out_of_era = true``;
fields that need a value have one after defaults.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from quasimarket.contracts._base import MechanismTerms
from quasimarket.contracts.terms import SUM_TOLERANCE
from quasimarket.errors import ConfigError

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract, ServiceLine

__all__ = ["check_contract", "in_force"]

_ERA_FIX = "set `allow_out_of_era = true` on the {what} to model a counterfactual"


def _line_loc(index: int, line: ServiceLine) -> str:
    return f"lines #{index + 1} ('{line.id}')"


def in_force(value: Any) -> bool:
    """Whether a calendar value means the rule was in force (not ``None`` and not ``False``)."""
    return value is not None and value is not False


def check_contract(contract: Contract) -> None:
    """Raise ConfigError for the first cross-field problem in *contract*."""
    _check_parties(contract)
    _check_lines(contract)
    _check_alliance(contract)
    _check_risk_share(contract)
    _check_subcontracts(contract)
    _check_eras(contract)
    _check_baselines_and_dates(contract)
    _check_required(contract)


def _duplicates(values: list[str]) -> list[str]:
    return [value for value, count in Counter(values).items() if count > 1]


def _check_parties(contract: Contract) -> None:
    for section in ("commissioners", "providers"):
        codes = [party.code for party in getattr(contract, section)]
        repeated = _duplicates(codes)
        if repeated:
            raise ConfigError(
                f"{section} code '{repeated[0]}' is listed more than once",
                location=section,
                expected="each organisation once",
                fix=f"remove the repeated {section} entry",
            )


def _check_lines(contract: Contract) -> None:
    repeated = _duplicates([line.id for line in contract.lines])
    if repeated:
        raise ConfigError(
            f"line id '{repeated[0]}' is used by more than one line",
            location="lines > id",
            expected="a unique id for each line",
            fix=f"rename one of the lines called '{repeated[0]}'",
        )
    for role, parties in (
        ("provider", contract.providers),
        ("commissioner", contract.commissioners),
    ):
        codes = [party.code for party in parties]
        for index, line in enumerate(contract.lines):
            code = getattr(line, role)
            if code is None and len(codes) > 1:
                raise ConfigError(
                    f"line '{line.id}' does not say which {role} it is with",
                    location=f"{_line_loc(index, line)} > {role}",
                    expected=f"{role} = one of " + ", ".join(repr(c) for c in codes),
                    fix=f'add {role} = "CODE" to the line (needed when there is more than '
                    f"one {role})",
                )
            if code is not None and code not in codes:
                raise ConfigError(
                    f"line '{line.id}' names {role} '{code}', which is not in the contract",
                    location=f"{_line_loc(index, line)} > {role}",
                    expected="one of " + ", ".join(repr(c) for c in codes),
                    fix=f"add '{code}' to the {role}s, or correct the code",
                )


def _check_alliance(contract: Contract) -> None:
    alliance = contract.alliance
    if contract.form == "alliance_agreement" and alliance is None:
        raise ConfigError(
            "an alliance agreement needs an alliance section",
            location="alliance",
            expected="an alliance table with envelope and partners",
            fix="add the alliance section (see `quasimarket contract new --mechanism alliance`)",
        )
    if alliance is None:
        return
    if contract.form != "alliance_agreement":
        raise ConfigError(
            f'an alliance section is only used when form = "alliance_agreement" '
            f'(form is "{contract.form}")',
            location="alliance",
            fix='set form = "alliance_agreement", or remove the alliance section',
        )
    parties = {party.code for party in (*contract.providers, *contract.commissioners)}
    for index, partner in enumerate(alliance.partners):
        if partner.code not in parties:
            raise ConfigError(
                f"alliance partner '{partner.code}' is not a provider or commissioner of the "
                "contract",
                location=f"alliance > partners #{index + 1} ('{partner.code}') > code",
                expected="one of " + ", ".join(sorted(parties)),
                fix=f"add '{partner.code}' to the providers, or correct the code",
            )
    repeated = _duplicates([partner.code for partner in alliance.partners])
    if repeated:
        raise ConfigError(
            f"alliance partner '{repeated[0]}' is listed more than once",
            location="alliance > partners",
            fix="list each partner once",
        )
    total = sum(partner.share for partner in alliance.partners)
    if abs(total - 1.0) > SUM_TOLERANCE:
        shares = ", ".join(f"{p.code} {p.share:g}" for p in alliance.partners)
        raise ConfigError(
            f"alliance partner shares sum to {total:.4g}, not 1 ({shares})",
            location="alliance > partners > share",
            expected="shares of gains and losses that sum to 1 (100%)",
            fix="adjust the shares so they add up to 1, e.g. 0.4, 0.4, 0.1, 0.1",
        )
    if all(partner.exempt for partner in alliance.partners):
        raise ConfigError(
            "every alliance partner is exempt from the risk share",
            location="alliance > partners > exempt",
            expected="at least one partner that bears gains and losses",
            fix="set exempt = false on at least one partner",
        )


def _check_risk_share(contract: Contract) -> None:
    share = contract.risk_share
    if share is None:
        return
    ids = {line.id for line in contract.lines}
    for line_id in share.lines:
        if line_id not in ids:
            raise ConfigError(
                f"risk_share names line '{line_id}', which is not in the contract",
                location="risk_share > lines",
                expected="ids of lines: " + ", ".join(sorted(ids)),
                fix="correct the line id",
            )
    if share.commissioner_shares is not None:
        if len(share.commissioner_shares) != len(share.provider_shares):
            raise ConfigError(
                "risk_share commissioner_shares and provider_shares have different lengths",
                location="risk_share > commissioner_shares",
                expected=f"{len(share.provider_shares)} values, one per band",
                fix="give one commissioner share per band, or leave commissioner_shares out",
            )
        for band, (provider, commissioner) in enumerate(
            zip(share.provider_shares, share.commissioner_shares, strict=True)
        ):
            if abs(provider + commissioner - 1.0) > SUM_TOLERANCE:
                raise ConfigError(
                    f"risk_share band {band + 1}: provider share {provider:g} + commissioner "
                    f"share {commissioner:g} = {provider + commissioner:g}, not 1",
                    location="risk_share > commissioner_shares",
                    expected="provider + commissioner shares that sum to 1 in every band",
                    fix="make each pair add up to 1, or leave commissioner_shares out "
                    "(it is 1 - provider_shares)",
                )
    if share.plan_value is None:
        raise ConfigError(
            "risk_share has no plan_value and the lines in scope do not all have planned_value_gbp",
            location="risk_share > plan_value",
            fix="give plan_value (£) in the risk_share section, or planned_value_gbp on each line",
        )


def _check_subcontracts(contract: Contract) -> None:
    if contract.form == "lead_provider" and not contract.subcontracts:
        raise ConfigError(
            "a lead provider contract needs at least one subcontract",
            location="subcontracts",
            fix="add a subcontracts table "
            "(see `quasimarket contract new --mechanism lead_provider`)",
        )
    providers = {party.code for party in contract.providers}
    lines = {line.id: line for line in contract.lines}
    for index, sub in enumerate(contract.subcontracts):
        where = f"subcontracts #{index + 1} ('{sub.id}')"
        if sub.lead_provider not in providers:
            raise ConfigError(
                f"subcontract lead_provider '{sub.lead_provider}' is not a provider",
                location=f"{where} > lead_provider",
                expected="one of " + ", ".join(sorted(providers)),
                fix="use the code of the lead provider",
            )
        for line_id in sub.lines:
            if line_id not in lines:
                raise ConfigError(
                    f"subcontract names line '{line_id}', which is not in the contract",
                    location=f"{where} > lines",
                    expected="ids of lines: " + ", ".join(sorted(lines)),
                    fix="correct the line id",
                )
            owner = contract.provider_of(lines[line_id]).code
            if owner != sub.lead_provider:
                raise ConfigError(
                    f"line '{line_id}' is provided by '{owner}', not by the lead provider "
                    f"'{sub.lead_provider}'",
                    location=f"{where} > lines",
                    fix="subcontract only lines of the lead provider",
                )


def _shown(value: Any) -> str:
    if value is None:
        return "none (not in force)"
    if value is False:
        return "false"
    return repr(value)


def _era_error(
    contract: Contract, model: MechanismTerms, kind: str, name: str, location: str
) -> ConfigError:
    from quasimarket.contracts.defaults import calendar_value, payment_rules_for

    value, source, status, note = calendar_value(payment_rules_for(contract.year), model.IN_FORCE)
    what = "adjustment" if kind == "rule" else "line"
    return ConfigError(
        f"{kind} '{name}' was not in force in {contract.year}",
        location=location,
        expected=f"a year in which {model.IN_FORCE_TEXT} (payment-rule calendar for "
        f"{contract.year}: {model.IN_FORCE} = {_shown(value)}, status {status}, source {source}"
        + (f"; {note}" if note else "")
        + ")",
        fix=f"remove it, change the year, or {_ERA_FIX.format(what=what)}",
    )


def _check_eras(contract: Contract) -> None:
    from quasimarket.contracts.defaults import calendar_value, payment_rules_for

    rules = payment_rules_for(contract.year)
    for index, line in enumerate(contract.lines):
        where = _line_loc(index, line)
        terms = line.terms
        if (
            terms.IN_FORCE
            and not line.allow_out_of_era
            and not in_force(calendar_value(rules, terms.IN_FORCE)[0])
        ):
            raise _era_error(contract, terms, "mechanism", line.mechanism, f"{where} > mechanism")
        for number, adjustment in enumerate(line.adjustments):
            if (
                adjustment.IN_FORCE
                and not adjustment.allow_out_of_era
                and not in_force(calendar_value(rules, adjustment.IN_FORCE)[0])
            ):
                raise _era_error(
                    contract,
                    adjustment,
                    "rule",
                    adjustment.rule,
                    f"{where} > adjustments #{number + 1} ('{adjustment.rule}')",
                )


def _check_baselines_and_dates(contract: Contract) -> None:
    """MRET baselines other than the national one only where the calendar allows a variable
    baseline (2014/15 on, 002@249952); price changes dated within the contract year."""
    from quasimarket.contracts.adjustments import LocalModification, LocalVariation, Mret
    from quasimarket.contracts.defaults import calendar_value, payment_rules_for

    rules = payment_rules_for(contract.year)
    national, source, status, _ = calendar_value(rules, "mret_baseline_year")
    variable = calendar_value(rules, "mret_variable_baseline")[0]
    first, last = contract.year.first_day, contract.year.last_day
    for index, line in enumerate(contract.lines):
        for number, rule in enumerate(line.adjustments):
            where = f"{_line_loc(index, line)} > adjustments #{number + 1} ('{rule.rule}')"
            if (
                isinstance(rule, Mret)
                and rule.baseline_year is not None
                and national is not None
                and rule.baseline_year != national
                and not variable
                and not rule.allow_out_of_era
            ):
                raise ConfigError(
                    f"an MRET baseline year of {rule.baseline_year} was not allowed in "
                    f"{contract.year}: the national baseline was {national}",
                    location=f"{where} > baseline_year",
                    expected=f'baseline_year = "{national}" (calendar, status {status}, source '
                    f"{source}); parties could vary the baseline from 2014/15 (002@249952)",
                    fix=f"use {national}, or {_ERA_FIX.format(what='adjustment')}",
                )
            if isinstance(rule, LocalVariation | LocalModification) and (
                rule.effective_from < first or rule.effective_to > last
            ):
                raise ConfigError(
                    f"the {rule.rule.replace('_', ' ')} runs from {rule.effective_from} to "
                    f"{rule.effective_to}, outside the contract year {contract.year}",
                    location=where,
                    expected=f"dates from {first} to {last}",
                    fix="give dates within the contract year (one contract per year)",
                )


def _check_required(contract: Contract) -> None:
    for index, line in enumerate(contract.lines):
        tables: list[tuple[MechanismTerms, str]] = [
            (line.terms, f"{_line_loc(index, line)} > terms")
        ]
        tables += [
            (adj, f"{_line_loc(index, line)} > adjustments #{n + 1} ('{adj.rule}')")
            for n, adj in enumerate(line.adjustments)
        ]
        for model, where in tables:
            for field in model.REQUIRED:
                if getattr(model, field) is not None:
                    continue
                if field in model.CALENDAR_DEFAULTS:
                    why = (
                        f"the payment-rule calendar has no {model.CALENDAR_DEFAULTS[field]} "
                        f"for {contract.year}"
                    )
                    fix = f"give {field} explicitly"
                else:
                    source = model.LINE_DEFAULTS.get(field, "")
                    why = f"it was not given and the line has no {source}" if source else ""
                    fix = f"give {field}" + (f" or the line's {source}" if source else "")
                raise ConfigError(
                    f"'{field}' has no value" + (f": {why}" if why else ""),
                    location=f"{where} > {field}",
                    expected=str(type(model).model_fields[field].description or field),
                    fix=fix,
                )
