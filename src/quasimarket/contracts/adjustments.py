"""Adjustments on a service line (national and local rules), one model per ``rule``.

Field names are the keyword arguments of the matching function in :mod:`quasimarket.mechanisms`
(``notes/mechanism_api.md``); :meth:`kwargs` returns them. Each rule names the payment-rule
calendar field (``IN_FORCE``) that says whether the rule existed in the contract year; using it
outside those years is refused unless ``allow_out_of_era = true`` (a counterfactual).
"""

from __future__ import annotations

import datetime as dt
import difflib
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from quasimarket.contracts._base import ContractModel, MechanismTerms, rule_error
from quasimarket.contracts.terms import SUM_TOLERANCE, Fraction, Pounds

__all__ = [
    "RULES",
    "ActivityCap",
    "Adjustment",
    "AdjustmentRule",
    "Cquin",
    "CquinGoal",
    "LocalModification",
    "LocalVariation",
    "Mret",
    "Readmissions",
    "Sanction",
]

_ALLOW = Field(
    False,
    description="set true to apply this rule in a year when it was not in force (a counterfactual)",
    examples=[False],
)


class AdjustmentRule(MechanismTerms):
    """Base of the adjustment rules (``IN_FORCE`` names the calendar field for the years)."""

    allow_out_of_era: bool = _ALLOW


class ActivityCap(AdjustmentRule):
    """Activity cap: the commissioner refuses to pay for activity value above plan (2011/12)."""

    FUNCTION = "activity_cap.activity_cap"
    KWARGS = ("plan_value",)
    LINE_DEFAULTS: ClassVar[dict[str, str]] = {"plan_value": "planned_value_gbp"}
    REQUIRED = ("plan_value",)
    IN_FORCE = "activity_caps_allowed"
    IN_FORCE_TEXT = "activity caps were allowed"
    TITLE = "activity cap: no payment for activity value above plan"
    SOURCE = "002@249037 (2011/12 only); payment-rules.md A0"

    rule: Literal["activity_cap"] = "activity_cap"
    plan_value: Pounds | None = Field(
        None,
        description="planned (forecast) value above which nothing is paid, £ "
        "(default: the line's planned_value_gbp)",
        examples=[40_000_000.0],
    )


class Mret(AdjustmentRule):
    """Marginal rate emergency rule: emergency value above a baseline paid at a reduced rate."""

    FUNCTION = "mret.marginal_rate_emergency"
    KWARGS = ("baseline_value", "rate")
    CALENDAR_DEFAULTS: ClassVar[dict[str, str]] = {
        "rate": "mret_rate",
        "baseline_year": "mret_baseline_year",
    }
    REQUIRED = ("rate",)
    IN_FORCE = "mret_rate"
    IN_FORCE_TEXT = "the marginal rate emergency rule was in force"
    TITLE = "marginal rate emergency rule (MRET)"
    SOURCE = "payment-rules.md A4; 002@249400; 002@249952"

    rule: Literal["mret"] = "mret"
    baseline_value: Pounds = Field(
        description="emergency admissions value (at tariff) of the baseline year, £",
        examples=[90_000_000.0],
    )
    rate: Fraction | None = Field(
        None,
        description="share of tariff PAID for emergency value above the baseline",
        examples=[0.7],
    )
    baseline_year: str | None = Field(
        None,
        description="financial year the baseline comes from (information only)",
        examples=["2008/09"],
    )


class Readmissions(AdjustmentRule):
    """Emergency readmissions: the avoidable share of readmission value is not paid."""

    FUNCTION = "readmissions.readmission_deduction"
    KWARGS = ("avoidable_share",)
    CALENDAR_DEFAULTS: ClassVar[dict[str, str]] = {
        "window_days": "readmission_window_days",
        "readmission_rule": "readmission_rule",
    }
    IN_FORCE = "readmission_rule"
    IN_FORCE_TEXT = "a national readmissions rule was in force"
    TITLE = "emergency readmissions: no payment for the avoidable share"
    SOURCE = "payment-rules.md A5 [V: hfma 5 Mar 2012]"

    rule: Literal["readmissions"] = "readmissions"
    avoidable_share: Fraction | None = Field(
        None,
        description="share of readmission value judged avoidable by clinical review "
        "(omit to give it at pricing)",
        examples=[0.5],
    )
    window_days: Annotated[int, Field(ge=1, le=365)] | None = Field(
        None, description="readmission window after discharge, days", examples=[30]
    )
    readmission_rule: (
        Literal["14_day_threshold", "30_day_elective", "30_day_clinical_review"] | None
    ) = Field(
        None, description="which national readmission rule", examples=["30_day_clinical_review"]
    )


