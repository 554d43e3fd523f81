"""Named regime presets: data (``presets.toml``), validated, listed, shown and compared.

Each preset is a set of switches with a source for every switch (a seed location such as
``002@249400`` or a ``payment-rules.md`` tag). The switches say who commissions, how contracts
pay (contract form per service, MRET and CQUIN rates), the national policy signal on
procurement, co-commissioning, the public health grant, control totals, alliances and how many
commissioners each fragmented pathway has. ``icb-2022`` goes beyond the research and is marked
``beyond_research = true``.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from quasimarket.errors import ConfigError, from_validation_error, summarise_items

__all__ = [
    "INSTITUTIONAL_BEHAVIOURS",
    "Preset",
    "Switches",
    "diff_presets",
    "get_preset",
    "list_presets",
    "preset_names",
    "switches_with_overrides",
]

#: The seven institutional behaviour rules a regime runs (in this order each hook).
INSTITUTIONAL_BEHAVIOURS = (
    "retreat_to_block",
    "year_end_settlement",
    "procurement",
    "co_commissioning",
    "public_health_grant",
    "alliance",
    "fragmentation",
)

RateSwitch = float | Literal["calendar", "off"]
Form = Literal["calendar", "pbr", "block", "blended"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Switches(_Model):
    """The switches of a regime (all overridable in a scenario under ``[regime.switches]``).

    Attributes:
        commissioner: Who commissions hospital and community care.
        binding_contracts: Whether contracts are legally binding (1991: not, 002@72285).
        choice_sensitivity: Patient choice λ (0 = none).
        contract_forms: Contract form per service.
        mret_rate: Share of tariff paid for emergency activity above the baseline; ``calendar``
            or ``off``.
        cquin_rate: CQUIN as a share of contract value; ``calendar`` or ``off``.
        activity_caps: Whether activity caps are allowed (recorded; 002@249191).
        settlement_relationship: Relationship strength in [0, 1]: the share of an unaffordable
            outturn settled informally below the contract.
        regulator_tolerance: Regulator tolerance in [0, 1] of commissioner overspends.
        procurement_signal: National policy signal on competition, −1 (cooperate) to +1
            (procure competitively).
        co_commissioning: Primary care co-commissioning available.
        co_commissioning_uptake: CCGs at levels 1/2/3 when co-commissioning starts.
        co_commissioning_delegation_rate: Yearly chance a non-delegated CCG moves to level 3.
        public_health_commissioner: ``nhs`` (HA/PCT) or ``la`` (local authorities).
        public_health_ring_fence: Public health grant ring-fenced.
        public_health_grant_cut: Yearly real cut in the grant from 2015/16.
        system_control_total: ``none``, ``alongside`` individual ones, or ``single``.
        alliances_allowed: Providers may form alliances sharing gains and losses.
        pathway_commissioners: Commissioners involved per fragmented pathway.
        behaviours: Institutional behaviour rules switched on (default all seven).
        beyond_research: True where the preset extends beyond the research seeds.
    """

    commissioner: Literal["health_authority", "pct", "ccg", "icb"]
    binding_contracts: bool
    choice_sensitivity: float = Field(ge=0.0, le=50.0)
    contract_forms: dict[
        Literal["acute_elective", "acute_emergency", "community", "mental_health"], Form
    ]
    mret_rate: RateSwitch
    cquin_rate: RateSwitch
    activity_caps: bool
    settlement_relationship: float = Field(ge=0.0, le=1.0)
    regulator_tolerance: float = Field(ge=0.0, le=1.0)
    procurement_signal: float = Field(ge=-1.0, le=1.0)
    co_commissioning: bool
    co_commissioning_uptake: tuple[int, int, int] = (58, 87, 64)
    co_commissioning_delegation_rate: float = Field(default=0.38, ge=0.0, le=1.0)
    public_health_commissioner: Literal["nhs", "la"]
    public_health_ring_fence: bool
    public_health_grant_cut: float = Field(ge=0.0, le=0.5)
    system_control_total: Literal["none", "alongside", "single"]
    alliances_allowed: bool
    pathway_commissioners: dict[Literal["sexual_health", "obesity", "children_0_19"], int]
    behaviours: tuple[str, ...] = INSTITUTIONAL_BEHAVIOURS
    beyond_research: bool

    @model_validator(mode="after")
    def _check(self) -> Switches:
        for key in ("mret_rate", "cquin_rate"):
            value = getattr(self, key)
            if isinstance(value, float) and not 0.0 <= value <= 1.0:
                raise ValueError(f"{key} must be between 0 and 1, 'calendar' or 'off'")
        if any(not 1 <= n <= 10 for n in self.pathway_commissioners.values()):
            raise ValueError("pathway_commissioners must be between 1 and 10")
        if (
            any(n < 0 for n in self.co_commissioning_uptake)
            or sum(self.co_commissioning_uptake) <= 0
        ):
            raise ValueError("co_commissioning_uptake needs three counts ≥ 0 with a positive sum")
        unknown = sorted(set(self.behaviours) - set(INSTITUTIONAL_BEHAVIOURS))
        if unknown:
            raise ValueError(
                f"unknown behaviour(s) {', '.join(unknown)}; known: "
                + ", ".join(INSTITUTIONAL_BEHAVIOURS)
            )
        return self


class Preset(_Model):
    """A named regime preset.

    Attributes:
        name: Preset name, e.g. ``hsca-2013``.
        title, era, description: Documentation.
        switches: The switches.
        sources: Source of every switch (same keys as the switches that are set).
    """

    name: str
    title: str
    era: str
    description: str
    switches: Switches
    sources: dict[str, str]

    @model_validator(mode="after")
    def _sources(self) -> Preset:
        missing = sorted(self.switches.model_fields_set - set(self.sources))
        if missing:
            raise ValueError(f"switches without a source: {', '.join(missing)}")
        return self


@cache
def _load() -> dict[str, Preset]:
    text = resources.files("quasimarket.regimes").joinpath("presets.toml").read_text("utf-8")
    data = tomllib.loads(text)
    out: dict[str, Preset] = {}
    for name, body in data.items():
        try:
            out[name] = Preset.model_validate({"name": name, **body})
        except ValidationError as error:
            raise from_validation_error(
                error, file="quasimarket/regimes/presets.toml", what=f"regime preset {name}"
            ) from None
    return out


def preset_names() -> list[str]:
    """Names of the built-in presets, in historical order."""
    return list(_load())


def list_presets() -> list[Preset]:
    """All built-in presets, in historical order."""
    return list(_load().values())


def get_preset(name: str, *, location: str = "regime") -> Preset:
    """A preset by name.

    Raises:
        ConfigError: unknown name (listing the known ones).
    """
    presets = _load()
    if name not in presets:
        raise ConfigError(
            f"unknown regime '{name}'",
            location=location,
            expected=f"one of: {', '.join(presets)}",
            fix="list them with `quasimarket regimes list`",
        )
    return presets[name]


def switches_with_overrides(
    preset: Preset, overrides: dict[str, Any], *, file: str | None = None
) -> Switches:
    """The preset's switches with *overrides* applied (validated).

    Raises:
        ConfigError: an unknown switch or a value outside its range.
    """
    unknown = sorted(set(overrides) - set(Switches.model_fields))
    if unknown:
        raise ConfigError(
            f"unknown regime switch(es): {summarise_items(unknown)}",
            file=file,
            location="regime.switches." + unknown[0],
            expected=f"one of: {summarise_items(sorted(Switches.model_fields), first=30)}",
            fix="check the spelling; see `quasimarket regimes show NAME`",
        )
    try:
        return Switches.model_validate({**preset.switches.model_dump(), **overrides})
    except ValidationError as error:
        raise from_validation_error(error, file=file, what="regime.switches") from None


def diff_presets(a: str, b: str) -> list[dict[str, Any]]:
    """Switches that differ between presets *a* and *b*: ``switch, a, b, source_a, source_b``."""
    left, right = get_preset(a, location="A"), get_preset(b, location="B")
    da, db = left.switches.model_dump(mode="json"), right.switches.model_dump(mode="json")
    return [
        {
            "switch": key,
            "a": da[key],
            "b": db[key],
            "source_a": left.sources.get(key, ""),
            "source_b": right.sources.get(key, ""),
        }
        for key in Switches.model_fields
        if da[key] != db[key]
    ]
