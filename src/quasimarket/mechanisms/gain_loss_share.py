"""Multilateral gain/loss share across alliance partners against a financial envelope.

Multilateral gain/loss shares let "(multiple) commissioners and providers … distribute any savings
and losses from system change among themselves" (Monitor 2015c, 002@262324); risk/reward
structures "divide financial rewards and penalties according to a fixed preagreed ratio"
(002@263660). Alliance case study B (002@273159–275,000; 002@277932; seeds-digest §4.12) is the
one case in the research with the rules written down, and this function implements its shape:

1. **Netting.** Partners net off their individual over/under spends (002@277932): the system
   position is ``envelope − Σ actual costs``.
2. **Loss pool.** An overspend sits with the providers, shared by ``shares`` among partners that
   are not ``exempt`` (renormalised pro rata). The research says the agreement "did not specify
   how this 'loss pool' should be shared" (002@274158): pro rata to shares is our default
   [modelling note].
3. **Commissioner step-in.** When ``demand_over_plan ≥ step_in_threshold`` (case B: 10%), the
   commissioner funds the overspend (002@274158). What exactly it funds is not stated:
   ``step_in_funds="all"`` (default, the literal reading: the whole overspend) or
   ``"excess"`` (only the overspend above ``step_in_threshold × envelope``) [modelling note].
4. **Underspend waterfall** (002@274663). In year 1 it all returns to the commissioner. Later:
   first ``service_development`` (£, capped at the underspend) is ploughed into service
   development, then ``provider_split`` (case B: 50%) goes to providers (non-exempt, pro rata)
   and the rest to the commissioner. ``outcome_gate=False`` forfeits the providers' part to the
   commissioner (a gate: "gain only if KPIs met", payment-rules.md A11 [K]).
5. **Outcome pot** (case B: £140,000 from year 2, 002@273159). The pot is part of the envelope
   held at risk; partners earn ``outcome_achievement`` of it in proportion to ``shares`` (all
   partners, as the 40/40/10/10 ratio includes the third sector); the rest (``outcome_lost``) is
   kept by the commissioner [modelling note on the mechanics].

Money is conserved exactly: ``Σ net_position + commissioner_position + service_development ==
envelope − Σ actual_costs``.

Axes: system-level arguments (``envelope``, ``outcome_pot``, ``outcome_achievement``,
``outcome_gate``, ``demand_over_plan``, ``year_index``, ``service_development``) broadcast over the
leading axes; partner-level arguments (``actual_costs``, ``shares``, ``exempt``) have partners on
the LAST axis.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import (
    FloatArray,
    as_float,
    check_choice,
    check_nonnegative,
    check_rate,
    check_shares,
    fail,
)
from quasimarket.mechanisms.registry import register

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["STEP_IN_FUNDS", "GainLossShare", "alliance_statement", "gain_loss_share"]

StepInFunds = Literal["all", "excess"]
STEP_IN_FUNDS: tuple[str, ...] = ("all", "excess")


@dataclass(frozen=True, slots=True)
class GainLossShare:
    """The year-end gain/loss share of an alliance. Partner fields have partners on the last axis.

    Attributes:
        contract_value: Each partner's contract value, ``envelope × share``, £.
        actual_cost: Each partner's actual cost, £.
        variance: ``contract_value − actual_cost``, £ (positive = underspend).
        loss_share: Each partner's share of the system overspend before step-in, £ (≤ 0).
        step_in: Commissioner step-in funding attributed to each partner, £ (≥ 0).
        outcome_earned: Outcome pot earned by each partner, £.
        outcome_lost: Outcome pot lost by each partner, £ (≤ 0).
        underspend_share: Each partner's share of the underspend waterfall, £ (≥ 0).
        net_position: ``loss_share + step_in + underspend_share + outcome_lost``: each partner's
            surplus (+) or deficit (−) after netting, £.
        system_variance: ``envelope − Σ actual_cost``, £ (positive = underspend).
        stepped_in: Whether the commissioner stepped in (bool array).
        step_in_total: Commissioner step-in funding, £ (≥ 0).
        commissioner_underspend: Underspend returned to the commissioner, £ (≥ 0).
        service_development: Underspend ploughed into service development, £ (≥ 0).
        commissioner_position: ``commissioner_underspend − step_in_total + Σ |outcome_lost|``:
            the commissioner's gain (+) or extra cost (−), £.
    """

    contract_value: FloatArray
    actual_cost: FloatArray
    variance: FloatArray
    loss_share: FloatArray
    step_in: FloatArray
    outcome_earned: FloatArray
    outcome_lost: FloatArray
    underspend_share: FloatArray
    net_position: FloatArray
    system_variance: FloatArray
    stepped_in: npt.NDArray[np.bool_]
    step_in_total: FloatArray
    commissioner_underspend: FloatArray
    service_development: FloatArray
    commissioner_position: FloatArray


def gain_loss_share(
    envelope: npt.ArrayLike,
    actual_costs: npt.ArrayLike,
    *,
    shares: npt.ArrayLike,
    exempt: npt.ArrayLike | None = None,
    outcome_gate: npt.ArrayLike = True,
    outcome_pot: npt.ArrayLike = 0.0,
    outcome_achievement: npt.ArrayLike = 1.0,
    step_in_threshold: float | npt.ArrayLike | None = None,
    demand_over_plan: npt.ArrayLike = 0.0,
    year_index: npt.ArrayLike = 1,
    service_development: npt.ArrayLike = 0.0,
    provider_split: npt.ArrayLike = 0.5,
    step_in_funds: StepInFunds | str = "all",
) -> GainLossShare:
    """Share an alliance's over- or underspend against its envelope among partners.

    Args:
        envelope: The alliance's financial envelope for the year, £ (case B: £12m).
        actual_costs: Each partner's actual cost, £, partners on the LAST axis.
        shares: Pre-agreed shares (by contract value), partners on the LAST axis, summing to 1
            (case B: 0.4, 0.4, 0.1, 0.1).
        exempt: Partners exempt from the loss pool and the underspend split (bool, last axis);
            case B's third-sector partners (002@277932). Default: none.
        outcome_gate: Whether the outcome gate is met; if False the providers' part of the
            underspend goes to the commissioner.
        outcome_pot: Outcome-based gain/pain pot held at risk within the envelope, £
            (case B: £140,000 from year 2).
        outcome_achievement: Fraction of the pot earned, in [0, 1].
        step_in_threshold: Demand over plan (fraction) from which the commissioner steps in
            (case B: 0.10); ``None`` = never.
        demand_over_plan: Demand above plan as a fraction (0.12 = 12% over).
        year_index: Contract year (1 = first year: all underspend to the commissioner).
        service_development: Underspend called for service development from year 2, £ (≥ 0).
        provider_split: Providers' share of the remaining underspend, in [0, 1] (case B: 0.5).
        step_in_funds: ``"all"`` (default) or ``"excess"``; see the module docstring.

    Returns:
        :class:`GainLossShare`.

    Risk:
        Non-exempt alliance providers carry overspends pro rata unless demand exceeds plan by the
        step-in threshold; underspends go to the commissioner in year 1, then to service development
        and a provider/commissioner split.

    Source:
        002@262324; 002@263660; 002@273159–275,000; 002@277932; seeds-digest §4.12;
        payment-rules.md A11 [K].

    Raises:
        ConfigError: Shares not summing to 1; all partners exempt; a rate outside [0, 1];
            negative pot, threshold or service development; unknown ``step_in_funds``;
            ``year_index`` below 1.
    """
    check_choice(step_in_funds, "step_in_funds", STEP_IN_FUNDS)
    share = check_shares(shares, "shares")
    costs = as_float(actual_costs)
    if costs.ndim == 0 or costs.shape[-1] != share.shape[-1]:
        fail(
            "actual_costs",
            f"actual_costs has {np.shape(costs)[-1] if costs.ndim else 1} partners, "
            f"shares has {share.shape[-1]}",
            expected="one actual cost per partner, in the same order as shares",
            fix="give actual_costs and shares the same partners",
        )
    exempt_mask = (
        np.zeros(share.shape[-1], dtype=bool) if exempt is None else np.asarray(exempt, dtype=bool)
    )
    at_risk = share * ~exempt_mask
    at_risk_total = at_risk.sum(axis=-1, keepdims=True)
    if np.any(at_risk_total <= 0.0):
        fail(
            "exempt",
            "every partner with a share is exempt, so nobody carries the risk",
            expected="at least one partner with a positive share that is not exempt",
            fix="remove at least one partner from exempt",
        )
    weights = at_risk / at_risk_total
    split = check_rate(provider_split, "provider_split")
    achievement = check_rate(outcome_achievement, "outcome_achievement")
    pot = check_nonnegative(outcome_pot, "outcome_pot")
    development_call = check_nonnegative(service_development, "service_development")
    year = as_float(year_index)
    if np.any(year < 1):
        fail(
            "year_index",
            "year_index must be 1 or more",
            expected="the contract year: 1 for the first year, 2 for the second, …",
            fix="count contract years from 1",
        )
    total_envelope = as_float(envelope)

    contract_value = total_envelope[..., np.newaxis] * share
    variance = contract_value - costs
    system = total_envelope - costs.sum(axis=-1)
    loss = np.minimum(system, 0.0)
    gain = np.maximum(system, 0.0)

    if step_in_threshold is None:
        stepped = np.zeros(np.shape(loss), dtype=bool)
        step_in_total = np.zeros_like(loss)
    else:
        threshold = check_nonnegative(step_in_threshold, "step_in_threshold")
        stepped = (as_float(demand_over_plan) >= threshold) & (loss < 0.0)
        if step_in_funds == "all":
            funded = -loss
        else:
            funded = np.maximum(0.0, -loss - threshold * total_envelope)
        step_in_total = np.where(stepped, funded, 0.0)

    first_year = year <= 1
    development = np.where(first_year, 0.0, np.minimum(gain, development_call))
    gated = np.asarray(outcome_gate, dtype=bool)
    to_providers = np.where(first_year | ~gated, 0.0, split * (gain - development))
    to_commissioner = gain - development - to_providers

    partner_pot = pot[..., np.newaxis] * share
    earned = partner_pot * achievement[..., np.newaxis]
    lost = earned - partner_pot

    loss_share = loss[..., np.newaxis] * weights
    step_in = step_in_total[..., np.newaxis] * weights
    underspend_share = to_providers[..., np.newaxis] * weights
    net = loss_share + step_in + underspend_share + lost
    commissioner = to_commissioner - step_in_total - lost.sum(axis=-1)

    shape = np.broadcast_shapes(net.shape[:-1], system.shape)

    def system_level(x: npt.ArrayLike) -> FloatArray:
        return np.broadcast_to(as_float(x), shape).astype(np.float64)

    partner_shape = (*shape, share.shape[-1])

    def partner_level(x: npt.ArrayLike) -> FloatArray:
        return np.broadcast_to(as_float(x), partner_shape).astype(np.float64)

    return GainLossShare(
        contract_value=partner_level(contract_value),
        actual_cost=partner_level(costs),
        variance=partner_level(variance),
        loss_share=partner_level(loss_share),
        step_in=partner_level(step_in),
        outcome_earned=partner_level(earned),
        outcome_lost=partner_level(lost),
        underspend_share=partner_level(underspend_share),
        net_position=partner_level(net),
        system_variance=system_level(system),
        stepped_in=np.broadcast_to(stepped, shape).copy(),
        step_in_total=system_level(step_in_total),
        commissioner_underspend=system_level(to_commissioner),
        service_development=system_level(development),
        commissioner_position=system_level(commissioner),
    )


def alliance_statement(envelope: float, actual_costs: npt.ArrayLike, **terms: Any) -> pd.DataFrame:
    """The partner-by-partner statement: see :func:`.alliance.alliance_statement`."""
    from quasimarket.mechanisms.alliance import alliance_statement as statement

    return statement(envelope, actual_costs, **terms)


register(
    "gain_loss_share",
    title="Multilateral gain/loss share (alliance)",
    kind="contract",
    function=gain_loss_share,
    rule_source="002@262324; 002@273159–275,000; 002@277932; seeds-digest §4.12",
    risk_note=(
        "Non-exempt alliance providers carry overspends pro rata unless demand exceeds plan by "
        "the step-in threshold; underspends go to the commissioner in year 1, then to service "
        "development and a provider/commissioner split."
    ),
)