class CquinGoal(ContractModel):
    """One CQUIN goal: its weight in the scheme and (optionally) its achievement."""

    name: str = Field(min_length=1, description="the goal's name", examples=["Staff health"])
    weight: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        description="share of the CQUIN money tied to this goal (weights sum to at most 1)",
        examples=[0.5],
    )
    achievement: Fraction | None = Field(
        None,
        description="share of the goal achieved, 0..1 (omit to give it at pricing)",
        examples=[1.0],
    )


class Cquin(AdjustmentRule):
    """CQUIN: a share of actual annual value earned by meeting quality goals."""

    FUNCTION = "cquin.cquin_payment"
    KWARGS = ("rate", "weights", "achievement")
    CALENDAR_DEFAULTS: ClassVar[dict[str, str]] = {"rate": "cquin_rate"}
    REQUIRED = ("rate",)
    IN_FORCE = "cquin_rate"
    IN_FORCE_TEXT = "the national CQUIN scheme was in force"
    TITLE = "CQUIN quality incentive"
    SOURCE = "payment-rules.md A9; 002@70617"

    rule: Literal["cquin"] = "cquin"
    rate: Fraction | None = Field(
        None,
        description="CQUIN value as a share of actual annual value (0.025 = 2.5%)",
        examples=[0.025],
    )
    goals: tuple[CquinGoal, ...] = Field(
        min_length=1, description="the CQUIN goals ([[lines.adjustments.goals]] tables)"
    )

    @model_validator(mode="after")
    def _weights_at_most_one(self) -> Cquin:
        total = sum(goal.weight for goal in self.goals)
        if total > 1 + SUM_TOLERANCE:
            raise rule_error(
                f"CQUIN weights over 100%: the goals' weights sum to {total:.1%}",
                expected="goal weights (shares of the CQUIN money) that sum to at most 1",
                fix="reduce the weights so they add up to 1 or less (e.g. 0.25 each for four "
                "goals)",
            )
        names = [goal.name for goal in self.goals]
        if len(set(names)) != len(names):
            raise ValueError("CQUIN goal names must be unique")
        return self

    @property
    def weights(self) -> tuple[float, ...]:
        """Goal weights, in file order (the goals axis of ``cquin_payment``)."""
        return tuple(goal.weight for goal in self.goals)

    @property
    def achievement(self) -> tuple[float, ...] | None:
        """Goal achievements, or ``None`` unless every goal has one."""
        values = [goal.achievement for goal in self.goals]
        if any(value is None for value in values):
            return None
        return tuple(float(value) for value in values if value is not None)


#: The national operational standards of the NHS Standard Contract with a financial
#: consequence (payment-rules.md A10). A sanction may name a local standard too; a name a
#: letter or two away from one of these is taken for a typo and refused, because a sanction
#: whose standard matches no performance entry would silently withhold nothing.
NATIONAL_STANDARDS = (
    "ae_4_hour",
    "ae_12_hour_trolley_wait",
    "ambulance_handover_30_minutes",
    "ambulance_handover_60_minutes",
    "cancelled_operations_28_day",
    "cancer_2_week_wait",
    "cancer_31_day",
    "cancer_62_day",
    "diagnostics_6_week",
    "mixed_sex_accommodation",
    "rtt_52_week",
    "rtt_admitted",
    "rtt_incomplete",
    "rtt_non_admitted",
)


