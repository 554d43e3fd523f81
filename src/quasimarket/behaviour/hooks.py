"""The behaviour-rule hook API: what a rule is, and the registry the simulation engine reads.

The engine calls every rule at three fixed hook points, so new institutional behaviours are
added by registering a rule, never by editing the engine loop:

* ``on_contract_round(state, year)``: before each financial year (contracts are agreed);
* ``on_month(state, month)``: after each month's activity, before the month is recorded;
* ``on_year_end(state, year)``: after the year's payments are computed (settlements, rebasing).

A rule receives the mutable :class:`~quasimarket.simulation.engine.SimulationState` and may change
its arrays in place. This module lives in :mod:`quasimarket.behaviour`, below the simulation,
so the rules never import the simulation package (which imports them); the simulation
re-exports everything here (``quasimarket.simulation.register_behaviour`` and friends).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

__all__ = ["BEHAVIOURS", "BehaviourRule", "NoBehaviour", "register_behaviour"]


class BehaviourRule(Protocol):
    """An institutional behaviour called at the engine's hook points (all three optional)."""

    def on_contract_round(self, state: SimulationState, year: int) -> None:
        """Before financial year *year* (index from the first simulated year)."""

    def on_month(self, state: SimulationState, month: int) -> None:
        """After month *month* (index from the first simulated month)."""

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """After the payments of year *year* are computed."""


class NoBehaviour:
    """A behaviour that does nothing (base class for rules that use only some hooks)."""

    def on_contract_round(self, state: SimulationState, year: int) -> None:
        """Do nothing."""

    def on_month(self, state: SimulationState, month: int) -> None:
        """Do nothing."""

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """Do nothing."""


#: Registered behaviour rules by name: a factory taking the rule's options dict.
BEHAVIOURS: dict[str, Callable[[dict[str, Any]], BehaviourRule]] = {}


def register_behaviour(name: str, factory: Callable[[dict[str, Any]], BehaviourRule]) -> None:
    """Register a behaviour rule factory under *name* (used by regimes in ``behaviours``)."""
    BEHAVIOURS[name] = factory
