"""Simulation scenarios: the economy, years, rates, levers, finance and regime, validated.

A scenario is a TOML file (or a built-in, :data:`BUILTIN`) read into :class:`SimulationScenario`
(pydantic, unknown keys rejected). Example::

    name = "shift of care under a community block"
    years = "2013/14:2018/19"
    seed = 0
    draws = 1
    [economy]
    kind = "synthetic"        # synthetic | small | stored (path) | real (path)
    [regime]
    choice_sensitivity = 1.0
    [regime.contract_forms]
    community = "block"
    [levers.shift_of_care]
    share = 0.05
    from_year = "2015/16"

Rates, pathway, demography and finance parameters default to the [K] values in
:mod:`quasimarket.simulation.parameters` and the fields below; override any of them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from quasimarket.errors import ConfigError, from_validation_error
from quasimarket.financial_year import FinancialYear
from quasimarket.io.config_files import load_toml
from quasimarket.simulation.parameters import (
    DEMAND_PODS,
    default_age_profile,
    default_deprivation,
    default_per_head,
    default_seasonality,
)
from quasimarket.simulation.regime import Regime

__all__ = [
    "BUILTIN",
    "Demography",
    "EconomySpec",
    "Finance",
    "Levers",
    "Pathway",
    "Rates",
    "SimulationScenario",
    "builtin_scenario",
    "load_simulation_scenario",
    "parse_simulation_scenario",
    "year_range",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class EconomySpec(_Model):
    """Which economy to simulate.

    ``synthetic``: the England-like generator (built for the first simulated year);
    ``small``: the one-ICB test economy; ``stored``: a folder saved by ``save_economy``;
    ``real``: :func:`~quasimarket.economy.load_real_economy` on a folder of public files.
    """

    kind: Literal["synthetic", "small", "stored", "real"] = "synthetic"
    seed: int = Field(default=0, ge=0)
    level: Literal["ICB", "CCG"] | None = None
    path: str | None = None
    practices: int = Field(default=40, ge=1, le=2000)
    population: float = Field(default=400_000.0, gt=0)


def _check_pods(value: Mapping[str, object], what: str) -> None:
    unknown = sorted(set(value) - set(DEMAND_PODS))
    if unknown:
        raise ValueError(
            f"unknown point(s) of delivery in {what}: {', '.join(unknown)}; "
            f"known: {', '.join(DEMAND_PODS)}"
        )


#: Expected length of each profile table and what the values are.
_PROFILE_LENGTH = {
    "age_profile": (8, "one per age band, youngest first"),
    "deprivation": (5, "one per IMD quintile, most deprived first"),
    "seasonality": (12, "one per month, April first"),
}
#: Default female/male rate ratios [K: women consult GPs more often] and need growth a year
#: (PODs not listed grow 1% a year) [K].
_FEMALE_DEFAULT = {"gp": 1.25}
_GROWTH_DEFAULT = {"ae": 0.015, "community": 0.02, "mental_health": 0.03}


class Rates(_Model):
    """Activity rates by demand POD [K]; partial tables are merged over the defaults.

    Attributes:
        per_head: National average events per person a year.
        age_profile: Relative rate by age band (8 values, 45-64 = 1).
        deprivation: Multiplier by IMD quintile (5 values, most deprived first).
        seasonality: Monthly profile April first (12 values; rescaled to mean 1).
        female_factor: Rate for women relative to men (default 1; GP 1.25 [K]).
        need_growth: Growth in age-standardised need a year (default 1%; A&E 1.5%, community 2%,
            mental health 3% [K: trend growth of NHS activity beyond demography, approximate]).
        overdispersion: Coefficient of variation of the commissioner-month gamma shock (3%) [K].
    """

    per_head: dict[str, float] = Field(default_factory=default_per_head)
    age_profile: dict[str, list[float]] = Field(default_factory=default_age_profile)
    deprivation: dict[str, list[float]] = Field(default_factory=default_deprivation)
    seasonality: dict[str, list[float]] = Field(default_factory=default_seasonality)
    female_factor: dict[str, float] = Field(default_factory=lambda: dict(_FEMALE_DEFAULT))
    need_growth: dict[str, float] = Field(default_factory=lambda: dict(_GROWTH_DEFAULT))
    overdispersion: float = Field(default=0.03, ge=0.0, le=1.0)

    @field_validator("per_head", "female_factor")
    @classmethod
    def _non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        _check_pods(value, "rates")
        odd = {k: v for k, v in value.items() if not math.isfinite(v)}
        if odd:
            raise ValueError(f"rates must be finite numbers, not a number or infinite: {odd}")
        bad = {k: v for k, v in value.items() if not v >= 0.0}
        if bad:
            raise ValueError(f"rates must be zero or more, got {bad}")
        return value

    @field_validator("need_growth")
    @classmethod
    def _growth(cls, value: dict[str, float]) -> dict[str, float]:
        _check_pods(value, "need_growth")
        if any(not -0.5 < v < 1.0 for v in value.values()):
            raise ValueError("need growth must be a yearly fraction between -0.5 and 1")
        return value

    @field_validator("age_profile", "deprivation", "seasonality")
    @classmethod
    def _profiles(
        cls, value: dict[str, list[float]], info: ValidationInfo
    ) -> dict[str, list[float]]:
        _check_pods(value, "a profile table")
        length = _PROFILE_LENGTH[str(info.field_name)]
        for pod, numbers in value.items():
            if len(numbers) != length[0]:
                raise ValueError(
                    f"{pod}: needs {length[0]} values ({length[1]}), got {len(numbers)}"
                )
            if any(not x >= 0.0 for x in numbers):
                raise ValueError(f"{pod}: profile values must be zero or more")
        if str(info.field_name) == "seasonality" and any(sum(v) <= 0 for v in value.values()):
            raise ValueError("a seasonality profile must have a positive total")
        return value

    def merged(self) -> Rates:
        """These rates over the defaults (partial tables completed from the defaults)."""
        return Rates(
            per_head={**default_per_head(), **self.per_head},
            age_profile={**default_age_profile(), **self.age_profile},
            deprivation={**default_deprivation(), **self.deprivation},
            seasonality={**default_seasonality(), **self.seasonality},
            female_factor={**_FEMALE_DEFAULT, **self.female_factor},
            need_growth={**_GROWTH_DEFAULT, **self.need_growth},
            overdispersion=self.overdispersion,
        )


class Pathway(_Model):
    """The elective pathway from referral to treatment [K].

    Attributes:
        conversion: Elective (day case or ordinary) spells per completed RTT pathway (0.45 [K:
            roughly 7-8 million spells for 16 million referrals]).
        follow_ups: Outpatient follow-ups per completed pathway (1.8 [K: about 2 follow-ups per
            first attendance nationally]).
        fifo_share: Share of each month's capacity given to the longest waiters; the rest is
            spread over the list whatever the wait (clinical priority, patient choice of date,
            sub-specialty queues) (0.5 [K]); 1 = strict first in, first out.
        initial_list_months: Waiting list at the start, in months of capacity (3 [K: the 2013
            RTT incomplete list was about 3 million, about 3 months of clock stops]).
        wait_coefficient: Utility per month of expected wait at choice sensitivity 1 (-0.15 [K:
            the order of the elasticities found for English hip replacement choice]).
        quality_coefficient: Utility per standard deviation of provider quality (0.3 [K]).
        quality_sd: Spread of the drawn provider quality scores (0.3 [K]: with the wait
            coefficient, one SD of quality is worth about 0.6 months of wait).
        shift_contacts_per_spell: Community contacts that replace one shifted acute spell (4 [K]).
    """

    conversion: float = Field(default=0.45, gt=0.0, le=1.0)
    follow_ups: float = Field(default=1.8, ge=0.0, le=20.0)
    fifo_share: float = Field(default=0.5, ge=0.0, le=1.0)
    initial_list_months: float = Field(default=3.0, ge=0.0, le=36.0)
    wait_coefficient: float = Field(default=-0.15, le=0.0)
    quality_coefficient: float = Field(default=0.3, ge=0.0)
    quality_sd: float = Field(default=0.3, ge=0.0)
    shift_contacts_per_spell: float = Field(default=4.0, ge=0.0)


class Demography(_Model):
    """Yearly population change [K: England-like, approximate].

    Attributes:
        mortality: Deaths per person a year by age band (ONS-like shape).
        fertility: Births a year per woman aged 15-44.
        migration: Net migration per person a year (spread over cells by the current mix).
    """

    mortality: list[float] = Field(
        default_factory=lambda: [0.0008, 0.0001, 0.0003, 0.0008, 0.003, 0.012, 0.04, 0.14],
        min_length=8,
        max_length=8,
    )
    fertility: float = Field(default=0.055, ge=0.0, le=0.5)
    migration: float = Field(default=0.004, ge=-0.2, le=0.2)

    @field_validator("mortality")
    @classmethod
    def _rates(cls, value: list[float]) -> list[float]:
        if any(not 0.0 <= v <= 1.0 for v in value):
            raise ValueError("mortality rates must be between 0 and 1")
        return value


class Finance(_Model):
    """Money parameters [K].

    Attributes:
        community_price: Local price of a community contact, £ (no national tariff: 002@75304).
        mental_health_price: Local price of a mental health contact, £.
        cost_inflation: Provider pay and price inflation a year (3%).
        tariff_uplift: Gross tariff uplift a year before the efficiency factor (2.5%); the
            efficiency factor comes from the year's payment rules (002@255999).
        provider_efficiency: Cost efficiency providers achieve a year (1.5%).
        fixed_cost_share: Share of a provider's base cost that is fixed (55%).
        base_margin: Provider costs in the base year relative to contract income (1.0 =
            break-even).
        cquin_achievement: Share of CQUIN goals met (90%).
        allocation_growth: Growth in the total commissioner allocation a year (3%).
        other_spend_growth: Growth of the commissioner's spend outside the modelled contracts.
        planned_surplus: Commissioner planned surplus as a share of allocation (0.5%; the
            business rule of the 2010s [K]).
        block_rebase: Rebase block contracts on the previous outturn (002@257294).
        casemix: Factor from the unweighted mean national price of the tariff catalogue to the
            volume-weighted average unit price, by POD [K: most elective activity is cheap
            day cases and most emergency spells are short, so volume-weighted averages (about
            £1,300 per elective spell, £1,700 per emergency spell in 2013/14) are well under the
            catalogue means].
    """

    community_price: float = Field(default=70.0, ge=0.0)
    mental_health_price: float = Field(default=180.0, ge=0.0)
    cost_inflation: float = Field(default=0.03, ge=-0.2, le=0.5)
    tariff_uplift: float = Field(default=0.025, ge=-0.2, le=0.5)
    provider_efficiency: float = Field(default=0.015, ge=0.0, le=0.5)
    fixed_cost_share: float = Field(default=0.55, ge=0.0, le=1.0)
    base_margin: float = Field(default=1.0, gt=0.0, le=3.0)
    cquin_achievement: float = Field(default=0.9, ge=0.0, le=1.0)
    allocation_growth: float = Field(default=0.03, ge=-0.5, le=0.5)
    other_spend_growth: float = Field(default=0.03, ge=-0.5, le=0.5)
    planned_surplus: float = Field(default=0.005, ge=-0.5, le=0.5)
    block_rebase: bool = True
    casemix: dict[str, float] = Field(
        default_factory=lambda: {"elective_spell": 0.45, "non_elective": 0.40}
    )


class DemandManagement(_Model):
    """A commissioner referral management scheme: cuts elective referrals at a cost [K]."""

    reduction: float = Field(default=0.0, ge=0.0, le=1.0)
    cost_per_head: float = Field(default=0.0, ge=0.0)
    from_year: str | None = None


class ShiftOfCare(_Model):
    """Move a share of non-elective acute activity to community settings from a year."""

    share: float = Field(default=0.0, ge=0.0, le=1.0)
    from_year: str | None = None


class Capacity(_Model):
    """Elective capacity growth and a one-off investment that lands after a lag."""

    growth: float = Field(default=0.02, ge=-0.5, le=0.5)
    investment: float = Field(default=0.0, ge=0.0, le=5.0)
    investment_year: str | None = None
    lag_months: int = Field(default=6, ge=0, le=120)
    scale: dict[str, float] = Field(default_factory=dict)


class Levers(_Model):
    """Commissioner levers."""

    demand_management: DemandManagement = DemandManagement()
    shift_of_care: ShiftOfCare = ShiftOfCare()
    capacity: Capacity = Capacity()


class SimulationScenario(_Model):
    """A complete simulation scenario (see the module docstring for the file format).

    Attributes:
        name: Display name.
        description: Free text.
        years: ``"2013/14:2018/19"`` (inclusive) or one year.
        seed: Master seed; draw *i* uses its own stream (seed, i).
        draws: Ensemble size (1 = one stochastic path).
        chunk_draws: Draws per chunk (memory bound; does not change results).
        memory_limit_gb: Refuse runs estimated to need more than this.
        economy, rates, pathway, demography, finance, levers, regime: See those classes.
        allocation_scale: Multiplies every commissioner allocation (a tighter settlement < 1).
    """

    name: str = "simulation"
    description: str = ""
    years: str = "2013/14:2018/19"
    seed: int = Field(default=0, ge=0)
    draws: int = Field(default=1, ge=1)
    chunk_draws: int = Field(default=16, ge=1, le=100_000)
    memory_limit_gb: float = Field(default=8.0, gt=0)
    economy: EconomySpec = EconomySpec()
    rates: Rates = Rates()
    pathway: Pathway = Pathway()
    demography: Demography = Demography()
    finance: Finance = Finance()
    levers: Levers = Levers()
    regime: Regime = Regime()
    allocation_scale: float = Field(default=1.0, gt=0.0, le=10.0)

    @field_validator("years")
    @classmethod
    def _years(cls, value: str) -> str:
        try:
            year_range(value)
        except ConfigError as error:  # re-raised as a field error, so it names the file
            raise ValueError(f"{error.problem}: expected {error.expected}") from None
        return value

    def year_list(self) -> list[FinancialYear]:
        """The simulated financial years in order."""
        return year_range(self.years)


def year_range(text: str, *, location: str = "years") -> list[FinancialYear]:
    """``"2013/14:2018/19"`` → the financial years from 2013/14 to 2018/19 inclusive.

    *location* names the field or option in the error (``years`` or ``--years``).

    Raises:
        ConfigError: unreadable, reversed, or longer than 30 years.
    """
    parts = list(str(text).split(":"))
    try:
        first = FinancialYear.parse(parts[0])
        last = FinancialYear.parse(parts[-1])
    except (ConfigError, ValueError) as error:
        raise ConfigError(
            f"cannot read the year range {text!r}",
            location=location,
            expected='a range such as "2013/14:2018/19" or one year "2016/17"',
            fix="write the first and last financial years separated by a colon",
        ) from error
    if len(parts) > 2 or last.start < first.start or last.start - first.start >= 30:
        raise ConfigError(
            f"bad year range {text!r}",
            location=location,
            expected="first:last with first ≤ last and at most 30 years",
            fix='e.g. "2013/14:2018/19"',
        )
    return [FinancialYear(y) for y in range(first.start, last.start + 1)]


def parse_simulation_scenario(
    data: dict[str, object], *, file: str | None = None
) -> SimulationScenario:
    """Validate a scenario mapping (rates completed from the defaults).

    Raises:
        ConfigError: unknown keys, bad values (one message naming every bad field).
    """
    try:
        scenario = SimulationScenario.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, file=file, what="simulation scenario") from None
    return scenario.model_copy(update={"rates": scenario.rates.merged()})


def load_simulation_scenario(path: str | Path) -> SimulationScenario:
    """Read and validate a scenario TOML file.

    Raises:
        InputError: missing or unreadable file, bad TOML (with line).
        ConfigError: bad content.
    """
    file = Path(path)
    data = load_toml(
        file,
        what="scenario",
        fix_missing="check the path, or use --example NAME for a built-in scenario",
        fix_syntax="fix the syntax at the line shown",
    )
    return parse_simulation_scenario(data, file=str(file))


#: Built-in scenarios: name → (description, scenario mapping).
BUILTIN: dict[str, tuple[str, dict[str, object]]] = {
    "england-baseline": (
        "England-like synthetic economy (211 CCGs, ~7,900 practices), current rules, "
        "2013/14-2018/19",
        {"name": "england-baseline", "years": "2013/14:2018/19"},
    ),
    "england-icb": (
        "England-like synthetic economy at ICB level (42 ICBs, ~6,350 practices), 2022/23-2025/26",
        {"name": "england-icb", "years": "2022/23:2025/26"},
    ),
    "small-baseline": (
        "one ICB, 40 practices, three providers, current rules, 2013/14-2015/16",
        {"name": "small-baseline", "years": "2013/14:2015/16", "economy": {"kind": "small"}},
    ),
    "shift-of-care-block": (
        "small economy: 10% of emergency activity moves to the community from 2014/15; "
        "community on a block, acute on PbR",
        {
            "name": "shift-of-care-block",
            "years": "2013/14:2015/16",
            "economy": {"kind": "small"},
            "levers": {"shift_of_care": {"share": 0.10, "from_year": "2014/15"}},
            "regime": {"contract_forms": {"community": "block", "acute_emergency": "pbr"}},
        },
    ),
    "shift-of-care-pbr": (
        "as shift-of-care-block, but the community is paid per contact (money follows the patient)",
        {
            "name": "shift-of-care-pbr",
            "years": "2013/14:2015/16",
            "economy": {"kind": "small"},
            "levers": {"shift_of_care": {"share": 0.10, "from_year": "2014/15"}},
            "regime": {"contract_forms": {"community": "pbr", "acute_emergency": "pbr"}},
        },
    ),
    "competition": (
        "England-like economy with strong patient choice (choice sensitivity 4), 2013/14-2018/19",
        {
            "name": "competition",
            "years": "2013/14:2018/19",
            "regime": {"name": "competition within the market", "choice_sensitivity": 4.0},
        },
    ),
}


def builtin_scenario(name: str) -> SimulationScenario:
    """A built-in scenario by name (see :data:`BUILTIN`).

    Raises:
        ConfigError: unknown name (listing the known ones).
    """
    if name not in BUILTIN:
        raise ConfigError(
            f"unknown built-in simulation scenario '{name}'",
            location="--example",
            expected=f"one of: {', '.join(BUILTIN)}",
            fix="list them with `quasimarket simulate --list`",
        )
    description, data = BUILTIN[name]
    return parse_simulation_scenario({"description": description, **data}, file=f"example:{name}")
