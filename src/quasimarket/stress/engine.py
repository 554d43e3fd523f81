"""Evaluate contract designs on the draws: payments, costs and each party's net position.

The stress test works at LINE × YEAR aggregate level. For each draw and line::

    activity = planned_activity × volume_factor × (1 + demand_growth)
    price    = unit_price × (1 + case_mix)
    value    = activity × price                                   (at contract prices)
    cost     = (fixed_cost + variable_cost × (1 + case_mix) × (1 + los_shift if bed-based)
                × activity) × (1 + cost_inflation) × (1 − efficiency_target × delivered)

Each design turns activity and value into payments with the SAME mechanism functions the
contract engine uses (:mod:`quasimarket.mechanisms`), vectorised over the draw axis, then
applies line adjustments (activity cap, MRET, CQUIN, in that order: CQUIN is a share of the
outturn after deductions, payment-rules.md A9) and contract-level terms (binary risk share per
commissioner–provider pair; alliance gain/loss share). Party outcomes (£, + = better off)::

    commissioner net = budget − Σ payments for its lines
    provider net     = Σ payments to it − Σ its costs
    system           = Σ of all parties = Σ budgets − Σ costs

Every array op is vectorised over draws; the Python loops run over lines and designs only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from quasimarket.errors import ConfigError
from quasimarket.stress.sampling import RANDOM_BLOCK, Draws, Source, draw_sources, sources_of
from quasimarket.stress.scenario import (
    ActivityCap,
    AlignedPaymentIncentive,
    Blended,
    Block,
    Capitation,
    CapsAndCollars,
    CostAndVolume,
    CostPerCase,
    Cquin,
    Design,
    Mret,
    Scenario,
)

__all__ = ["SYSTEM", "ChunkResult", "Compiled", "compile_scenario", "evaluate_chunk"]

FloatArray = npt.NDArray[np.float64]
#: The party code of the whole system (sum of all parties).
SYSTEM = "system"


@dataclass(frozen=True)
class Compiled:
    """A scenario compiled to arrays (picklable: sent once to every Dask worker).

    Attributes:
        scenario: The validated scenario.
        sources: Sources of uncertainty, in stream order.
        parties: Party codes, then ``"system"``.
        roles: Role of each entry of ``parties`` (``"system"`` last).
        plan, price, fixed_cost, variable_cost, efficiency_target: ``(lines,)``.
        bed_based: ``(lines,)`` 1.0 where length of stay moves cost.
        line_commissioner, line_provider: ``(lines,)`` index into ``parties``.
        budget: ``(parties,)`` commissioners' budgets (0 for providers), £.
    """

    scenario: Scenario
    sources: tuple[Source, ...]
    parties: tuple[str, ...]
    roles: tuple[str, ...]
    plan: FloatArray
    price: FloatArray
    fixed_cost: FloatArray
    variable_cost: FloatArray
    efficiency_target: FloatArray
    bed_based: FloatArray
    line_commissioner: npt.NDArray[np.intp]
    line_provider: npt.NDArray[np.intp]
    budget: FloatArray

    @property
    def line_ids(self) -> list[str]:
        """Line ids in order."""
        return [line.id for line in self.scenario.lines]


def compile_scenario(scenario: Scenario) -> Compiled:
    """Compile *scenario* to arrays (see :class:`Compiled`)."""
    lines = scenario.lines
    codes = [p.code for p in scenario.parties]
    index = {code: i for i, code in enumerate(codes)}
    line_comm = np.array([index[line.commissioner] for line in lines], dtype=np.intp)
    planned_value = np.array([line.planned_value_gbp for line in lines])
    budget = np.zeros(len(codes))
    for i, party in enumerate(scenario.parties):
        if party.role == "commissioner":
            budget[i] = (
                party.budget_gbp
                if party.budget_gbp is not None
                else float(planned_value[line_comm == i].sum())
            )
    return Compiled(
        scenario=scenario,
        sources=tuple(sources_of(scenario)),
        parties=(*codes, SYSTEM),
        roles=(*(p.role for p in scenario.parties), SYSTEM),
        plan=np.array([line.planned_activity for line in lines]),
        price=np.array([line.unit_price_gbp for line in lines]),
        fixed_cost=np.array([line.fixed_cost_gbp for line in lines]),
        variable_cost=np.array([line.variable_cost_gbp for line in lines]),
        efficiency_target=np.array([line.efficiency_target for line in lines]),
        bed_based=np.array([1.0 if line.is_bed_based else 0.0 for line in lines]),
        line_commissioner=line_comm,
        line_provider=np.array([index[line.provider] for line in lines], dtype=np.intp),
        budget=budget,
    )


@dataclass(frozen=True)
class ChunkResult:
    """What one chunk of draws contributes.

    Attributes:
        start, stop: Draw range.
        outcomes: ``(designs, parties + system, n)`` net position, £.
        bins: ``(sources, n)`` attribution bin of each source's score.
        payment_blocks: ``(designs, lines, blocks)`` sums of line payments per random block.
        cost_blocks, activity_blocks: ``(lines, blocks)`` sums of cost (£) and activity.
        first_payment, first_cost, first_activity: the same at the chunk's first draw (the
            central case for the first chunk, which the statistics leave out).
    """

    start: int
    stop: int
    outcomes: FloatArray
    bins: npt.NDArray[np.uint8]
    payment_blocks: FloatArray
    cost_blocks: FloatArray
    activity_blocks: FloatArray
    first_payment: FloatArray
    first_cost: FloatArray
    first_activity: FloatArray


def _achieved(ref: float | str, draws: Draws, n: int) -> FloatArray:
    if isinstance(ref, str):
        return draws.achievement[ref]
    return np.full(n, float(ref))


def _line_payment(
    spec: Any,
    *,
    activity: FloatArray,
    price: FloatArray,
    plan: float,
    plan_value: float,
    draws: Draws,
) -> FloatArray:
    """Payment for one line under its design's mechanism, then its adjustments, £ per draw."""
    from quasimarket.mechanisms import (
        activity_cap,
        blended,
        block,
        capitation,
        caps_and_collars,
        cost_and_volume,
        cost_per_case,
        cquin,
        mret,
    )

    n = activity.shape[0]
    value = activity * price
    payment: FloatArray
    if isinstance(spec, CostPerCase):
        payment = cost_per_case.cost_per_case(activity, price=price).payment
    elif isinstance(spec, Block):
        annual = block.block_payment(
            plan_value if spec.annual_value is None else spec.annual_value,
            monthly_profile=spec.monthly_profile,
        ).annual
        payment = np.broadcast_to(annual, (n,)).astype(np.float64)
    elif isinstance(spec, CostAndVolume):
        payment = cost_and_volume.cost_and_volume(
            activity,
            base_value=plan_value if spec.base_value is None else spec.base_value,
            threshold_activity=plan if spec.threshold_activity is None else spec.threshold_activity,
            price=price,
            marginal_rate=spec.marginal_rate,
        ).payment
    elif isinstance(spec, CapsAndCollars):
        payment = caps_and_collars.caps_and_collars(
            activity,
            fixed_value=plan_value if spec.fixed_value is None else spec.fixed_value,
            collar_activity=(
                plan * (1 - spec.corridor) if spec.collar_activity is None else spec.collar_activity
            ),
            cap_activity=plan * (1 + spec.corridor)
            if spec.cap_activity is None
            else spec.cap_activity,
            price=price,
            marginal_rate=spec.marginal_rate,
        ).payment
    elif isinstance(spec, Blended):
        payment = blended.blended_payment(
            value,
            planned_value=plan_value if spec.planned_value is None else spec.planned_value,
            variable_rate=spec.variable_rate,
        ).payment
    elif isinstance(spec, AlignedPaymentIncentive):
        payment = blended.aligned_payment_incentive(
            value,
            fixed_value=plan_value if spec.fixed_value is None else spec.fixed_value,
            elective_threshold_value=(
                plan_value
                if spec.elective_threshold_value is None
                else spec.elective_threshold_value
            ),
            variable_rate=spec.variable_rate,
            floor_value=spec.floor_value,
        ).payment
    elif isinstance(spec, Capitation):
        payment = capitation.capitation(
            spec.weighted_population,
            rate_per_head=spec.rate_per_head,
            outcome_share=spec.outcome_share,
            outcome_achievement=_achieved(spec.outcome_achievement, draws, n),
            contingency_share=spec.contingency_share,
            contingency_released=_achieved(spec.contingency_released, draws, n),
        ).payment
    else:  # pragma: no cover - the scenario model admits no other mechanism
        raise TypeError(type(spec).__name__)
    payment = np.broadcast_to(payment, (n,)).astype(np.float64)
    order = sorted(spec.adjustments, key=lambda a: isinstance(a, Cquin))
    for adjustment in order:
        if isinstance(adjustment, ActivityCap):
            cap = plan_value if adjustment.plan_value is None else adjustment.plan_value
            payment = payment + activity_cap.activity_cap(payment, plan_value=cap).adjustment
        elif isinstance(adjustment, Mret):
            base = plan_value if adjustment.baseline_value is None else adjustment.baseline_value
            payment = (
                payment
                + mret.marginal_rate_emergency(
                    payment, baseline_value=base, rate=adjustment.rate
                ).adjustment
            )
        elif isinstance(adjustment, Cquin):
            weights = np.array([goal.weight for goal in adjustment.goals])
            achieved = np.stack([_achieved(g.achievement, draws, n) for g in adjustment.goals], -1)
            payment = (
                payment
                + cquin.cquin_payment(
                    payment, rate=adjustment.rate, weights=weights, achievement=achieved
                ).earned
            )
    return payment


