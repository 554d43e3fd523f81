"""Behaviour 1: year-end settlement below the formal outturn (002@250676; 002@251075).

When a commissioner's formal outturn (its contract payments under the rules) exceeds what it can
afford, the parties agree a settlement below it: "a final overall agreement was made at year-end
which did not adhere strictly to the contractual provisions" (002@250676), increasingly often as
budgets tightened (002@251075). Where money is sufficient the contract is paid in full
(002@251959). Independent-sector activity is always paid in full (002@256850). Non-recurrent
support goes to struggling providers only where the commissioner has headroom (002@255508).

Rule ([modelling note]; the research describes outcomes, not a formula):

* unaffordable gap ``G = max(0, Σ formal − affordable)`` per commissioner;
* written off by NHS providers: ``G × relationship_strength × (1 − regulator_tolerance)``,
  spread over the commissioner's NHS contracts pro rata to their formal value (a strong
  relationship settles more of the gap informally, 002@258513; a tolerant regulator lets the
  commissioner overspend instead); the mechanism :func:`~quasimarket.mechanisms.settlement.
  year_end_settlement` (``cap_at_affordable``, ``independent``) applies it;
* non-recurrent support: ``support_share`` of the commissioner's remaining headroom, to its NHS
  providers in deficit, pro rata to their deficit and capped at it.

Run table ``settlements``: one row per draw, year and contract with a formal outturn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
from pydantic import Field

from quasimarket._types import FloatArray
from quasimarket.behaviour._common import (
    InstitutionalRule,
    Options,
    affordable,
    emit,
    independent_mask,
    parse_options,
    provider_cost,
    year_label,
)
from quasimarket.behaviour.hooks import register_behaviour
from quasimarket.mechanisms.settlement import year_end_settlement

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

__all__ = ["SettlementOptions", "YearEndSettlement", "settle"]


class SettlementOptions(Options):
    """Options of ``year_end_settlement``.

    Attributes:
        relationship_strength: Share of an unaffordable gap settled informally, [0, 1]
            (0.7 [K]; 002@258513).
        regulator_tolerance: Share of the gap the regulator lets the commissioner overspend,
            [0, 1] (0.1 [K]; 002@254164).
        support_share: Share of a commissioner's headroom paid as non-recurrent support to
            providers in deficit, [0, 1] (0.5 [K]; 002@255508).
    """

    relationship_strength: float = Field(default=0.7, ge=0.0, le=1.0)
    regulator_tolerance: float = Field(default=0.1, ge=0.0, le=1.0)
    support_share: float = Field(default=0.5, ge=0.0, le=1.0)


def settle(
    formal: FloatArray,
    affordable_c: FloatArray,
    independent: npt.NDArray[np.bool_],
    options: SettlementOptions,
) -> tuple[FloatArray, FloatArray]:
    """Settled contract values (D, C, V) and the amount written off per commissioner (D, C).

    Args:
        formal: Formal outturn per contract £ (D, C, V).
        affordable_c: What each commissioner can afford £ (C,) or (D, C).
        independent: Independent-sector providers (V,) (always paid in full).
        options: The rule's options.
    """
    gap = np.maximum(formal.sum(axis=2) - affordable_c, 0.0)
    nhs = np.where(independent[None, None, :], 0.0, formal)
    nhs_total = nhs.sum(axis=2)
    write_off = np.minimum(
        gap * options.relationship_strength * (1.0 - options.regulator_tolerance), nhs_total
    )
    share = np.where(
        nhs_total[..., None] > 0, nhs / np.where(nhs_total > 0, nhs_total, 1.0)[..., None], 0.0
    )
    cap = np.maximum(formal - write_off[..., None] * share, 0.0)
    result = year_end_settlement(
        formal, affordable=cap, rule="cap_at_affordable", independent=independent[None, None, :]
    )
    return np.asarray(result.settled, dtype=np.float64), write_off


class YearEndSettlement(InstitutionalRule):
    """Hook rule: settle each commissioner's contracts at year end (see the module docstring)."""

    name = "year_end_settlement"

    def __init__(self, options: dict[str, Any]) -> None:
        self.set_options(options)

    def set_options(self, options: dict[str, Any]) -> None:
        """Validate and set the options (raises ConfigError)."""
        self.options = parse_options(SettlementOptions, options, self.name)

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """Settle below outturn where unaffordable; pay non-recurrent support from headroom."""
        pay = state.payments
        formal = pay.sum(axis=3)  # (D, C, V)
        afford = affordable(state, year)[None, :]
        if state.commissioner_cost is not None:
            afford = afford - state.commissioner_cost
        indep = independent_mask(state)
        settled, _ = settle(formal, afford, indep, self.options)
        ratio = np.where(formal > 0, settled / np.where(formal > 0, formal, 1.0), 1.0)
        pay = pay * ratio[..., None]
        # Non-recurrent support to NHS providers in deficit, only from headroom (002@255508).
        headroom = np.maximum(afford - settled.sum(axis=2), 0.0)  # (D, C)
        deficit = np.maximum(provider_cost(state, year) - pay.sum(axis=(1, 3)), 0.0)  # (D, V)
        deficit = np.where(indep[None, :], 0.0, deficit)
        income_cv = pay.sum(axis=3)
        income_v = income_cv.sum(axis=1, keepdims=True)
        need = deficit[:, None, :] * np.where(
            income_v > 0, income_cv / np.where(income_v > 0, income_v, 1.0), 0.0
        )  # (D, C, V): each commissioner's share of each provider's deficit
        need_c = need.sum(axis=2, keepdims=True)
        pot = (self.options.support_share * headroom)[..., None]
        support = np.where(
            need_c > 0, np.minimum(need, pot * need / np.where(need_c > 0, need_c, 1.0)), 0.0
        )
        pod_share = np.where(
            income_cv[..., None] > 0,
            pay / np.where(income_cv > 0, income_cv, 1.0)[..., None],
            0.0,
        )
        state.payments = pay + support[..., None] * pod_share
        d, c, v = np.nonzero(formal > 0)
        comp = state.compiled
        emit(
            state,
            "settlements",
            {
                "draw": state.draws[d],
                "financial_year": year_label(state, year),
                "commissioner": np.asarray(comp.commissioners, dtype=object)[c],
                "provider": np.asarray(comp.providers, dtype=object)[v],
                "provider_kind": np.asarray(comp.provider_kind, dtype=object)[v],
                "formal_gbp": formal[d, c, v],
                "settled_gbp": settled[d, c, v],
                "gap_gbp": settled[d, c, v] - formal[d, c, v],
                "non_recurrent_gbp": support[d, c, v],
                "below_outturn": (settled[d, c, v] < formal[d, c, v] - 0.5).astype(np.int64),
            },
        )


register_behaviour("year_end_settlement", YearEndSettlement)
