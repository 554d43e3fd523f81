"""A plain-English account of what a contract does, sentence by sentence."""

from __future__ import annotations

from typing import TYPE_CHECKING

from quasimarket.contracts import adjustments as adj
from quasimarket.contracts import terms as t
from quasimarket.contracts.risk import _pct, gbp

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract, Party, ServiceLine

__all__ = ["contract_summary"]

_FORMS = {
    "nhs_standard_contract": "an NHS Standard Contract",
    "alliance_agreement": "an alliance agreement",
    "lead_provider": "a lead provider contract with subcontracts",
}
_PLURAL = {
    "spell": "spells",
    "attendance": "attendances",
    "bed_day": "bed days",
    "contact": "contacts",
    "registered_head": "registered people",
    "weighted_head": "weighted people",
    "qof_point": "QOF points",
    "service_unit": "units of service",
}
_CURRENCY = {
    "spell": "spell",
    "attendance": "attendance",
    "bed_day": "bed day",
    "contact": "contact",
    "registered_head": "registered head of population",
    "weighted_head": "weighted head of population",
    "qof_point": "QOF point",
    "service_unit": "unit of service",
}


def _party(party: Party) -> str:
    return f"{party.name} ({party.code})" if party.name else party.code


def _parties(parties: tuple[Party, ...]) -> str:
    names = [_party(p) for p in parties]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _terms_text(line: ServiceLine) -> str:
    terms = line.terms
    unit = _CURRENCY[line.currency]
    if isinstance(terms, t.NationalTariffTerms):
        mff = f"MFF {terms.mff:g}" if terms.mff is not None else "the provider's MFF"
        return f"paid at national tariff prices per {unit}, with {mff}"
    if isinstance(terms, t.LocalPriceTerms):
        if terms.method == "roll_forward":
            return (
                f"paid per {unit} at last year's price {gbp(terms.previous_price or 0)} less the "
                f"{_pct(terms.efficiency_factor or 0)} efficiency factor"
            )
        if terms.method == "benchmark":
            count = len(terms.peer_prices or ())
            return f"paid per {unit} at the {terms.statistic} of {count} peer prices"
        if terms.method == "costing":
            return (
                f"paid per {unit} at unit cost {gbp(terms.unit_cost or 0)} plus "
                f"{_pct(terms.overhead_rate)} overheads"
            )
        return f"paid at an agreed local price of {gbp(terms.price or 0)} per {unit}"
    if isinstance(terms, t.BlockTerms):
        profile = "in monthly instalments" + (
            " on an agreed profile" if terms.monthly_profile else " of one twelfth each"
        )
        return f"a block payment of {gbp(terms.annual_value or 0)} a year {profile}"
    if isinstance(terms, t.CostAndVolumeTerms):
        return (
            f"cost and volume: {gbp(terms.base_value)} covers up to "
            f"{terms.threshold_activity:,.0f} {_PLURAL[line.currency]}, then "
            f"{_pct(terms.marginal_rate)} of {gbp(terms.price)} per extra {unit}"
        )
    if isinstance(terms, t.CostPerCaseTerms):
        return f"paid {gbp(terms.price)} per {unit}"
    if isinstance(terms, t.CapsAndCollarsTerms):
        return (
            f"caps and collars: {gbp(terms.fixed_value or 0)} for "
            f"{terms.collar_activity:,.0f}–{terms.cap_activity:,.0f} {_PLURAL[line.currency]}, "
            "and "
            f"{_pct(terms.marginal_rate)} of {gbp(terms.price)} per {unit} above or below"
        )
    if isinstance(terms, t.BlendedTerms):
        return (
            f"blended payment: fixed {gbp(terms.planned_value or 0)} on plan, plus or minus "
            f"{_pct(terms.variable_rate or 0)} of the price for activity above or below plan"
        )
    if isinstance(terms, t.AlignedPaymentIncentiveTerms):
        return (
            f"aligned payment and incentive: fixed element {gbp(terms.fixed_value or 0)}; "
            f"elective value above or below {gbp(terms.elective_threshold_value)} paid or "
            f"deducted at {_pct(terms.variable_rate or 0)}"
        )
    if isinstance(terms, t.CapitationTerms):
        population = (
            f" for {terms.weighted_population:,.0f} people"
            if terms.weighted_population is not None
            else ""
        )
        extra = []
        if terms.outcome_share:
            extra.append(f"{_pct(terms.outcome_share)} paid on outcomes")
        if terms.contingency_share:
            extra.append(f"{_pct(terms.contingency_share)} held as a contingency")
        tail = f" ({'; '.join(extra)})" if extra else ""
        return f"a capitated budget of {gbp(terms.rate_per_head)} per head{population}{tail}"
    if isinstance(terms, t.GmsGlobalSumTerms):
        return (
            f"paid a GMS global sum of {gbp(terms.price_per_weighted_patient)} per weighted patient"
        )
    if isinstance(terms, t.QofTerms):
        return f"paid {gbp(terms.value_per_point)} per QOF point"
    if isinstance(terms, t.EnhancedServicesTerms):
        return f"an enhanced service paid {gbp(terms.price_per_unit)} per {unit}"
    if isinstance(terms, t.LocallyAgreedSumTerms):
        return f"a locally agreed sum of {gbp(terms.agreed_value or 0)} a year"
    return line.mechanism  # pragma: no cover