def _design_payments(
    compiled: Compiled,
    design: Design,
    *,
    activity: FloatArray,
    price: FloatArray,
    cost: FloatArray,
    draws: Draws,
) -> FloatArray:
    """``(lines, n)`` payments to each line's provider under *design*, £."""
    scenario = compiled.scenario
    n = activity.shape[1]
    payments = np.zeros_like(activity)
    alliance = design.alliance
    partners = set(alliance.partners) if alliance else set()
    for i, line in enumerate(scenario.lines):
        if line.provider in partners:
            continue
        spec = scenario.line_design(design, line.id)
        try:
            payments[i] = _line_payment(
                spec,
                activity=activity[i],
                price=price[i],
                plan=float(compiled.plan[i]),
                plan_value=float(compiled.plan[i] * compiled.price[i]),
                draws=draws,
            )
        except ConfigError as error:  # a mechanism refused a parameter: say which design/line
            raise ConfigError(
                error.problem,
                location=f"design '{design.name}', line '{line.id}': {error.location}",
                expected=error.expected,
                fix=error.fix,
            ) from None
    if design.risk_share is not None:
        from quasimarket.mechanisms.risk_share import risk_share

        # one risk share per commissioner–provider pair, over the pair's non-alliance lines
        pairs = sorted(
            {(ln.commissioner, ln.provider) for ln in scenario.lines if ln.provider not in partners}
        )
        for comm, prov in pairs:
            rows = [
                i
                for i, line in enumerate(scenario.lines)
                if line.commissioner == comm and line.provider == prov
            ]
            if not rows:
                continue
            actual = payments[rows].sum(axis=0)
            plan_value = float((compiled.plan[rows] * compiled.price[rows]).sum())
            shared = risk_share(
                actual,
                plan_value=plan_value,
                band_edges=design.risk_share.band_edges,
                provider_shares=design.risk_share.provider_shares,
            ).payment
            scale = np.divide(shared, actual, out=np.ones(n), where=actual != 0)
            payments[rows] = payments[rows] * scale
    if alliance is not None:
        from quasimarket.mechanisms.gain_loss_share import gain_loss_share

        partner_rows = [
            [i for i, line in enumerate(scenario.lines) if line.provider == code]
            for code in alliance.partners
        ]
        partner_cost = np.stack([cost[rows].sum(axis=0) for rows in partner_rows], axis=-1)
        rows_all = [i for rows in partner_rows for i in rows]
        planned = float((compiled.plan[rows_all] * compiled.price[rows_all]).sum())
        delivered = (activity[rows_all] * compiled.price[rows_all, np.newaxis]).sum(axis=0)
        demand_over_plan = delivered / planned - 1.0 if planned > 0 else np.zeros(n)
        result = gain_loss_share(
            alliance.envelope_gbp,
            partner_cost,
            shares=alliance.shares,
            exempt=[code in alliance.exempt for code in alliance.partners],
            outcome_pot=alliance.outcome_pot_gbp,
            outcome_achievement=_achieved(alliance.outcome_achievement, draws, n),
            step_in_threshold=alliance.step_in_threshold,
            demand_over_plan=demand_over_plan,
            year_index=alliance.year_index,
            service_development=alliance.service_development_gbp,
            provider_split=alliance.provider_split,
        )
        income = partner_cost + result.net_position  # (n, partners)
        for k, rows in enumerate(partner_rows):
            line_cost = cost[rows]
            total = line_cost.sum(axis=0)
            weight = np.divide(
                line_cost, total, out=np.full_like(line_cost, 1.0 / len(rows)), where=total != 0
            )
            payments[rows] = weight * income[:, k]
    return payments


