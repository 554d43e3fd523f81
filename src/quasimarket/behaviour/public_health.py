"""Behaviour 5: the public health grant and local authority retendering (002@298000-331916).

Public health moved to local authorities in April 2013 with a ring-fenced grant (002@310001);
spending "changed little" in cash from 2013/14 to 2017/18 but was worth 4-5% less in real terms
(002@317989), with category cuts of over 30% (002@318353): ``grant_cut`` a year in real terms
from ``cut_from``. A share of the grant is spent through other council services: 89% of DsPH
reported investing it in other departments (002@315777; "budget raiding", 002@329041). The share
rises with the cumulative cut (``raid_sensitivity``) and is higher without a ring fence. LAs
tender by default with short contracts: "All our respondents had started the process of
retendering within two years" (002@316825); NHS commissioners keep more permanent relationships
(002@327210): each public health service is retendered when its contract (``la_contract_years``
for LAs, ``nhs_contract_years`` for NHS commissioners) ends.

Run table ``public_health``: per draw, year and commissioner area: grant_gbp,
other_services_gbp, retendered_services.
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
    uniforms,
    year_label,
)
from quasimarket.behaviour.hooks import register_behaviour

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

__all__ = ["PUBLIC_HEALTH_SERVICES", "PublicHealthGrant", "PublicHealthOptions", "grant_path"]

#: Public health services an LA commissions (Table 2.2 of 002).
PUBLIC_HEALTH_SERVICES = (
    "sexual_health",
    "substance_misuse",
    "stop_smoking",
    "health_checks",
    "children_0_19",
    "weight_management",
)


class PublicHealthOptions(Options):
    """Options of ``public_health_grant``.

    Attributes:
        commissioner: ``la`` or ``nhs`` (set by the regime).
        ring_fence: Whether the grant is ring-fenced.
        grant_per_head: Grant £ a head in the first year, [0, 500] (55 [K]: about £3bn for 55m).
        grant_cut: Real cut a year from ``cut_from``, [0, 0.5] (0.039 [K]; 002@317989).
        cut_from: First year of cuts ("2015/16").
        other_services_share: Share spent through other council services with a ring fence and
            no cut, [0, 1] (0.05 [K]; 002@315777).
        raid_sensitivity: Extra share per unit of cumulative cut, [0, 5] (1.0 [K]).
        unfenced_share: Share spent elsewhere without a ring fence, [0, 1] (0.2 [K]).
        la_contract_years: LA contract length, 1-10 (2; 002@316825).
        nhs_contract_years: NHS commissioner contract length, 1-15 (5 [K]; 002@327210).
    """

    commissioner: Literal["la", "nhs"] = "la"
    ring_fence: bool = True
    grant_per_head: float = Field(default=55.0, ge=0.0, le=500.0)
    grant_cut: float = Field(default=0.039, ge=0.0, le=0.5)
    cut_from: str = "2015/16"
    other_services_share: float = Field(default=0.05, ge=0.0, le=1.0)
    raid_sensitivity: float = Field(default=1.0, ge=0.0, le=5.0)
    unfenced_share: float = Field(default=0.2, ge=0.0, le=1.0)
    la_contract_years: int = Field(default=2, ge=1, le=10)
    nhs_contract_years: int = Field(default=5, ge=1, le=15)


def grant_path(first_year: int, years: int, options: PublicHealthOptions) -> FloatArray:
    """Real grant index by year (1 in the first year), cut compounding from ``cut_from``."""
    start = np.arange(first_year, first_year + years)
    cut_years = np.maximum(start - int(options.cut_from[:4]) + 1, 0)
    return np.asarray((1.0 - options.grant_cut) ** cut_years, dtype=np.float64)


class PublicHealthGrant(InstitutionalRule):
    """Hook rule: grant, spending through other council services, retendering."""

    name = "public_health_grant"

    def __init__(self, options: dict[str, Any]) -> None:
        self.set_options(options)
        self.draws: FloatArray | None = None

    def set_options(self, options: dict[str, Any]) -> None:
        """Validate and set the options (raises ConfigError)."""
        self.options = parse_options(PublicHealthOptions, options, self.name)

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """Record the grant, the share spent elsewhere and the services retendered."""
        comp, o = state.compiled, self.options
        n_d, n_c, n_s = len(state.draws), len(comp.commissioners), len(PUBLIC_HEALTH_SERVICES)
        if self.draws is None:
            self.draws = uniforms(state, self.name, (n_c, n_s))
        index = grant_path(comp.years[year].start, 1, o)[0]
        grant = o.grant_per_head * comp.population[year] * index  # (C,)
        cumulative_cut = 1.0 - index
        share = (
            min(1.0, o.other_services_share + o.raid_sensitivity * cumulative_cut)
            if o.ring_fence
            else o.unfenced_share
        )
        length = o.la_contract_years if o.commissioner == "la" else o.nhs_contract_years
        # each service's contract started at a random year within its term (CRN stream)
        offset = np.floor(self.draws * length)  # (D, C, S)
        due = ((year + offset) % length) == 0
        emit(
            state,
            "public_health",
            {
                "draw": np.repeat(state.draws, n_c),
                "financial_year": year_label(state, year),
                "commissioner": np.tile(np.asarray(comp.commissioners, dtype=object), n_d),
                "public_health_commissioner": o.commissioner,
                "grant_gbp": np.tile(grant, n_d),
                "other_services_gbp": np.tile(grant * share, n_d),
                "retendered_services": due.sum(axis=2).reshape(-1).astype(np.int64),
            },
        )


register_behaviour("public_health_grant", PublicHealthGrant)
