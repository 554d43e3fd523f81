"""Behaviour 4: primary care co-commissioning (002@151144; 002@153710; 002@159093; 002@155960).

From April 2015 CCGs take level 1 (greater involvement), 2 (joint) or 3 (delegated); the default
starting mix is the observed one, 58/87/64 of 209 (Table 5.1, 002@159093). Uptake ratchets to
delegation: each year a CCG not yet delegated moves to level 3 with probability
``delegation_rate`` (0.38 [K], calibrated so 64 → about 115 of 209 by 2016/17, 002@155960);
nobody moves down ("over time, most CCGs have moved to take on full delegated responsibility",
002@29360). Delegated CCGs reinvest the money freed by PMS→GMS equalisation in local incentive
schemes (002@169309; ``equalisation_per_head``). Under pressure some CCGs use primary care funds
to support secondary care (002@168538): a delegated CCG whose formal outturn exceeds what it can
afford diverts ``divert_share`` of its primary care budget.

Run table ``co_commissioning``: per draw, year and commissioner: level, reinvested_gbp,
diverted_gbp.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from quasimarket._types import FloatArray
from quasimarket.behaviour._common import (
    InstitutionalRule,
    Options,
    affordable,
    emit,
    parse_options,
    uniforms,
    year_label,
)
from quasimarket.behaviour.hooks import register_behaviour

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

__all__ = ["CoCommissioning", "CoCommissioningOptions", "ratchet"]


class CoCommissioningOptions(Options):
    """Options of ``co_commissioning``.

    Attributes:
        start_year: First financial year of co-commissioning ("2015/16", 002@151144).
        uptake: CCGs at levels 1/2/3 in the first year (58, 87, 64; 002@159093).
        delegation_rate: Yearly chance a non-delegated CCG delegates, [0, 1] (0.38 [K]).
        equalisation_per_head: PMS→GMS equalisation money reinvested by delegated CCGs,
            £ a head, [0, 50] (2.0 [K]; 002@169309 gives no figure).
        primary_care_per_head: Primary medical care budget, £ a head, [0, 1000] (150 [K]).
        divert_share: Share of the primary care budget a stressed delegated CCG diverts to
            secondary care, [0, 1] (0.03 [K]; 002@168538).
    """

    start_year: str = "2015/16"
    uptake: tuple[int, int, int] = (58, 87, 64)
    delegation_rate: float = Field(default=0.38, ge=0.0, le=1.0)
    equalisation_per_head: float = Field(default=2.0, ge=0.0, le=50.0)
    primary_care_per_head: float = Field(default=150.0, ge=0.0, le=1000.0)
    divert_share: float = Field(default=0.03, ge=0.0, le=1.0)


def ratchet(level: FloatArray, uniform: FloatArray, rate: float) -> FloatArray:
    """Next year's levels: non-delegated (1, 2) move to 3 with probability *rate*; never down."""
    return np.where((level < 3) & (level > 0) & (uniform < rate), 3.0, level)


class CoCommissioning(InstitutionalRule):
    """Hook rule: co-commissioning levels, reinvestment and diversion."""

    name = "co_commissioning"

    def __init__(self, options: dict[str, Any]) -> None:
        self.set_options(options)
        self.level: FloatArray | None = None
        self.draws: FloatArray | None = None

    def set_options(self, options: dict[str, Any]) -> None:
        """Validate and set the options (raises ConfigError)."""
        self.options = parse_options(CoCommissioningOptions, options, self.name)

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """Update levels (ratchet), record reinvestment and diversion."""
        comp = state.compiled
        if comp.years[year].start < int(self.options.start_year[:4]):
            return
        n_d, n_c = len(state.draws), len(comp.commissioners)
        if self.draws is None:
            self.draws = uniforms(state, self.name, (len(comp.years), n_c, 2))
        u = self.draws[:, year]
        if self.level is None:
            cum = np.cumsum(self.options.uptake) / max(sum(self.options.uptake), 1)
            self.level = 1.0 + (u[..., 0, None] >= cum[None, None, :-1]).sum(axis=-1)
        else:
            self.level = ratchet(self.level, u[..., 1], self.options.delegation_rate)
        pop = comp.population[year][None, :]
        delegated = self.level == 3
        stressed = state.payments.sum(axis=(2, 3)) > affordable(state, year)[None, :]
        reinvested = np.where(delegated, self.options.equalisation_per_head * pop, 0.0)
        diverted = np.where(
            delegated & stressed,
            self.options.divert_share * self.options.primary_care_per_head * pop,
            0.0,
        )
        emit(
            state,
            "co_commissioning",
            {
                "draw": np.repeat(state.draws, n_c),
                "financial_year": year_label(state, year),
                "commissioner": np.tile(np.asarray(comp.commissioners, dtype=object), n_d),
                "level": self.level.reshape(-1).astype(np.int64),
                "delegated": delegated.reshape(-1).astype(np.int64),
                "reinvested_gbp": reinvested.reshape(-1),
                "diverted_gbp": diverted.reshape(-1),
            },
        )


register_behaviour("co_commissioning", CoCommissioning)
