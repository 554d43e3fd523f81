"""Compile an economy and a scenario into the arrays the engine runs on.

Everything that does not depend on the random draws is done once here, vectorised: the population
projection (ageing, births, deaths, migration by practice × age/sex cell), expected demand by
commissioner × POD × month, the baseline referral and catchment flows, unit prices by provider ×
POD × year, the payment rules of each year, year-0 contract plans, allocations and cost bases.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket._types import FloatArray, Int64Array
from quasimarket.economy.demography import AGE_SHARES, FEMALE_SHARES, need_per_head
from quasimarket.economy.model import Economy
from quasimarket.errors import ConfigError
from quasimarket.financial_year import FinancialYear
from quasimarket.random_streams import stream
from quasimarket.simulation.parameters import (
    AGE_WIDTH_YEARS,
    CAPACITY_SEASONALITY,
    DEMAND_PODS,
    PODS,
    SERVICES,
)
from quasimarket.simulation.scenario import SimulationScenario
from quasimarket.tariff import annex_a

__all__ = ["Compiled", "compile_simulation", "load_scenario_economy"]


#: Index of each POD on the last axis of activity arrays.
POD_INDEX = {pod: i for i, pod in enumerate(PODS)}
#: Index of each demand POD on the last axis of demand arrays.
DEMAND_INDEX = {pod: i for i, pod in enumerate(DEMAND_PODS)}
#: Age buckets (months waited) of the RTT waiting list; the last one is open.
WAIT_BUCKETS = 37
#: 18 weeks in months (18 × 7 / 30.4375).
RTT_MONTHS = 18 * 7 / 30.4375
#: Service of each POD (``None``: not contracted; GP consultations are paid through the GP
#: contract and referrals are not a currency).
POD_SERVICE: dict[str, str | None] = dict.fromkeys(PODS) | {
    pod: service for service, pods in SERVICES.items() for pod in pods
}


@dataclass(frozen=True)
class Compiled:
    """Arrays for the engine (C commissioners, V providers, P PODs, T months, Y years).

    Attributes:
        scenario: The scenario.
        years: Simulated financial years.
        commissioners: Commissioner codes (C,); ``providers``: provider codes (V,).
        provider_kind: Provider kinds (V,).
        demand: Expected demand by month, commissioner and demand POD (T, C, Kd), before noise.
        population: People per commissioner per year (Y, C).
        population_flows: Per year (Y, 4): start population, births, deaths, net migration
            (England totals over the year that ends the row's population; row 0 is zeros).
        shares: Baseline flow shares commissioner → provider per route (C, V):
            ``elective``, ``emergency``, ``community``, ``mental_health``.
        quality: Provider quality score (V,).
        capacity: Elective pathways a month a provider can complete, per month (T, V).
        price: Unit price £ by year, provider and POD (Y, V, P).
        forms: Contract form per year and service (resolved from the calendar).
        mret_rate, cquin_rate: Per year (None where the rule is not in force).
        blended_rate: Per year, the blended (or API) variable rate; out of its era the
            calendar's first rate (a counterfactual regime may pay blended earlier).
        api: Per year, whether the aligned payment and incentive is in force (2023/24 on).
        efficiency: Tariff efficiency factor per year.
        plan: Year-0 planned activity (C, V, P).
        allocation: Commissioner allocation £ (Y, C).
        other_spend: Commissioner spend outside the modelled contracts £ (Y, C).
        lever_cost: Cost of demand management £ (Y, C).
        fixed_cost: Provider fixed cost £ (Y, V); ``variable_rate``: variable cost per £ of
            activity at base prices (Y,).
        control_total: Provider planned surplus £ (Y, V).
        shift: Share of non-elective activity shifted to the community per month (T,).
        initial_list: Waiting list at the start (C, V).
        expected_demand0: Expected yearly demand from demography alone (Y, C, Kd).
        expected_demand: Expected yearly demand with need growth, before levers (Y, C, Kd).
    """

    scenario: SimulationScenario
    years: list[FinancialYear]
    commissioners: list[str]
    providers: list[str]
    provider_kind: list[str]
    demand: FloatArray
    population: FloatArray
    population_flows: FloatArray
    shares: dict[str, FloatArray]
    quality: FloatArray
    capacity: FloatArray
    price: FloatArray
    base_price: FloatArray
    forms: list[dict[str, str]]
    mret_rate: list[float | None]
    cquin_rate: list[float | None]
    blended_rate: list[float]
    api: list[bool]
    plan: FloatArray
    allocation: FloatArray
    other_spend: FloatArray
    lever_cost: FloatArray
    fixed_cost: FloatArray
    variable_rate: FloatArray
    control_total: FloatArray
    shift: FloatArray
    initial_list: FloatArray
    expected_demand0: FloatArray
    expected_demand: FloatArray
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def months(self) -> int:
        """Number of simulated months."""
        return 12 * len(self.years)


def load_scenario_economy(scenario: SimulationScenario) -> Economy:
    """Build or load the scenario's economy for its first year.

    Raises:
        ConfigError: the year range lies outside the economy, or a path is missing.
    """
    from quasimarket.economy import (
        load_economy,
        load_real_economy,
        small_economy,
        synthetic_economy,
    )

    spec = scenario.economy
    first = scenario.year_list()[0]
    if spec.kind == "synthetic":
        return synthetic_economy(spec.seed, first, spec.level)
    if spec.kind == "small":
        return small_economy(
            spec.seed,
            first,
            level=spec.level,
            practices=spec.practices,
            population=spec.population,
        )
    if spec.path is None:
        raise ConfigError(
            f"an economy of kind '{spec.kind}' needs a path",
            location="economy.path",
            expected="the folder of the stored economy or of the public data files",
            fix='add path = "…" under [economy]',
        )
    economy = load_economy(spec.path) if spec.kind == "stored" else load_real_economy(spec.path)
    if economy.year != first:
        raise ConfigError(
            f"the years {scenario.years} start outside the economy, which describes {economy.year}",
            location="years",
            expected=f"a range starting at {economy.year}",
            fix=f'set years = "{economy.year}:…" or use a synthetic economy for other years',
        )
    return economy


def _index(codes: pd.Series, known: list[str]) -> Int64Array:
    lookup = {code: i for i, code in enumerate(known)}
    return np.array([lookup.get(str(c), -1) for c in codes], dtype=np.int64)


def _project_population(
    economy: Economy, scenario: SimulationScenario, n_years: int
) -> tuple[FloatArray, FloatArray]:
    """Cells by year (Y, P, 16) and England flows (Y, 4): start, births, deaths, migration."""
    demo = scenario.demography
    cells = np.asarray(economy.practice_cells, dtype=np.float64)
    out = np.empty((n_years, *cells.shape))
    flows = np.zeros((n_years, 4))
    out[0] = cells
    mortality = np.repeat(np.asarray(demo.mortality), 2)  # per cell, band-major
    moving = np.repeat(1.0 / AGE_WIDTH_YEARS, 2)  # share leaving each band a year
    female_birth_share = FEMALE_SHARES[0]
    for y in range(1, n_years):
        prev = out[y - 1]
        deaths = prev * mortality
        alive = prev - deaths
        leave = alive * moving
        stay = alive - leave
        nxt = stay.copy()
        nxt[:, 2:] += leave[:, :-2]  # band b → b+1, same sex (cell + 2)
        women = prev[:, 4] + prev[:, 6]  # 15-24 and 25-44, female
        births = women * demo.fertility
        nxt[:, 0] += births * female_birth_share
        nxt[:, 1] += births * (1.0 - female_birth_share)
        total = prev.sum(axis=1, keepdims=True)
        migration = total * demo.migration
        mix = nxt / np.maximum(nxt.sum(axis=1, keepdims=True), 1e-12)
        nxt += migration * mix
        out[y] = nxt
        flows[y] = [prev.sum(), births.sum(), deaths.sum(), migration.sum()]
    return out, flows


def _cell_rates(scenario: SimulationScenario) -> FloatArray:
    """Events per person a year by cell and demand POD (16, Kd), England average = per_head."""
    rates = scenario.rates
    shares = np.column_stack([AGE_SHARES * FEMALE_SHARES, AGE_SHARES * (1 - FEMALE_SHARES)])
    out = np.empty((16, len(DEMAND_PODS)))
    for k, pod in enumerate(DEMAND_PODS):
        profile = np.asarray(rates.age_profile[pod], dtype=np.float64)
        if profile.shape != (8,):
            raise ConfigError(
                f"the age profile of {pod} has {profile.size} values",
                location=f"rates.age_profile.{pod}",
                expected="8 values, one per age band",
                fix="give one relative rate per age band, youngest first",
            )
        female = rates.female_factor.get(pod, 1.0)
        table = np.column_stack([profile * female, profile])  # (8, 2)
        dep = np.asarray(rates.deprivation[pod], dtype=np.float64)
        norm = float((table * shares).sum()) * float(dep.mean())
        out[:, k] = (rates.per_head[pod] * table / norm if norm > 0 else table * 0.0).ravel()
    return out


def _route_shares(
    economy: Economy, commissioners: list[str], providers: list[str]
) -> dict[str, FloatArray]:
    """Baseline commissioner → provider flow shares per route, rows summing to 1."""
    prov = economy.providers
    kind = prov["kind"].astype(str).to_numpy()
    size = np.maximum(prov["beds"].to_numpy(dtype=np.float64), 1.0)
    capacity = prov["elective_capacity_spells"].to_numpy(dtype=np.float64)
    catch = economy.catchments
    ci = _index(catch["commissioner_code"], commissioners)
    vi = _index(catch["provider_code"], providers)
    ok = (ci >= 0) & (vi >= 0)
    share = np.zeros((len(commissioners), len(providers)))
    np.add.at(share, (ci[ok], vi[ok]), catch["share"].to_numpy(dtype=np.float64)[ok])
    region_c = economy.commissioners["region_code"].astype(str).to_numpy()
    region_v = prov["region_code"].astype(str).to_numpy()

    def route(mask: npt.NDArray[np.bool_], weight: FloatArray) -> FloatArray:
        flows = share * (weight * mask)[None, :]
        return flows

    def normalise(flows: FloatArray, fallback: FloatArray) -> FloatArray:
        total = flows.sum(axis=1, keepdims=True)
        out = np.where(total > 0, flows / np.where(total > 0, total, 1.0), fallback)
        return np.asarray(out, dtype=np.float64)

    acute = kind == "acute"
    regional = (region_c[:, None] == region_v[None, :]) * (acute * size)[None, :]
    regional_total = regional.sum(axis=1, keepdims=True)
    national = np.broadcast_to(acute * size / max(float((acute * size).sum()), 1.0), regional.shape)
    last = np.where(
        regional_total > 0, regional / np.where(regional_total > 0, regional_total, 1), national
    )
    emergency = normalise(route(acute, size), last)
    elective = normalise(route(acute | (kind == "independent"), capacity), emergency)
    community = normalise(route((kind == "community") | (kind == "third_sector"), size), emergency)
    mental = normalise(route(kind == "mental_health", size), emergency)
    # Electives go only to providers with capacity.
    elective = normalise(elective * (capacity > 0)[None, :], emergency * (capacity > 0)[None, :])
    return {
        "elective": elective,
        "emergency": emergency,
        "community": community,
        "mental_health": mental,
    }


def _fit_to_capacity(base: FloatArray, referrals: FloatArray, capacity: FloatArray) -> FloatArray:
    """Scale elective route shares so expected referrals per provider are proportional to
    its elective capacity (iterative proportional fitting, 500 rounds; rows still sum to 1).

    The synthetic catchments and capacities are drawn separately, so without this some trusts
    start with far more referrals than they can treat and others with idle theatres. Only
    pairs already within reach (share > 0) carry flow [modelling note].
    """
    flows = base * referrals[:, None]
    total = float(referrals.sum())
    target = capacity / max(float(capacity.sum()), 1e-12) * total
    for _ in range(500):
        col = flows.sum(axis=0)
        flows = flows * np.where(col > 0, target / np.where(col > 0, col, 1.0), 0.0)[None, :]
        row = flows.sum(axis=1)
        flows = flows * np.where(row > 0, referrals / np.where(row > 0, row, 1.0), 0.0)[:, None]
    row = flows.sum(axis=1, keepdims=True)
    return np.asarray(
        np.where(row > 0, flows / np.where(row > 0, row, 1.0), base), dtype=np.float64
    )


def _unit_prices(
    economy: Economy, scenario: SimulationScenario, providers: list[str]
) -> FloatArray:
    """Base-year average unit price £ by provider and POD (V, P), MFF applied."""
    tariff = economy.tariff
    apc, op, ae = tariff["apc"], tariff["outpatient"], tariff["ae"]

    def mean(frame: pd.DataFrame, column: str) -> float:
        values = pd.to_numeric(frame[column], errors="coerce")
        return float(values[values > 0].mean()) if (values > 0).any() else 0.0

    base = np.zeros(len(PODS))
    base[POD_INDEX["elective_spell"]] = mean(apc, annex_a.COMBINED_DC_EL)
    base[POD_INDEX["non_elective"]] = mean(apc, annex_a.NON_ELECTIVE)
    base[POD_INDEX["op_first"]] = mean(op, annex_a.OP_FIRST)
    base[POD_INDEX["op_follow_up"]] = mean(op, annex_a.OP_FOLLOW_UP)
    base[POD_INDEX["ae"]] = mean(ae, annex_a.AE_TYPE_1_2)
    base[POD_INDEX["community"]] = scenario.finance.community_price
    base[POD_INDEX["mental_health"]] = scenario.finance.mental_health_price
    for pod, factor in scenario.finance.casemix.items():
        if pod not in POD_INDEX or factor < 0:
            raise ConfigError(
                f"bad casemix factor {pod} = {factor}",
                location=f"finance.casemix.{pod}",
                expected=f"a factor of zero or more for one of: {', '.join(PODS)}",
                fix="check the POD name and the value",
            )
        base[POD_INDEX[pod]] *= factor
    mff = economy.providers["mff"].to_numpy(dtype=np.float64)
    mff = np.where(np.isfinite(mff) & (mff > 0), mff, 1.0)
    return np.asarray(mff[:, None] * base[None, :], dtype=np.float64)


def _resolve_forms(scenario: SimulationScenario, rules: Any) -> dict[str, str]:
    forms: dict[str, str] = dict(scenario.regime.contract_forms)
    for service, form in forms.items():
        if form != "calendar":
            continue
        if service in ("community", "mental_health"):
            forms[service] = "block"  # no national prices (002@75304)
        elif rules.blended_payment.value or rules.api.value:
            forms[service] = "blended"  # payment-rules.md A6/A7
        elif rules.national_tariff.value:
            forms[service] = "pbr"
        else:
            forms[service] = "block"
    return forms


def _rules(scenario: SimulationScenario, years: list[FinancialYear]) -> list[Any]:
    from quasimarket.structure import payment_rules

    fixed = scenario.regime.payment_rules
    out = []
    for year in years:
        try:
            out.append(payment_rules(year if fixed == "calendar" else FinancialYear.parse(fixed)))
        except ConfigError as error:
            raise ConfigError(
                f"no national payment rules are known for {year if fixed == 'calendar' else fixed}",
                location="years" if fixed == "calendar" else "regime.payment_rules",
                expected="financial years inside the payment-rule calendar (1991/92-2025/26)",
                fix="shorten the year range or fix the rules to a known year with "
                'regime.payment_rules = "2025/26"',
            ) from error
    return out


def _month_of(scenario: SimulationScenario, text: str | None, where: str) -> int | None:
    if text is None:
        return None
    years = scenario.year_list()
    year = FinancialYear.parse(text)
    if not years[0].start <= year.start <= years[-1].start:
        raise ConfigError(
            f"{where} {year} is outside the simulated years {scenario.years}",
            location=where,
            expected=f"a year from {years[0]} to {years[-1]}",
            fix="move the year inside the range or widen the range",
        )
    return 12 * (year.start - years[0].start)


def compile_simulation(scenario: SimulationScenario, economy: Economy) -> Compiled:
    """Compile *scenario* on *economy* (whose year must be the first simulated year).

    Raises:
        ConfigError: an inconsistent scenario (years outside the economy or the rule calendar,
            a provider with zero capacity but contracted elective activity, bad profiles).
    """
    from quasimarket.contracts.defaults import FALLBACKS  # the calendar's out-of-era rates

    years = scenario.year_list()
    if economy.year != years[0]:
        raise ConfigError(
            f"the years {scenario.years} start outside the economy, which describes {economy.year}",
            location="years",
            expected=f"a range starting at {economy.year}",
            fix=f'set years = "{economy.year}:…"',
        )
    n_y, n_t = len(years), 12 * len(years)
    commissioners = economy.commissioners["code"].astype(str).tolist()
    providers = economy.providers["code"].astype(str).tolist()
    n_c, n_v = len(commissioners), len(providers)
    rules = _rules(scenario, years)

    # Population and expected demand.
    cells, flows = _project_population(economy, scenario, n_y)
    imd = economy.practices["imd_quintile"].to_numpy(dtype=np.int64)
    practice_c = _index(economy.practices["commissioner_code"], commissioners)
    if (practice_c < 0).any():
        raise ConfigError(
            "some practices belong to no commissioner of the economy",
            location="practices.commissioner_code",
            expected="every practice's commissioner in the commissioners table",
            fix="fix the economy",
        )
    rates = _cell_rates(scenario)  # (16, Kd)
    dep = np.column_stack([np.asarray(scenario.rates.deprivation[p]) for p in DEMAND_PODS])
    per_practice = (cells @ rates) * dep[np.clip(imd, 1, 5) - 1][None, :, :]  # (Y, P, Kd)
    annual = np.zeros((n_y, n_c, len(DEMAND_PODS)))
    for y in range(n_y):
        np.add.at(annual[y], practice_c, per_practice[y])
    growth = np.array([scenario.rates.need_growth.get(p, 0.01) for p in DEMAND_PODS])
    annual0 = annual.copy()
    annual *= (1.0 + growth)[None, None, :] ** np.arange(n_y)[:, None, None]
    dm = scenario.levers.demand_management
    dm_month = _month_of(scenario, dm.from_year, "levers.demand_management.from_year")
    dm_on = np.zeros(n_t)
    if dm_month is not None and dm.reduction > 0:
        dm_on[dm_month:] = 1.0
    season = np.column_stack(
        [
            np.asarray(scenario.rates.seasonality[p], dtype=np.float64)
            / max(float(np.mean(scenario.rates.seasonality[p])), 1e-12)
            for p in DEMAND_PODS
        ]
    )  # (12, Kd)
    if season.shape[0] != 12:
        raise ConfigError(
            "a seasonality profile does not have 12 values",
            location="rates.seasonality",
            expected="12 monthly values, April first",
            fix="give one value per month",
        )
    month_year = np.arange(n_t) // 12
    demand = annual[month_year] / 12.0 * season[np.arange(n_t) % 12][:, None, :]
    demand[:, :, DEMAND_INDEX["elective_referral"]] *= (1.0 - dm.reduction * dm_on)[:, None]
    population = np.zeros((n_y, n_c))
    for y in range(n_y):
        population[y] = np.bincount(practice_c, weights=cells[y].sum(axis=1), minlength=n_c)

    # Flows, capacity, prices.
    shares = _route_shares(economy, commissioners, providers)
    cap_for_fit = economy.providers["elective_capacity_spells"].to_numpy(dtype=np.float64)
    shares["elective"] = _fit_to_capacity(
        shares["elective"], annual[0, :, DEMAND_INDEX["elective_referral"]], cap_for_fit
    )
    rng = stream(scenario.seed, "simulation:provider_quality")
    quality = rng.standard_normal(n_v) * scenario.pathway.quality_sd
    conv = scenario.pathway.conversion
    cap_spells = economy.providers["elective_capacity_spells"].to_numpy(dtype=np.float64).copy()
    # Where the catchments cannot carry referrals in proportion to capacity (the fit above is
    # then infeasible), move capacity to where the fitted referrals go, keeping each provider's
    # capacity above zero and the national total unchanged [modelling note]: every provider
    # then starts equally loaded, at the national ratio of referrals to capacity.
    inflow = (annual[0, :, DEMAND_INDEX["elective_referral"], None] * shares["elective"]).sum(
        axis=0
    )
    if inflow.sum() > 0 and cap_spells.sum() > 0:
        cap_spells = np.where(cap_spells > 0, inflow / inflow.sum() * cap_spells.sum(), 0.0)
    scale = scenario.levers.capacity.scale
    unknown = sorted(set(scale) - set(providers))
    if unknown:
        raise ConfigError(
            f"capacity scale for unknown provider(s) {', '.join(unknown)}",
            location="levers.capacity.scale",
            expected="provider codes of the economy",
            fix="check the codes (quasimarket economy describe lists them)",
        )
    for code, factor in scale.items():
        if factor < 0:
            raise ConfigError(
                f"negative capacity scale {factor} for {code}",
                location=f"levers.capacity.scale.{code}",
                expected="a factor of zero or more",
                fix="use 0 to close the provider's elective capacity",
            )
        cap_spells[providers.index(code)] *= factor
    contracted = shares["elective"].sum(axis=0) > 0
    closed = [providers[v] for v in np.flatnonzero(contracted & (cap_spells <= 0))]
    if closed:
        from quasimarket.errors import summarise_items

        raise ConfigError(
            f"provider(s) {summarise_items(closed)} have zero elective capacity but receive "
            "elective referrals from their catchment",
            location="levers.capacity.scale",
            expected="capacity above zero for every provider with contracted elective activity",
            fix="give the provider some capacity, or remove it from the catchments",
        )
    cap_lever = scenario.levers.capacity
    invest_month = _month_of(scenario, cap_lever.investment_year, "levers.capacity.investment_year")
    invest = np.ones(n_t)
    if invest_month is not None:
        invest[min(invest_month + cap_lever.lag_months, n_t) :] += cap_lever.investment
    cap_growth = (1.0 + cap_lever.growth) ** month_year
    capacity = (cap_spells / conv / 12.0)[None, :] * (
        CAPACITY_SEASONALITY[np.arange(n_t) % 12] * cap_growth * invest
    )[:, None]
    base_price = _unit_prices(economy, scenario, providers)
    eff = [float(r.efficiency_factor.value or 0.0) for r in rules]
    uplift = np.cumprod([1.0] + [1.0 + scenario.finance.tariff_uplift - e for e in eff[1:]])
    price = uplift[:, None, None] * base_price[None, :, :]
    forms = [_resolve_forms(scenario, r) for r in rules]

    # Year-0 plan: expected demand routed by baseline shares, electives capped by capacity.
    year0 = annual[0]
    plan = np.zeros((n_c, n_v, len(PODS)))
    referrals = year0[:, DEMAND_INDEX["elective_referral"], None] * shares["elective"]
    if dm_month == 0:
        referrals *= 1.0 - dm.reduction
    ref_v = referrals.sum(axis=0)
    done_v = np.minimum(ref_v, capacity[:12].sum(axis=0))
    completed = referrals * np.where(ref_v > 0, done_v / np.where(ref_v > 0, ref_v, 1), 0.0)
    plan[:, :, POD_INDEX["elective_referral"]] = referrals
    plan[:, :, POD_INDEX["op_first"]] = completed
    plan[:, :, POD_INDEX["op_follow_up"]] = completed * scenario.pathway.follow_ups
    plan[:, :, POD_INDEX["elective_spell"]] = completed * conv
    plan[:, :, POD_INDEX["non_elective"]] = (
        year0[:, DEMAND_INDEX["non_elective"], None] * shares["emergency"]
    )
    plan[:, :, POD_INDEX["ae"]] = year0[:, DEMAND_INDEX["ae"], None] * shares["emergency"]
    plan[:, :, POD_INDEX["community"]] = (
        year0[:, DEMAND_INDEX["community"], None] * shares["community"]
    )
    plan[:, :, POD_INDEX["mental_health"]] = (
        year0[:, DEMAND_INDEX["mental_health"], None] * shares["mental_health"]
    )
    plan_value = plan * base_price[None, :, :]

    # Commissioner money: allocation by weighted capitation, with growth (payment-rules.md A12).
    weighted = np.zeros((n_y, n_c))
    for y in range(n_y):
        weighted[y] = np.bincount(practice_c, weights=need_per_head(cells[y], imd), minlength=n_c)
    share_change = (weighted / weighted.sum(axis=1, keepdims=True)) / (
        weighted[0] / weighted[0].sum()
    )[None, :]
    fin = scenario.finance
    alloc0 = economy.commissioners["allocation_gbp"].to_numpy(dtype=np.float64)
    growth_y = (1.0 + fin.allocation_growth) ** np.arange(n_y)
    allocation = scenario.allocation_scale * alloc0[None, :] * growth_y[:, None] * share_change
    cquin0 = (rules[0].cquin_rate.value or 0.0) * fin.cquin_achievement
    other0 = alloc0 * (1.0 - fin.planned_surplus) - plan_value.sum(axis=(1, 2)) * (1.0 + cquin0)
    other_spend = (
        np.maximum(other0, 0.0)[None, :]
        * ((1.0 + fin.other_spend_growth) ** np.arange(n_y))[:, None]
    )
    lever_cost = np.zeros((n_y, n_c))
    if dm_month is not None and dm.reduction > 0:
        lever_cost[dm_month // 12 :] = dm.cost_per_head * population[dm_month // 12 :]

    # Provider costs: fixed + variable, with inflation and efficiency.
    income0 = plan_value.sum(axis=(0, 2)) * (1.0 + cquin0)
    cost0 = income0 * fin.base_margin
    drift = ((1.0 + fin.cost_inflation) * (1.0 - fin.provider_efficiency)) ** np.arange(n_y)
    fixed_cost = fin.fixed_cost_share * cost0[None, :] * drift[:, None]
    variable_rate = np.asarray(
        (1.0 - fin.fixed_cost_share) * fin.base_margin * drift, dtype=np.float64
    )
    control_total = (income0 - cost0)[None, :] * np.ones((n_y, 1))

    shift = np.zeros(n_t)
    soc = scenario.levers.shift_of_care
    soc_month = _month_of(scenario, soc.from_year, "levers.shift_of_care.from_year")
    if soc_month is not None:
        shift[soc_month:] = soc.share
    initial = (
        scenario.pathway.initial_list_months
        * capacity[0][None, :]
        * np.where(ref_v > 0, referrals / np.where(ref_v > 0, ref_v, 1), 0.0)
    )
    return Compiled(
        scenario=scenario,
        years=years,
        commissioners=commissioners,
        providers=providers,
        provider_kind=economy.providers["kind"].astype(str).tolist(),
        demand=demand,
        population=population,
        population_flows=flows,
        shares=shares,
        quality=quality,
        capacity=capacity,
        price=price,
        base_price=base_price,
        forms=forms,
        api=[bool(r.api.value) for r in rules],
        mret_rate=[None if r.mret_rate.value is None else float(r.mret_rate.value) for r in rules],
        cquin_rate=[
            None if r.cquin_rate.value is None else float(r.cquin_rate.value) for r in rules
        ],
        # the year's rate; out of its era (a counterfactual regime) the calendar's first one
        blended_rate=[
            float(
                r.blended_variable_rate.value
                or r.api_variable_rate.value
                or FALLBACKS[("blended", "variable_rate")][0]
            )
            for r in rules
        ],
        plan=plan,
        allocation=allocation,
        other_spend=other_spend,
        lever_cost=lever_cost,
        fixed_cost=fixed_cost,
        variable_rate=variable_rate,
        control_total=control_total,
        shift=shift,
        initial_list=initial,
        expected_demand0=annual0,
        expected_demand=annual,
        info={
            "economy": economy.name,
            "economy_year": str(economy.year),
            "practices": len(economy.practices),
            "commissioner_level": economy.commissioner_level,
            "regions": dict(
                zip(
                    economy.commissioners["code"].astype(str),
                    economy.commissioners["region_code"].astype(str),
                    strict=True,
                )
            ),
            "provider_regions": economy.providers["region_code"].astype(str).tolist(),
        },
    )
