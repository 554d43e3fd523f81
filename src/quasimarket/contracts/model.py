"""The contract: parties, financial year, form, service lines and contract-level arrangements.

A :class:`Contract` is what a ``quasimarket.contract/1`` TOML file describes (see
``docs/contract-format.md``). It is a frozen pydantic model that refuses unknown keys. When it
is validated, fields the file leaves out are filled from the payment-rule calendar for the
contract year (:mod:`quasimarket.contracts.defaults`); :meth:`Contract.resolved_defaults` lists
each one with its source. Cross-field rules (shares summing to one, references between lines and
parties, rules not in force in the contract year) raise :class:`~quasimarket.errors.ConfigError`
naming the field and the fix.
"""

from __future__ import annotations

import difflib
import itertools
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Field,
    InstanceOf,
    PlainSerializer,
    PrivateAttr,
    model_validator,
)
from pydantic_core.core_schema import ValidatorFunctionWrapHandler

from quasimarket.contracts._base import ContractModel, MechanismTerms, rule_error
from quasimarket.contracts.adjustments import Adjustment, AdjustmentRule
from quasimarket.contracts.terms import Fraction, Pounds, Terms
from quasimarket.errors import ConfigError, QuasimarketError
from quasimarket.financial_year import FinancialYear
from quasimarket.structure.calendar import FIRST_YEAR, LAST_YEAR
from quasimarket.vocabulary import CURRENCIES, PODS, Currency

if TYPE_CHECKING:
    from quasimarket.contracts.risk import RiskRow

__all__ = [
    "CONTRACT_FORMAT",
    "CURRENCIES",
    "FIRST_YEAR",
    "FORMS",
    "LAST_YEAR",
    "PODS",
    "SUPPORTED_FORMATS",
    "Alliance",
    "AlliancePartner",
    "Contract",
    "Party",
    "ResolvedDefault",
    "RiskShare",
    "ServiceLine",
    "Settlement",
    "Subcontract",
]

#: The contract file format this version writes.
CONTRACT_FORMAT = "quasimarket.contract/1"
#: Every format version this version can read.
SUPPORTED_FORMATS = (CONTRACT_FORMAT,)

#: Contract forms (002@69687 NHS standard contract; 002@260359 alliance and lead provider models).
FORMS = ("nhs_standard_contract", "alliance_agreement", "lead_provider")
# PODS (the points of delivery a line can cover), CURRENCIES and Currency come from the one
# vocabulary, quasimarket.vocabulary, and are re-exported here for callers.


def _pod(value: str) -> str:
    if value not in PODS:
        close = difflib.get_close_matches(value, PODS, n=1, cutoff=0.5)
        raise rule_error(
            f"unknown point of delivery '{value}'",
            expected="points of delivery among " + ", ".join(PODS),
            fix=f"did you mean '{close[0]}'?" if close else "use the activity table's pod names",
        )
    return value


#: A point of delivery name (checked against :data:`PODS`; typed ``str`` for callers).
PodName = Annotated[str, AfterValidator(_pod)]

