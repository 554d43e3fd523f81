"""The payment pipeline: the one place where money is decided.

Pricing (records -> cells), the stress tester (draws -> line aggregates) and the simulation
(simulated activity -> line aggregates) each build :class:`~quasimarket.payment.units.Units`
valued at their unit prices, and hand them with the contract to :func:`run`. The rules then
apply in this fixed order, each to the value the previous one left:

3. activity cap (line value above the plan is not paid);
4. marginal rate emergency rule, on the line's value in the rule's scope (non-elective);
5. emergency readmissions, on the line's readmissions in scope;
6. payment form, dispatched on the registry's ``basis`` for the mechanism;
7. sanctions;
8. CQUIN, a share of the outturn after deductions (payment-rules.md A9);
9. contract-level risk share;
10. alliance gain/loss share (the partners' lines against the envelope);
11. year-end settlement and lead-provider subcontracts (flows between parties; the
    commissioner's line totals do not change).

(Unit prices and local variations, steps 1-2, are record level: the caller applies them
before the pipeline, which only sees their result.)

Rule interactions, defined once here (``docs/pricing.md`` has worked examples):

* **Count-based forms after deductions** (cost and volume, caps and collars). The form pays
  from the line's *activity*, so it cannot see steps 3-5. Their deductions stand: the form's
  effect is ``form payment − value at unit price`` and the MRET, readmission or activity-cap
  deduction stays on top. Example (2014/15): C&V base £10m to 10,000 spells then £1,000 a
  spell, 12,000 spells, MRET baseline £8m at 30%: MRET −£2.8m, form +£0 (£12m − £12m):
  paid £9.2m.
* **Value-based forms** (blended, API) are computed from the value after steps 3-5.
* **Refused**: MRET, readmissions or an activity cap on a block or capitation line (the
  payment does not follow activity, so there is nothing to deduct from); MRET or readmissions
  on a line with no point of delivery in the rule's scope; the API on a line with no elective
  point of delivery.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from quasimarket.errors import ConfigError, summarise_items
from quasimarket.mechanisms import (
    activity_cap,
    blended,
    block,
    capitation,
    caps_and_collars,
    cost_and_volume,
    cquin,
    gain_loss_share,
    mret,
    readmissions,
    risk_share,
    sanctions,
    settlement,
)
from quasimarket.mechanisms.registry import REGISTRY
from quasimarket.payment.inputs import Achievement, Performance
from quasimarket.payment.units import LineRule, Units, group_sum
from quasimarket.vocabulary import POD_CODES

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract, ServiceLine

__all__ = [
    "FORM_BASIS",
    "RULE_COLUMNS",
    "PipelineResult",
    "SettlementResult",
    "check_contract",
    "run",
]

FloatArray = npt.NDArray[np.float64]

#: Column, registry name and statement title of each rule, in application order.
RULE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("local_price_gbp", "local_price", "Local price"),
    ("local_variation_gbp", "local_variation", "Local variation / modification"),
    ("activity_cap_gbp", "activity_cap", "Activity cap"),
    ("mret_gbp", "mret", "Marginal rate emergency rule"),
    ("readmissions_gbp", "readmissions", "Emergency readmissions within 30 days"),
    ("payment_form_gbp", "payment_form", "Payment form"),
    ("sanctions_gbp", "sanctions", "Sanctions"),
    ("cquin_gbp", "cquin", "CQUIN"),
    ("risk_share_gbp", "risk_share", "Risk share"),
    ("alliance_gbp", "gain_loss_share", "Alliance gain/loss share"),
)

#: Payment forms by the line aggregate they are computed from (see ``registry.Basis``).
FORM_BASIS = {name: mech.basis for name, mech in REGISTRY.items() if mech.basis}
#: Forms whose payment does not follow activity: line deductions make no sense on them.
_FIXED_FORMS = frozenset(
    name for name, basis in FORM_BASIS.items() if basis in ("month_value", "terms")
)
#: Count-based forms: deductions before them stand (see the module doc).
_COUNT_FORMS = frozenset(name for name, basis in FORM_BASIS.items() if basis == "count")


@dataclass(frozen=True)
class SettlementResult:
    """The year-end settlement of the contract (pounds; arrays over draws when given)."""

    formal: Any
    settled: Any
    gap: Any
    non_recurrent: Any
    transitional: Any
    rule: str


@dataclass
class PipelineResult:
    """What the pipeline decided.

    Attributes:
        units: The units with their rule columns, residuals, rules applied and notes.
        formal_by_line: Formal outturn per line ``(*D, lines)``, £.
        settlement: The contract's year-end settlement.
        subcontracts: £ each subcontractor is paid by its lead provider, by subcontract id.
        alliance: £ net position of each alliance partner (``(*D, partners)``), if any.
    """

    units: Units
    formal_by_line: FloatArray
    settlement: SettlementResult
    subcontracts: dict[str, Any] = field(default_factory=dict)
    alliance: FloatArray | None = None


def _scope_codes(rule: str) -> npt.NDArray[np.intp]:
    return np.array([POD_CODES[p] for p in REGISTRY[rule].scope], dtype=np.intp)


def check_contract(contract: Contract, *, record_level: bool = True) -> None:
    """Refuse rule combinations the pipeline cannot apply meaningfully.

    Args:
        record_level: The caller has record data (dates, readmission links); the stress
            tester and the simulation do not, so record-level rules are refused for them.

    Raises:
        ConfigError: naming the line and rule, and how to fix it.
    """
    for line in contract.lines:
        where = f"lines.{line.id}"
        for adj in line.adjustments:
            rule = adj.rule
            if rule in ("activity_cap", "mret", "readmissions") and line.mechanism in _FIXED_FORMS:
                raise ConfigError(
                    f"line '{line.id}': '{rule}' cannot apply to a '{line.mechanism}' line, "
                    "whose payment does not follow activity",
                    location=f"{where}.adjustments.{rule}",
                    expected=f"'{rule}' on a line paid per unit of activity",
                    fix=f"remove the '{rule}' adjustment, or pay the line by activity",
                )
            scope = REGISTRY[rule].scope if rule in REGISTRY else ()
            if scope and line.pods and not set(scope) & set(line.pods):
                raise ConfigError(
                    f"line '{line.id}': '{rule}' applies to {', '.join(scope)} activity, but "
                    f"the line covers {', '.join(line.pods)}",
                    location=f"{where}.adjustments.{rule}",
                    expected=f"a line whose pods include {', '.join(scope)}",
                    fix=f"remove '{rule}' from this line, or add it to the non-elective line",
                )
            if not record_level and rule in (
                "readmissions",
                "local_variation",
                "local_modification",
            ):
                raise ConfigError(
                    f"line '{line.id}': '{rule}' needs record-level activity (dates and "
                    "readmission links), which line aggregates do not have",
                    location=f"{where}.adjustments.{rule}",
                    expected="rules that act on line aggregates",
                    fix="price activity records with quasimarket price, or drop the rule",
                )
        if line.mechanism == "aligned_payment_incentive" and line.pods:
            scope = REGISTRY["aligned_payment_incentive"].scope
            if not set(scope) & set(line.pods):
                raise ConfigError(
                    f"line '{line.id}': the API's variable element covers elective activity "
                    f"({', '.join(scope)}), but the line covers {', '.join(line.pods)}",
                    location=f"{where}.pods",
                    expected="an API line covering elective points of delivery",
                    fix="put emergency activity on a block (fixed) line, or add the elective pods",
                )


def run(
    contract: Contract,
    units: Units,
    *,
    achievement: Achievement | float | Mapping[str, float] | None = None,
    performance: Performance | Mapping[str, Mapping[str, float]] | None = None,
    avoidable_share: float | None = None,
    affordable: Any = None,
    alliance_spend: FloatArray | None = None,
    demand_over_plan: Any = None,
    record_level: bool = True,
    agreed: Mapping[str, Mapping[str, Any]] | None = None,
    checked: bool = False,
) -> PipelineResult:
    """Apply the contract's rules 3-11 to *units* valued at unit price (see module doc).

    Args:
        contract: The validated contract.
        units: Units valued at their unit prices (after local variations).
        achievement: CQUIN per goal, capitation and alliance outcome achievement
            (:class:`Achievement`), or a CQUIN achievement for every goal / by goal name.
        performance: Performance against standards by line (:class:`Performance`), or by
            standard name for every line.
        avoidable_share: Readmissions avoidable share where the contract leaves it out.
        affordable: What the commissioner can afford (overrides the contract's settlement).
        alliance_spend: Each alliance partner's spend ``(*D, partners)`` (the stress
            tester's costs); default: the partners' outturn under the contract.
        demand_over_plan: Alliance demand over plan (overrides the contract's).
        record_level: The units carry record-level detail (readmission flags).
        agreed: Per line id, values agreed per commissioner-provider pair that replace the
            contract's: term names (``annual_value``, ``planned_value``, ``fixed_value`` …)
            and ``rule.parameter`` for adjustments (``mret.baseline_value``), as arrays over
            the units' leading axes. The simulation agrees one plan per pair and year and
            prices them all in one call with one contract of terms.
        checked: The caller has already run :func:`check_contract` on this contract (the
            stress tester and the simulation check once, then price many chunks).
    """
    if not checked:
        check_contract(contract, record_level=record_level)
    ach = _achievement(achievement)
    perf = performance if isinstance(performance, Performance) else None
    by_standard: Mapping[str, Mapping[str, float]] = (
        {} if performance is None or isinstance(performance, Performance) else performance
    )
    agreed = agreed or {}
    # value at unit price, before the rules (read by the activity cap and count-based forms)
    needs_gross = any(
        FORM_BASIS.get(line.mechanism) == "count" or line.adjustments_of("activity_cap")
        for line in contract.lines
    )
    gross = units.line_sum(units.value).copy() if needs_gross else units.value[..., :0]
    _activity_cap(contract, units, gross)
    _mret(contract, units, agreed)
    _readmissions(contract, units, avoidable_share)
    _payment_forms(contract, units, gross, ach, agreed)
    _sanctions(contract, units, perf, by_standard)
    _cquin(contract, units, achievement, ach)
    _risk_share(contract, units)
    partners = _alliance(contract, units, ach, alliance_spend, demand_over_plan)
    formal_by_line = units.formal_by_line()
    settle = _settlement(contract, formal_by_line, affordable)
    flows = _subcontracts(contract, units, formal_by_line)
    return PipelineResult(units, formal_by_line, settle, flows, partners)


def _achievement(achievement: Any) -> Achievement:
    if isinstance(achievement, Achievement):
        return achievement
    return Achievement()


def _record(
    units: Units, line: ServiceLine, column: str, rule: str, note: str = "", title: str = ""
) -> None:
    mech = REGISTRY.get(rule)
    registry_title, source = (mech.title, mech.rule_source) if mech else (rule, "")
    units.applied.append(LineRule(line.id, column, rule, title or registry_title, source, note))


def _param(contract: Contract, rule: str, name: str) -> tuple[npt.NDArray[np.bool_], FloatArray]:
    """Which lines have *rule* and its parameter *name* per line (first such adjustment)."""
    has = np.zeros(len(contract.lines), dtype=bool)
    values = np.zeros(len(contract.lines))
    for li, line in enumerate(contract.lines):
        found = line.adjustments_of(rule)
        if found:
            value = getattr(found[0], name)
            if value is not None:
                has[li] = True
                values[li] = float(value)
            elif name == "plan_value" and line.planned_value_gbp is not None:
                has[li] = True
                values[li] = float(line.planned_value_gbp)
    return has, values


def _agreed(
    contract: Contract,
    units: Units,
    agreed: Mapping[str, Mapping[str, Any]],
    name: str,
    values: FloatArray,
) -> FloatArray:
    """Per-line *values* with the lines' agreed values for *name* put in (leading axes)."""
    found = [
        (li, agreed[line.id][name])
        for li, line in enumerate(contract.lines)
        if name in agreed.get(line.id, {})
    ]
    if not found:
        return values
    out = np.array(np.broadcast_to(values, units.value.shape), dtype=np.float64)
    for li, value in found:
        out[..., li] = value
    return out


# -- 3-5. activity cap, MRET, readmissions ----------------------------------------------------
def _activity_cap(contract: Contract, units: Units, value: FloatArray) -> None:
    has, plan = _param(contract, "activity_cap", "plan_value")
    if not has.any():
        return
    adj = np.where(has, activity_cap.activity_cap(value, plan_value=plan).adjustment, 0.0)
    units.spread("activity_cap_gbp", adj, total=value)
    for li in np.flatnonzero(has):
        _record(units, contract.lines[li], "activity_cap_gbp", "activity_cap")


def _mret(contract: Contract, units: Units, agreed: Mapping[str, Mapping[str, Any]]) -> None:
    has, baseline = _param(contract, "mret", "baseline_value")
    if not has.any():
        return
    baseline = _agreed(contract, units, agreed, "mret.baseline_value", baseline)
    _, rate = _param(contract, "mret", "rate")
    scope = np.isin(units.pod, _scope_codes("mret"))
    everywhere = bool(scope.all())  # every unit in scope (the stress tester's MRET lines)
    nel_value = units.line_sum(units.value if everywhere else units.value * scope)
    if has.all():
        adj = mret.marginal_rate_emergency(nel_value, baseline_value=baseline, rate=rate).adjustment
    else:  # only the lines with the rule
        at = np.flatnonzero(has)
        base = baseline[..., at] if np.ndim(baseline) else baseline
        res = mret.marginal_rate_emergency(nel_value[..., at], baseline_value=base, rate=rate[at])
        adj = np.zeros_like(nel_value)
        adj[..., at] = res.adjustment
    units.spread("mret_gbp", adj, scope=None if everywhere else scope, total=nel_value)
    for li in np.flatnonzero(has):
        _record(units, contract.lines[li], "mret_gbp", "mret")


def _readmissions(contract: Contract, units: Units, avoidable: float | None) -> None:
    """Readmissions: the units' readmission flag already holds the rule's scope (A5)."""
    lines = contract.lines
    has = np.array([bool(line.adjustments_of("readmissions")) for line in lines])
    if not has.any():
        return
    share = np.zeros(len(lines))
    for li in np.flatnonzero(has):
        rule: Any = lines[li].adjustments_of("readmissions")[0]
        value = rule.avoidable_share if rule.avoidable_share is not None else avoidable
        if value is None:
            raise ConfigError(
                f"line '{lines[li].id}': the readmissions rule needs the avoidable share from "
                "the clinical review",
                location=f"lines.{lines[li].id}.adjustments.readmissions.avoidable_share",
                expected="a share between 0 and 1",
                fix="set avoidable_share in the contract, or pass --avoidable-share",
            )
        share[li] = float(value)
    scope = units.readm & has[units.line_of] & np.isin(units.pod, _scope_codes("readmissions"))
    readm_value = units.line_sum(units.value * scope)
    res = readmissions.readmission_deduction(readm_value, avoidable_share=share)
    adj = np.where(has, res.adjustment, 0.0)
    units.spread("readmissions_gbp", adj, scope=scope, total=readm_value)
    per_line = units.line_sum(units.count * scope)
    for li in np.flatnonzero(has):
        n = per_line[..., li]
        note = f"{int(n):,} readmissions in scope" if np.ndim(n) == 0 else ""
        _record(units, lines[li], "readmissions_gbp", "readmissions", note)


# -- 6. payment forms -------------------------------------------------------------------------
def _payment_forms(
    contract: Contract,
    units: Units,
    gross: FloatArray,
    ach: Achievement,
    agreed: Mapping[str, Mapping[str, Any]],
) -> None:
    """Each form by its registry basis; count forms keep the deductions before them."""
    lines = contract.lines
    if all(FORM_BASIS.get(line.mechanism, "unit") == "unit" for line in lines):
        return  # every line is paid its unit prices (national tariff, cost per case)
    value = units.line_sum(units.value)
    count = units.counts()
    adj = np.zeros_like(value)
    any_form = False
    for li, line in enumerate(lines):
        mech = line.mechanism
        basis = FORM_BASIS.get(mech, "unit")
        if basis == "unit":
            continue
        kw = line.terms.kwargs()  # type: ignore[attr-defined]
        kw.update({k: v for k, v in agreed.get(line.id, {}).items() if "." not in k})
        at = (..., li)
        if basis == "month_value":
            res = block.block_payment(**kw)
            if units.aggregate:  # line aggregates have no months: the year's instalments
                adj[at] = np.asarray(res.annual) - value[at]
                any_form = True
            else:
                _block_line(units, li, np.asarray(res.monthly, dtype=np.float64))
            _record(units, line, "payment_form_gbp", "block")
            continue
        if basis == "count":
            fn = (
                cost_and_volume.cost_and_volume
                if mech == "cost_and_volume"
                else caps_and_collars.caps_and_collars
            )
            payment = fn(count[at], **kw).payment
            # the form pays from activity; deductions of steps 3-5 stand (module doc)
            adj[at] = payment - gross[at]
        elif basis == "value":
            adj[at] = blended.blended_payment(value[at], **kw).payment - value[at]
        elif basis == "scope_value":
            scope = (units.line_of == li) & np.isin(units.pod, _scope_codes(mech))
            elective = units.value[..., scope].sum(axis=-1)
            # the fixed element covers all planned work; only elective value varies (A7)
            adj[at] = blended.aligned_payment_incentive(elective, **kw).payment - value[at]
        elif basis == "terms":
            if kw.get("weighted_population") is None:
                raise ConfigError(
                    f"line '{line.id}': capitation needs weighted_population",
                    location=f"lines.{line.id}.terms.weighted_population",
                    fix="set weighted_population (weighted heads) in the contract",
                )
            population = kw.pop("weighted_population")
            if line.id in ach.outcomes:
                kw["outcome_achievement"] = ach.outcomes[line.id]
            elif kw.get("outcome_achievement") is None:
                kw["outcome_achievement"] = 1.0
                if kw.get("outcome_share"):
                    units.notes.append(
                        f"line '{line.id}': capitation outcome achievement assumed 100% "
                        "(pass --achievement)"
                    )
            if line.id in ach.contingency:
                kw["contingency_released"] = ach.contingency[line.id]
            adj[at] = capitation.capitation(population, **kw).payment - value[at]
        any_form = True
        _record(units, line, "payment_form_gbp", mech)
    if any_form:
        units.spread("payment_form_gbp", adj)


def _block_line(units: Units, li: int, monthly: FloatArray) -> None:
    """Block: each month's instalment replaces the value of that month's units."""
    rows = units.line_of == li
    m = units.month0[rows]
    value = units.value[..., rows]
    month_value = group_sum(m, value, 12)
    month_count = group_sum(m, units.count[..., rows] * np.ones_like(value), 12)
    amount = monthly - month_value
    by_value = month_value != 0
    factor = np.divide(amount, month_value, out=np.zeros(amount.shape), where=by_value)
    per = np.divide(
        amount, month_count, out=np.zeros(amount.shape), where=~by_value & (month_count > 0)
    )
    units.apply("payment_form_gbp", factor[..., m], per[..., m], rows=rows)
    orphan = ~by_value & (month_count == 0)
    res = units.res("payment_form_gbp")
    res[..., li, :] += np.where(orphan, amount, 0.0)


# -- 7-8. sanctions and CQUIN -------------------------------------------------------------------
def _sanctions(
    contract: Contract,
    units: Units,
    perf: Performance | None,
    by_standard: Mapping[str, Mapping[str, float]],
) -> None:
    lines = contract.lines
    if not any(line.adjustments_of("sanctions") for line in lines):
        return
    # the line's revenue so far, with money no unit carries (a block month with no records)
    revenue = np.array(units.formal_by_line(), dtype=np.float64)
    adj = np.zeros_like(revenue)
    any_rule = False
    for li, line in enumerate(lines):
        rules: Any = line.adjustments_of("sanctions")
        total: Any = 0.0
        cap_pct = None
        line_data = perf.lines.get(line.id, {}) if perf is not None else by_standard
        for rule in rules:
            any_rule = True
            data = line_data.get(rule.standard, {})
            if rule.kind == "revenue":
                amount = sanctions.revenue_sanction(revenue[..., li], pct=rule.pct).adjustment
            elif rule.kind == "threshold" and "numerator" in data and "denominator" in data:
                amount = sanctions.threshold_sanction(
                    data["numerator"], data["denominator"], **rule.kwargs()
                ).adjustment
            elif rule.kind == "per_breach" and "count" in data:
                amount = sanctions.per_breach_sanction(data["count"], **rule.kwargs()).adjustment
            else:
                units.notes.append(
                    f"line '{line.id}': no performance data for standard '{rule.standard}', "
                    "so no sanction applied (pass --performance)"
                )
                continue
            total = total + amount
            if rule.cap_pct is not None:
                cap_pct = rule.cap_pct if cap_pct is None else min(cap_pct, rule.cap_pct)
            _record(units, line, "sanctions_gbp", "sanctions", rule.standard)
        if cap_pct is not None and np.any(total):
            total = sanctions.cap_sanctions(
                total, revenue=revenue[..., li], cap_pct=cap_pct
            ).adjustment
        adj[..., li] = total
    if any_rule:
        units.col("sanctions_gbp")
    if adj.any():
        units.spread("sanctions_gbp", adj)


def _cquin(
    contract: Contract,
    units: Units,
    achievement: Any,
    ach: Achievement,
) -> None:
    lines = contract.lines
    has = np.array([bool(line.adjustments_of("cquin")) for line in lines])
    if not has.any():
        return
    outturn = units.formal_by_line()
    earned = np.zeros_like(outturn)
    for li in np.flatnonzero(has):
        line = lines[li]
        rule: Any = line.adjustments_of("cquin")[0]
        weights = np.array([g.weight for g in rule.goals])
        given = ach.cquin.get(line.id, {})
        parts = []
        assumed = []
        for goal in rule.goals:
            if goal.name in given:
                parts.append(given[goal.name])
            elif isinstance(achievement, Mapping) and goal.name in achievement:
                parts.append(float(achievement[goal.name]))
            elif isinstance(achievement, int | float) and not isinstance(achievement, bool):
                parts.append(float(achievement))
            elif goal.achievement is not None:
                parts.append(float(goal.achievement))
            else:
                parts.append(1.0)
                assumed.append(goal.name)
        if assumed:
            units.notes.append(
                f"line '{line.id}': CQUIN achievement assumed 100% for "
                f"{summarise_items(assumed)} (pass --achievement)"
            )
        achieved = np.stack(
            [np.broadcast_to(np.asarray(p, dtype=np.float64), outturn.shape[:-1]) for p in parts],
            axis=-1,
        )
        res = cquin.cquin_payment(
            outturn[..., li], rate=rule.rate, weights=weights, achievement=achieved
        )
        earned[..., li] = res.earned
        _record(units, line, "cquin_gbp", "cquin")
    units.spread("cquin_gbp", earned)


# -- 9-11. contract level ---------------------------------------------------------------------
def _risk_share(contract: Contract, units: Units) -> None:
    share = contract.risk_share
    if share is None:
        return
    ids = set(share.lines) or {line.id for line in contract.lines}
    in_scope = np.array([line.id in ids for line in contract.lines])
    by_line = units.formal_by_line()
    actual = (by_line * in_scope).sum(axis=-1)
    kw = share.kwargs()
    if kw["plan_value"] is None:
        kw["plan_value"] = sum(
            float(line.planned_value_gbp or 0.0) for line in contract.lines if line.id in ids
        )
    res = risk_share.risk_share(actual, **kw)
    amount = np.asarray(res.payment) - actual
    # shared pro rata to each line's outturn (residuals included, so a line with no activity
    # records but a fixed payment shares as it does on line aggregates)
    line_amount = np.where(in_scope, by_line, 0.0)
    total = line_amount.sum(axis=-1, keepdims=True)
    even = np.where(in_scope, 1.0 / in_scope.sum(), 0.0)
    weight = np.divide(
        line_amount, total, out=np.broadcast_to(even, line_amount.shape).copy(), where=total != 0
    )
    units.spread("risk_share_gbp", weight * np.asarray(amount)[..., None])
    for li in np.flatnonzero(in_scope):
        _record(units, contract.lines[li], "risk_share_gbp", "risk_share")


def _alliance(
    contract: Contract,
    units: Units,
    ach: Achievement,
    spend: FloatArray | None,
    demand_over_plan: Any,
) -> FloatArray | None:
    """Gain/loss share: each partner's lines move from outturn to spend + net position."""
    alliance = contract.alliance
    if alliance is None:
        return None
    codes = alliance.partner_codes
    provider = [contract.provider_of(line).code for line in contract.lines]
    member = np.array([[p == code for p in provider] for code in codes])  # (partners, lines)
    by_line = units.formal_by_line()
    outturn = np.stack([(by_line * m).sum(axis=-1) for m in member], axis=-1)
    if spend is None:
        spend = outturn
        units.notes.append(
            "alliance: each partner's spend is taken as its outturn under the contract "
            "(no cost data); the gain/loss share moves money between partners only through "
            "the envelope"
        )
    kw = alliance.kwargs()
    if ach.alliance is not None:
        kw["outcome_achievement"] = ach.alliance
    elif alliance.outcome_achievement is None and alliance.outcome_pot > 0:
        units.notes.append("alliance: outcome achievement assumed 100% (pass --achievement)")
    if demand_over_plan is not None:
        kw["demand_over_plan"] = demand_over_plan
    envelope = kw.pop("envelope")
    res = gain_loss_share.gain_loss_share(envelope, spend, **kw)
    net = np.asarray(res.net_position, dtype=np.float64)
    move = spend + net - outturn  # (*D, partners)
    per_line = np.zeros(by_line.shape)
    value = by_line
    for k in range(len(codes)):
        rows = member[k]
        if not rows.any():
            continue
        w = np.where(rows, np.abs(value), 0.0)
        total = w.sum(axis=-1, keepdims=True)
        even = np.broadcast_to(np.where(rows, 1.0 / rows.sum(), 0.0), w.shape)
        weight = np.divide(w, total, out=even.copy(), where=total != 0)
        per_line += weight * move[..., k : k + 1]
    units.spread("alliance_gbp", per_line)
    for li in np.flatnonzero(member.any(axis=0)):
        _record(units, contract.lines[li], "alliance_gbp", "gain_loss_share")
    return net


def _settlement(contract: Contract, by_line: FloatArray, affordable: Any) -> SettlementResult:
    formal = by_line.sum(axis=-1)
    if formal.ndim == 0:
        formal = float(formal)
    terms = contract.settlement
    if terms is None and affordable is None:
        zero = formal * 0.0
        return SettlementResult(formal, formal, zero, zero, zero, "pay_in_full")
    kw: dict[str, Any] = terms.kwargs() if terms is not None else {"rule": "cap_at_affordable"}
    if affordable is not None:
        kw["affordable"] = affordable
        if kw.get("rule") == "pay_in_full":
            kw["rule"] = "cap_at_affordable"
    if kw.get("affordable") is None:
        kw["affordable"] = formal
    independent = all(p.independent for p in contract.providers)
    res = settlement.year_end_settlement(formal, independent=independent, **kw)

    def out(x: Any) -> Any:
        return float(x) if np.ndim(x) == 0 else np.asarray(x, dtype=np.float64)

    return SettlementResult(
        formal=formal,
        settled=out(res.settled),
        gap=out(res.gap),
        non_recurrent=out(res.non_recurrent),
        transitional=out(res.transitional),
        rule=str(kw.get("rule")),
    )


def _subcontracts(contract: Contract, units: Units, by_line: FloatArray) -> dict[str, Any]:
    """What each lead provider passes to its subcontractors (party flows, not line money)."""
    flows: dict[str, Any] = {}
    ids = [line.id for line in contract.lines]
    for sub in contract.subcontracts:
        rows = np.isin(ids, sub.lines)
        if sub.value_gbp is not None:
            amount: Any = float(sub.value_gbp)
            basis = f"fixed £{sub.value_gbp:,.0f}"
        else:
            assert sub.share is not None
            amount = (by_line * rows).sum(axis=-1) * float(sub.share)
            basis = f"{sub.share:.0%} of the lead's payment for {', '.join(sub.lines)}"
        flows[sub.id] = float(amount) if np.ndim(amount) == 0 else amount
        if np.ndim(amount) == 0:
            units.notes.append(
                f"subcontract '{sub.id}': {sub.lead_provider} pays {sub.subcontractor.code} "
                f"£{float(amount):,.2f} ({basis}); the commissioner's payment is unchanged"
            )
    return flows
