"""Annotated TOML templates: a complete, valid contract showing one mechanism or rule.

Every field is written with a comment giving its meaning and unit (from the model's field
description), its default and, for calendar defaults, the value and source for the template's
year. Fields that default from the calendar are left commented out, so the template shows the
default being applied; uncomment to override.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from pydantic import BaseModel

from quasimarket.contracts._base import MechanismTerms
from quasimarket.contracts.adjustments import RULES, Cquin
from quasimarket.contracts.keys import _models_in, unknown_name_error
from quasimarket.contracts.model import (
    CONTRACT_FORMAT,
    Alliance,
    AlliancePartner,
    RiskShare,
    Settlement,
    Subcontract,
)
from quasimarket.contracts.terms import MECHANISMS
from quasimarket.financial_year import FinancialYear

__all__ = ["TEMPLATE_NAMES", "contract_template"]

#: Contract-level templates besides the mechanisms and rules.
_SECTIONS = ("alliance", "lead_provider", "risk_share", "settlement")
#: Every name :func:`contract_template` accepts.
TEMPLATE_NAMES: tuple[str, ...] = (*MECHANISMS, *RULES, *_SECTIONS)

# name -> (year, service, currency, pods, planned_activity, planned_value_gbp, provider)
_LINE: dict[str, tuple[str, str, str, list[str], float | None, float | None, str]] = {
    "national_tariff": (
        "2016/17",
        "Elective inpatients",
        "spell",
        ["elective", "day_case"],
        30_000,
        45_000_000,
        "SR001",
    ),
    "local_price": (
        "2016/17",
        "Direct access diagnostics",
        "attendance",
        ["op_procedure"],
        20_000,
        3_000_000,
        "SR001",
    ),
    "block": (
        "2016/17",
        "Adult community health services",
        "contact",
        ["community_contact"],
        250_000,
        9_000_000,
        "SR002",
    ),
    "cost_and_volume": (
        "1995/96",
        "Elective surgery",
        "spell",
        ["elective"],
        4_000,
        5_000_000,
        "SR001",
    ),
    "cost_per_case": (
        "1995/96",
        "Elective surgery (fundholder)",
        "spell",
        ["elective"],
        300,
        375_000,
        "SR001",
    ),
    "caps_and_collars": (
        "2014/15",
        "Acute services",
        "spell",
        ["elective", "non_elective"],
        10_000,
        20_000_000,
        "SR001",
    ),
    "blended": (
        "2019/20",
        "Emergency care",
        "spell",
        ["non_elective"],
        30_000,
        60_000_000,
        "SR001",
    ),
    "aligned_payment_incentive": (
        "2022/23",
        "Acute services",
        "spell",
        ["elective", "day_case", "non_elective"],
        None,
        180_000_000,
        "SR001",
    ),
    "capitation": (
        "2016/17",
        "Adult out-of-hospital care",
        "weighted_head",
        [],
        80_000,
        20_000_000,
        "SR002",
    ),
    "gms_global_sum": (
        "2016/17",
        "Essential services (GMS)",
        "weighted_head",
        [],
        8_000,
        640_000,
        "S00001",
    ),
    "qof": ("2016/17", "Quality and Outcomes Framework", "qof_point", [], 530, 87_450, "S00001"),
    "enhanced_services": (
        "2016/17",
        "Extended hours access (DES)",
        "service_unit",
        [],
        1_500,
        15_000,
        "S00001",
    ),
    "locally_agreed_sum": (
        "2016/17",
        "PMS agreement",
        "registered_head",
        [],
        9_000,
        900_000,
        "S00001",
    ),
}
# rule -> (year, pods of the national tariff line it sits on)
_RULE_LINE: dict[str, tuple[str, list[str]]] = {
    "activity_cap": ("2011/12", ["elective", "day_case"]),
    "mret": ("2016/17", ["non_elective"]),
    "readmissions": ("2016/17", ["non_elective"]),
    "cquin": ("2016/17", ["elective", "non_elective"]),
    "sanctions": ("2016/17", ["ae"]),
    "local_variation": ("2016/17", ["non_elective"]),
    "local_modification": ("2016/17", ["elective"]),
}
#: Fields shown commented out (they need another choice to be used, or are rarely set).
_OMIT: dict[str, tuple[str, ...]] = {
    "local_price": ("price", "peer_prices", "statistic", "unit_cost", "overhead_rate"),
    "block": ("monthly_profile",),
    "sanctions": ("pct", "cap_pct"),
}
#: Optional fields (default none) shown set in the template; other optional fields are
#: shown commented out.
_SHOW: dict[str, tuple[str, ...]] = {
    "local_price": ("previous_price",),
    "aligned_payment_incentive": ("planned_elective_value",),
    "sanctions": ("threshold", "unit_penalty", "floor_threshold"),
    "local_variation": ("factor",),
    "local_modification": ("factor",),
    "readmissions": ("avoidable_share",),
    "capitation": ("weighted_population", "outcome_achievement"),
    "alliance": ("step_in_threshold",),
    "settlement": ("affordable",),
    "subcontract": ("value_gbp",),
}
_OMIT["subcontract"] = ("share",)
_OMIT["risk_share"] = ("plan_value",)
_PROVIDERS = {
    "SR001": ("Synthetic Acute Trust SR001", "foundation_trust"),
    "SR002": ("Synthetic Community Health Trust SR002", "nhs_trust"),
    "SR003": ("Synthetic Mental Health Trust SR003", "foundation_trust"),
    "S00001": ("Synthetic practice S00001", "gp_practice"),
}


def _value(value: Any) -> str:
    """A Python value as TOML."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:_}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if value.is_integer() and abs(value) >= 10_000:
            return f"{int(value):_}.0"
        return repr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    return json.dumps(value)


