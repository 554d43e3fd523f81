"""Pricing-mechanism terms of a service line: one model per mechanism, chosen by ``mechanism``.

Field names are the keyword arguments of the matching function in :mod:`quasimarket.mechanisms`
(see ``notes/mechanism_api.md``), so ``function(..., **line.terms.kwargs())`` works directly.
Money is in pounds (float), activity in units of the line's currency, rates are fractions
(0.2 = 20%). A field left out of the file is ``None`` unless the payment-rule calendar or the
service line supplies a default (listed in each class's ``CALENDAR_DEFAULTS``/``LINE_DEFAULTS``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, model_validator

from quasimarket.contracts._base import MechanismTerms, rule_error

__all__ = [
    "MECHANISMS",
    "AlignedPaymentIncentiveTerms",
    "BlendedTerms",
    "BlockTerms",
    "CapitationTerms",
    "CapsAndCollarsTerms",
    "CostAndVolumeTerms",
    "CostPerCaseTerms",
    "EnhancedServicesTerms",
    "GmsGlobalSumTerms",
    "LocalPriceTerms",
    "LocallyAgreedSumTerms",
    "MechanismTerms",
    "NationalTariffTerms",
    "QofTerms",
    "Terms",
]

#: Tolerance for fractions that must sum to one (a monthly profile).
SUM_TOLERANCE = 1e-6

Pounds = Annotated[float, Field(ge=0, allow_inf_nan=False)]
Fraction = Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)]


class NationalTariffTerms(MechanismTerms):
    """National tariff (PbR/NTPS/NHSPS) prices looked up per record from the tariff table."""

    FUNCTION = "national_tariff.national_tariff_price"
    KWARGS = ("mff", "top_up_pct", "rsse_min_age")
    CALENDAR_DEFAULTS: ClassVar[dict[str, str]] = {"rsse_min_age": "rsse_min_age"}
    IN_FORCE = "national_tariff"
    IN_FORCE_TEXT = "a national tariff (Payment by Results, from 2004) existed"
    TITLE = "national tariff price per unit of activity (HRG spell, attendance)"
    SOURCE = "payment-rules.md A1 [K]; 002@72832; 002@73620"

    mechanism: Literal["national_tariff"] = "national_tariff"
    mff: Annotated[float, Field(gt=0, le=3, allow_inf_nan=False)] | None = Field(
        None,
        description="provider's market forces factor payment index (1.0 = no uplift); "
        "omit to look it up in the tariff's MFF table",
        examples=[1.0],
    )
    top_up_pct: Annotated[float, Field(ge=0, le=1, allow_inf_nan=False)] | None = Field(
        None,
        description="specialised service top-up as a fraction of the base price (0.25 = 25%); "
        "omit to use the tariff's top-up table",
        examples=[0.0],
    )
    rsse_min_age: Annotated[int, Field(ge=0, le=120)] | None = Field(
        None,
        description="minimum age in years for the reduced short-stay emergency adjustment",
        examples=[19],
    )


class LocalPriceTerms(MechanismTerms):
    """A locally set price per unit for activity without a national price.

    ``method`` chooses how the price is set: ``agreed`` (a fixed agreed price), ``roll_forward``
    (last year's price less the national efficiency factor, the 2012 norm, 002@255999),
    ``benchmark`` (a statistic of peer prices, 002@256100) or ``costing`` (unit cost plus
    overheads; rare, 002@256100).
    """

    TITLE = "locally set price per unit of activity"
    SOURCE = "002@255999; 002@256100; payment-rules.md A11 [K]"
    CALENDAR_DEFAULTS: ClassVar[dict[str, str]] = {"efficiency_factor": "efficiency_factor"}

    mechanism: Literal["local_price"] = "local_price"
    method: Literal["agreed", "roll_forward", "benchmark", "costing"] = Field(
        "agreed",
        description="how the local price is set: agreed | roll_forward | benchmark | costing",
        examples=["roll_forward"],
    )
    price: Pounds | None = Field(
        None, description="agreed price per unit, £ (method = agreed)", examples=[150.0]
    )
    previous_price: Pounds | None = Field(
        None,
        description="last year's price per unit, £ (method = roll_forward)",
        examples=[150.0],
    )
    efficiency_factor: Annotated[float, Field(ge=0, lt=1, allow_inf_nan=False)] | None = Field(
        None,
        description="national efficiency factor deducted when rolling forward (0.04 = 4%)",
        examples=[0.04],
    )
    peer_prices: tuple[Pounds, ...] | None = Field(
        None,
        description="peer providers' prices per unit, £ (method = benchmark)",
        examples=[[140.0, 150.0, 165.0]],
    )
    statistic: Literal["median", "mean"] = Field(
        "median", description="benchmark statistic over peer prices", examples=["median"]
    )
    unit_cost: Pounds | None = Field(
        None, description="costed unit cost, £ (method = costing)", examples=[130.0]
    )
    overhead_rate: Annotated[float, Field(ge=0, le=5, allow_inf_nan=False)] = Field(
        0.0, description="overhead added to unit cost (0.1 = 10%)", examples=[0.1]
    )

    _METHOD_FIELDS: ClassVar[dict[str, tuple[str, str, tuple[str, ...]]]] = {
        "agreed": ("price", "cost_per_case.cost_per_case", ("price",)),
        "roll_forward": (
            "previous_price",
            "local_price.roll_forward_price",
            ("previous_price", "efficiency_factor"),
        ),
        "benchmark": ("peer_prices", "local_price.benchmark_price", ("peer_prices", "statistic")),
        "costing": ("unit_cost", "local_price.costing_price", ("unit_cost", "overhead_rate")),
    }

    @model_validator(mode="after")
    def _method_has_its_input(self) -> LocalPriceTerms:
        needed = self._METHOD_FIELDS[self.method][0]
        if getattr(self, needed) is None:
            raise rule_error(
                f"method = '{self.method}' needs '{needed}'",
                fix=f"add {needed} to the terms, or choose another method",
            )
        if self.method == "roll_forward" and self.efficiency_factor is None:
            raise ValueError(
                "method = 'roll_forward' needs 'efficiency_factor' (the payment-rule calendar "
                "has no national efficiency factor for this year)"
            )
        if self.method == "benchmark" and not self.peer_prices:
            raise ValueError("method = 'benchmark' needs at least one peer price")
        return self

    @property
    def function_name(self) -> str:
        """The function for this ``method`` (``cost_per_case.cost_per_case`` when agreed)."""
        return self._METHOD_FIELDS[self.method][1]

    def kwargs(self) -> dict[str, Any]:
        """Arguments of the function for this ``method`` (all may be passed by keyword)."""
        out: dict[str, Any] = {}
        for name in self._METHOD_FIELDS[self.method][2]:
            value = getattr(self, name)
            if value is not None:
                out[name] = list(value) if isinstance(value, tuple) else value
        return out


class BlockTerms(MechanismTerms):
    """A fixed annual sum for the service, paid in monthly instalments regardless of activity."""

    FUNCTION = "block.block_payment"
    KWARGS = ("annual_value", "monthly_profile")
    LINE_DEFAULTS: ClassVar[dict[str, str]] = {"annual_value": "planned_value_gbp"}
    REQUIRED = ("annual_value",)
    TITLE = "block contract: a fixed annual sum regardless of activity"
    SOURCE = "002@72285; 002@243475"

    mechanism: Literal["block"] = "block"
    annual_value: Pounds | None = Field(
        None,
        description="the block's annual value, £ (default: the line's planned_value_gbp)",
        examples=[9_000_000.0],
    )
    monthly_profile: tuple[Fraction, ...] | None = Field(
        None,
        description="12 monthly shares of the annual value, April first, summing to 1 "
        "(default: flat, 1/12 each)",
        examples=[[0.085] * 4 + [0.08] * 4 + [0.085] * 4],
    )

    @model_validator(mode="after")
    def _profile_sums_to_one(self) -> BlockTerms:
        profile = self.monthly_profile
        if profile is not None:
            if len(profile) != 12:
                raise ValueError(
                    f"monthly_profile needs 12 values (April to March), got {len(profile)}"
                )
            total = sum(profile)
            if abs(total - 1.0) > SUM_TOLERANCE:
                raise rule_error(
                    f"monthly_profile sums to {total:.6g}, not 1",
                    expected="12 monthly shares of the annual value (April first) summing to 1",
                    fix="divide each month's amount by the annual total, or leave "
                    "monthly_profile out for a flat profile",
                )
        return self


class CostAndVolumeTerms(MechanismTerms):
    """A base value covering activity up to a threshold; above it a marginal rate × price."""

    FUNCTION = "cost_and_volume.cost_and_volume"
    KWARGS = ("base_value", "threshold_activity", "price", "marginal_rate")
    TITLE = "cost and volume: base value up to a threshold, then a price per extra unit"
    SOURCE = "002@72285"

    mechanism: Literal["cost_and_volume"] = "cost_and_volume"
    base_value: Pounds = Field(
        description="value paid for activity up to the threshold, £", examples=[5_000_000.0]
    )
    threshold_activity: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        description="activity covered by the base value, units of the line's currency",
        examples=[4000.0],
    )
    price: Pounds = Field(description="price per unit above the threshold, £", examples=[1250.0])
    marginal_rate: Fraction = Field(
        1.0,
        description="share of the price paid above the threshold (1 = full price)",
        examples=[1.0],
    )


class CostPerCaseTerms(MechanismTerms):
    """A locally agreed price for every unit of activity (no cap)."""

    FUNCTION = "cost_per_case.cost_per_case"
    KWARGS = ("price",)
    TITLE = "cost per case: a price for every unit of activity"
    SOURCE = "002@72285; 002@73620"

    mechanism: Literal["cost_per_case"] = "cost_per_case"
    price: Pounds = Field(description="price per unit of activity, £", examples=[1250.0])


class CapsAndCollarsTerms(MechanismTerms):
    """A fixed payment inside an activity corridor; a marginal rate outside it."""

    FUNCTION = "caps_and_collars.caps_and_collars"
    KWARGS = ("fixed_value", "collar_activity", "cap_activity", "price", "marginal_rate")
    LINE_DEFAULTS: ClassVar[dict[str, str]] = {"fixed_value": "planned_value_gbp"}
    REQUIRED = ("fixed_value",)
    TITLE = "caps and collars: fixed inside an activity corridor, marginal rate outside"
    SOURCE = "002@254164 (corridor and rate are [modelling note] parameters)"

    mechanism: Literal["caps_and_collars"] = "caps_and_collars"
    fixed_value: Pounds | None = Field(
        None,
        description="payment for activity inside the corridor, £ (default: planned_value_gbp)",
        examples=[20_000_000.0],
    )
    collar_activity: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        description="lower edge of the corridor, units of activity", examples=[9500.0]
    )
    cap_activity: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        description="upper edge of the corridor, units of activity", examples=[10500.0]
    )
    price: Pounds = Field(description="price per unit outside the corridor, £", examples=[2000.0])
    marginal_rate: Fraction = Field(
        description="share of the price paid (or deducted) per unit outside the corridor",
        examples=[0.5],
    )

    @model_validator(mode="after")
    def _collar_below_cap(self) -> CapsAndCollarsTerms:
        if self.collar_activity > self.cap_activity:
            raise ValueError(
                f"collar_activity ({self.collar_activity:g}) is above cap_activity "
                f"({self.cap_activity:g})"
            )
        return self


class BlendedTerms(MechanismTerms):
    """Blended payment: fixed on planned value, plus a variable share of the deviation."""

    FUNCTION = "blended.blended_payment"
    KWARGS = ("planned_value", "variable_rate")
    CALENDAR_DEFAULTS: ClassVar[dict[str, str]] = {"variable_rate": "blended_variable_rate"}
    LINE_DEFAULTS: ClassVar[dict[str, str]] = {"planned_value": "planned_value_gbp"}
    REQUIRED = ("planned_value", "variable_rate")
    TITLE = "blended payment: fixed on plan plus a variable rate on activity above or below it"
    SOURCE = "payment-rules.md A6 [V: hfma 5 Nov 2019]; 002@351002"

    mechanism: Literal["blended"] = "blended"
    planned_value: Pounds | None = Field(
        None,
        description="value of planned activity at tariff prices, £ (default: planned_value_gbp)",
        examples=[60_000_000.0],
    )
    variable_rate: Fraction | None = Field(
        None,
        description="share of the price paid (or deducted) for activity above (below) plan",
        examples=[0.2],
    )


class AlignedPaymentIncentiveTerms(MechanismTerms):
    """Aligned payment and incentive (2022/23 on): fixed element plus variable elective element."""

    FUNCTION = "blended.aligned_payment_incentive"
    KWARGS = ("fixed_value", "elective_threshold_value", "variable_rate", "floor_value")
    CALENDAR_DEFAULTS: ClassVar[dict[str, str]] = {"variable_rate": "api_variable_rate"}
    # fixed_value has no plain line default: see contracts/defaults.py (api_fixed_default)
    REQUIRED = ("fixed_value", "variable_rate")
    IN_FORCE = "api"
    IN_FORCE_TEXT = "the aligned payment and incentive rules were in force"
    TITLE = "aligned payment and incentive: fixed element plus variable elective payment"
    SOURCE = "payment-rules.md A7 [V: hfma 13 Jan 2022; england.nhs.uk NHSPS]"

    mechanism: Literal["aligned_payment_incentive"] = "aligned_payment_incentive"
    fixed_value: Pounds | None = Field(
        None,
        description="the fixed element, £ (default: planned_value_gbp − planned_elective_value "
        "+ elective_threshold_value, so elective value above the threshold is paid once, in "
        "the variable element)",
        examples=[180_000_000.0],
    )
    planned_elective_value: Pounds | None = Field(
        None,
        description="planned value of the line's elective activity in the variable element's "
        "scope, £ (needed for the fixed_value default when the line also covers other pods; "
        "default: planned_value_gbp when every pod of the line is elective)",
        examples=[52_000_000.0],
    )
    elective_threshold_value: Pounds = Field(
        description="elective activity value covered by the fixed element, £ "
        "(2022/23: 104% of 2019/20 value; 2023/24 on: 0, all elective is variable)",
        examples=[52_000_000.0],
    )
    variable_rate: Fraction | None = Field(
        None,
        description="share of the unit price paid (or deducted) for elective value above "
        "(below) the threshold",
        examples=[0.75],
    )
    floor_value: Pounds | None = Field(
        None,
        description="most that under-delivery can reduce the payment by, £ (omit for no floor)",
        examples=[None],
    )


class CapitationTerms(MechanismTerms):
    """A capitated budget per (weighted) head, with optional outcome share and contingency."""

    FUNCTION = "capitation.capitation"
    KWARGS = (
        "weighted_population",
        "rate_per_head",
        "outcome_share",
        "outcome_achievement",
        "contingency_share",
        "contingency_released",
    )
    TITLE = "capitation: a budget per head of (weighted) population"
    SOURCE = "002@272684; 002@262975; payment-rules.md A11 [K]"

    mechanism: Literal["capitation"] = "capitation"
    weighted_population: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = Field(
        None,
        description="(weighted) population covered, heads; omit to take it from population data",
        examples=[80_000.0],
    )
    rate_per_head: Pounds = Field(
        description="annual payment per (weighted) head, £", examples=[250.0]
    )
    outcome_share: Fraction = Field(
        0.0, description="share of the budget paid only on outcomes (0.05 = 5%)", examples=[0.05]
    )
    outcome_achievement: Fraction | None = Field(
        None,
        description="share of the outcome payment earned, 0..1 (omit to give it at pricing)",
        examples=[1.0],
    )
    contingency_share: Fraction = Field(
        0.0, description="share of the budget held back as a contingency", examples=[0.02]
    )
    contingency_released: Fraction = Field(
        0.0, description="share of the contingency released to the provider", examples=[0.0]
    )

    @model_validator(mode="after")
    def _shares_fit(self) -> CapitationTerms:
        total = self.outcome_share + self.contingency_share
        if total > 1 + SUM_TOLERANCE:
            raise rule_error(
                f"outcome_share + contingency_share is {total:.0%}; they cannot exceed 100%",
                fix="reduce outcome_share or contingency_share",
            )
        return self


class GmsGlobalSumTerms(MechanismTerms):
    """GMS global sum: a price per weighted (Carr-Hill) registered patient."""

    FUNCTION = "gp_practice.gms_global_sum"
    KWARGS = ("price_per_weighted_patient",)
    TITLE = "GMS global sum: a price per weighted registered patient"
    SOURCE = "002@147360 (figures [K])"

    mechanism: Literal["gms_global_sum"] = "gms_global_sum"
    price_per_weighted_patient: Pounds = Field(
        description="annual global sum per weighted patient, £", examples=[80.0]
    )


class QofTerms(MechanismTerms):
    """Quality and Outcomes Framework: points achieved × value per point × adjustments."""

    FUNCTION = "gp_practice.qof_payment"
    KWARGS = ("value_per_point", "prevalence_factor", "list_size_factor")
    TITLE = "QOF: a payment per quality point achieved"
    SOURCE = "002@147360 (figures [K])"

    mechanism: Literal["qof"] = "qof"
    value_per_point: Pounds = Field(description="£ per QOF point", examples=[165.0])
    prevalence_factor: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        1.0, description="practice prevalence adjustment (1 = national average)", examples=[1.0]
    )
    list_size_factor: Annotated[float, Field(ge=0, allow_inf_nan=False)] = Field(
        1.0, description="practice list size relative to the average list", examples=[1.0]
    )


class EnhancedServicesTerms(MechanismTerms):
    """Enhanced services (DES/NES/LES): a price per unit of service delivered."""

    FUNCTION = "gp_practice.enhanced_services"
    KWARGS = ("price_per_unit",)
    TITLE = "enhanced services: a price per unit of service"
    SOURCE = "002@147680 (figures [K])"

    mechanism: Literal["enhanced_services"] = "enhanced_services"
    price_per_unit: Pounds = Field(description="£ per unit of service", examples=[10.0])


class LocallyAgreedSumTerms(MechanismTerms):
    """A locally agreed annual sum (PMS/APMS contracts)."""

    FUNCTION = "gp_practice.locally_agreed_sum"
    KWARGS = ("agreed_value",)
    LINE_DEFAULTS: ClassVar[dict[str, str]] = {"agreed_value": "planned_value_gbp"}
    REQUIRED = ("agreed_value",)
    TITLE = "locally agreed sum (PMS/APMS): a fixed annual value"
    SOURCE = "002@148286; 002@148794"

    mechanism: Literal["locally_agreed_sum"] = "locally_agreed_sum"
    agreed_value: Pounds | None = Field(
        None,
        description="the agreed annual sum, £ (default: planned_value_gbp)",
        examples=[900_000.0],
    )


#: Every pricing mechanism a service line can use, by name.
MECHANISMS: dict[str, type[MechanismTerms]] = {
    cls.model_fields["mechanism"].default: cls
    for cls in (
        NationalTariffTerms,
        LocalPriceTerms,
        BlockTerms,
        CostAndVolumeTerms,
        CostPerCaseTerms,
        CapsAndCollarsTerms,
        BlendedTerms,
        AlignedPaymentIncentiveTerms,
        CapitationTerms,
        GmsGlobalSumTerms,
        QofTerms,
        EnhancedServicesTerms,
        LocallyAgreedSumTerms,
    )
}

#: The terms of a line: one of the models above, chosen by its ``mechanism`` field.
Terms = Annotated[
    NationalTariffTerms
    | LocalPriceTerms
    | BlockTerms
    | CostAndVolumeTerms
    | CostPerCaseTerms
    | CapsAndCollarsTerms
    | BlendedTerms
    | AlignedPaymentIncentiveTerms
    | CapitationTerms
    | GmsGlobalSumTerms
    | QofTerms
    | EnhancedServicesTerms
    | LocallyAgreedSumTerms,
    Field(discriminator="mechanism"),
]
