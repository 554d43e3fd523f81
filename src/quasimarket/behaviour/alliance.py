"""Behaviour 6: alliances and system control totals (002@267722-283700; 002@279453-281200).

Providers join an alliance and share the system's gains and losses by a multilateral rule:
each partner's result is its contract-value share of the pooled surplus (the alliance gain/loss
share of case B, 002@273159; :mod:`quasimarket.mechanisms.gain_loss_share` prices a written
alliance contract; here the pooled shares are recorded, not paid). A partner withdraws at the
next contract round when its quantified risk (its share of a pooled loss as a fraction of its
income) exceeds its ``tolerance``, or, when risk is *unquantified* (``risk_quantified = false``:
poor data and no stress testing, 002@279453-281200), unless it has a prior trusting
relationship (``trust``: the chance it stays; alliances work where trust exists, 002@281762).
With individual control totals ``alongside`` the system total (stp-2016), a partner meeting its
own total but pulled below it by the pool is in conflict and withdraws with probability
``conflict_withdrawal`` (002@279999; case C: the LA and two acute trusts withdrew, 002@281529).
With one ``single`` system control total (ics-2019) there is no individual conflict.

Run table ``alliance``: per draw, year and provider: member, own_surplus_gbp,
pooled_surplus_gbp, risk, conflict, withdrew.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from pydantic import Field

from quasimarket._types import FloatArray
from quasimarket.behaviour._common import (
    InstitutionalRule,
    Options,
    emit,
    parse_options,
    provider_cost,
    uniforms,
    year_label,
)
from quasimarket.behaviour.hooks import register_behaviour

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

__all__ = ["Alliance", "AllianceOptions", "pooled_results"]


class AllianceOptions(Options):
    """Options of ``alliance``.

    Attributes:
        risk_quantified: Whether partners have a quantified risk (stress-tested) (true).
        tolerance: Largest tolerated pooled loss as a share of income, [0, 1] (0.02 [K]).
        trust: Chance a partner with unquantified risk stays (prior trust), [0, 1] (0.3 [K]).
        control_totals: ``alongside`` individual totals or ``single`` system total.
        conflict_withdrawal: Chance a partner in control-total conflict withdraws, [0, 1]
            (0.5 [K]).
    """

    risk_quantified: bool = True
    tolerance: float = Field(default=0.02, ge=0.0, le=1.0)
    trust: float = Field(default=0.3, ge=0.0, le=1.0)
    control_totals: Literal["none", "alongside", "single"] = "alongside"
    conflict_withdrawal: float = Field(default=0.5, ge=0.0, le=1.0)


def pooled_results(
    surplus: FloatArray, value: FloatArray, member: FloatArray
) -> tuple[FloatArray, FloatArray]:
    """Each member's share of the pooled surplus (D, V) and its share (D, V).

    Non-members keep their own surplus.
    """
    v_members = value * member
    total = v_members.sum(axis=1, keepdims=True)
    share = np.where(total > 0, v_members / np.where(total > 0, total, 1.0), 0.0)
    pool = (surplus * member).sum(axis=1, keepdims=True)
    return np.where(member > 0, share * pool, surplus), share


class Alliance(InstitutionalRule):
    """Hook rule: pooled gains and losses; withdrawals on risk and control-total conflict."""

    name = "alliance"

    def __init__(self, options: dict[str, Any]) -> None:
        self.set_options(options)
        self.member: FloatArray | None = None
        self.draws: FloatArray | None = None

    def set_options(self, options: dict[str, Any]) -> None:
        """Validate and set the options (raises ConfigError)."""
        self.options = parse_options(AllianceOptions, options, self.name)

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """Pool the year's results, then decide withdrawals for next year."""
        comp, o = state.compiled, self.options
        n_d, n_v = len(state.draws), len(comp.providers)
        if self.draws is None:
            self.draws = uniforms(state, self.name, (len(comp.years), n_v, 2))
            self.member = np.ones((n_d, n_v))
        assert self.member is not None
        u = self.draws[:, year]
        income = state.payments.sum(axis=(1, 3))
        surplus = income - provider_cost(state, year)
        control = comp.control_total[year][None, :]
        pooled, _ = pooled_results(surplus, income, self.member)
        risk = np.where(
            income > 0, np.maximum(-pooled, 0.0) / np.where(income > 0, income, 1.0), 0.0
        )
        conflict = (
            (self.member > 0) & (surplus >= control) & (pooled < control)
            if o.control_totals == "alongside"
            else np.zeros_like(self.member, dtype=bool)
        )
        leave = risk > o.tolerance if o.risk_quantified else u[..., 0] >= o.trust
        leave = (leave | (conflict & (u[..., 1] < o.conflict_withdrawal))) & (self.member > 0)
        emit(
            state,
            "alliance",
            {
                "draw": np.repeat(state.draws, n_v),
                "financial_year": year_label(state, year),
                "provider": np.tile(np.asarray(comp.providers, dtype=object), n_d),
                "member": self.member.reshape(-1).astype(np.int64),
                "own_surplus_gbp": surplus.reshape(-1),
                "pooled_surplus_gbp": pooled.reshape(-1),
                "risk": risk.reshape(-1),
                "conflict": conflict.reshape(-1).astype(np.int64),
                "withdrew": leave.reshape(-1).astype(np.int64),
            },
        )
        self.member = np.where(leave, 0.0, self.member)


register_behaviour("alliance", Alliance)