def _commissioner(year: FinancialYear) -> tuple[str, str, str]:
    """The small economy's commissioner for *year* (CCG S001 before 2022/23, ICB QS01 after)."""
    if year.start >= 2022:
        return "QS01", "Synthetic ICB QS01", "icb"
    if year.start >= 2013:
        return "S001", "Synthetic Midlands CCG 1", "ccg"
    if year.start >= 2002:
        return "S001", "Synthetic PCT 1", "pct"
    return "S001", "Synthetic Health Authority 1", "health_authority"


def _fields(
    model: type[BaseModel],
    *,
    name: str,
    year: FinancialYear,
    skip: tuple[str, ...] = (),
    values: dict[str, Any] | None = None,
) -> list[str]:
    """Annotated ``key = value`` lines for the scalar fields of *model*."""
    from quasimarket.contracts.defaults import FALLBACKS, calendar_value, payment_rules_for

    values = values or {}
    calendar = getattr(model, "CALENDAR_DEFAULTS", {})
    line_defaults = getattr(model, "LINE_DEFAULTS", {})
    in_force = getattr(model, "IN_FORCE", "")
    omit = _OMIT.get(name, ())
    out: list[str] = []
    for field, info in model.model_fields.items():
        if field in skip or field in {"mechanism", "rule"}:
            continue
        if _models_in(info.annotation):
            continue  # sub-tables are written separately
        description = info.description or ""
        if field in calendar:
            value, source, status, _ = calendar_value(payment_rules_for(year), calendar[field])
            if value is None and (name, field) in FALLBACKS and not in_force:
                value, source, status = FALLBACKS[(name, field)]
            out.append(f"# {description}.")
            out.append(
                f"# Default for {year}: {_value(value) if value is not None else 'none'} from "
                f"the payment-rule calendar [{status}] ({source}). Uncomment to override."
            )
            example = value if value is not None else (info.examples or [None])[0]
            out.append(f"# {field} = {_value(example)}")
            continue
        if field in line_defaults:
            out.append(f"# {description}.")
            out.append(f"# Default: the line's {line_defaults[field]}. Uncomment to override.")
            example = (info.examples or [0])[0]
            out.append(f"# {field} = {_value(example)}")
            continue
        required = info.is_required()
        example = values.get(field, (info.examples or [None])[0])
        default = "required" if required else f"default {_value(info.default)}"
        if info.default is None and not required:
            default = "optional"
        out.append(f"# {description} ({default}).")
        hidden = info.default is None and not required and field not in _SHOW.get(name, ())
        if field in omit or example is None or (hidden and field not in values):
            shown = example if example is not None else info.default
            out.append(f"# {field} = {_value(shown) if shown is not None else '...'}")
        else:
            out.append(f"{field} = {_value(example)}")
    return out