def evaluate_chunk(compiled: Compiled, start: int, stop: int) -> ChunkResult:
    """Draw the sources and evaluate every design for draws ``start ≤ i < stop``."""
    scenario = compiled.scenario
    draws = draw_sources(scenario, start, stop)
    n = stop - start
    activity = compiled.plan[:, np.newaxis] * draws.volume_factor * (1.0 + draws.growth)
    case_mix = 1.0 + draws.case_mix
    price = compiled.price[:, np.newaxis] * case_mix
    unit_cost = (
        compiled.variable_cost[:, np.newaxis]
        * case_mix
        * (1.0 + compiled.bed_based[:, np.newaxis] * draws.length_of_stay)
    )
    cost = (
        (compiled.fixed_cost[:, np.newaxis] + unit_cost * activity)
        * (1.0 + draws.inflation)
        * (1.0 - compiled.efficiency_target[:, np.newaxis] * draws.efficiency)
    )
    n_parties = len(compiled.parties)
    designs = scenario.designs
    outcomes = np.zeros((len(designs), n_parties, n))
    provider_cost = np.zeros((n_parties, n))
    for i in range(len(scenario.lines)):
        provider_cost[compiled.line_provider[i]] += cost[i]
    block_starts = _block_starts(start, stop)
    payment_blocks = np.zeros((len(designs), len(scenario.lines), len(block_starts)))
    first_payment = np.zeros((len(designs), len(scenario.lines)))
    for d, design in enumerate(designs):
        payments = _design_payments(
            compiled, design, activity=activity, price=price, cost=cost, draws=draws
        )
        net = outcomes[d]
        net[:-1] += compiled.budget[:, np.newaxis]
        for i in range(len(scenario.lines)):
            net[compiled.line_commissioner[i]] -= payments[i]
            net[compiled.line_provider[i]] += payments[i]
        net[:-1] -= provider_cost[:-1]
        net[-1] = net[:-1].sum(axis=0)
        payment_blocks[d] = np.add.reduceat(payments, block_starts, axis=1)
        first_payment[d] = payments[:, 0]
    return ChunkResult(
        start=start,
        stop=stop,
        outcomes=outcomes,
        bins=draws.bins,
        payment_blocks=payment_blocks,
        cost_blocks=np.add.reduceat(cost, block_starts, axis=1),
        activity_blocks=np.add.reduceat(activity, block_starts, axis=1),
        first_payment=first_payment,
        first_cost=cost[:, 0].copy(),
        first_activity=activity[:, 0].copy(),
    )


def _block_starts(start: int, stop: int) -> npt.NDArray[np.intp]:
    """Offsets (within the chunk) where each fixed random block begins (chunks start on a
    block boundary, so per-block sums do not depend on the chunking)."""
    if start % RANDOM_BLOCK:
        raise ValueError(f"chunks must start on a multiple of {RANDOM_BLOCK} draws, got {start}")
    return np.arange(0, stop - start, RANDOM_BLOCK, dtype=np.intp)
