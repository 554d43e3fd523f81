"""The national payment-rule calendar: which rules were in force in each financial year.

The rules come from ``data/payment_rules.toml``. Each entry gives one rule's value over a span
of financial years, with its source, a verbatim quote and how far it can be trusted:

* ``"seed"``: stated in the PRUComm seed documents (location such as ``002@249400``);
* ``"V"``: seen in a published source listed in ``payment-rules.md`` (section such as ``A4``);
* ``"K"``: background knowledge, unconfirmed. A documented, overridable default: never present
  it as the official figure (``payment-rules.md``, preamble).

The file must cover every financial year from 1991/92 to 2025/26 exactly once for every field;
the loader checks this, so :func:`payment_rules` always returns a complete row.

Example:
    >>> from quasimarket.structure import payment_rules
    >>> payment_rules("2016/17").mret_rate.value
    0.7
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, fields
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from quasimarket.errors import ConfigError, InputError
from quasimarket.financial_year import FinancialYear
from quasimarket.structure._data import load_model, word_count

__all__ = [
    "FIRST_YEAR",
    "LAST_YEAR",
    "RULE_FIELDS",
    "PaymentRules",
    "Regime",
    "Sourced",
    "Status",
    "check_year",
    "payment_rules",
]

T = TypeVar("T")

#: How far a value can be trusted: "seed" (in the seed documents), "V" (verified in a published
#: source) or "K" (unconfirmed background knowledge: an overridable default).
Status = Literal["V", "K", "seed"]

#: The payment regimes, in order (payment-rules.md A0; 002@72285; 002@72832).
Regime = Literal["pre-PbR", "PbR", "NTPS", "COVID block", "NTPS with API", "NHSPS"]
REGIMES: tuple[str, ...] = ("pre-PbR", "PbR", "NTPS", "COVID block", "NTPS with API", "NHSPS")

#: First and last financial years covered (1991/92: the purchaser-provider split, 002@46034;
#: 2025/26: NHSPS 2025/26, payment-rules.md A0).
FIRST_YEAR = 1991
LAST_YEAR = 2025
_RANGE = f"{FinancialYear(FIRST_YEAR)} to {FinancialYear(LAST_YEAR)}"

_READMISSION_RULES = {"14_day_threshold", "30_day_elective", "30_day_clinical_review"}


@dataclass(frozen=True, slots=True)
class Sourced(Generic[T]):
    """A value with where it came from.

    Attributes:
        value: The value (``None`` means "not in force").
        source: Seed location(s) and/or ``payment-rules.md`` section, e.g.
            ``"payment-rules.md A4 [V: hfma 3 Apr 2017]; 002@249400"``.
        status: ``"seed"``, ``"V"`` or ``"K"`` (see the module docstring).
        note: Free text (caveats, proposals not adopted); may be ``""``.
    """

    value: T
    source: str
    status: Status
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        """``{"value", "source", "status", "note"}``, JSON-ready."""
        return {
            "value": self.value,
            "source": self.source,
            "status": self.status,
            "note": self.note,
        }


@dataclass(frozen=True, slots=True)
class PaymentRules:
    """The national payment rules in force in one financial year.

    Rates are shares (0.3 = 30%). Each field is a :class:`Sourced` value.

    Attributes:
        year: The financial year.
        regime: "pre-PbR", "PbR", "NTPS", "COVID block", "NTPS with API" or "NHSPS".
        national_tariff: Whether national (HRG) prices exist.
        activity_caps_allowed: Whether the national contract lets commissioners refuse payment
            above forecast activity (2011/12 only, 002@248912).
        mret_rate: Share of tariff PAID for emergency admission value above the baseline;
            ``None`` when the marginal rate emergency rule is not in force.
        mret_baseline_year: Baseline financial year of the rule ("2008/09"), or ``None``.
        mret_variable_baseline: Whether the parties may vary the baseline (from 2014/15).
        readmission_rule: ``None``, ``"14_day_threshold"``, ``"30_day_elective"`` or
            ``"30_day_clinical_review"`` (payment-rules.md A5).
        readmission_window_days: Days after discharge the readmission rule looks at, or ``None``.
        cquin_rate: CQUIN as a share of contract value (actual annual value; the API fixed
            element in 2022/23), or ``None`` when no national scheme applies.
        sanctions_in_force: Whether national contract financial sanctions apply.
        blended_payment: Whether blended payment is the default for emergency care.
        blended_variable_rate: Share of price paid on activity above/below plan under blended
            payment (0.2 in 2019/20), or ``None``.
        api: Whether aligned payment and incentive applies.
        api_variable_rate: Share of unit price in the API elective variable element, or ``None``.
        api_elective_threshold: Elective activity in the fixed element as a multiple of 2019/20
            value (1.04 in 2022/23), or ``None``.
        local_variations_allowed: Whether local variations/modifications are allowed (2014/15+).
        best_practice_tariffs: Whether best practice tariffs exist (2010/11+).
        efficiency_factor: National efficiency factor applied when rolling local prices forward
            (share per year, [K] defaults), or ``None``.
        rsse_min_age: Minimum age (years) for the reduced short-stay emergency adjustment [K].
    """

    year: FinancialYear
    regime: Sourced[str]
    national_tariff: Sourced[bool]
    activity_caps_allowed: Sourced[bool]
    mret_rate: Sourced[float | None]
    mret_baseline_year: Sourced[str | None]
    mret_variable_baseline: Sourced[bool]
    readmission_rule: Sourced[str | None]
    readmission_window_days: Sourced[int | None]
    cquin_rate: Sourced[float | None]
    sanctions_in_force: Sourced[bool]
    blended_payment: Sourced[bool]
    blended_variable_rate: Sourced[float | None]
    api: Sourced[bool]
    api_variable_rate: Sourced[float | None]
    api_elective_threshold: Sourced[float | None]
    local_variations_allowed: Sourced[bool]
    best_practice_tariffs: Sourced[bool]
    efficiency_factor: Sourced[float | None]
    rsse_min_age: Sourced[int]

    def as_dict(self) -> dict[str, dict[str, Any]]:
        """``{field: {"value", "source", "status", "note"}}`` for each rule field (not ``year``)."""
        return {name: getattr(self, name).as_dict() for name in RULE_FIELDS}


#: Value kind of each rule field: "bool", "float?", "int", "int?", "str", "str?" ("?": may be None).
_KINDS: dict[str, str] = {
    "regime": "str",
    "national_tariff": "bool",
    "activity_caps_allowed": "bool",
    "mret_rate": "float?",
    "mret_baseline_year": "str?",
    "mret_variable_baseline": "bool",
    "readmission_rule": "str?",
    "readmission_window_days": "int?",
    "cquin_rate": "float?",
    "sanctions_in_force": "bool",
    "blended_payment": "bool",
    "blended_variable_rate": "float?",
    "api": "bool",
    "api_variable_rate": "float?",
    "api_elective_threshold": "float?",
    "local_variations_allowed": "bool",
    "best_practice_tariffs": "bool",
    "efficiency_factor": "float?",
    "rsse_min_age": "int",
}

#: The rule fields of :class:`PaymentRules`, in order.
RULE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(PaymentRules) if f.name != "year")
assert set(RULE_FIELDS) == set(_KINDS)


class RuleSpan(BaseModel):
    """One ``[[rule]]`` entry of ``payment_rules.toml``: a field's value over a span of years."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    field: str
    from_year: str = Field(alias="from")
    to_year: str = Field(alias="to")
    value: bool | int | float | str | None = None
    status: Status
    source: str = Field(min_length=3)
    quote: str
    note: str = ""

    @field_validator("field")
    @classmethod
    def _known_field(cls, name: str) -> str:
        if name not in _KINDS:
            raise ValueError(f"unknown rule field '{name}'; known: {', '.join(RULE_FIELDS)}")
        return name

    @field_validator("from_year", "to_year")
    @classmethod
    def _financial_year(cls, text: str) -> str:
        try:
            return str(FinancialYear.parse(text))
        except ConfigError as error:
            raise ValueError(error.problem) from None

    @field_validator("quote")
    @classmethod
    def _short_quote(cls, quote: str) -> str:
        if not 4 <= word_count(quote) <= 15:
            raise ValueError("quote must be a short verbatim extract of 4 to 15 words")
        return quote

    @model_validator(mode="after")
    def _value_kind(self) -> RuleSpan:
        if FinancialYear.parse(self.from_year) > FinancialYear.parse(self.to_year):
            raise ValueError(f"'from' ({self.from_year}) is after 'to' ({self.to_year})")
        kind = _KINDS[self.field]
        value = self.value
        if value is None:
            if not kind.endswith("?"):
                raise ValueError(f"{self.field} needs a value (it cannot be 'not in force')")
            return self
        base = kind.rstrip("?")
        ok = {
            "bool": isinstance(value, bool),
            "int": isinstance(value, int) and not isinstance(value, bool),
            "float": isinstance(value, int | float) and not isinstance(value, bool),
            "str": isinstance(value, str),
        }[base]
        if not ok:
            raise ValueError(f"{self.field} must be a {base}, got {value!r}")
        if self.field == "regime" and value not in REGIMES:
            raise ValueError(f"regime must be one of {', '.join(REGIMES)}")
        if self.field == "readmission_rule" and value not in _READMISSION_RULES:
            raise ValueError(
                f"readmission_rule must be one of {', '.join(sorted(_READMISSION_RULES))}"
            )
        if base == "float" and not 0.0 <= float(value) <= 2.0:  # type: ignore[arg-type]
            raise ValueError(f"{self.field} is a share and must lie between 0 and 2")
        return self

    @property
    def first(self) -> int:
        """Starting calendar year of the first financial year of the span."""
        return FinancialYear.parse(self.from_year).start

    @property
    def last(self) -> int:
        """Starting calendar year of the last financial year of the span."""
        return FinancialYear.parse(self.to_year).start


