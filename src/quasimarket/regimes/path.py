"""Regime paths: regimes switching at given financial years, run as one behaviour rule.

``"hsca-2013@2013/14,stp-2016@2016/17,ics-2019@2019/20"`` applies ``hsca-2013`` from 2013/14,
``stp-2016`` from 2016/17 and ``ics-2019`` from 2019/20. A single ``--regime NAME`` is the path
``NAME@<first simulated year>``. The path becomes the rule :class:`RegimePath`, which at each
contract round applies the active regime's switches to the engine state (contract forms, choice
sensitivity, MRET and CQUIN rates) and runs the seven institutional behaviour rules of
:mod:`quasimarket.behaviour` with options taken from the switches, overridden by the scenario's
``[regime.behaviour_options.<rule>]``. The rules keep their state across regime switches
(co-commissioning levels, tendering history, alliance membership).

The simulation does not build this rule itself (it does not import this package): the caller
resolves the regime into a :class:`RegimeBehaviours` factory with :func:`regime_behaviours` and
passes it to the engine, as :func:`quasimarket.regimes.simulate` does. The factory is plain data
(the regime and its parsed path), so it pickles to Dask workers, which build fresh rules from it
for each chunk of draws.

Restructuring: a switch to a regime whose commissioner is ``icb`` from a CCG economy writes the
CCG → ICB mapping (:func:`quasimarket.regimes.restructure.ccg_to_icb`) as run table
``restructuring``; see that module for the rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from quasimarket.behaviour.hooks import NoBehaviour
from quasimarket.errors import ConfigError
from quasimarket.financial_year import FinancialYear
from quasimarket.regimes.presets import (
    INSTITUTIONAL_BEHAVIOURS,
    Switches,
    get_preset,
    switches_with_overrides,
)
from quasimarket.simulation.regime import Regime, make_behaviours, needs_regime_rules

if TYPE_CHECKING:
    from quasimarket.behaviour.hooks import BehaviourRule
    from quasimarket.simulation.engine import SimulationState
    from quasimarket.simulation.scenario import SimulationScenario

__all__ = [
    "RegimeBehaviours",
    "RegimePath",
    "Segment",
    "apply_regime",
    "parse_regime_path",
    "regime_behaviours",
    "regime_path_rule",
]


@dataclass(frozen=True)
class Segment:
    """One regime of a path: from financial year ``start`` (e.g. 2013 for 2013/14)."""

    start: int
    name: str
    switches: Switches


def parse_regime_path(
    text: str,
    *,
    overrides: dict[str, Any] | None = None,
    file: str | None = None,
    location: str = "--regime-path",
) -> list[Segment]:
    """Parse ``NAME@YYYY/YY,NAME@YYYY/YY,…`` into segments (years strictly increasing).

    Raises:
        ConfigError: empty, malformed, unknown regime or switch, bad year, years out of order
            or overlapping (the same year twice).
    """
    items = [part.strip() for part in str(text).split(",") if part.strip()]
    if not items:
        raise ConfigError(
            "the regime path is empty",
            file=file,
            location=location,
            expected="NAME@YEAR entries separated by commas, "
            "e.g. hsca-2013@2013/14,stp-2016@2016/17",
            fix="list the regimes with `quasimarket regimes list`",
        )
    segments: list[Segment] = []
    for k, item in enumerate(items, start=1):
        name, sep, year_text = item.partition("@")
        if not sep or not name or not year_text:
            raise ConfigError(
                f"cannot read regime path entry {k} '{item}'",
                file=file,
                location=f"{location} entry {k}",
                expected="NAME@YEAR, e.g. stp-2016@2016/17",
                fix="write each entry as a regime name, '@' and the financial year it starts",
            )
        try:
            year = FinancialYear.parse(year_text)
        except (ConfigError, ValueError):
            raise ConfigError(
                f"regime path entry {k} '{item}' has a bad financial year '{year_text}'",
                file=file,
                location=f"{location} entry {k}",
                expected="a financial year such as 2016/17",
                fix="write the year as YYYY/YY",
            ) from None
        preset = get_preset(name, location=f"{location} entry {k}")
        switches = switches_with_overrides(preset, overrides or {}, file=file)
        if segments and year.start <= segments[-1].start:
            what = "overlaps" if year.start == segments[-1].start else "is out of order"
            raise ConfigError(
                f"regime path entry {k} '{item}' {what}: it starts in {year}, not after "
                f"{FinancialYear(segments[-1].start)} ({segments[-1].name})",
                file=file,
                location=f"{location} entry {k}",
                expected="entries in time order, each starting in a later year than the last",
                fix="sort the entries by year and give each regime a different start year",
            )
        segments.append(Segment(year.start, name, switches))
    return segments


def _segments_of(regime: Regime, *, file: str | None) -> list[Segment]:
    if regime.preset is not None and regime.path is not None:
        raise ConfigError(
            "a regime has both a preset and a path",
            file=file,
            location="regime",
            expected="either regime.preset or regime.path",
            fix="keep one of them",
        )
    if regime.path is not None:
        return parse_regime_path(
            regime.path, overrides=regime.switches, file=file, location="regime.path"
        )
    if regime.preset is None:
        raise ConfigError(
            "regime switches are given without a preset",
            file=file,
            location="regime.switches",
            expected="regime.preset (or regime.path) naming the regime the switches change",
            fix='add preset = "hsca-2013" (for example) under [regime]',
        )
    preset = get_preset(regime.preset, location="regime.preset")
    return [Segment(0, regime.preset, switches_with_overrides(preset, regime.switches, file=file))]


def _rule_options(switches: Switches) -> dict[str, dict[str, Any]]:
    """Behaviour options implied by a regime's switches."""
    return {
        "year_end_settlement": {
            "relationship_strength": switches.settlement_relationship,
            "regulator_tolerance": switches.regulator_tolerance,
        },
        "procurement": {"policy_signal": switches.procurement_signal},
        "co_commissioning": {
            "uptake": switches.co_commissioning_uptake,
            "delegation_rate": switches.co_commissioning_delegation_rate,
        },
        "public_health_grant": {
            "commissioner": switches.public_health_commissioner,
            "ring_fence": switches.public_health_ring_fence,
            "grant_cut": switches.public_health_grant_cut,
        },
        "alliance": {"control_totals": switches.system_control_total},
        "fragmentation": {"commissioners": dict(switches.pathway_commissioners)},
        "retreat_to_block": {},
    }