Form = Literal["nhs_standard_contract", "alliance_agreement", "lead_provider"]
Code = Annotated[str, Field(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")]


def _parse_year(value: Any) -> FinancialYear:
    if isinstance(value, FinancialYear):
        year = value
    elif isinstance(value, bool) or not isinstance(value, str | int):
        shown = value.isoformat() if hasattr(value, "isoformat") else repr(value)
        if isinstance(value, bool):
            shown = str(value).lower()  # as written in TOML
        raise rule_error(
            f"{shown} is not a financial year",
            expected='a financial year such as "2016/17"',
            fix='write year = "2016/17" (in quotes)',
        )
    else:
        try:
            year = FinancialYear.parse(value)
        except QuasimarketError as error:
            raise rule_error(
                error.problem, expected=error.expected or "", fix=error.fix or ""
            ) from None
    if not FIRST_YEAR <= year.start <= LAST_YEAR:
        raise rule_error(
            f"{year} is outside the payment-rule calendar",
            expected=f"a financial year from {FinancialYear(FIRST_YEAR)} to "
            f"{FinancialYear(LAST_YEAR)}",
            fix="choose a year the calendar covers (quasimarket payment-rules --year YYYY/YY)",
        )
    return year


Year = Annotated[
    InstanceOf[FinancialYear],
    BeforeValidator(_parse_year),
    PlainSerializer(str, return_type=str),
]


class ResolvedDefault(NamedTuple):
    """A value the contract file left out, taken from the payment-rule calendar or the line."""

    line_id: str | None  # None for contract-level sections
    rule: str  # mechanism or adjustment rule name (or section name)
    field: str
    value: Any
    source: str
    status: str  # "V" | "K" | "seed" (calendar) or "contract" (from another field)


class Party(ContractModel):
    """A commissioner or provider, identified by its organisation code."""

    code: Code = Field(description="organisation code (e.g. ODS code)", examples=["QS01"])
    name: str = Field("", description="organisation name", examples=["Quasi ICB"])
    kind: (
        Literal[
            "health_authority",
            "gp_fundholder",
            "pct",
            "ccg",
            "icb",
            "nhs_england",
            "local_authority",
            "nhs_trust",
            "foundation_trust",
            "independent_sector",
            "third_sector",
            "gp_practice",
            "gp_federation",
            "other",
        ]
        | None
    ) = Field(None, description="type of organisation", examples=["ccg"])
    independent: bool = Field(
        False,
        description="independent-sector provider (always paid in full at year end, 002@256850)",
        examples=[False],
    )


class ServiceLine(ContractModel):
    """One service bought under the contract, its currency, pricing mechanism and adjustments."""

    id: Code = Field(description="unique id of the line within the contract", examples=["nel"])
    service: str = Field(min_length=1, description="the service", examples=["Non-elective"])
    currency: Currency = Field(description="unit of activity paid for", examples=["spell"])
    pods: tuple[PodName, ...] = Field(
        (),
        description="activity points of delivery the line covers: " + ", ".join(PODS),
        examples=[["non_elective"]],
    )
    provider: Code | None = Field(
        None, description="provider code (optional when there is one provider)"
    )
    commissioner: Code | None = Field(
        None, description="commissioner code (optional when there is one commissioner)"
    )
    mechanism: str = Field(description="pricing mechanism", examples=["national_tariff"])
    planned_activity: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = Field(
        None, description="planned activity, units of the currency", examples=[52_000]
    )
    planned_value_gbp: Pounds | None = Field(
        None, description="planned value of the line, £", examples=[98_000_000]
    )
    allow_out_of_era: bool = Field(
        False,
        description="set true to use this mechanism in a year when it did not exist "
        "(a counterfactual)",
    )
    terms: Terms = Field(description="the mechanism's terms (`[lines.terms]`)")
    adjustments: tuple[Adjustment, ...] = Field(
        (), description="adjustment rules (`[[lines.adjustments]]` tables)"
    )

    @model_validator(mode="before")
    @classmethod
    def _terms_know_their_mechanism(cls, data: Any) -> Any:
        """Copy the line's ``mechanism`` into its terms, which are chosen by it."""
        if isinstance(data, dict) and isinstance(data.get("mechanism"), str):
            terms = data.get("terms", {})
            if isinstance(terms, dict) and "mechanism" not in terms:
                data = {**data, "terms": {**terms, "mechanism": data["mechanism"]}}
        return data

    @model_validator(mode="after")
    def _terms_match_mechanism(self) -> ServiceLine:
        if self.terms.mechanism != self.mechanism:
            raise ValueError(
                f"terms are for mechanism '{self.terms.mechanism}' but the line's mechanism "
                f"is '{self.mechanism}'"
            )
        return self

    def adjustments_of(self, rule: str) -> tuple[AdjustmentRule, ...]:
        """The line's adjustments with this ``rule`` name, in file order."""
        return tuple(adj for adj in self.adjustments if adj.rule == rule)


class RiskShare(ContractModel):
    """A contract-level risk share of the deviation of actual from planned value, in bands.

    ``band_edges`` are fractions of plan (e.g. [0.02, 0.05]); ``provider_shares`` has one share
    per band (len(edges) + 1): the provider's share of the deviation falling in that band
    (002@260736; payment-rules.md A11 [K]).
    """

    FUNCTION: ClassVar[str] = "risk_share.risk_share"

    plan_value: Pounds | None = Field(
        None,
        description="planned value the deviation is measured from, £ (default: the sum of "
        "the in-scope lines' planned_value_gbp)",
        examples=[100_000_000.0],
    )
    band_edges: tuple[Annotated[float, Field(gt=0, allow_inf_nan=False)], ...] = Field(
        (), description="band edges as fractions of plan, increasing", examples=[[0.02, 0.05]]
    )
    provider_shares: tuple[Fraction, ...] = Field(
        min_length=1,
        description="provider's share of the deviation in each band (len(band_edges) + 1)",
        examples=[[1.0, 0.5, 0.0]],
    )
    commissioner_shares: tuple[Fraction, ...] | None = Field(
        None,
        description="commissioner's share in each band; if given, provider + commissioner "
        "must be 1 in every band",
        examples=[[0.0, 0.5, 1.0]],
    )
    lines: tuple[Code, ...] = Field(
        (), description="ids of the lines in scope (default: all lines)", examples=[["nel"]]
    )

    @model_validator(mode="after")
    def _bands_consistent(self) -> RiskShare:
        edges = self.band_edges
        if any(b <= a for a, b in itertools.pairwise(edges)):
            raise ValueError("band_edges must be strictly increasing")
        if len(self.provider_shares) != len(edges) + 1:
            raise rule_error(
                f"provider_shares has {len(self.provider_shares)} values but there are "
                f"{len(edges) + 1} bands",
                expected="one provider share per band: len(band_edges) + 1 values",
                fix="add or remove provider shares (or band edges) so the counts match",
            )
        return self

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``risk_share.risk_share`` (``plan_value`` may be ``None``)."""
        return {
            "plan_value": self.plan_value,
            "band_edges": list(self.band_edges),
            "provider_shares": list(self.provider_shares),
        }


class AlliancePartner(ContractModel):
    """A partner in an alliance agreement and its share of gains and losses."""

    code: Code = Field(description="the partner's organisation code", examples=["LA01"])
    share: Fraction = Field(
        description="share of gains and losses (shares sum to 1)", examples=[0.4]
    )
    exempt: bool = Field(
        False,
        description="exempt from the risk share; its share is reallocated pro rata (002@277932)",
        examples=[False],
    )


class Alliance(ContractModel):
    """Alliance agreement gain/loss share (002@273159–275,000; 002@277932; digest §4.12)."""

    FUNCTION: ClassVar[str] = "gain_loss_share.gain_loss_share"

    envelope: Pounds = Field(description="the alliance's financial envelope, £", examples=[12e6])
    partners: tuple[AlliancePartner, ...] = Field(
        min_length=1, description="partners and shares ([[alliance.partners]] tables)"
    )
    outcome_gate: bool = Field(
        True, description="gains are shared only if outcomes are met", examples=[True]
    )
    outcome_pot: Pounds = Field(
        0.0, description="money for outcome-based gain/pain share, £", examples=[140_000.0]
    )
    outcome_achievement: Fraction | None = Field(
        None, description="share of outcomes achieved (omit to give it at pricing)"
    )
    step_in_threshold: Annotated[float, Field(ge=0, allow_inf_nan=False)] | None = Field(
        None,
        description="demand over plan (fraction) at which the commissioner steps in (0.10)",
        examples=[0.10],
    )
    demand_over_plan: Annotated[float, Field(allow_inf_nan=False)] = Field(
        0.0, description="demand above plan as a fraction (scenario input)", examples=[0.0]
    )
    year_index: Annotated[int, Field(ge=1, le=50)] = Field(
        1,
        description="year of the agreement (year 1: underspends go to the commissioner)",
        examples=[2],
    )
    service_development: Pounds = Field(
        0.0,
        description="underspend first put into service development in years 2+, £",
        examples=[0.0],
    )
    provider_split: Fraction = Field(
        0.5,
        description="share of the remaining underspend made available to providers (years 2+)",
        examples=[0.5],
    )

    @property
    def partner_codes(self) -> tuple[str, ...]:
        """Partner codes in file order (the partners axis of ``gain_loss_share``)."""
        return tuple(partner.code for partner in self.partners)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``gain_loss_share.gain_loss_share`` (partners on the last axis)."""
        return {
            "envelope": self.envelope,
            "shares": [partner.share for partner in self.partners],
            "exempt": [partner.exempt for partner in self.partners],
            "outcome_gate": self.outcome_gate,
            "outcome_pot": self.outcome_pot,
            "outcome_achievement": 1.0
            if self.outcome_achievement is None
            else self.outcome_achievement,
            "step_in_threshold": self.step_in_threshold,
            "demand_over_plan": self.demand_over_plan,
            "year_index": self.year_index,
            "service_development": self.service_development,
            "provider_split": self.provider_split,
        }


class Settlement(ContractModel):
    """The informal year-end settlement layer (002@250676; 002@251075; 002@255508)."""

    FUNCTION: ClassVar[str] = "settlement.year_end_settlement"

    rule: Literal["pay_in_full", "cap_at_affordable", "split_gap"] = Field(
        "pay_in_full",
        description="pay_in_full | cap_at_affordable | split_gap",
        examples=["split_gap"],
    )
    affordable: Pounds | None = Field(
        None, description="what the commissioner can afford, £", examples=[95_000_000.0]
    )
    commissioner_gap_share: Fraction = Field(
        0.5, description="commissioner's share of the gap (split_gap)", examples=[0.5]
    )
    non_recurrent: Pounds = Field(0.0, description="non-recurrent payment, £", examples=[0.0])
    transitional: Pounds = Field(0.0, description="transitional payment, £", examples=[0.0])

    @model_validator(mode="after")
    def _affordable_when_needed(self) -> Settlement:
        if self.rule != "pay_in_full" and self.affordable is None:
            raise ValueError(f"rule = '{self.rule}' needs 'affordable'")
        return self

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments of ``settlement.year_end_settlement`` except ``independent``."""
        return {
            "affordable": self.affordable,
            "rule": self.rule,
            "commissioner_gap_share": self.commissioner_gap_share,
            "non_recurrent": self.non_recurrent,
            "transitional": self.transitional,
        }


class Subcontract(ContractModel):
    """A lead provider's subcontract (Case C: NHS standard subcontract to a GP alliance)."""

    id: Code = Field(description="unique id of the subcontract", examples=["gp_alliance"])
    lead_provider: Code = Field(description="the lead provider's code", examples=["SR002"])
    subcontractor: Party = Field(description="the subcontractor (code, name, kind)")
    service: str = Field(min_length=1, description="services subcontracted")
    lines: tuple[Code, ...] = Field(
        min_length=1, description="ids of the lines the subcontractor delivers"
    )
    value_gbp: Pounds | None = Field(
        None,
        description="fixed annual value passed to the subcontractor, £ (lead keeps volume risk)",
        examples=[4_000_000.0],
    )
    share: Fraction | None = Field(
        None,
        description="share of the lead's payment for those lines passed on (risk passed on "
        "pro rata)",
        examples=[0.2],
    )

    @model_validator(mode="after")
    def _one_payment_basis(self) -> Subcontract:
        if (self.value_gbp is None) == (self.share is None):
            raise ValueError("give exactly one of value_gbp or share")
        return self


class Contract(ContractModel):
    """A commissioning contract: who buys what from whom, in which year, paid how.

    Build one with :func:`quasimarket.contracts.load_contract` (from a TOML file) or
    :func:`~quasimarket.contracts.parse_contract` (from text).
    """

    format: str = Field(
        CONTRACT_FORMAT, description="file format version", examples=[CONTRACT_FORMAT]
    )
    name: str = Field(min_length=1, description="contract name", examples=["Acute 2016/17"])
    description: str = Field("", description="free text")
    year: Year = Field(description="financial year", examples=["2016/17"])
    form: Form = Field(
        "nhs_standard_contract",
        description="nhs_standard_contract | alliance_agreement | lead_provider",
    )
    commissioners: tuple[Party, ...] = Field(
        min_length=1, description="one or more commissioners (`[[commissioners]]` tables)"
    )
    providers: tuple[Party, ...] = Field(
        min_length=1, description="one or more providers (`[[providers]]` tables)"
    )
    lines: tuple[ServiceLine, ...] = Field(
        min_length=1, description="one or more service lines (`[[lines]]` tables)"
    )
    risk_share: RiskShare | None = Field(None, description="contract-level risk share")
    alliance: Alliance | None = Field(
        None, description="alliance gain/loss share (form = alliance_agreement)"
    )
    settlement: Settlement | None = Field(None, description="informal year-end settlement")
    subcontracts: tuple[Subcontract, ...] = Field(
        (), description="a lead provider's subcontracts (`[[subcontracts]]` tables)"
    )

    _resolved: tuple[ResolvedDefault, ...] = PrivateAttr(default=())

    @model_validator(mode="wrap")
    @classmethod
    def _check_and_default(cls, data: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        """Refuse unknown keys/names with suggestions, then fill calendar defaults."""
        from quasimarket.contracts.defaults import fill_defaults
        from quasimarket.contracts.keys import check_keys

        resolved: list[ResolvedDefault] = []
        if isinstance(data, dict):
            check_keys(data)
            data, resolved = fill_defaults(data)
        contract = handler(data)
        if resolved and isinstance(contract, Contract):
            contract._resolved = tuple(resolved)
        return contract

    @model_validator(mode="after")
    def _cross_checks(self) -> Contract:
        from quasimarket.contracts.checks import check_contract

        check_contract(self)
        return self

    # --- queries -------------------------------------------------------------------------

    def line(self, line_id: str) -> ServiceLine:
        """The line with this id (ConfigError listing the ids if there is none)."""
        for line in self.lines:
            if line.id == line_id:
                return line
        raise ConfigError(
            f"no line '{line_id}' in contract '{self.name}'",
            location="lines",
            expected="one of " + ", ".join(repr(line.id) for line in self.lines),
            fix="use a line id from the contract file",
        )

    def provider_of(self, line: ServiceLine) -> Party:
        """The provider of *line* (its ``provider``, or the contract's only provider)."""
        code = line.provider or self.providers[0].code
        return next(party for party in self.providers if party.code == code)

    def commissioner_of(self, line: ServiceLine) -> Party:
        """The commissioner of *line* (its ``commissioner``, or the only commissioner)."""
        code = line.commissioner or self.commissioners[0].code
        return next(party for party in self.commissioners if party.code == code)

    def resolved_defaults(self) -> list[ResolvedDefault]:
        """Every value the file left out that came from the calendar or another field."""
        return list(self._resolved)

    def summary(self) -> list[str]:
        """What the contract does, in plain English, one sentence per list item."""
        from quasimarket.contracts.summary import contract_summary

        return contract_summary(self)

    def risk_table(self) -> list[RiskRow]:
        """Per line: who bears the risk of over- and under-performance, and why."""
        from quasimarket.contracts.risk import risk_table

        return risk_table(self)

    def to_json(self) -> dict[str, Any]:
        """The contract as JSON-ready data (defaults filled in)."""
        return self.model_dump(mode="json")


def terms_class(mechanism: str) -> type[MechanismTerms]:
    """The terms model of a mechanism name (ConfigError listing valid names if unknown)."""
    from quasimarket.contracts.keys import unknown_name_error
    from quasimarket.contracts.terms import MECHANISMS

    if mechanism not in MECHANISMS:
        raise unknown_name_error("mechanism", mechanism, MECHANISMS, location="mechanism")
    return MECHANISMS[mechanism]