def _header(title: str, source: str, year: FinancialYear, form: str) -> list[str]:
    code, cname, ckind = _commissioner(year)
    source = " ".join(source.split())
    return [
        f"# quasimarket contract template: {title}",
        f"# Rule source: {source}",
        "# Format reference: docs/contract-format.md. Check a contract with:",
        "#   quasimarket contract check FILE",
        "# Money is in pounds, rates are fractions (0.7 = 70%), years are financial years.",
        "",
        "# File format version (required).",
        f'format = "{CONTRACT_FORMAT}"',
        "# A name for the contract.",
        f'name = "Example: {title}"',
        "# Financial year, April to March.",
        f'year = "{year}"',
        "# Contract form: nhs_standard_contract | alliance_agreement | lead_provider.",
        f'form = "{form}"',
        "",
        "# One or more commissioners, by organisation code.",
        "[[commissioners]]",
        f'code = "{code}"',
        f'name = "{cname}"',
        f'kind = "{ckind}"',
        "",
    ]


def _provider(code: str) -> list[str]:
    name, kind = _PROVIDERS.get(code, (code, "other"))
    return [
        "# One or more providers; set independent = true for independent-sector providers.",
        "[[providers]]",
        f'code = "{code}"',
        f'name = "{name}"',
        f'kind = "{kind}"',
        "independent = false",
        "",
    ]


def _line(
    line_id: str,
    mechanism: str,
    spec: tuple[str, str, str, list[str], float | None, float | None, str],
    year: FinancialYear,
) -> list[str]:
    _, service, currency, pods, activity, value, _provider_code = spec
    out = [
        "# A service line: what is bought, in which currency, and how it is priced.",
        "[[lines]]",
        "# Unique id of the line within the contract.",
        f'id = "{line_id}"',
        f'service = "{service}"',
        "# Unit of activity: spell | attendance | bed_day | contact | registered_head |",
        "# weighted_head | qof_point | service_unit.",
        f'currency = "{currency}"',
    ]
    if pods:
        out += [
            "# Activity points of delivery the line covers (the activity table's `pod`).",
            f"pods = {_value(pods)}",
        ]
    out += [f"# Pricing mechanism: {MECHANISMS[mechanism].TITLE}.", f'mechanism = "{mechanism}"']
    if activity is not None:
        out += [
            "# Planned activity, in units of the currency (optional).",
            f"planned_activity = {_value(activity)}",
        ]
    if value is not None:
        out += [
            "# Planned value of the line, £ (optional; used by defaults and plans).",
            f"planned_value_gbp = {_value(value)}",
        ]
    terms_cls = MECHANISMS[mechanism]
    out += [
        "",
        "# Terms of the mechanism (keyword arguments of "
        f"quasimarket.mechanisms.{terms_cls.FUNCTION or 'local_price'}).",
        "[lines.terms]",
    ]
    out += _fields(terms_cls, name=mechanism, year=year)
    return out


def _adjustment(rule: str, year: FinancialYear) -> list[str]:
    cls: type[MechanismTerms] = RULES[rule]
    out = [
        "",
        f"# Adjustment: {cls.TITLE}.",
        f"# Source: {cls.SOURCE}.",
        "[[lines.adjustments]]",
        f'rule = "{rule}"',
    ]
    out += _fields(cls, name=rule, year=year)
    if cls is Cquin:
        for goal, weight, achieved in (
            ("Staff health and wellbeing", 0.5, 0.8),
            ("Sepsis screening", 0.5, 1.0),
        ):
            out += [
                "",
                "# One CQUIN goal: weights sum to at most 1 (over 100% is refused).",
                "[[lines.adjustments.goals]]",
                f'name = "{goal}"',
                f"weight = {weight}",
                "# Share of the goal achieved, 0..1 (optional: can be given at pricing).",
                f"achievement = {achieved}",
            ]
    return out


