"""Alliance statements: the gain/loss share laid out partner by partner, and alliance case B.

:func:`alliance_statement` runs :func:`~quasimarket.mechanisms.gain_loss_share.gain_loss_share`
for one alliance and one year and returns a table with one row per partner, then the
commissioner, service development and the system total. :data:`CASE_B` holds the research's
alliance case study B (002@267300; 002@273159–275,000; 002@277932; seeds-digest §4.12) and
:func:`case_b_statement` reproduces its three illustrative years.

Case B as the research reports it: a mental health alliance of a CCG, a local authority (LA), an
NHS mental health foundation trust (MH FT) and two third-sector organisations, on an approximately
£12 million budget with a 25% savings target, for three years. A gain/pain pot "just in excess of
a modest 1% (£140,000)" from year 2, shared by contract value "approximately 40% each for the LA
and the NHS Foundation Trust, and 10% each for both third sector providers". Providers carry
overspends "unless additional demand exceeded the activity and financial plan by 10% or more";
year 1 underspends return to the commissioner, later ones go "firstly … into service
development" then 50/50; the third-sector partners were "considered exempt" in practice.

Where the research is silent we choose documented, overridable defaults [modelling note]:

* the envelope is the £12m contract value (the 25% savings target is what the partners must take
  out of historic costs to live within it; it does not change the arithmetic);
* the loss pool is shared pro rata to shares among non-exempt partners (LA and MH FT, 50/50);
* on step-in the commissioner funds the whole overspend (``step_in_funds="all"``) — note the
  cliff edge this creates at exactly 10%;
* the service-development call is £100,000 a year;
* the outcome pot is held within the envelope and earned in proportion to outcome achievement by
  all four partners 40/40/10/10; the unearned part stays with the commissioner;
* the partners' actual costs and outcome achievement in the three years are illustrative.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy.typing as npt
import pandas as pd

from quasimarket.errors import ConfigError
from quasimarket.mechanisms._common import as_float, check_choice
from quasimarket.mechanisms.gain_loss_share import gain_loss_share

__all__ = [
    "CASE_B",
    "CASE_B_YEARS",
    "STATEMENT_COLUMNS",
    "AllianceCase",
    "AllianceYear",
    "alliance_statement",
    "case_b_statement",
]

#: Statement columns, all in £. Not-applicable cells are NaN.
STATEMENT_COLUMNS: tuple[str, ...] = (
    "contract_value",
    "actual_cost",
    "under_over_spend",
    "loss_pool_share",
    "step_in_funding",
    "outcome_pot_earned",
    "outcome_pot_lost",
    "underspend_waterfall",
    "net_position",
)

COMMISSIONER = "Commissioner"
SERVICE_DEVELOPMENT = "Service development"
SYSTEM = "System"


def alliance_statement(
    envelope: float,
    actual_costs: npt.ArrayLike,
    *,
    partners: tuple[str, ...] | list[str],
    shares: npt.ArrayLike,
    **terms: Any,
) -> pd.DataFrame:
    """The year-end gain/loss share statement of one alliance, partner by partner.

    Args:
        envelope: The alliance's financial envelope for the year, £.
        actual_costs: Each partner's actual cost, £, in the order of ``partners``.
        partners: Partner names (row labels).
        shares: Pre-agreed shares, same order, summing to 1.
        **terms: Any other keyword of :func:`gain_loss_share` (``exempt``, ``outcome_pot``,
            ``outcome_achievement``, ``step_in_threshold``, ``demand_over_plan``,
            ``year_index``, ``service_development``, ``provider_split``, ``step_in_funds``,
            ``outcome_gate``).

    Returns:
        A DataFrame indexed by ``party`` (partners, then ``"Commissioner"``,
        ``"Service development"``, ``"System"``) with :data:`STATEMENT_COLUMNS`, in £,
        unrounded. Signs: ``under_over_spend`` positive = underspend; ``net_position`` positive
        = surplus. The ``"System"`` row is the column total, and its ``net_position`` equals
        ``envelope − Σ actual costs``.

    Raises:
        ConfigError: Anything :func:`gain_loss_share` rejects; names and costs of different
            lengths; arrays with leading axes (one alliance-year only).
    """
    costs = as_float(actual_costs)
    names = list(partners)
    if costs.ndim != 1 or costs.shape[0] != len(names):
        raise ConfigError(
            f"actual_costs must list one cost per partner ({len(names)}), got shape {costs.shape}",
            location="actual_costs",
            expected="a list of actual costs in the order of partners",
            fix="give one actual cost per partner",
        )
    result = gain_loss_share(envelope, costs, shares=shares, **terms)
    if result.system_variance.ndim != 0:
        raise ConfigError(
            "alliance_statement lays out one alliance-year; a term has extra axes",
            location="terms",
            expected="scalar system-level terms",
            fix="call gain_loss_share directly for arrays of alliances or draws",
        )
    partner_rows = pd.DataFrame(
        {
            "contract_value": result.contract_value,
            "actual_cost": result.actual_cost,
            "under_over_spend": result.variance,
            "loss_pool_share": result.loss_share,
            "step_in_funding": result.step_in,
            "outcome_pot_earned": result.outcome_earned,
            "outcome_pot_lost": result.outcome_lost,
            "underspend_waterfall": result.underspend_share,
            "net_position": result.net_position,
        },
        index=names,
    )
    none = float("nan")
    commissioner = {
        "contract_value": none,
        "actual_cost": none,
        "under_over_spend": none,
        "loss_pool_share": none,
        "step_in_funding": -float(result.step_in_total),
        "outcome_pot_earned": none,
        "outcome_pot_lost": -float(result.outcome_lost.sum()),
        "underspend_waterfall": float(result.commissioner_underspend),
        "net_position": float(result.commissioner_position),
    }
    development = dict.fromkeys(STATEMENT_COLUMNS, none)
    development["underspend_waterfall"] = float(result.service_development)
    development["net_position"] = float(result.service_development)
    extra = pd.DataFrame([commissioner, development], index=[COMMISSIONER, SERVICE_DEVELOPMENT])
    table = pd.concat([partner_rows, extra])
    table.loc[SYSTEM] = table.sum(axis=0, min_count=1)
    table.index.name = "party"
    return table[list(STATEMENT_COLUMNS)]


@dataclass(frozen=True, slots=True)
class AllianceYear:
    """One illustrative alliance year: partners' costs, demand and outcome achievement.

    Attributes:
        label: Short description, e.g. ``"a year 5% over plan"``.
        actual_costs: Partners' actual costs, £, in the case's partner order.
        demand_over_plan: Demand above plan as a fraction.
        outcome_achievement: Fraction of the outcome pot earned.
        year_index: Contract year.
    """

    label: str
    actual_costs: tuple[float, ...]
    demand_over_plan: float
    outcome_achievement: float
    year_index: int = 2


@dataclass(frozen=True, slots=True)
class AllianceCase:
    """An alliance's gain/loss share terms.

    Attributes:
        name: Case name.
        partners: Partner names, in order.
        shares: Shares by contract value, same order, summing to 1.
        exempt: Partners exempt from the risk share (bool per partner).
        envelope: Financial envelope, £ a year.
        outcome_pot: Outcome gain/pain pot, £ a year.
        outcome_from_year: First contract year the outcome pot operates.
        step_in_threshold: Demand over plan from which the commissioner steps in (fraction).
        provider_split: Providers' share of underspend after service development.
        service_development: Service-development call on underspend, £ a year.
        step_in_funds: ``"all"`` or ``"excess"``.
        sources: Where each figure comes from.
    """

    name: str
    partners: tuple[str, ...]
    shares: tuple[float, ...]
    exempt: tuple[bool, ...]
    envelope: float
    outcome_pot: float
    outcome_from_year: int
    step_in_threshold: float
    provider_split: float
    service_development: float
    step_in_funds: str = "all"
    sources: dict[str, str] = field(default_factory=dict)

    def statement(self, year: AllianceYear) -> pd.DataFrame:
        """The statement for one year under these terms (see :func:`alliance_statement`)."""
        pot = self.outcome_pot if year.year_index >= self.outcome_from_year else 0.0
        return alliance_statement(
            self.envelope,
            year.actual_costs,
            partners=self.partners,
            shares=self.shares,
            exempt=self.exempt,
            outcome_pot=pot,
            outcome_achievement=year.outcome_achievement,
            step_in_threshold=self.step_in_threshold,
            demand_over_plan=year.demand_over_plan,
            year_index=year.year_index,
            service_development=self.service_development,
            provider_split=self.provider_split,
            step_in_funds=self.step_in_funds,
        )


CASE_B = AllianceCase(
    name="Alliance case study B (mental health rehabilitation)",
    partners=("Local authority", "MH NHS FT", "Third sector 1", "Third sector 2"),
    shares=(0.4, 0.4, 0.1, 0.1),
    exempt=(False, False, True, True),
    envelope=12_000_000.0,
    outcome_pot=140_000.0,
    outcome_from_year=2,
    step_in_threshold=0.10,
    provider_split=0.5,
    service_development=100_000.0,
    sources={
        "envelope": "about £12m, 25% savings target: 002@267300",
        "outcome_pot": "just over 1% (£140,000), year 2 onwards: 002@273159",
        "shares": "about 40/40/10/10 by contract value: 002@273159–273,800",
        "step_in_threshold": "demand ≥10% over plan: 002@274158",
        "provider_split": "year 1 all to commissioners; then service development, then 50/50: "
        "002@274663",
        "exempt": "third-sector partners exempt in practice: 002@277932",
        "service_development": "£100,000: [modelling note], the research gives no figure",
    },
)

#: Three illustrative year-2 outturns for case B (costs and achievement are illustrative).
CASE_B_YEARS: dict[str, AllianceYear] = {
    "under_plan": AllianceYear(
        label="a year under plan (2.5% underspend)",
        actual_costs=(4_700_000.0, 4_650_000.0, 1_180_000.0, 1_170_000.0),
        demand_over_plan=-0.025,
        outcome_achievement=0.75,
    ),
    "five_pct_over": AllianceYear(
        label="a year 5% over plan",
        actual_costs=(5_100_000.0, 5_000_000.0, 1_250_000.0, 1_250_000.0),
        demand_over_plan=0.05,
        outcome_achievement=0.5,
    ),
    "twelve_pct_over": AllianceYear(
        label="a year 12% over plan (commissioner steps in)",
        actual_costs=(5_400_000.0, 5_440_000.0, 1_300_000.0, 1_300_000.0),
        demand_over_plan=0.12,
        outcome_achievement=0.25,
    ),
}


def case_b_statement(year: str, **overrides: Any) -> pd.DataFrame:
    """Alliance case B's statement for one of :data:`CASE_B_YEARS`.

    Args:
        year: ``"under_plan"``, ``"five_pct_over"`` or ``"twelve_pct_over"``.
        **overrides: Replace any :class:`AllianceCase` term, e.g. ``step_in_funds="excess"``
            or ``service_development=0.0``.

    Returns:
        The statement DataFrame (see :func:`alliance_statement`).

    Raises:
        ConfigError: Unknown ``year`` or override.
    """
    check_choice(year, "year", CASE_B_YEARS)
    unknown = set(overrides) - set(AllianceCase.__dataclass_fields__)
    if unknown:
        raise ConfigError(
            f"unknown alliance term(s): {', '.join(sorted(unknown))}",
            location="overrides",
            expected="fields of AllianceCase: " + ", ".join(AllianceCase.__dataclass_fields__),
            fix="correct the spelling",
        )
    case = CASE_B
    if overrides:
        from dataclasses import replace

        case = replace(CASE_B, **overrides)
    return case.statement(CASE_B_YEARS[year])