def _enabled(switches: Switches) -> list[str]:
    out = [b for b in INSTITUTIONAL_BEHAVIOURS if b in switches.behaviours]
    if not switches.co_commissioning:
        out = [b for b in out if b != "co_commissioning"]
    if not switches.alliances_allowed:
        out = [b for b in out if b != "alliance"]
    return out


class RegimePath(NoBehaviour):
    """The behaviour rule that runs a regime path (see the module docstring)."""

    def __init__(self, segments: list[Segment], user_options: dict[str, dict[str, Any]]) -> None:
        from quasimarket.behaviour import RULES

        self.segments = segments
        self.user_options = user_options
        self.rules = {name: cls({}) for name, cls in RULES.items()}
        for segment in segments:  # validate every option set before the run starts
            self._configure(segment)
        self.active: Segment | None = None
        self.enabled: list[str] = []

    def _configure(self, segment: Segment) -> None:
        for name, options in _rule_options(segment.switches).items():
            self.rules[name].set_options({**options, **self.user_options.get(name, {})})

    def _segment(self, state: SimulationState, year: int) -> Segment:
        start = state.compiled.years[year].start
        first = state.compiled.years[0].start
        if self.segments[0].start > first:
            raise ConfigError(
                f"the regime path starts in {FinancialYear(self.segments[0].start)}, after the "
                f"first simulated year {FinancialYear(first)}",
                location="regime.path",
                expected=f"a first entry starting in {FinancialYear(first)} or earlier",
                fix="start the path at the first simulated year",
            )
        live = [s for s in self.segments if s.start <= start]
        return live[-1]

    def on_contract_round(self, state: SimulationState, year: int) -> None:
        """Switch regime if one starts this year; apply its switches; run the rules."""
        segment = self._segment(state, year)
        if segment is not self.active:
            self._configure(segment)
            self.enabled = _enabled(segment.switches)
            if (
                self.active is not None
                and segment.switches.commissioner == "icb"
                and self.active.switches.commissioner != "icb"
            ):
                from quasimarket.regimes.restructure import record_restructuring

                record_restructuring(state, year)
            self.active = segment
        sw = segment.switches
        for service, form in sw.contract_forms.items():
            if form != "calendar":
                state.forms[service] = form
        state.choice_sensitivity = sw.choice_sensitivity
        for key, value in (("mret", sw.mret_rate), ("cquin", sw.cquin_rate)):
            if value == "calendar":
                state.rate_overrides.pop(key, None)
            else:
                state.rate_overrides[key] = None if value == "off" else float(value)
        state.records.setdefault("regimes", []).append(
            {
                "financial_year": [str(state.compiled.years[year])],
                "regime": [segment.name],
                "beyond_research": [int(sw.beyond_research)],
                "behaviours": [", ".join(self.enabled)],
            }
        )
        for name in self.enabled:
            self.rules[name].on_contract_round(state, year)

    def on_month(self, state: SimulationState, month: int) -> None:
        """Run the enabled rules."""
        for name in self.enabled:
            self.rules[name].on_month(state, month)

    def on_year_end(self, state: SimulationState, year: int) -> None:
        """Run the enabled rules (block retreat before the settlement)."""
        for name in self.enabled:
            self.rules[name].on_year_end(state, year)