class Sanction(AdjustmentRule):
    """A contract sanction for one operational standard (threshold, per-breach or % revenue)."""

    CALENDAR_DEFAULTS: ClassVar[dict[str, str]] = {}
    IN_FORCE = "sanctions_in_force"
    IN_FORCE_TEXT = "contract sanctions were in force"
    TITLE = "sanction for breaching an operational standard"
    SOURCE = "payment-rules.md A10 [V/K by standard]; 002@70970"

    rule: Literal["sanctions"] = "sanctions"
    standard: str = Field(
        min_length=1,
        description="the standard: a national one (e.g. ae_4_hour, rtt_incomplete, "
        "mixed_sex_accommodation) or a local one; a near miss of a national name is refused",
        examples=["ae_4_hour"],
    )
    kind: Literal["threshold", "per_breach", "revenue"] = Field(
        description="threshold: £ per patient below the threshold share; per_breach: £ per "
        "breach; revenue: a % of the line's revenue",
        examples=["threshold"],
    )
    threshold: Fraction | None = Field(
        None,
        description="share of patients that must meet the standard (kind = threshold)",
        examples=[0.95],
    )
    floor_threshold: Fraction | None = Field(
        None,
        description="no further penalty below this share (kind = threshold; optional)",
        examples=[0.85],
    )
    unit_penalty: Pounds | None = Field(
        None, description="£ per patient below threshold or per breach", examples=[120.0]
    )
    pct: Fraction | None = Field(
        None, description="share of revenue withheld (kind = revenue)", examples=[0.02]
    )
    cap_pct: Fraction | None = Field(
        None,
        description="cap on this line's total sanctions as a share of its revenue (optional)",
        examples=[0.025],
    )

    _KIND_FIELDS: ClassVar[dict[str, tuple[str, tuple[str, ...]]]] = {
        "threshold": (
            "sanctions.threshold_sanction",
            ("threshold", "unit_penalty", "floor_threshold"),
        ),
        "per_breach": ("sanctions.per_breach_sanction", ("unit_penalty",)),
        "revenue": ("sanctions.revenue_sanction", ("pct",)),
    }
    _REQUIRED: ClassVar[dict[str, tuple[str, ...]]] = {
        "threshold": ("threshold", "unit_penalty"),
        "per_breach": ("unit_penalty",),
        "revenue": ("pct",),
    }

    @field_validator("standard")
    @classmethod
    def _not_a_typo(cls, value: str) -> str:
        if value in NATIONAL_STANDARDS:
            return value
        close = difflib.get_close_matches(value, NATIONAL_STANDARDS, n=1, cutoff=0.85)
        if close:
            raise rule_error(
                f"standard '{value}' is not a national standard: did you mean '{close[0]}'?",
                expected="a national standard (" + ", ".join(NATIONAL_STANDARDS) + ") or a "
                "local standard's own name",
                fix=f'write standard = "{close[0]}"',
            )
        return value

    @model_validator(mode="after")
    def _kind_has_its_fields(self) -> Sanction:
        missing = [name for name in self._REQUIRED[self.kind] if getattr(self, name) is None]
        if missing:
            raise rule_error(
                f"kind = '{self.kind}' needs {', '.join(missing)}",
                fix=f"add {' and '.join(missing)} to the sanction",
            )
        if (
            self.kind == "threshold"
            and self.floor_threshold is not None
            and self.threshold is not None
            and self.floor_threshold > self.threshold
        ):
            raise ValueError("floor_threshold must not be above threshold")
        return self

    @property
    def function_name(self) -> str:
        """The sanctions function for this ``kind``."""
        return self._KIND_FIELDS[self.kind][0]

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of the sanctions function for this ``kind``."""
        names = self._KIND_FIELDS[self.kind][1]
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


class _PriceChange(AdjustmentRule):
    """A dated change to the line's unit price: a new price or a factor on it."""

    FUNCTION = "local_variation.apply_local_variation"
    KWARGS = ("effective_from", "effective_to", "new_price", "factor")
    IN_FORCE = "local_variations_allowed"
    IN_FORCE_TEXT = "local variations and modifications were allowed"
    SOURCE = "002@249572; 002@243743; 002@252566"

    effective_from: dt.date = Field(
        description="first day the change applies (TOML date, e.g. 2016-04-01)",
        examples=[dt.date(2016, 4, 1)],
    )
    effective_to: dt.date = Field(
        description="last day the change applies (inclusive)", examples=[dt.date(2017, 3, 31)]
    )
    new_price: Pounds | None = Field(
        None, description="the new unit price, £ (give this or factor)", examples=[None]
    )
    factor: Annotated[float, Field(gt=0, le=10, allow_inf_nan=False)] | None = Field(
        None, description="multiplier on the unit price (0.9 = 10% lower)", examples=[0.9]
    )
    reason: str = Field("", description="why (service redesign, unavoidable local costs)")

    @model_validator(mode="after")
    def _one_change(self) -> _PriceChange:
        if (self.new_price is None) == (self.factor is None):
            raise rule_error(
                "give exactly one of new_price or factor",
                fix="keep new_price (a £ price) or factor (a multiplier), not both or neither",
            )
        if self.effective_to < self.effective_from:
            raise ValueError("effective_to is before effective_from")
        return self


class LocalVariation(_PriceChange):
    """Local variation: a price or currency change agreed for service redesign (2014/15 on)."""

    TITLE = "local variation to the national price (service redesign)"
    rule: Literal["local_variation"] = "local_variation"


class LocalModification(_PriceChange):
    """Local modification: a price change for unavoidably higher local costs (2014/15 on)."""

    TITLE = "local modification to the national price (unavoidable local costs)"
    rule: Literal["local_modification"] = "local_modification"


#: Every adjustment rule a service line can carry, by name.
RULES: dict[str, type[AdjustmentRule]] = {
    cls.model_fields["rule"].default: cls
    for cls in (
        ActivityCap,
        Mret,
        Readmissions,
        Cquin,
        Sanction,
        LocalVariation,
        LocalModification,
    )
}

#: One adjustment on a line: one of the models above, chosen by its ``rule`` field.
Adjustment = Annotated[
    ActivityCap | Mret | Readmissions | Cquin | Sanction | LocalVariation | LocalModification,
    Field(discriminator="rule"),
]
