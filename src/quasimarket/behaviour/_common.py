"""Shared helpers for the institutional behaviour rules.

* :func:`parse_options`: validate a rule's options (unknown or out-of-range options are one
  :class:`~quasimarket.errors.ConfigError` naming ``regime.behaviour_options.<rule>.<option>``).
* :func:`uniforms`: common random numbers. Each rule has a named stream per draw,
  ``quasimarket.random_streams.stream(seed, "behaviour:<rule>", draw)``, drawn once for the
  whole run, so two regimes run on the same scenario see exactly the same draws (and results do
  not depend on chunking).
* :func:`affordable` / :func:`provider_cost`: what a commissioner can afford for its contracts
  and a provider's cost, computed exactly as the engine does.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import numpy.typing as npt
from pydantic import BaseModel, ConfigDict, ValidationError

from quasimarket._types import FloatArray
from quasimarket.behaviour.hooks import NoBehaviour
from quasimarket.errors import ConfigError
from quasimarket.random_streams import stream

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

M = TypeVar("M", bound=BaseModel)

#: The behaviour rules that draw random numbers; each has its own named stream
#: ``behaviour:<rule>`` (:func:`uniforms`).
STREAMS: tuple[str, ...] = (
    "retreat_to_block",
    "year_end_settlement",
    "procurement",
    "co_commissioning",
    "public_health_grant",
    "alliance",
    "fragmentation",
)


class Options(BaseModel):
    """Base for behaviour options: unknown keys rejected, frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


def parse_options(model: type[M], options: dict[str, Any], rule: str) -> M:
    """Validate *options* for *rule*.

    Raises:
        ConfigError: an unknown option or a value outside its documented range.
    """
    try:
        return model.model_validate(options)
    except ValidationError as error:
        first = error.errors()[0]
        field = ".".join(str(p) for p in first["loc"])
        bad = [f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in error.errors()]
        props = model.model_json_schema().get("properties", {})
        ranges = "; ".join(
            f"{k} in [{v.get('minimum', '')}, {v.get('maximum', '')}]"
            for k, v in props.items()
            if "minimum" in v or "maximum" in v
        )
        raise ConfigError(
            f"bad option for behaviour rule '{rule}': " + "; ".join(bad),
            location=f"regime.behaviour_options.{rule}.{field}",
            expected=f"options {', '.join(props)}" + (f" ({ranges})" if ranges else ""),
            fix="correct or remove the option (see docs/regimes.md)",
        ) from None


def uniforms(state: SimulationState, rule: str, shape: tuple[int, ...]) -> FloatArray:
    """Uniform draws (D, *shape) from the rule's named stream (common random numbers)."""
    if rule not in STREAMS:
        raise KeyError(f"behaviour rule {rule!r} has no random stream (add it to STREAMS)")
    seed = state.compiled.scenario.seed
    out = np.empty((len(state.draws), *shape))
    for i, draw in enumerate(state.draws):  # one small generator call per draw
        out[i] = stream(seed, f"behaviour:{rule}", int(draw)).random(shape)
    return out


def affordable(state: SimulationState, year: int) -> FloatArray:
    """What each commissioner can afford for its modelled contracts this year £ (C,).

    Allocation − other spend − lever costs, less the planned surplus (as the engine's
    settlement switch does; payment-rules.md A12; [K] planned surplus).
    """
    c = state.compiled
    fin = c.allocation[year] - c.other_spend[year] - c.lever_cost[year]
    return np.asarray(
        np.maximum(fin * (1.0 - c.scenario.finance.planned_surplus), 0.0), dtype=np.float64
    )


def provider_cost(state: SimulationState, year: int) -> FloatArray:
    """Each provider's cost this year £ (D, V), as the engine computes it."""
    c = state.compiled
    base_value = (state.year_activity * c.base_price[None, None]).sum(axis=(1, 3))
    return np.asarray(c.fixed_cost[year][None, :] + c.variable_rate[year] * base_value)


def independent_mask(state: SimulationState) -> npt.NDArray[np.bool_]:
    """True for independent-sector providers (V,)."""
    return np.array([k == "independent" for k in state.compiled.provider_kind])


def year_label(state: SimulationState, year: int) -> str:
    """Financial-year label of year index *year*."""
    return str(state.compiled.years[year])


def emit(state: SimulationState, table: str, block: dict[str, Any]) -> None:
    """Append a block of rows (column → equal-length array or scalar) to a run table."""
    state.records.setdefault(table, []).append(block)


class InstitutionalRule(NoBehaviour):
    """Base of the seven institutional rules: hooks plus re-configurable options."""

    name = "institutional_rule"

    def __init__(self, options: dict[str, Any]) -> None:
        self.set_options(options)

    def set_options(self, options: dict[str, Any]) -> None:
        """Validate and set the rule's options (raises ConfigError)."""
        raise NotImplementedError
