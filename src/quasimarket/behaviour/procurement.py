"""Behaviour 3: procurement decisions at contract renewal (002@202808-237600; digest §5.3-5.4).

For each service line coming up for renewal the commissioner chooses a **competitive tender**,
**most capable provider** (a limited-pool or single-provider negotiated procedure approved by
Monitor, 002@195683), a **negotiated award / cooperation** with the incumbent, or a hybrid
**procured collaboration** (open advertisement, bidders form a collaborative model,
002@223658). The choice is a multinomial logit (Gumbel draws from the rule's own stream, so two
regimes see the same draws) over a tender propensity built from the research's factors
(§5.4 of the digest; weights are [K], signs from the sources):

* scale of change: large reconfigurations → cooperation (002@212347): ``−w_scale × scale``;
* service type: community, diagnostic and primary care tendered; acute services rarely; whole
  hospitals never (002@212726; 002@220542): ``service_propensity``;
* incumbent quality: poor quality → tender (002@221444): ``−w_quality × quality``;
* capable providers: several → full procurement (002@225353): ``w_capable × (n − 1)``;
* commissioner resources: fewer → tender less (002@214177): ``w_resources × (resources − ½)``;
* national policy signal of the regime (002@51665; 002@31258): ``w_signal × signal``;
* provider fragility: avoid destabilising tenders (002@215541): ``−w_fragility × fragility``
  (share of the commissioner's contract value with providers in deficit last year);
* path dependency: tendered once → re-tendered (002@225754): ``w_path × tendered_before``.

Utilities: tender ``x − 1``, most capable provider ``½x − ½``, procured collaboration
``−1.5 + max(0, −signal) + ½ scale``, negotiated 0. Whole hospitals are never tendered or
put to MCP. Tenders cost ``tender_cost_share`` of the service's contract value (procured
collaboration 1.5 times: "may cost more", 002@224905; MCP half; negotiated a tenth; 002@214467)
borne by the commissioner, and change the provider with probability ``change_probability``.
Local authority public health services are handled by ``public_health_grant`` (LAs tender by
default with short contracts).

Run table ``tendering``: per draw, year, commissioner and service renewed: decision,
transaction_cost_gbp, provider_changed.
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
    provider_cost,
    uniforms,
    year_label,
)
from quasimarket.behaviour.hooks import register_behaviour

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

__all__ = ["DECISIONS", "SERVICE_LINES", "Procurement", "ProcurementOptions", "choose"]

#: Service lines on the renewal list: (propensity to tender, scale of change 0-1, share of the
#: commissioner's contract spend, capable providers) [K]; signs and order from 002@212726,
#: 002@220542 (community/MH more exposed than acute), whole hospitals never tendered.
SERVICE_LINES: dict[str, tuple[float, float, float, int]] = {
    "community": (1.0, 0.2, 0.10, 3),
    "diagnostics": (1.0, 0.1, 0.03, 4),
    "primary_care_apms": (0.8, 0.1, 0.02, 3),
    "mental_health": (0.4, 0.3, 0.10, 2),
    "acute_service_line": (-1.0, 0.4, 0.05, 2),
    "whole_hospital": (-np.inf, 1.0, 0.50, 1),
}
#: Decisions, in utility-array order.
DECISIONS = ("negotiated", "competitive_tender", "most_capable_provider", "procured_collaboration")
_COST_FACTOR = np.array([0.1, 1.0, 0.5, 1.5])


class ProcurementOptions(Options):
    """Options of ``procurement`` (weights [K]; see the module docstring for the sources).

    Attributes:
        policy_signal: National signal −1..1 (set by the regime's ``procurement_signal``).
        contract_years: Years between renewals of an NHS service line, 1-15 (3 [K]).
        resources: Commissioner resources for procurement, 0-1 (0.5 [K]).
        incumbent_quality: Incumbent quality in SD units, −3..3 (0 [K]).
        tender_cost_share: Transaction cost of a tender, share of the service value, 0-0.5
            (0.03 [K]; 002@214467 "very resource intensive").
        change_probability: Chance a tender changes the provider, 0-1 (0.3 [K]; 2/5 of early
            CCGs changed some providers, 002@103916).
        w_signal, w_scale, w_quality, w_capable, w_resources, w_fragility, w_path: weights.
    """

    policy_signal: float = Field(default=0.0, ge=-1.0, le=1.0)
    contract_years: int = Field(default=3, ge=1, le=15)
    resources: float = Field(default=0.5, ge=0.0, le=1.0)
    incumbent_quality: float = Field(default=0.0, ge=-3.0, le=3.0)
    tender_cost_share: float = Field(default=0.03, ge=0.0, le=0.5)
    change_probability: float = Field(default=0.3, ge=0.0, le=1.0)
    w_signal: float = Field(default=1.5, ge=0.0, le=10.0)
    w_scale: float = Field(default=2.0, ge=0.0, le=10.0)
    w_quality: float = Field(default=1.0, ge=0.0, le=10.0)
    w_capable: float = Field(default=0.4, ge=0.0, le=10.0)
    w_resources: float = Field(default=2.0, ge=0.0, le=10.0)
    w_fragility: float = Field(default=1.5, ge=0.0, le=10.0)
    w_path: float = Field(default=1.5, ge=0.0, le=10.0)


def choose(
    options: ProcurementOptions,
    *,
    fragility: FloatArray,
    tendered_before: FloatArray,
    uniform: FloatArray,
) -> FloatArray:
    """Decision index per (D, C, S) (see :data:`DECISIONS`).

    Args:
        options: The rule's options.
        fragility: Share of contract value with providers in deficit (D, C).
        tendered_before: 1 where the service line was tendered before (D, C, S).
        uniform: Uniform draws (D, C, S, 4) for the Gumbel noise.
    """
    o = options
    base = np.array([v[0] for v in SERVICE_LINES.values()])
    scale = np.array([v[1] for v in SERVICE_LINES.values()])
    capable = np.array([v[3] for v in SERVICE_LINES.values()], dtype=np.float64)
    never = ~np.isfinite(base)
    x = (
        np.where(never, 0.0, base)[None, None, :]
        + o.w_signal * o.policy_signal
        - o.w_scale * scale[None, None, :]
        - o.w_quality * o.incumbent_quality
        + o.w_capable * (capable[None, None, :] - 1.0)
        + o.w_resources * (o.resources - 0.5)
        - o.w_fragility * fragility[..., None]
        + o.w_path * tendered_before
    )
    util = np.stack(
        [
            np.zeros_like(x),
            np.where(never, -np.inf, x - 1.0),
            np.where(never, -np.inf, 0.5 * x - 0.5),
            np.broadcast_to(-1.5 + max(0.0, -o.policy_signal) + 0.5 * scale, x.shape),
        ],
        axis=-1,
    )
    gumbel = -np.log(-np.log(np.clip(uniform, 1e-12, 1.0 - 1e-12)))
    return np.asarray(np.argmax(util + gumbel, axis=-1), dtype=np.float64)


class Procurement(InstitutionalRule):
    """Hook rule: procurement decisions for the service lines up for renewal each year."""

    name = "procurement"

    def __init__(self, options: dict[str, Any]) -> None:
        self.set_options(options)
        self.tendered: FloatArray | None = None
        self.fragility: FloatArray | None = None
        self.draws: FloatArray | None = None

    def set_options(self, options: dict[str, Any]) -> None:
        """Validate and set the options (raises ConfigError)."""
        self.options = parse_options(ProcurementOptions, options, self.name)

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """Decide the renewals due this year; charge transaction costs to commissioners."""
        comp = state.compiled
        n_d, n_c, n_s = len(state.draws), len(comp.commissioners), len(SERVICE_LINES)
        if self.draws is None:
            self.draws = uniforms(state, self.name, (len(comp.years), n_c, n_s, 5))
            self.tendered = np.zeros((n_d, n_c, n_s))
        assert self.tendered is not None
        u = self.draws[:, year]
        income = state.payments.sum(axis=(1, 3))
        in_deficit = (provider_cost(state, year) > income).astype(np.float64)  # (D, V)
        value_cv = state.payments.sum(axis=3)
        total_c = value_cv.sum(axis=2)
        fragility = np.where(
            total_c > 0,
            (value_cv * in_deficit[:, None, :]).sum(axis=2) / np.where(total_c > 0, total_c, 1.0),
            0.0,
        )
        decision = choose(
            self.options, fragility=fragility, tendered_before=self.tendered, uniform=u[..., :4]
        )
        line = np.arange(n_s)
        due = ((line[None, :] + np.arange(n_c)[:, None] + year) % self.options.contract_years) == 0
        due = np.broadcast_to(due[None], (n_d, n_c, n_s))
        share = np.array([v[2] for v in SERVICE_LINES.values()])
        value = total_c[..., None] * share[None, None, :]
        cost = np.where(
            due, self.options.tender_cost_share * value * _COST_FACTOR[decision.astype(int)], 0.0
        )
        competed = due & (decision == 1) | due & (decision == 3)
        changed = competed & (u[..., 4] < self.options.change_probability)
        self.tendered = np.maximum(self.tendered, competed.astype(np.float64))
        if state.commissioner_cost is not None:
            state.commissioner_cost += cost.sum(axis=2)
        d, c, s = np.nonzero(due)
        emit(
            state,
            "tendering",
            {
                "draw": state.draws[d],
                "financial_year": year_label(state, year),
                "commissioner": np.asarray(comp.commissioners, dtype=object)[c],
                "service": np.asarray(list(SERVICE_LINES), dtype=object)[s],
                "decision": np.asarray(DECISIONS, dtype=object)[decision[d, c, s].astype(int)],
                "competitive_tender": (decision[d, c, s] == 1).astype(np.int64),
                "transaction_cost_gbp": cost[d, c, s],
                "provider_changed": changed[d, c, s].astype(np.int64),
                "fragility": fragility[d, c],
                "affordable_gbp": affordable(state, year)[c],
            },
        )


register_behaviour("procurement", Procurement)
