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

import itertools
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from quasimarket.errors import ConfigError
from quasimarket.stress.design_contracts import DesignContract, design_contracts
from quasimarket.stress.sampling import RANDOM_BLOCK, Draws, Source, draw_sources, sources_of
from quasimarket.stress.scenario import Design, Scenario

__all__ = ["SYSTEM", "ChunkResult", "Compiled", "compile_scenario", "evaluate_chunk"]

FloatArray = npt.NDArray[np.float64]
#: The party code of the whole system (sum of all parties).
SYSTEM = "system"


@dataclass(frozen=True)
class _Layout:
    """Where each contract of a design sits in one line order: the contracts' lines are
    contiguous in ``order``, so each contract prices a slice (a view, no copy)."""

    order: npt.NDArray[np.intp]
    parts: tuple[slice, ...]
    identity: bool


def _layout(parts: tuple[DesignContract, ...], n_lines: int) -> _Layout:
    order = np.concatenate([part.rows for part in parts]).astype(np.intp)
    bounds = np.cumsum([0, *(len(part.rows) for part in parts)])
    slices = tuple(slice(int(a), int(b)) for a, b in itertools.pairwise(bounds))
    return _Layout(
        order, slices, bool(len(order) == n_lines and (order == np.arange(n_lines)).all())
    )


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
        contracts: Per design, its contracts (:mod:`quasimarket.stress.design_contracts`).
        layouts: Per design, the line order that makes each contract's lines contiguous.
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
    contracts: tuple[tuple[DesignContract, ...], ...] = ()
    layouts: tuple[_Layout, ...] = ()

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
    contracts = tuple(tuple(design_contracts(scenario, d)) for d in scenario.designs)
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
        contracts=contracts,
        layouts=tuple(_layout(parts, len(lines)) for parts in contracts),
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


def _design_payments(
    compiled: Compiled,
    d: int,
    *,
    activity: FloatArray,
    value: FloatArray,
    cost: FloatArray,
    draws: Draws,
) -> FloatArray:
    """``(lines, n)`` payments to each line's provider under design *d*, £, with the lines in
    the design's layout order (``activity`` and ``value`` are already in that order).

    Every contract of the design goes through the one payment pipeline
    (:func:`quasimarket.payment.pipeline.run`) on line aggregates with a leading draw axis.
    """
    from quasimarket.payment import pipeline
    from quasimarket.payment.inputs import Achievement
    from quasimarket.payment.units import Units

    design: Design = compiled.scenario.designs[d]
    layout = compiled.layouts[d]
    n = activity.shape[1]
    payments = value.copy()  # each contract's units work on their slice of it, in place
    for part, sl in zip(compiled.contracts[d], layout.parts, strict=True):
        rows = part.rows
        ids = [line.id for line in part.contract.lines]
        cquin: dict[str, dict[str, FloatArray]] = {}
        outcomes: dict[str, FloatArray] = {}
        contingency: dict[str, FloatArray] = {}
        for line_id, ref in zip(ids, part.refs, strict=True):
            if "cquin" in ref:
                cquin[line_id] = {
                    f"goal_{k + 1}": _achieved(r, draws, n) for k, r in enumerate(ref["cquin"])
                }
            if "outcome" in ref:
                outcomes[line_id] = _achieved(ref["outcome"], draws, n)
                contingency[line_id] = _achieved(ref["contingency"], draws, n)
        spend = None
        demand = None
        alliance = design.alliance
        if part.partners and alliance is not None:
            provider = [compiled.scenario.lines[i].provider for i in rows]
            spend = np.stack(
                [
                    cost[[i for i, p in zip(rows, provider, strict=True) if p == code]].sum(axis=0)
                    for code in part.partners
                ],
                axis=-1,
            )
            planned = float((compiled.plan[rows] * compiled.price[rows]).sum())
            delivered = (activity[sl] * compiled.price[rows, np.newaxis]).sum(axis=0)
            demand = delivered / planned - 1.0 if planned > 0 else np.zeros(n)
            ach_alliance: Any = _achieved(alliance.outcome_achievement, draws, n)
        else:
            ach_alliance = None
        units = Units.of_lines(
            count=activity[sl].T,
            value=payments[sl].T,  # (draws, lines) view: the pipeline pays into it
            pod=part.pods,
            columns=False,  # only the outturn is needed per draw
            copy=False,
        )
        try:
            result = pipeline.run(
                part.contract,
                units,
                achievement=Achievement(
                    cquin=cquin, outcomes=outcomes, contingency=contingency, alliance=ach_alliance
                ),
                alliance_spend=spend,
                demand_over_plan=demand,
                record_level=False,
                checked=True,
            )
        except ConfigError as error:  # say which design
            raise ConfigError(
                error.problem,
                location=f"design '{design.name}': {error.location}",
                expected=error.expected,
                fix=error.fix,
            ) from None
        if not np.may_share_memory(result.formal_by_line, payments):
            payments[sl] = result.formal_by_line.T  # residuals: not already in place
    return payments


def evaluate_chunk(compiled: Compiled, start: int, stop: int) -> ChunkResult:
    """Draw the sources and evaluate every design for draws ``start ≤ i < stop``."""
    scenario = compiled.scenario
    draws = draw_sources(scenario, start, stop)
    n = stop - start
    activity = compiled.plan[:, np.newaxis] * draws.volume_factor * (1.0 + draws.growth)
    case_mix = 1.0 + draws.case_mix
    value = activity * (compiled.price[:, np.newaxis] * case_mix)  # at contract prices
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
    n_lines = len(scenario.lines)
    outcomes = np.zeros((len(designs), n_parties, n))
    provider_cost = np.zeros((n_parties, n))
    for i in range(n_lines):
        provider_cost[compiled.line_provider[i]] += cost[i]
    block_starts = _block_starts(start, stop)
    payment_blocks = np.zeros((len(designs), n_lines, len(block_starts)))
    first_payment = np.zeros((len(designs), n_lines))
    # designs whose contracts group the lines alike share one reordered copy of the arrays
    ordered: dict[bytes, tuple[FloatArray, FloatArray]] = {}
    for d in range(len(designs)):
        layout = compiled.layouts[d]
        key = layout.order.tobytes()
        if key not in ordered:
            ordered[key] = (
                (activity, value)
                if layout.identity
                else (activity[layout.order], value[layout.order])
            )
        act_d, value_d = ordered[key]
        payments = _design_payments(
            compiled, d, activity=act_d, value=value_d, cost=cost, draws=draws
        )
        net = outcomes[d]
        net[:-1] += compiled.budget[:, np.newaxis]
        for k, i in enumerate(layout.order):
            net[compiled.line_commissioner[i]] -= payments[k]
            net[compiled.line_provider[i]] += payments[k]
        net[:-1] -= provider_cost[:-1]
        net[-1] = net[:-1].sum(axis=0)
        payment_blocks[d][layout.order] = np.add.reduceat(payments, block_starts, axis=1)
        first_payment[d][layout.order] = payments[:, 0]
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