def _adjustment_text(rule: adj.AdjustmentRule) -> str:
    counterfactual = " (counterfactual: not in force that year)" if rule.allow_out_of_era else ""
    if isinstance(rule, adj.Mret):
        return (
            f"emergency value above the baseline of {gbp(rule.baseline_value)} is paid at "
            f"{_pct(rule.rate or 0)} of tariff (marginal rate emergency rule){counterfactual}"
        )
    if isinstance(rule, adj.ActivityCap):
        return (
            f"activity value above plan ({gbp(rule.plan_value or 0)}) is not paid (activity "
            f"cap){counterfactual}"
        )
    if isinstance(rule, adj.Readmissions):
        share = f"{_pct(rule.avoidable_share)}" if rule.avoidable_share is not None else "the share"
        window = f" within {rule.window_days} days" if rule.window_days else ""
        return (
            f"{share} of emergency readmissions{window} judged avoidable are not paid"
            f"{counterfactual}"
        )
    if isinstance(rule, adj.Cquin):
        goals = ", ".join(f"{g.name} {_pct(g.weight)}" for g in rule.goals)
        return (
            f"CQUIN: {_pct(rule.rate or 0)} of actual annual value can be earned on "
            f"{len(rule.goals)} goal(s) ({goals}){counterfactual}"
        )
    if isinstance(rule, adj.Sanction):
        if rule.kind == "threshold":
            what = f"{gbp(rule.unit_penalty or 0)} per patient below {_pct(rule.threshold or 0)}"
        elif rule.kind == "per_breach":
            what = f"{gbp(rule.unit_penalty or 0)} per breach"
        else:
            what = f"{_pct(rule.pct or 0)} of revenue"
        return f"sanction for {rule.standard}: {what}{counterfactual}"
    if isinstance(rule, adj.LocalVariation | adj.LocalModification):
        change = (
            f"price {gbp(rule.new_price)}"
            if rule.new_price is not None
            else f"price × {rule.factor:g}"
        )
        kind = "local variation" if isinstance(rule, adj.LocalVariation) else "local modification"
        return f"{kind}: {change} from {rule.effective_from} to {rule.effective_to}{counterfactual}"
    return type(rule).__name__  # pragma: no cover


def contract_summary(contract: Contract) -> list[str]:
    """Plain-English sentences: the parties and year, each line, then contract-level terms."""
    from quasimarket.contracts.defaults import calendar_value, payment_rules_for

    regime = calendar_value(payment_rules_for(contract.year), "regime")[0]
    out = [
        f"{contract.name}: {_FORMS[contract.form]} for {contract.year} (national regime: "
        f"{regime}) between commissioner(s) {_parties(contract.commissioners)} and "
        f"provider(s) {_parties(contract.providers)}."
    ]
    many = len(contract.providers) > 1
    for line in contract.lines:
        plan = []
        if line.planned_activity is not None:
            plan.append(f"{line.planned_activity:,.0f} {_PLURAL[line.currency]}")
        if line.planned_value_gbp is not None:
            plan.append(gbp(line.planned_value_gbp))
        planned = f"; planned {' worth '.join(plan)}" if plan else ""
        provider = f" from {_party(contract.provider_of(line))}" if many else ""
        pods = f" (covers {', '.join(line.pods)})" if line.pods else ""
        text = f"Line '{line.id}': {line.service}{provider}{pods} is {_terms_text(line)}{planned}."
        for rule in line.adjustments:
            text += f" Then {_adjustment_text(rule)}."
        out.append(text)
    if contract.risk_share is not None:
        share = contract.risk_share
        out.append(
            f"Risk share: the deviation from the planned value of {gbp(share.plan_value or 0)} "
            f"is shared in {len(share.provider_shares)} band(s), the provider bearing "
            + ", ".join(_pct(s) for s in share.provider_shares)
            + " of each band."
        )
    if contract.alliance is not None:
        alliance = contract.alliance
        partners = ", ".join(
            f"{p.code} {_pct(p.share)}{' (exempt)' if p.exempt else ''}" for p in alliance.partners
        )
        pot = (
            f" An outcome pot of {gbp(alliance.outcome_pot)} is shared on outcomes."
            if alliance.outcome_pot
            else ""
        )
        out.append(
            f"Alliance: a {gbp(alliance.envelope)} envelope in year {alliance.year_index}, gains "
            f"and losses shared {partners}.{pot}"
        )
    if contract.settlement is not None:
        settlement = contract.settlement
        affordable = (
            f" (affordable: {gbp(settlement.affordable)})"
            if settlement.affordable is not None
            else ""
        )
        out.append(
            f"Year-end settlement: {settlement.rule.replace('_', ' ')}{affordable}, outside the "
            "contract terms."
        )
    for sub in contract.subcontracts:
        basis = (
            gbp(sub.value_gbp)
            if sub.value_gbp is not None
            else f"{_pct(sub.share or 0)} of the lead's payment"
        )
        out.append(
            f"Subcontract '{sub.id}': {sub.lead_provider} subcontracts {sub.service} to "
            f"{_party(sub.subcontractor)} for {basis}."
        )
    for row in contract.risk_table():
        if row["line"].startswith("("):
            continue
        out.append(
            f"Who bears the risk on '{row['line']}': over-performance: "
            f"{row['over_performance_risk']}; under-performance: "
            f"{row['under_performance_risk']}."
        )
    if contract.resolved_defaults():
        out.append(
            f"{len(contract.resolved_defaults())} value(s) were not in the file and came from "
            f"the payment-rule calendar for {contract.year} or other fields (listed separately)."
        )
    return out
