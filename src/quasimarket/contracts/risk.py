"""Who bears the financial risk of over- and under-performance on each line of a contract.

One convention throughout, so the shares are comparable across mechanisms:

* **over-performance** is activity above plan (or above a baseline/threshold). Its cost is
  shared: the commissioner bears the share of the price it still pays for each extra unit, the
  provider the rest (work it does unpaid).
* **under-performance** is activity below plan. The provider bears the share of the price it
  loses for each unit not done; the commissioner the rest (money paid for activity not done).

The shares follow the research: block (002@72285, 002@243475), cost per case and PbR
(002@73620), cost and volume (002@72285), caps and collars (002@254164), capitation
(002@262975), MRET (payment-rules.md A4), blended payment (A6), activity caps (002@249037),
alliance gain/loss share (002@273159–275,000; 002@277932).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict

from quasimarket.contracts import adjustments as adj
from quasimarket.contracts import terms as t

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract, ServiceLine

__all__ = ["RiskRow", "gbp", "risk_table"]


class RiskRow(TypedDict):
    """One row of :func:`risk_table` (shares are fractions 0..1, or None if not computable)."""

    line: str
    mechanism: str
    over_performance_risk: str
    under_performance_risk: str
    provider_share_over: float | None
    provider_share_under: float | None
    explanation: str
    source: str


@dataclass(frozen=True)
class _Split:
    """Marginal rates: share of the price paid above plan, and lost below plan."""

    paid_above: float | None  # commissioner's share of over-performance
    lost_below: float | None  # provider's share of under-performance
    explanation: str
    source: str


def gbp(value: float) -> str:
    """``£98.0m`` for millions, ``£140,000`` below, ``£80.59`` for small prices with pence."""
    if abs(value) >= 1e6:
        return f"£{value / 1e6:,.1f}m"
    if abs(value) < 1000 and not float(value).is_integer():
        return f"£{value:,.2f}"
    return f"£{value:,.0f}"


def _pct(value: float) -> str:
    """``70%``, ``2.5%``, ``1.25%``: a share as a percentage, up to two decimals."""
    text = f"{value * 100:.2f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _over_text(paid: float | None) -> str:
    if paid is None:
        return "not computable from the contract"
    return f"provider {_pct(1 - paid)}, commissioner {_pct(paid)}"


def _under_text(lost: float | None) -> str:
    if lost is None:
        return "not computable from the contract"
    return f"provider {_pct(lost)}, commissioner {_pct(1 - lost)}"


def _mechanism_split(terms: t.MechanismTerms) -> _Split:
    per_unit = (
        "every extra unit is paid at the price and every unit not done is not paid, so the "
        "commissioner bears the risk of over-performance (it cannot cap its spending) and the "
        "provider the risk of under-performance (it loses income)"
    )
    if isinstance(terms, t.NationalTariffTerms | t.CostPerCaseTerms | t.EnhancedServicesTerms):
        return _Split(1.0, 1.0, per_unit.capitalize(), "002@73620; 002@72285")
    if isinstance(terms, t.LocalPriceTerms):
        return _Split(1.0, 1.0, f"A local price per unit: {per_unit}", "002@255999; 002@73620")
    if isinstance(terms, t.QofTerms):
        return _Split(
            1.0,
            1.0,
            "Paid per QOF point achieved: the commissioner bears the cost of higher "
            "achievement, the practice the income lost by lower achievement",
            "002@147360",
        )
    if isinstance(terms, t.BlockTerms | t.LocallyAgreedSumTerms):
        return _Split(
            0.0,
            0.0,
            "A fixed sum whatever the activity: the provider does extra activity "
            "unpaid (it bears over-performance) and the commissioner pays for activity not done "
            "(it bears under-performance)",
            "002@72285; 002@243475",
        )
    if isinstance(terms, t.CostAndVolumeTerms):
        rate = terms.marginal_rate
        return _Split(
            rate,
            0.0,
            f"The base value {gbp(terms.base_value)} covers up to "
            f"{terms.threshold_activity:,.0f} units whatever the activity (the commissioner "
            f"bears shortfalls below it); above it each unit is paid at {_pct(rate)} of "
            f"{gbp(terms.price)}, so over-performance is shared at the marginal rate",
            "002@72285",
        )
    if isinstance(terms, t.CapsAndCollarsTerms):
        rate = terms.marginal_rate
        return _Split(
            rate,
            rate,
            f"Fixed payment inside the corridor {terms.collar_activity:,.0f}–"
            f"{terms.cap_activity:,.0f} units: there the provider bears over-performance and "
            f"the commissioner under-performance in full; outside it each unit is paid or "
            f"deducted at {_pct(rate)} of {gbp(terms.price)} (shares shown are outside the "
            "corridor)",
            "002@254164",
        )
    if isinstance(terms, t.BlendedTerms):
        variable = terms.variable_rate
        text = (
            "Fixed payment on planned value plus a variable element: for activity above plan "
            "the commissioner pays the variable rate of the price and the provider bears the "
            "rest; below plan the provider loses only the variable rate"
        )
        return _Split(variable, variable, text, "payment-rules.md A6 [V]")
    if isinstance(terms, t.AlignedPaymentIncentiveTerms):
        api_rate = terms.variable_rate
        floor = (
            f"; the deduction is floored at {gbp(terms.floor_value)}"
            if terms.floor_value is not None
            else ""
        )
        return _Split(
            api_rate,
            api_rate,
            "Fixed element for non-elective and planned care; elective value above "
            f"(below) {gbp(terms.elective_threshold_value)} is paid (deducted) at the variable "
            f"rate{floor}. Shares shown are for elective activity; non-elective activity is in "
            "the fixed element (provider bears over-, commissioner under-performance)",
            "payment-rules.md A7 [V]",
        )
    if isinstance(terms, t.CapitationTerms):
        outcome = (
            f"; {_pct(terms.outcome_share)} of the budget depends on outcomes (provider's "
            "quality risk)"
            if terms.outcome_share
            else ""
        )
        contingency = (
            f"; {_pct(terms.contingency_share)} is held as a contingency"
            if terms.contingency_share
            else ""
        )
        return _Split(
            0.0,
            0.0,
            "A budget per head of population: the provider must manage the activity "
            f"within a fixed budget, so it bears the volume risk{outcome}{contingency}",
            "002@262975; 002@272684",
        )
    if isinstance(terms, t.GmsGlobalSumTerms):
        return _Split(
            0.0,
            0.0,
            "Paid per weighted registered patient whatever the workload: the practice "
            "bears the risk of higher demand per patient",
            "002@147360",
        )
    return _Split(None, None, "", "")  # pragma: no cover - every mechanism is listed above


def _line_row(line: ServiceLine) -> RiskRow:
    split = _mechanism_split(line.terms)
    paid: float | None = split.paid_above
    lost: float | None = split.lost_below
    notes = [split.explanation]
    sources = [split.source]
    for rule in line.adjustments:
        if isinstance(rule, adj.Mret) and rule.rate is not None:
            paid = rule.rate if paid is None else min(paid, rule.rate)
            notes.append(
                f"MRET: emergency value above the baseline {gbp(rule.baseline_value)} is paid "
                f"at {_pct(rule.rate)}, so above the baseline the provider bears "
                f"{_pct(1 - rule.rate)} and the commissioner retains it for demand management"
            )
            sources.append("payment-rules.md A4; 002@249400")
        elif isinstance(rule, adj.ActivityCap):
            paid = 0.0
            cap = f" ({gbp(rule.plan_value)})" if rule.plan_value is not None else ""
            notes.append(
                f"Activity cap: nothing is paid above plan{cap}, so the provider bears all "
                "over-plan activity"
            )
            sources.append("002@249037")
        elif isinstance(rule, adj.Readmissions):
            share = (
                f"{_pct(rule.avoidable_share)} of"
                if rule.avoidable_share is not None
                else "the avoidable share of"
            )
            notes.append(
                f"Readmissions: {share} emergency readmission value is not paid (provider's "
                "quality risk)"
            )
            sources.append("payment-rules.md A5")
        elif isinstance(rule, adj.Cquin) and rule.rate is not None:
            notes.append(
                f"CQUIN: {_pct(rule.rate)} of actual annual value is at risk on quality goals"
            )
            sources.append("payment-rules.md A9")
        elif isinstance(rule, adj.Sanction):
            notes.append(f"Sanction ({rule.standard}): a deduction for breaching the standard")
            sources.append("payment-rules.md A10")
    return RiskRow(
        line=line.id,
        mechanism=line.mechanism,
        over_performance_risk=_over_text(paid),
        under_performance_risk=_under_text(lost),
        provider_share_over=None if paid is None else round(1.0 - paid, 12),
        provider_share_under=lost,
        explanation=". ".join(note.rstrip(".") for note in notes if note) + ".",
        source="; ".join(dict.fromkeys(s for s in sources if s)),
    )


def risk_table(contract: Contract) -> list[RiskRow]:
    """One row per line, then rows for the contract-level risk share, alliance and settlement."""
    rows = [_line_row(line) for line in contract.lines]
    share = contract.risk_share
    if share is not None:
        edges = [0.0, *share.band_edges]
        bands = []
        for index, provider in enumerate(share.provider_shares):
            upper = f"{_pct(edges[index + 1])}" if index + 1 < len(edges) else "beyond"
            span = (
                f"{_pct(edges[index])}–{upper}"
                if upper != "beyond"
                else f"over {_pct(edges[index])}"
            )
            bands.append(f"{span} of plan: provider {_pct(provider)}")
        scope = ", ".join(share.lines) if share.lines else "all lines"
        rows.append(
            RiskRow(
                line="(risk share)",
                mechanism="risk_share",
                over_performance_risk="by band: " + "; ".join(bands),
                under_performance_risk="by band: " + "; ".join(bands),
                provider_share_over=None,
                provider_share_under=None,
                explanation=f"Deviation of actual from planned value ({scope}) is shared in "
                "bands; the commissioner bears the rest of each band.",
                source="002@260736; payment-rules.md A11 [K]",
            )
        )
    alliance = contract.alliance
    if alliance is not None:
        bearing = [p for p in alliance.partners if not p.exempt]
        total = sum(p.share for p in bearing)
        shares = ", ".join(f"{p.code} {_pct(p.share / total)}" for p in bearing)
        exempt = [p.code for p in alliance.partners if p.exempt]
        exempt_text = (
            f" {', '.join(exempt)} exempt (shares reallocated pro rata)." if exempt else ""
        )
        step = (
            f" The commissioner steps in only when demand exceeds plan by "
            f"{_pct(alliance.step_in_threshold)} or more."
            if alliance.step_in_threshold is not None
            else " The commissioner does not step in."
        )
        rows.append(
            RiskRow(
                line="(alliance)",
                mechanism="gain_loss_share",
                over_performance_risk=f"overspend: partners ({shares})",
                under_performance_risk=(
                    "underspend: to the commissioner (year 1)"
                    if alliance.year_index == 1
                    else f"underspend: service development first, then providers "
                    f"{_pct(alliance.provider_split)} / commissioner "
                    f"{_pct(1 - alliance.provider_split)}"
                ),
                provider_share_over=1.0 if alliance.step_in_threshold is None else None,
                provider_share_under=None,
                explanation=f"Overspends against the {gbp(alliance.envelope)} envelope fall on "
                f"the alliance partners by their shares.{exempt_text}{step}",
                source="002@273159; 002@274158; 002@274663; 002@277932",
            )
        )
    settlement = contract.settlement
    if settlement is not None and settlement.rule != "pay_in_full":
        text = {
            "cap_at_affordable": "over-performance beyond what the commissioner can afford is "
            "not paid (provider bears it; independent providers are paid in full)",
            "split_gap": f"the gap between the formal outturn and what is affordable is split: "
            f"commissioner {_pct(settlement.commissioner_gap_share)}, provider "
            f"{_pct(1 - settlement.commissioner_gap_share)}",
        }[settlement.rule]
        rows.append(
            RiskRow(
                line="(year-end settlement)",
                mechanism="settlement",
                over_performance_risk=text,
                under_performance_risk="as the lines above",
                provider_share_over=None,
                provider_share_under=None,
                explanation="An informal year-end settlement outside the contract terms: "
                + text
                + ".",
                source="002@250676; 002@251075; 002@255508; 002@256850",
            )
        )
    for sub in contract.subcontracts:
        passed = (
            f"{_pct(sub.share)} of the lead's payment is passed on, so the risk is shared pro rata"
            if sub.share is not None
            else f"a fixed {gbp(sub.value_gbp or 0.0)} is passed on, so the lead provider keeps "
            "the volume risk"
        )
        rows.append(
            RiskRow(
                line=f"(subcontract {sub.id})",
                mechanism="subcontract",
                over_performance_risk=f"lead provider {sub.lead_provider}: {passed}",
                under_performance_risk=f"lead provider {sub.lead_provider}: {passed}",
                provider_share_over=None,
                provider_share_under=None,
                explanation=f"{sub.lead_provider} subcontracts {sub.service} "
                f"(lines {', '.join(sub.lines)}) to {sub.subcontractor.code}: {passed}.",
                source="002@267810",
            )
        )
    return rows
