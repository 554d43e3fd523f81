"""Behaviour 7: fragmented pathways (002@340046; 002@311157; 002@300510; 002@336721).

After 2013 several pathways were split across commissioners: sexual health three ways (CCGs,
LAs, NHS England), obesity three ways, children's 0-19 between NHS England and LAs until 2015.
"The greater the number of commissioning organisations involved in sexual health, the greater
the disruption to services" (002@340046), and management effort went into "knitting back
together" (002@341300). Rule ([modelling note]): for a pathway worth ``value_per_head`` £ a
head with ``n`` commissioners, the coordination cost is
``coordination_rate × value × (n − 1) ** elasticity`` a year (borne by the commissioners and
deducted from their position), and the disruption index ``1 − (1 − disruption_per_interface)
** (n − 1)`` (share of patients whose pathway is disrupted). Both grow with ``n``; ``n = 1``
costs nothing.

Run table ``fragmentation``: per draw, year, commissioner and pathway: commissioners,
coordination_cost_gbp, disruption.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import Field

from quasimarket._types import FloatArray
from quasimarket.behaviour._common import (
    InstitutionalRule,
    Options,
    emit,
    parse_options,
    year_label,
)
from quasimarket.behaviour.hooks import register_behaviour

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

__all__ = ["Fragmentation", "FragmentationOptions", "coordination"]


class FragmentationOptions(Options):
    """Options of ``fragmentation``.

    Attributes:
        commissioners: Commissioners per pathway (set by the regime), 1-10 each.
        value_per_head: Pathway spend £ a head [K]: sexual health 12, obesity 5, 0-19 20.
        coordination_rate: Cost of one extra interface, share of pathway value, [0, 0.5]
            (0.02 [K]).
        elasticity: Growth of cost with interfaces, [0.5, 3] (1.0 [K]).
        disruption_per_interface: [0, 1] (0.1 [K]).
    """

    commissioners: dict[str, int] = Field(
        default_factory=lambda: {"sexual_health": 3, "obesity": 3, "children_0_19": 2}
    )
    value_per_head: dict[str, float] = Field(
        default_factory=lambda: {"sexual_health": 12.0, "obesity": 5.0, "children_0_19": 20.0}
    )
    coordination_rate: float = Field(default=0.02, ge=0.0, le=0.5)
    elasticity: float = Field(default=1.0, ge=0.5, le=3.0)
    disruption_per_interface: float = Field(default=0.1, ge=0.0, le=1.0)


def coordination(
    n: FloatArray, value: FloatArray, options: FragmentationOptions
) -> tuple[FloatArray, FloatArray]:
    """Coordination cost £ and disruption index for *n* commissioners on pathways worth *value*."""
    extra = np.maximum(np.asarray(n, dtype=np.float64) - 1.0, 0.0)
    cost = options.coordination_rate * value * extra**options.elasticity
    disruption = 1.0 - (1.0 - options.disruption_per_interface) ** extra
    return np.asarray(cost, dtype=np.float64), np.asarray(disruption, dtype=np.float64)


class Fragmentation(InstitutionalRule):
    """Hook rule: coordination costs and disruption of split pathways."""

    name = "fragmentation"

    def __init__(self, options: dict[str, Any]) -> None:
        self.set_options(options)

    def set_options(self, options: dict[str, Any]) -> None:
        """Validate and set the options (raises ConfigError)."""
        self.options = parse_options(FragmentationOptions, options, self.name)

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """Charge coordination costs to commissioners and record disruption."""
        comp, o = state.compiled, self.options
        paths = sorted(o.commissioners)
        n = np.array([float(o.commissioners[p]) for p in paths])
        per_head = np.array([o.value_per_head.get(p, 0.0) for p in paths])
        value = comp.population[year][:, None] * per_head[None, :]  # (C, K)
        cost, disruption = coordination(n[None, :], value, o)
        n_d, n_c, n_k = len(state.draws), len(comp.commissioners), len(paths)
        if state.commissioner_cost is not None:
            state.commissioner_cost += cost.sum(axis=1)[None, :]
        emit(
            state,
            "fragmentation",
            {
                "draw": np.repeat(state.draws, n_c * n_k),
                "financial_year": year_label(state, year),
                "commissioner": np.tile(
                    np.repeat(np.asarray(comp.commissioners, dtype=object), n_k), n_d
                ),
                "pathway": np.tile(np.asarray(paths, dtype=object), n_d * n_c),
                "commissioners": np.tile(np.tile(n, n_c), n_d).astype(np.int64),
                "coordination_cost_gbp": np.tile(cost.reshape(-1), n_d),
                "disruption": np.tile(np.broadcast_to(disruption, cost.shape).reshape(-1), n_d),
            },
        )


register_behaviour("fragmentation", Fragmentation)