class CalendarFile(BaseModel):
    """The whole of ``payment_rules.toml``: a list of ``[[rule]]`` spans."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    rule: list[RuleSpan]


def _table(spans: list[RuleSpan], *, file: str) -> dict[str, list[RuleSpan | None]]:
    """Index spans by field and year; check each field covers every year exactly once.

    Raises:
        InputError: a field has a year with no rule or with two overlapping rules.
    """
    years = LAST_YEAR - FIRST_YEAR + 1
    table: dict[str, list[RuleSpan | None]] = {name: [None] * years for name in RULE_FIELDS}
    for number, span in enumerate(spans):
        row = table[span.field]
        for start in range(max(span.first, FIRST_YEAR), min(span.last, LAST_YEAR) + 1):
            held = row[start - FIRST_YEAR]
            if held is not None:
                raise InputError(
                    f"rules for {span.field} overlap in {FinancialYear(start)}",
                    file=file,
                    location=f"rule[{number}] ({span.from_year} to {span.to_year})",
                    expected="one rule per field per financial year",
                    fix=f"make the spans for {span.field} not overlap",
                )
            row[start - FIRST_YEAR] = span
    for name, row in table.items():
        missing = [str(FinancialYear(FIRST_YEAR + i)) for i, span in enumerate(row) if span is None]
        if missing:
            raise InputError(
                f"no rule for {name} in {len(missing)} financial year(s): {', '.join(missing[:5])}",
                file=file,
                location=f"field {name}",
                expected=f"spans covering {_RANGE}",
                fix=f"add [[rule]] entries for {name} covering the missing years",
            )
    return table


@functools.cache
def _calendar() -> dict[str, list[RuleSpan | None]]:
    data = load_model("payment_rules.toml", CalendarFile, what="payment-rule calendar")
    return _table(data.rule, file="quasimarket/structure/data/payment_rules.toml")


def rule_spans() -> list[RuleSpan]:
    """Every span of the calendar (for listing and source checks)."""
    return load_model("payment_rules.toml", CalendarFile, what="payment-rule calendar").rule


def check_year(year: str | int | FinancialYear) -> FinancialYear:
    """Parse *year* and check it lies in 1991/92..2025/26.

    Raises:
        ConfigError: the year is malformed or outside the covered range.
    """
    if isinstance(year, bool):
        raise ConfigError(f"{year!r} is not a financial year", expected="a year such as 2016/17")
    fy = FinancialYear.parse(year)
    if not FIRST_YEAR <= fy.start <= LAST_YEAR:
        raise ConfigError(
            f"{fy} is outside the years quasimarket describes",
            location="year",
            expected=f"a financial year from {_RANGE}",
            fix=f"choose a year between {FIRST_YEAR} and {LAST_YEAR}",
        )
    return fy


def _coerce(name: str, value: bool | int | float | str | None) -> Any:
    """Floats stored as TOML integers (``1``) become ``1.0``."""
    if value is not None and _KINDS[name].startswith("float"):
        return float(value)
    return value


def payment_rules(year: str | int | FinancialYear) -> PaymentRules:
    """The national payment rules in force in financial year *year*.

    Args:
        year: ``"2016/17"``, ``2016`` or a :class:`FinancialYear` (1991/92 to 2025/26).

    Returns:
        A :class:`PaymentRules` row; each field is :class:`Sourced`.

    Raises:
        ConfigError: *year* is malformed or outside 1991/92..2025/26.
    """
    fy = check_year(year)
    table = _calendar()
    values: dict[str, Sourced[Any]] = {}
    for name in RULE_FIELDS:
        span = table[name][fy.start - FIRST_YEAR]
        assert span is not None  # coverage checked at load
        values[name] = Sourced(
            _coerce(name, span.value), span.source, span.status, span.note.strip()
        )
    return PaymentRules(year=fy, **values)
