"""The month-by-month engine: demand → choice → waiting lists → activity → contracts → money.

State is arrays over (draws D, commissioners C, providers V, PODs P, wait buckets A); the only
Python loop is over months (and years for the contract round). Each draw has its own named
random stream ``stream(seed, "simulation:demand", draw)`` (:mod:`quasimarket.random_streams`),
so results do not depend on how draws are chunked or spread over Dask workers.

Each month:

1. demand by commissioner and POD = expected demand × gamma shock (CV ``rates.overdispersion``),
   then Poisson (overdispersed counts) [K];
2. elective referrals are shared among providers within reach by a multinomial logit:
   ``U = ln(baseline share) + λ (β_wait × expected wait in months + β_quality × quality)``,
   λ = the regime's choice sensitivity (0: referrals follow the catchment shares);
3. referrals join the provider's RTT list; the provider completes up to its monthly capacity,
   a share ``fifo_share`` longest waiters first (FIFO over month-of-wait buckets) and the rest
   spread over the list; the commissioner mix of completions
   is that of the list; each completion is one first outpatient attendance, ``follow_ups``
   follow-ups and ``conversion`` elective spells;
4. emergency and A&E activity goes to local acute providers by catchment; the shift-of-care lever
   moves a share of non-elective spells to community contacts; community and mental health
   contacts go to their providers by catchment.

At each year end the year's activity is priced with the mechanism functions (cost per case,
MRET, block, blended payment, CQUIN, year-end settlement) and the contracts for the next year
are re-based on the outturn.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms import block, settlement
from quasimarket.mechanisms.blended import API_ELECTIVE_SCOPE
from quasimarket.random_streams import stream
from quasimarket.simulation.compile import (
    DEMAND_INDEX,
    POD_INDEX,
    POD_SERVICE,
    RTT_MONTHS,
    WAIT_BUCKETS,
    Compiled,
)
from quasimarket.simulation.parameters import PODS
from quasimarket.simulation.regime import BehaviourFactory, BehaviourRule, make_behaviours
from quasimarket.vocabulary import POD_CODES, SIMULATED_ACTIVITY

if TYPE_CHECKING:
    from quasimarket.contracts.model import Contract

__all__ = [
    "COMMISSIONER_MONTHLY",
    "PROVIDER_MONTHLY",
    "ChunkOutput",
    "SimulationState",
    "run_chunk",
]

FloatArray = npt.NDArray[np.float64]

#: Monthly commissioner metrics after the PODs (order of the last axis of ``commissioner``).
COMMISSIONER_MONTHLY = ("spend_gbp", "forecast_outturn_gbp", "waiting_list")
#: Monthly provider metrics after the PODs.
PROVIDER_MONTHLY = (
    "waiting_list",
    "rtt_within_18_weeks",
    "mean_wait_weeks",
    "income_gbp",
    "cost_gbp",
)
#: Yearly commissioner metrics.
COMMISSIONER_YEARLY = (
    "population",
    "allocation_gbp",
    "contract_spend_gbp",
    "other_spend_gbp",
    "lever_cost_gbp",
    "settlement_gap_gbp",
    "position_gbp",
)
#: Yearly provider metrics.
PROVIDER_YEARLY = (
    "income_gbp",
    "cost_gbp",
    "surplus_gbp",
    "control_total_gbp",
    "position_vs_control_total_gbp",
)
_N_P = len(PODS)
_REF = POD_INDEX["elective_referral"]


@dataclass
class SimulationState:
    """The mutable state behaviour rules may read and change (arrays have a leading draw axis).

    Attributes:
        compiled: The compiled scenario (read-only).
        draws: Draw indexes of this chunk.
        month: Current month index; ``year``: current year index.
        waiting: RTT list by commissioner and provider (D, C, V), pathways.
        wait_age: RTT list by provider and month-of-wait bucket (D, V, A).
        capacity_scale: Multiplier on each provider's elective capacity (D, V).
        choice_sensitivity: λ of the choice model (a float; rules may change it).
        plan: Planned activity for the current year (D, C, V, P).
        block_value: Block contract value £ for the current year (D, C, V, P).
        year_activity: Activity so far this year (D, C, V, P).
        rtt_share: Share of each provider's list within 18 weeks, last month (D, V).
        payments: Last year's payments £ (D, C, V, P) (set at year end).
        forms: Contract form per service this year (rules may change it before pricing).
        rate_overrides: National rates a regime overrides this year (``"mret"``, ``"cquin"``;
            a value of None switches the rule off); absent keys follow the payment calendar.
        commissioner_cost: Extra commissioner costs £ this year (D, C) set by behaviour rules
            (transaction and coordination costs); deducted from the position, reset each year.
        records: Blocks of rows behaviour rules emit, by run-table name (each block a mapping
            column → equal-length 1-D array; stored with the run as one table per name).
    """

    compiled: Compiled
    draws: npt.NDArray[np.int64]
    month: int
    year: int
    waiting: FloatArray
    wait_age: FloatArray
    capacity_scale: FloatArray
    choice_sensitivity: float
    plan: FloatArray
    block_value: FloatArray
    year_activity: FloatArray
    rtt_share: FloatArray
    payments: FloatArray
    forms: dict[str, str] = field(default_factory=dict)
    rate_overrides: dict[str, float | None] = field(default_factory=dict)
    commissioner_cost: FloatArray | None = None
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


@dataclass(frozen=True)
class ChunkOutput:
    """Results for draws ``start ≤ i < stop``.

    Attributes:
        commissioner: Monthly (D, T, C, P + len(COMMISSIONER_MONTHLY)), float32.
        provider: Monthly (D, T, V, P + len(PROVIDER_MONTHLY)), float32.
        commissioner_yearly: (D, Y, C, len(COMMISSIONER_YEARLY)).
        provider_yearly: (D, Y, V, len(PROVIDER_YEARLY)).
        pod_value: Contract value by year, commissioner and POD at the year's prices (D, Y, C, P),
            and ``pod_payment`` the payment (for spend attribution).
        demand: Realised demand by year, commissioner and demand POD (D, Y, C, Kd).
        conservation: Per draw and year: referrals in, pathways completed, list change (D, Y, 3).
    """

    start: int
    stop: int
    commissioner: npt.NDArray[np.float32]
    provider: npt.NDArray[np.float32]
    commissioner_yearly: FloatArray
    provider_yearly: FloatArray
    pod_activity: FloatArray
    pod_payment: FloatArray
    conservation: FloatArray
    demand: FloatArray
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


def _demand_draws(compiled: Compiled, draws: npt.NDArray[np.int64]) -> FloatArray:
    """Demand counts (D, T, C, Kd): gamma-Poisson around the expected demand."""
    cv = compiled.scenario.rates.overdispersion
    out = np.empty((len(draws), *compiled.demand.shape))
    for i, draw in enumerate(draws):
        rng = stream(compiled.scenario.seed, "simulation:demand", int(draw))
        mean = compiled.demand
        if cv > 0:
            shape = 1.0 / cv**2
            mean = mean * rng.gamma(shape, 1.0 / shape, size=mean.shape)
        out[i] = rng.poisson(mean)
    return out


def _choice_shares(
    log_base: FloatArray,
    reach: npt.NDArray[np.bool_],
    wait: FloatArray,
    compiled: Compiled,
    lam: float,
) -> FloatArray:
    """Multinomial-logit shares (D, C, V) over providers within reach."""
    path = compiled.scenario.pathway
    if lam == 0.0:
        return np.broadcast_to(np.exp(log_base), (wait.shape[0], *log_base.shape))
    util_v = lam * (
        path.wait_coefficient * wait + path.quality_coefficient * compiled.quality[None, :]
    )
    util = log_base[None, :, :] + util_v[:, None, :]
    util = np.where(reach[None, :, :], util, -np.inf)
    util -= util.max(axis=2, keepdims=True)
    expu = np.exp(util)
    total = expu.sum(axis=2, keepdims=True)
    return np.asarray(expu / np.where(total > 0, total, 1.0), dtype=np.float64)


#: Currency of the contract line for each simulated point of delivery.
_CURRENCY = {
    "elective_spell": "spell",
    "non_elective": "spell",
    "op_first": "attendance",
    "op_follow_up": "attendance",
    "ae": "attendance",
    "community": "contact",
    "mental_health": "contact",
}


@functools.lru_cache(maxsize=64)
def year_contract(
    year: int,
    forms: tuple[tuple[str, str], ...],
    mret_rate: float | None,
    cquin_rate: float | None,
    cquin_achievement: float,
    variable_rate: float,
    api: bool,
) -> tuple[Contract, tuple[int, ...]]:
    """The contract every commissioner-provider pair holds in a simulated year.

    One line per paid point of delivery (:data:`~quasimarket.vocabulary.SIMULATED_ACTIVITY`),
    paid by its service's form: ``pbr`` = cost per case at the pair's tariff (with MRET on
    non-elective activity while it is in force), ``block``, ``blended``. Under the aligned
    payment and incentive (2023/24 on) elective activity in the API's scope (elective spells,
    first outpatient attendances) takes the API's variable element, and everything else
    (emergency care, follow-ups) sits in its fixed element (a block at plan). CQUIN applies
    to every line while in force. The pairs' agreed values (block
    values, plans, MRET baselines) are passed to the pipeline per pair; the terms here are
    the agreement's shape. Returns the contract and the PODS index of each line.
    """
    from quasimarket.contracts.model import CONTRACT_FORMAT, LAST_YEAR
    from quasimarket.contracts.model import Contract as ContractModel

    form_of = dict(forms)
    lines: list[dict[str, Any]] = []
    index: list[int] = []
    for p, pod in enumerate(PODS):
        service = POD_SERVICE[pod]
        if service is None:
            continue
        form = form_of[service]
        mechanism = {"pbr": "cost_per_case", "block": "block", "blended": "blended"}[form]
        terms: dict[str, Any] = {"price": 1.0} if form == "pbr" else {}
        if form == "blended":
            terms = {"planned_value": 0.0, "variable_rate": variable_rate}
        if api and form == "blended":
            if SIMULATED_ACTIVITY[pod] in API_ELECTIVE_SCOPE:
                mechanism = "aligned_payment_incentive"
                terms = {
                    "fixed_value": 0.0,
                    "elective_threshold_value": 0.0,
                    "variable_rate": variable_rate,
                }
            else:
                mechanism, terms = "block", {}
        if mechanism == "block":
            terms = {"annual_value": 0.0}
        adjustments: list[dict[str, Any]] = []
        if form == "pbr" and pod == "non_elective" and mret_rate is not None:
            adjustments.append(
                {"rule": "mret", "rate": mret_rate, "baseline_value": 0.0, "allow_out_of_era": True}
            )
        if cquin_rate is not None:
            adjustments.append(
                {
                    "rule": "cquin",
                    "rate": cquin_rate,
                    "allow_out_of_era": True,
                    "goals": [{"name": "cquin", "weight": 1.0, "achievement": cquin_achievement}],
                }
            )
        pod_name = SIMULATED_ACTIVITY[pod]
        lines.append(
            {
                "id": pod,
                "service": service,
                "currency": _CURRENCY[pod],
                "pods": [pod_name] if pod_name else [],
                "mechanism": mechanism,
                "allow_out_of_era": True,
                "terms": terms,
                "adjustments": adjustments,
            }
        )
        index.append(p)
    contract = ContractModel.model_validate(
        {
            "format": CONTRACT_FORMAT,
            "name": "simulated commissioner-provider contract",
            "year": f"{min(year, LAST_YEAR)}/{(min(year, LAST_YEAR) + 1) % 100:02d}",
            "commissioners": [{"code": "C"}],
            "providers": [{"code": "P"}],
            "lines": lines,
        }
    )
    from quasimarket.payment.pipeline import check_contract

    check_contract(contract, record_level=False)
    return contract, tuple(index)


def _pay_year(state: SimulationState, value: FloatArray, y: int) -> tuple[FloatArray, FloatArray]:
    """Payments £ (D, C, V, P) for the year's activity value; and the settlement gap (D, C).

    Every commissioner-provider pair's year end goes through the one payment pipeline
    (:func:`quasimarket.payment.pipeline.run`) in one call: the pairs are leading axes of
    the line aggregates. The settlement is per commissioner, over all its contracts.
    """
    from quasimarket.payment import pipeline
    from quasimarket.payment.units import Units

    compiled = state.compiled
    pay = np.zeros_like(value)
    plan_value = state.plan * compiled.price[y][None, None, :, :]
    api = bool(compiled.api[y]) if compiled.api else False
    contract, index = year_contract(
        compiled.years[y].start,
        tuple(sorted(state.forms.items())),
        state.rate_overrides.get("mret", compiled.mret_rate[y]),
        state.rate_overrides.get("cquin", compiled.cquin_rate[y]),
        float(compiled.scenario.finance.cquin_achievement),
        float(compiled.blended_rate[y]),
        api,
    )
    idx = np.array(index, dtype=np.intp)
    baseline = compiled.plan * compiled.price[y][None, :, :]  # (C, V, P): the MRET baseline
    agreed: dict[str, dict[str, Any]] = {}
    for li, line in enumerate(contract.lines):
        p = index[li]
        if line.mechanism == "block":
            fixed = state.block_value[..., p]
            if api:  # the API's fixed element: the agreed plan
                fixed = plan_value[..., p]
            agreed[line.id] = {"annual_value": fixed}
        elif line.mechanism == "blended":
            agreed[line.id] = {"planned_value": plan_value[..., p]}
        elif line.mechanism == "aligned_payment_incentive":
            agreed[line.id] = {
                "fixed_value": plan_value[..., p],
                "elective_threshold_value": plan_value[..., p],
            }
        if line.adjustments_of("mret"):
            agreed.setdefault(line.id, {})["mret.baseline_value"] = baseline[None, ..., p]
    units = Units.of_lines(
        count=state.year_activity[..., idx],
        value=value[..., idx],
        pod=np.array([POD_CODES[ln.pods[0]] if ln.pods else -1 for ln in contract.lines]),
    )
    result = pipeline.run(contract, units, record_level=False, agreed=agreed, checked=True)
    pay[..., idx] = result.formal_by_line
    gap = np.zeros(pay.shape[:2])
    if compiled.scenario.regime.settlements:
        spend = pay.sum(axis=(2, 3))
        fin_y = compiled.allocation[y] - compiled.other_spend[y] - compiled.lever_cost[y]
        affordable = np.maximum(fin_y * (1.0 - compiled.scenario.finance.planned_surplus), 0.0)
        settled = settlement.year_end_settlement(
            spend, affordable=affordable[None, :], rule=compiled.scenario.regime.settlement_rule
        )
        ratio = np.where(spend > 0, settled.settled / np.where(spend > 0, spend, 1.0), 1.0)
        pay = pay * ratio[:, :, None, None]
        gap = np.asarray(settled.gap, dtype=np.float64)
    return pay, gap


def _rebase(state: SimulationState, y_next: int) -> None:
    """Agree next year's contracts from this year's outturn (block re-based: 002@257294)."""
    compiled = state.compiled
    observed = state.year_activity
    price_next = compiled.price[y_next][None, None]
    price_now = compiled.price[y_next - 1][None, None]
    if compiled.scenario.finance.block_rebase:
        planned = state.plan
        safe = np.where(planned > 0, planned, 1.0)
        rebased = block.rebase_block(
            state.block_value, planned_activity=safe, observed_activity=observed
        )
        value = np.where(planned > 0, rebased, observed * price_now)
        state.block_value = value * np.where(
            price_now > 0, price_next / np.where(price_now > 0, price_now, 1.0), 1.0
        )
        state.plan = observed.copy()
    else:
        state.block_value = state.block_value * np.where(
            price_now > 0, price_next / np.where(price_now > 0, price_now, 1.0), 1.0
        )


def run_chunk(
    compiled: Compiled, start: int, stop: int, behaviours: BehaviourFactory | None = None
) -> ChunkOutput:
    """Simulate draws ``start ≤ i < stop`` over all months.

    *behaviours* builds the chunk's behaviour rules (from the caller, e.g. for a regime preset);
    None: the regime's named rules (:func:`~quasimarket.simulation.regime.make_behaviours`).
    """
    scenario = compiled.scenario
    draws = np.arange(start, stop, dtype=np.int64)
    n_d, n_t = len(draws), compiled.months
    n_y, n_c, n_v = len(compiled.years), len(compiled.commissioners), len(compiled.providers)
    demand = _demand_draws(compiled, draws)
    rules: list[BehaviourRule] = (
        behaviours() if behaviours is not None else make_behaviours(scenario.regime)
    )
    base = compiled.shares["elective"]
    reach = base > 0
    log_base = np.where(reach, np.log(np.where(reach, base, 1.0)), -np.inf)
    age0 = np.zeros((n_v, WAIT_BUCKETS))
    list0 = compiled.initial_list.sum(axis=0)
    profile = np.exp(-np.arange(WAIT_BUCKETS) / 1.5)  # [K] about 92% within 18 weeks
    age0[:] = list0[:, None] * profile[None, :] / profile.sum()
    plan0 = np.broadcast_to(compiled.plan, (n_d, *compiled.plan.shape)).copy()
    state = SimulationState(
        compiled=compiled,
        draws=draws,
        month=0,
        year=0,
        waiting=np.broadcast_to(compiled.initial_list, (n_d, n_c, n_v)).copy(),
        wait_age=np.broadcast_to(age0, (n_d, n_v, WAIT_BUCKETS)).copy(),
        capacity_scale=np.ones((n_d, n_v)),
        choice_sensitivity=float(scenario.regime.choice_sensitivity),
        plan=plan0,
        block_value=plan0 * compiled.price[0][None, None],
        year_activity=np.zeros((n_d, n_c, n_v, _N_P)),
        rtt_share=np.ones((n_d, n_v)),
        payments=np.zeros((n_d, n_c, n_v, _N_P)),
        forms=dict(compiled.forms[0]),
        commissioner_cost=np.zeros((n_d, n_c)),
    )
    n_cm, n_pm = len(COMMISSIONER_MONTHLY), len(PROVIDER_MONTHLY)
    comm = np.zeros((n_d, n_t, n_c, _N_P + n_cm), dtype=np.float32)
    prov = np.zeros((n_d, n_t, n_v, _N_P + n_pm), dtype=np.float32)
    comm_y = np.zeros((n_d, n_y, n_c, len(COMMISSIONER_YEARLY)))
    prov_y = np.zeros((n_d, n_y, n_v, len(PROVIDER_YEARLY)))
    pod_act = np.zeros((n_d, n_y, n_c, _N_P))
    pod_pay = np.zeros((n_d, n_y, n_c, _N_P))
    conservation = np.zeros((n_d, n_y, 3))
    month_val_c = np.zeros((n_d, 12, n_c, _N_P))
    month_val_v = np.zeros((n_d, 12, n_v, _N_P))
    weights = np.arange(WAIT_BUCKETS) + 0.5
    within = np.clip(RTT_MONTHS - np.arange(WAIT_BUCKETS), 0.0, 1.0)
    path = scenario.pathway
    acute_like = np.array([k in ("acute", "independent") for k in compiled.provider_kind])
    for rule in rules:
        rule.on_contract_round(state, 0)
    for t in range(n_t):
        y, m = divmod(t, 12)
        state.month, state.year = t, y
        dem = demand[:, t]  # (D, C, Kd)
        if m == 0:
            conservation[:, y, 2] = -state.waiting.sum(axis=(1, 2))
        cap = compiled.capacity[t][None, :] * state.capacity_scale  # (D, V)
        on_list = state.wait_age.sum(axis=2)
        wait = on_list / np.maximum(cap, 1e-9)
        shares = _choice_shares(log_base, reach, wait, compiled, state.choice_sensitivity)
        new = dem[:, :, DEMAND_INDEX["elective_referral"], None] * shares  # (D, C, V)
        state.waiting += new
        state.wait_age[:, :, 0] += new.sum(axis=1)
        total = state.wait_age.sum(axis=2)
        treated = np.minimum(cap, total)
        spread = (1.0 - path.fifo_share) * treated
        share_taken = np.where(total > 0, spread / np.where(total > 0, total, 1.0), 0.0)
        state.wait_age -= state.wait_age * share_taken[:, :, None]
        older = np.cumsum(state.wait_age[:, :, ::-1], axis=2)[:, :, ::-1] - state.wait_age
        taken = np.clip((treated - spread)[:, :, None] - older, 0.0, state.wait_age)
        state.wait_age -= taken
        frac = np.where(total > 0, treated / np.where(total > 0, total, 1.0), 0.0)
        done = state.waiting * frac[:, None, :]
        state.waiting -= done
        remaining = state.wait_age.sum(axis=2)
        state.rtt_share = np.where(
            remaining > 0,
            (state.wait_age * within).sum(axis=2) / np.where(remaining > 0, remaining, 1.0),
            1.0,
        )
        mean_wait = np.where(
            remaining > 0,
            (state.wait_age * weights).sum(axis=2) / np.where(remaining > 0, remaining, 1.0),
            0.0,
        )
        aged = np.zeros_like(state.wait_age)
        aged[:, :, 1:] = state.wait_age[:, :, :-1]
        aged[:, :, -1] += state.wait_age[:, :, -1]
        state.wait_age = aged

        act = np.zeros((n_d, n_c, n_v, _N_P))
        act[..., _REF] = new
        act[..., POD_INDEX["op_first"]] = done
        act[..., POD_INDEX["op_follow_up"]] = done * path.follow_ups
        act[..., POD_INDEX["elective_spell"]] = done * path.conversion
        nel = dem[:, :, DEMAND_INDEX["non_elective"]]
        moved = nel * compiled.shift[t]
        act[..., POD_INDEX["non_elective"]] = (nel - moved)[:, :, None] * compiled.shares[
            "emergency"
        ][None]
        act[..., POD_INDEX["ae"]] = (
            dem[:, :, DEMAND_INDEX["ae"], None] * compiled.shares["emergency"][None]
        )
        community = dem[:, :, DEMAND_INDEX["community"]] + moved * path.shift_contacts_per_spell
        act[..., POD_INDEX["community"]] = (
            community[:, :, None] * compiled.shares["community"][None]
        )
        act[..., POD_INDEX["mental_health"]] = (
            dem[:, :, DEMAND_INDEX["mental_health"], None] * compiled.shares["mental_health"][None]
        )
        state.year_activity += act
        for rule in rules:
            rule.on_month(state, t)
        act_c = act.sum(axis=2)
        act_c[..., POD_INDEX["gp"]] = dem[:, :, DEMAND_INDEX["gp"]]
        comm[:, t, :, :_N_P] = act_c
        prov[:, t, :, :_N_P] = act.sum(axis=1)
        comm[:, t, :, _N_P + 2] = state.waiting.sum(axis=2)
        prov[:, t, :, _N_P + 0] = remaining
        prov[:, t, :, _N_P + 1] = np.where(acute_like[None, :], state.rtt_share, np.nan)
        prov[:, t, :, _N_P + 2] = mean_wait * (52.0 / 12.0)
        value = act * compiled.price[y][None, None]
        month_val_c[:, m] = value.sum(axis=2)
        month_val_v[:, m] = value.sum(axis=1)
        conservation[:, y, 0] += new.sum(axis=(1, 2))
        conservation[:, y, 1] += done.sum(axis=(1, 2))
        if m != 11:
            continue
        conservation[:, y, 2] += state.waiting.sum(axis=(1, 2))
        # Year end: price, pay, settle, record, re-base.
        year_value = state.year_activity * compiled.price[y][None, None]
        pay, gap = _pay_year(state, year_value, y)
        state.payments = pay
        for rule in rules:
            rule.on_year_end(state, y)
        pay = state.payments
        pay_cp = pay.sum(axis=2)  # (D, C, P)
        pay_vp = pay.sum(axis=1)  # (D, V, P)
        block_pod = np.array(
            [
                POD_SERVICE[p] is not None and state.forms[str(POD_SERVICE[p])] == "block"
                for p in PODS
            ]
        )
        val_c_year = month_val_c.sum(axis=1, keepdims=True)
        val_v_year = month_val_v.sum(axis=1, keepdims=True)
        w_c = np.where(
            block_pod,
            1.0 / 12.0,
            np.where(
                val_c_year > 0, month_val_c / np.where(val_c_year > 0, val_c_year, 1.0), 1.0 / 12.0
            ),
        )
        w_v = np.where(
            block_pod,
            1.0 / 12.0,
            np.where(
                val_v_year > 0, month_val_v / np.where(val_v_year > 0, val_v_year, 1.0), 1.0 / 12.0
            ),
        )
        spend_m = (w_c * pay_cp[:, None]).sum(axis=3)  # (D, 12, C)
        income_m = (w_v * pay_vp[:, None]).sum(axis=3)  # (D, 12, V)
        months = slice(12 * y, 12 * y + 12)
        comm[:, months, :, _N_P + 0] = spend_m
        comm[:, months, :, _N_P + 1] = (
            np.cumsum(spend_m, axis=1) * (12.0 / np.arange(1, 13))[None, :, None]
        )
        base_value_v = (state.year_activity * compiled.base_price[None, None]).sum(axis=(1, 3))
        cost_v = compiled.fixed_cost[y][None, :] + compiled.variable_rate[y] * base_value_v
        prov[:, months, :, _N_P + 3] = income_m
        prov[:, months, :, _N_P + 4] = compiled.fixed_cost[y][
            None, None, :
        ] / 12.0 + compiled.variable_rate[y] * _base_month(month_val_v, compiled, y)
        spend = pay.sum(axis=(2, 3))
        comm_y[:, y, :, 0] = compiled.population[y][None, :]
        comm_y[:, y, :, 1] = compiled.allocation[y][None, :]
        comm_y[:, y, :, 2] = spend
        comm_y[:, y, :, 3] = compiled.other_spend[y][None, :]
        comm_y[:, y, :, 4] = compiled.lever_cost[y][None, :]
        comm_y[:, y, :, 5] = gap
        extra = state.commissioner_cost if state.commissioner_cost is not None else 0.0
        comm_y[:, y, :, 6] = (
            compiled.allocation[y]
            - spend
            - compiled.other_spend[y]
            - compiled.lever_cost[y]
            - extra
        )
        state.commissioner_cost = np.zeros((n_d, n_c))
        income = pay.sum(axis=(1, 3))
        prov_y[:, y, :, 0] = income
        prov_y[:, y, :, 1] = cost_v
        prov_y[:, y, :, 2] = income - cost_v
        prov_y[:, y, :, 3] = compiled.control_total[y][None, :]
        prov_y[:, y, :, 4] = income - cost_v - compiled.control_total[y][None, :]
        pod_act[:, y] = state.year_activity.sum(axis=2)
        pod_act[:, y, :, POD_INDEX["gp"]] = demand[
            :, 12 * y : 12 * y + 12, :, DEMAND_INDEX["gp"]
        ].sum(axis=1)
        pod_pay[:, y] = pay_cp
        if y + 1 < n_y:
            _rebase(state, y + 1)
            state.forms = dict(compiled.forms[y + 1])
            state.year_activity = np.zeros_like(state.year_activity)
            month_val_c[:] = 0.0
            month_val_v[:] = 0.0
            for rule in rules:
                rule.on_contract_round(state, y + 1)
    return ChunkOutput(
        start=start,
        stop=stop,
        commissioner=comm,
        provider=prov,
        commissioner_yearly=comm_y,
        provider_yearly=prov_y,
        pod_activity=pod_act,
        pod_payment=pod_pay,
        conservation=conservation,
        demand=demand.reshape(n_d, n_y, 12, n_c, -1).sum(axis=2),
        records=state.records,
    )


def _base_month(month_val_v: FloatArray, compiled: Compiled, y: int) -> FloatArray:
    """Monthly activity valued at base-year prices (D, 12, V), from the year's priced values."""
    ratio = np.where(
        compiled.price[y] > 0,
        compiled.base_price / np.where(compiled.price[y] > 0, compiled.price[y], 1.0),
        0.0,
    )
    return np.asarray((month_val_v * ratio[None, None]).sum(axis=3), dtype=np.float64)


def describe_state(state: SimulationState) -> dict[str, Any]:
    """A small summary of the state (for debugging behaviour rules)."""
    return {
        "month": state.month,
        "year": state.year,
        "waiting": float(state.waiting.sum()),
        "choice_sensitivity": state.choice_sensitivity,
        "forms": dict(state.forms),
    }