def regime_path_rule(regime: Regime, *, file: str | None = None) -> RegimePath:
    """The :class:`RegimePath` rule for a regime with a ``preset`` or ``path``.

    Raises:
        ConfigError: unknown regime, switch, behaviour or option; bad path; option out of range.
    """
    segments = _segments_of(regime, file=file)
    known = set(INSTITUTIONAL_BEHAVIOURS) | set(regime.behaviours)
    unknown = sorted(set(regime.behaviour_options) - known)
    if unknown:
        raise ConfigError(
            f"options given for unknown behaviour rule(s): {', '.join(unknown)}",
            file=file,
            location=f"regime.behaviour_options.{unknown[0]}",
            expected=f"one of: {', '.join(INSTITUTIONAL_BEHAVIOURS)}",
            fix="check the rule name (see docs/regimes.md)",
        )
    user = {
        k: dict(v) for k, v in regime.behaviour_options.items() if k in INSTITUTIONAL_BEHAVIOURS
    }
    return RegimePath(segments, user)


@dataclass(frozen=True)
class RegimeBehaviours:
    """The behaviour rules of a regime, built afresh at each call: a
    :data:`~quasimarket.simulation.regime.BehaviourFactory` for the simulation.

    Plain, picklable data: the regime and, for a preset or path, its parsed segments and the
    user's behaviour options. A call gives the :class:`RegimePath` rule (if any) and then the
    regime's named rules (:func:`~quasimarket.simulation.regime.make_behaviours`).
    """

    regime: Regime
    segments: tuple[Segment, ...] | None = None
    user_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def __call__(self) -> list[BehaviourRule]:
        """Fresh rules for one chunk of draws."""
        leading: list[BehaviourRule] = []
        if self.segments is not None:
            options = {name: dict(values) for name, values in self.user_options.items()}
            leading.append(RegimePath(list(self.segments), options))
        return make_behaviours(self.regime, regime_rules=leading)


def regime_behaviours(regime: Regime, *, file: str | None = None) -> RegimeBehaviours:
    """The behaviour-rule factory of *regime* (with or without a preset or path), validated.

    Pass it to :func:`quasimarket.simulation.simulate` as ``behaviours=``
    (:func:`quasimarket.regimes.simulate` does).

    Raises:
        ConfigError: unknown regime, switch, behaviour or option; bad path; option out of range.
    """
    if not needs_regime_rules(regime):
        factory = RegimeBehaviours(regime)
    else:
        rule = regime_path_rule(regime, file=file)
        factory = RegimeBehaviours(regime, tuple(rule.segments), rule.user_options)
    make_behaviours(regime, file=file, regime_rules=[])  # the named rules, with *file*
    return factory


def apply_regime(
    scenario: SimulationScenario,
    *,
    regime: str | None = None,
    path: str | None = None,
    years: str | None = None,
) -> SimulationScenario:
    """*scenario* run under a preset (``regime``) or a regime path (``path``).

    Keeps the scenario's other regime settings (switch and behaviour-option overrides) and checks
    the path against the simulated years (*years* overrides the scenario's range).

    Raises:
        ConfigError: both or neither given; unknown regime; a bad path; a path that starts after
            the first simulated year or has an entry after the last.
    """
    from quasimarket.simulation.scenario import parse_simulation_scenario, year_range

    if (regime is None) == (path is None):
        raise ConfigError(
            "give --regime NAME or --regime-path PATH (exactly one)",
            location="--regime",
            expected="e.g. --regime hsca-2013 or --regime-path hsca-2013@2013/14,stp-2016@2016/17",
            fix="use one of the two options",
        )
    span = year_range(years or scenario.years)
    location = "--regime" if regime is not None else "--regime-path"
    text = path if path is not None else f"{regime}@{span[0]}"
    segments = parse_regime_path(text, overrides=scenario.regime.switches, location=location)
    if segments[0].start > span[0].start:
        raise ConfigError(
            f"the regime path starts in {FinancialYear(segments[0].start)}, after the first "
            f"simulated year {span[0]}",
            location="--regime-path entry 1",
            expected=f"a first entry starting in {span[0]} or earlier",
            fix=f"start the path at {span[0]}, or simulate later years with --years",
        )
    late = [s for s in segments if s.start > span[-1].start]
    if late:
        raise ConfigError(
            f"regime {late[0].name} starts in {FinancialYear(late[0].start)}, after the last "
            f"simulated year {span[-1]}",
            location="--regime-path",
            expected=f"entries starting between {span[0]} and {span[-1]}",
            fix="remove the entry or simulate more years with --years",
        )
    data = scenario.model_dump()
    data["regime"] = {
        **data["regime"],
        "name": text,
        "preset": None,
        "path": text,
    }
    if years is not None:
        data["years"] = years
    new = parse_simulation_scenario(data, file=location)
    regime_path_rule(new.regime)  # validate options now
    return new