def _section_template(name: str) -> str:
    if name == "alliance":
        year = FinancialYear(2016)
        lines = _header(
            "alliance agreement (gain/loss share)",
            "002@273159–275,000; 002@277932",
            year,
            "alliance_agreement",
        )
        for code, label, kind in (
            ("SL001", "Synthetic unitary council SL001", "local_authority"),
            ("SR003", "Synthetic Mental Health Trust SR003", "foundation_trust"),
            ("TS001", "Third-sector partner 1", "third_sector"),
            ("TS002", "Third-sector partner 2", "third_sector"),
        ):
            lines += [
                "[[providers]]",
                f'code = "{code}"',
                f'name = "{label}"',
                f'kind = "{kind}"',
                "",
            ]
        lines += _line(
            "mh_rehab",
            "block",
            (
                "2016/17",
                "Mental health rehabilitation",
                "bed_day",
                ["bed_day"],
                None,
                12_000_000,
                "SR003",
            ),
            year,
        )
        lines.insert(lines.index('mechanism = "block"') - 1, 'provider = "SR003"')
        lines += ["", "# The alliance's gain/loss share.", "[alliance]"]
        lines += _fields(
            Alliance, name="alliance", year=year, values={"envelope": 12_000_000.0, "year_index": 2}
        )
        for code, share, exempt in (
            ("SL001", 0.4, False),
            ("SR003", 0.4, False),
            ("TS001", 0.1, True),
            ("TS002", 0.1, True),
        ):
            lines += ["", "# A partner: shares must sum to 1.", "[[alliance.partners]]"]
            lines += _fields(
                AlliancePartner,
                name="partner",
                year=year,
                values={"code": code, "share": share, "exempt": exempt},
            )
        return "\n".join(lines) + "\n"
    if name == "lead_provider":
        year = FinancialYear(2016)
        lines = _header(
            "lead provider with a subcontract", "002@267810; 002@272684", year, "lead_provider"
        )
        lines += _provider("SR002")
        lines += _line("out_of_hospital", "capitation", _LINE["capitation"], year)
        lines += ["", "# A subcontract from the lead provider.", "[[subcontracts]]"]
        lines += _fields(
            Subcontract,
            name="subcontract",
            year=year,
            values={
                "lead_provider": "SR002",
                "lines": ["out_of_hospital"],
                "service": "Locally commissioned GP services",
            },
        )
        lines += [
            "",
            "# The subcontractor.",
            "[subcontracts.subcontractor]",
            'code = "GPA01"',
            'name = "General Practice Alliance"',
            'kind = "gp_federation"',
        ]
        return "\n".join(lines) + "\n"
    model = RiskShare if name == "risk_share" else Settlement
    year = FinancialYear(2016)
    source = (
        "002@260736; payment-rules.md A11 [K]"
        if name == "risk_share"
        else ("002@250676; 002@251075; 002@255508; 002@256850")
    )
    lines = _header(f"{name.replace('_', ' ')}", source, year, "nhs_standard_contract")
    lines += _provider("SR001")
    lines += _line("elective", "national_tariff", _LINE["national_tariff"], year)
    lines += ["", f"# Contract-level {name.replace('_', ' ')}.", f"[{name}]"]
    values = {"lines": ["elective"]} if name == "risk_share" else {}
    lines += _fields(model, name=name, year=year, values=values)
    return "\n".join(lines) + "\n"


def contract_template(name: str) -> str:
    """An annotated, valid contract TOML showing mechanism or rule *name*.

    Args:
        name: A mechanism (``block``...), an adjustment rule (``mret``...) or a contract-level
            section (``alliance``, ``lead_provider``, ``risk_share``, ``settlement``).

    Raises:
        ConfigError: unknown name (the message lists the valid ones).
    """
    if name in _SECTIONS:
        return _section_template(name)
    if name in MECHANISMS:
        spec = _LINE[name]
        year = FinancialYear.parse(spec[0])
        cls: type[MechanismTerms] = MECHANISMS[name]
        lines = _header(cls.TITLE, cls.SOURCE, year, "nhs_standard_contract")
        lines += _provider(spec[6])
        lines += _line("example", name, spec, year)
        return "\n".join(lines) + "\n"
    if name in RULES:
        year = FinancialYear.parse(_RULE_LINE[name][0])
        cls = RULES[name]
        spec = (
            str(year),
            "Acute services",
            "spell",
            _RULE_LINE[name][1],
            30_000,
            60_000_000,
            "SR001",
        )
        if name == "sanctions":
            spec = (
                str(year),
                "Accident and emergency",
                "attendance",
                ["ae"],
                90_000,
                12_000_000,
                "SR001",
            )
        lines = _header(cls.TITLE, cls.SOURCE, year, "nhs_standard_contract")
        lines += _provider("SR001")
        lines += _line("example", "national_tariff", spec, year)
        lines += _adjustment(name, year)
        return "\n".join(lines) + "\n"
    raise unknown_name_error("template", name, TEMPLATE_NAMES, location="--mechanism")
