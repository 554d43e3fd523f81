"""Behaviour 2: retreat to block contracts under financial stress (002@253164; 002@256551).

"A few parties ignored the national instructions on pricing and agreed a block contract for all
acute services at the beginning of the financial year", foreseeing that the local health economy
"could not bear the cost of PbR, with unlimited financial exposure" (002@253164); by 2014-15 more
non-tariff services moved to fixed sums, driven by poor finances (002@256551; 002@259820).
Formal flexibilities are used by a minority: local variations "by no means the majority"
(002@252231-252900). MRET baselines are sticky: "most of the commissioners were still using the
2008-09 baseline" (002@255008).

Rule ([modelling note]): at each contract round a commissioner whose formal outturn last year
exceeded what it could afford by more than ``stress_threshold`` (share of affordable) is
*stressed*; a stressed commissioner retreats to a block for all its acute NHS contracts with
probability ``retreat_probability`` (its own named random stream). Under the block, the year's
acute payments are the agreed contract value (``state.block_value``: last year's outturn re-based,
002@257294) whatever the activity; independent providers stay on PbR. Each commissioner also
draws whether it formally notifies a local variation (``local_variation_share``) and whether it
has moved its MRET baseline off 2008/09 (``mret_baseline_moved_share``); both are recorded.

Run table ``contract_forms``: per draw, year and commissioner: stressed, on_block,
local_variation, mret_baseline_moved.
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
    uniforms,
    year_label,
)
from quasimarket.behaviour.hooks import register_behaviour
from quasimarket.vocabulary import SERVICES, SIMULATED_ACTIVITY

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

__all__ = ["BlockRetreatOptions", "RetreatToBlock"]

#: Which simulated measures (the POD axis of simulation arrays) acute services cover.
_ACUTE_MEASURES = {m for service, ms in SERVICES.items() if service.startswith("acute") for m in ms}
_ACUTE = np.array([m in _ACUTE_MEASURES for m in SIMULATED_ACTIVITY])


class BlockRetreatOptions(Options):
    """Options of ``retreat_to_block``.

    Attributes:
        stress_threshold: Overspend (share of affordable) above which a commissioner is
            stressed, [0, 1] (0 [K]).
        retreat_probability: Chance a stressed commissioner puts acute care on a block, [0, 1]
            (0.5 [K]: "a few parties", 002@253164).
        local_variation_share: Share notifying formal local variations, [0, 1] (0.1 [K]: three
            commissioners, "by no means the majority", 002@252566).
        mret_baseline_moved_share: Share that moved the MRET baseline off 2008/09, [0, 1]
            (0.2 [K]: "most" kept it, "several" moved, 002@255008).
    """

    stress_threshold: float = Field(default=0.0, ge=0.0, le=1.0)
    retreat_probability: float = Field(default=0.5, ge=0.0, le=1.0)
    local_variation_share: float = Field(default=0.1, ge=0.0, le=1.0)
    mret_baseline_moved_share: float = Field(default=0.2, ge=0.0, le=1.0)


class RetreatToBlock(InstitutionalRule):
    """Hook rule: stressed commissioners retreat to acute block contracts."""

    name = "retreat_to_block"

    def __init__(self, options: dict[str, Any]) -> None:
        self.set_options(options)
        self.stressed: FloatArray | None = None
        self.on_block: npt.NDArray[np.bool_] | None = None
        self.draws: FloatArray | None = None

    def set_options(self, options: dict[str, Any]) -> None:
        """Validate and set the options (raises ConfigError)."""
        self.options = parse_options(BlockRetreatOptions, options, self.name)

    def on_contract_round(self, state: SimulationState, year: int) -> None:
        """Decide who goes onto a block this year (from last year's stress)."""
        n_d, n_c = len(state.draws), len(state.compiled.commissioners)
        if self.draws is None:
            self.draws = uniforms(state, self.name, (len(state.compiled.years), n_c, 3))
        u = self.draws[:, year]
        stressed = self.stressed if self.stressed is not None else np.zeros((n_d, n_c))
        on_block = (stressed > 0) & (u[..., 0] < self.options.retreat_probability)
        self.on_block = on_block
        emit(
            state,
            "contract_forms",
            {
                "draw": np.repeat(state.draws, n_c),
                "financial_year": year_label(state, year),
                "commissioner": np.tile(
                    np.asarray(state.compiled.commissioners, dtype=object), n_d
                ),
                "stressed": stressed.reshape(-1).astype(np.int64),
                "on_block": on_block.reshape(-1).astype(np.int64),
                "local_variation": (u[..., 1] < self.options.local_variation_share)
                .reshape(-1)
                .astype(np.int64),
                "mret_baseline_moved": (u[..., 2] < self.options.mret_baseline_moved_share)
                .reshape(-1)
                .astype(np.int64),
            },
        )

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """Pay blocks on acute NHS contracts; measure stress for the next round."""
        formal = state.payments.sum(axis=(2, 3))
        afford = affordable(state, year)[None, :]
        self.stressed = (formal - afford > self.options.stress_threshold * afford).astype(
            np.float64
        )
        if self.on_block is None or not self.on_block.any():
            return
        nhs = ~independent_mask(state)
        mask = (
            self.on_block[:, :, None, None] & nhs[None, None, :, None] & _ACUTE[None, None, None, :]
        )
        state.payments = np.where(mask, state.block_value, state.payments)


register_behaviour("retreat_to_block", RetreatToBlock)
