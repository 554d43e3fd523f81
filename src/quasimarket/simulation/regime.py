"""Policy regimes and pluggable behaviour rules (the hook API for issue #6).

A :class:`Regime` is a set of switches (payment rules per year, choice sensitivity, contract form
per service, year-end settlements, tendering) plus a list of named behaviour rules. The engine
calls every rule at three fixed hook points, so new regimes and institutional behaviours are
added by registering a rule, never by editing the engine loop:

* ``on_contract_round(state, year)``: before each financial year (contracts are agreed);
* ``on_month(state, month)``: after each month's activity, before the month is recorded;
* ``on_year_end(state, year)``: after the year's payments are computed (settlements, rebasing).

A rule receives the mutable :class:`~quasimarket.simulation.engine.SimulationState` and may change
its arrays in place (e.g. ``state.capacity_scale``, ``state.block_value``,
``state.choice_sensitivity``). Register rules with :func:`register_behaviour`; a regime names
them in ``behaviours``. The default regime (:data:`CURRENT_RULES`) applies the national rules
of each year from :func:`quasimarket.structure.payment_rules` and has no extra behaviour.

The hook API (:class:`BehaviourRule`, :class:`NoBehaviour`, :func:`register_behaviour`,
:data:`BEHAVIOURS`) is defined in :mod:`quasimarket.behaviour.hooks`, below the simulation, and
re-exported here; importing this module registers the institutional behaviour rules of
:mod:`quasimarket.behaviour`.

The simulation does not know the regime presets: a regime with a ``preset``, ``path`` or
``switches`` runs under the regime-path rule of :mod:`quasimarket.regimes`, which sits above the
simulation and hands the engine its rules as a :data:`BehaviourFactory`
(:func:`quasimarket.regimes.simulate`, :func:`quasimarket.regimes.regime_behaviours`). Without
one, :func:`make_behaviours` refuses such a regime with a :class:`~quasimarket.errors.ConfigError`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from quasimarket.behaviour.hooks import BEHAVIOURS, BehaviourRule, NoBehaviour, register_behaviour
from quasimarket.errors import ConfigError
from quasimarket.vocabulary import SERVICES

if TYPE_CHECKING:
    from quasimarket.simulation.engine import SimulationState

__all__ = [
    "BEHAVIOURS",
    "CONTRACT_FORMS",
    "CURRENT_RULES",
    "BehaviourFactory",
    "BehaviourRule",
    "NoBehaviour",
    "Regime",
    "make_behaviours",
    "needs_regime_rules",
    "register_behaviour",
]

#: Contract forms a service can be bought under. ``calendar`` picks the national default of the
#: year (PbR for acute services while a national tariff applies, blended payment from 2019/20,
#: block for community and mental health, which had no national prices: 002@75304).
CONTRACT_FORMS = ("calendar", "pbr", "block", "blended")
ContractForm = Literal["calendar", "pbr", "block", "blended"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Regime(_Model):
    """A policy regime: switches plus behaviour rules.

    Attributes:
        name: Display name.
        payment_rules: ``"calendar"`` (the rules in force each year, from
            :func:`quasimarket.structure.payment_rules`) or a fixed year such as ``"2016/17"``
            whose rules apply throughout.
        choice_sensitivity: Multiplies the wait and quality coefficients of patient choice
            (0 = no choice: referrals follow the baseline catchment shares; 1 = the default
            "choice at referral"; 3 or more = strong "competition within the market") [K].
        contract_forms: Contract form per service (keys of
            :data:`~quasimarket.simulation.parameters.SERVICES`).
        settlements: Apply a year-end settlement when a commissioner's outturn exceeds what it
            can afford (``settlement.year_end_settlement`` with ``settlement_rule``).
        settlement_rule: ``pay_in_full``, ``cap_at_affordable`` or ``split_gap`` (002@250676).
        tendering: Add the ``procurement`` behaviour (tendering decisions at contract renewal,
            :mod:`quasimarket.behaviour.procurement`).
        behaviours: Names of registered behaviour rules (:data:`BEHAVIOURS`), called in order.
        behaviour_options: Options per behaviour name.
        preset: A named regime preset (:mod:`quasimarket.regimes`) applied from the first year.
        path: A regime path ``"hsca-2013@2013/14,stp-2016@2016/17"`` (instead of ``preset``).
        switches: Preset switches overridden for every regime of the preset or path.
            A regime with ``preset``, ``path`` or ``switches`` is run by
            :func:`quasimarket.regimes.simulate`, which supplies its regime-path rule.
    """

    name: str = "current rules"
    payment_rules: str = "calendar"
    choice_sensitivity: float = Field(default=1.0, ge=0.0, le=50.0)
    contract_forms: dict[str, ContractForm] = Field(
        default_factory=lambda: dict.fromkeys(SERVICES, "calendar")  # type: ignore[arg-type]
    )
    settlements: bool = False
    settlement_rule: Literal["pay_in_full", "cap_at_affordable", "split_gap"] = "pay_in_full"
    tendering: bool = False
    behaviours: list[str] = Field(default_factory=list)
    behaviour_options: dict[str, dict[str, Any]] = Field(default_factory=dict)
    preset: str | None = None
    path: str | None = None
    switches: dict[str, Any] = Field(default_factory=dict)

    @field_validator("contract_forms")
    @classmethod
    def _services(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value) - set(SERVICES))
        if unknown:
            raise ValueError(
                f"unknown service(s) {', '.join(unknown)}; known: {', '.join(SERVICES)}"
            )
        return {**dict.fromkeys(SERVICES, "calendar"), **value}


#: The default regime: the national rules in force each year, no extra behaviour.
CURRENT_RULES = Regime()


#: Builds the behaviour rules of one run from its caller (dependency injection): called with no
#: arguments, it returns fresh rule instances, once per chunk of draws and on the Dask worker that
#: runs the chunk, so it must pickle (a module-level function, or an instance of a module-level
#: class holding plain data). :func:`quasimarket.regimes.regime_behaviours` is the one for a
#: regime preset or path.
BehaviourFactory = Callable[[], list[BehaviourRule]]


def needs_regime_rules(regime: Regime) -> bool:
    """True when *regime* names a preset, a path or preset switches (rules from the caller)."""
    return regime.preset is not None or regime.path is not None or bool(regime.switches)


def make_behaviours(
    regime: Regime,
    *,
    file: str | None = None,
    regime_rules: Sequence[BehaviourRule] | None = None,
) -> list[BehaviourRule]:
    """Instantiate the regime's behaviour rules.

    *regime_rules* come first: the rules the caller built for the regime's ``preset``, ``path``
    or ``switches`` (the regime-path rule of :mod:`quasimarket.regimes`, which runs the
    institutional behaviour rules of each era; the simulation does not build it). Then the named
    ``behaviours``; ``tendering = true`` adds the ``procurement`` rule.

    Raises:
        ConfigError: a preset, path or switches without *regime_rules*; an unknown behaviour
            name; a behaviour option outside its documented range.
    """
    if regime_rules is None and needs_regime_rules(regime):
        field = next(
            name for name in ("preset", "path", "switches") if getattr(regime, name) is not None
        )
        raise ConfigError(
            f"regime {field} needs the regime-path rule of quasimarket.regimes, "
            "which the simulation does not build",
            file=file,
            location=f"regime.{field}",
            expected="behaviour rules for the regime's preset or path from the caller",
            fix="run it with quasimarket.regimes.simulate(scenario, …), or pass "
            "behaviours=quasimarket.regimes.regime_behaviours(scenario.regime) to simulate",
        )
    rules: list[BehaviourRule] = list(regime_rules or ())
    names = list(regime.behaviours)
    if regime.tendering and "procurement" not in names:
        names.append("procurement")
    for name in names:
        if name not in BEHAVIOURS:
            from quasimarket.errors import summarise_items

            raise ConfigError(
                f"unknown behaviour rule '{name}'",
                file=file,
                location="regime.behaviours",
                expected=f"one of: {summarise_items(sorted(BEHAVIOURS)) or '(none registered)'}",
                fix="remove it or register it with quasimarket.simulation.register_behaviour",
            )
        rules.append(BEHAVIOURS[name](dict(regime.behaviour_options.get(name, {}))))
    return rules


class CapacityInvestment(NoBehaviour):
    """Example behaviour: providers invest in extra elective capacity after a waiting-time breach.

    Options: ``rtt_target`` (share within 18 weeks, default 0.92 [V: the NHS Constitution
    standard]), ``uplift`` (capacity added, default 0.05 [K]). Checked at each year end.
    """

    def __init__(self, options: dict[str, Any]) -> None:
        self.target = float(options.get("rtt_target", 0.92))
        self.uplift = float(options.get("uplift", 0.05))

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """Raise the capacity of providers whose RTT share is below target."""
        breach = state.rtt_share < self.target
        state.capacity_scale[breach] *= 1.0 + self.uplift


register_behaviour("capacity_investment_on_breach", CapacityInvestment)
