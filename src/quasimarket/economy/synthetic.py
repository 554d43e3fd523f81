"""The synthetic England-like health economy, generated from a seed.

Everything is drawn with numpy from one seed, vectorised over practices, commissioners and
providers, so the full-size economy (6,350 practices in 2025/26 or about 7,900 in 2013/14,
42 ICBs or 211 CCGs, about 270 providers, 353 local authorities and a 1,600-HRG price
catalogue) builds in well under a second. The same seed always gives the same economy.

Geography is stylised: each of the seven regions has a centre on a rough map
(:data:`~quasimarket.economy.calibration.REGIONS`), commissioners are scattered around it, and
providers sit at a host commissioner. A provider's catchment is its host (the large majority
of its activity) plus the nearest few other commissioners, weighted by population and distance,
like real acute-trust catchments where one or two commissioners dominate
[V: ``trust_catchment_icb22.csv`` in the shared data, used only as a cross-check].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket._types import FloatArray, Int64Array
from quasimarket.economy.calibration import (
    REGION_DEPRIVATION,
    REGIONS,
    default_level,
    year_targets,
)
from quasimarket.economy.demography import (
    DEPRIVATION_NEED,
    NEED_WEIGHTS,
    cell_shares,
    cells_table,
    need_per_head,
)
from quasimarket.economy.model import Economy
from quasimarket.economy.prices import synthetic_tariff
from quasimarket.errors import ConfigError
from quasimarket.financial_year import FinancialYear
from quasimarket.random_streams import stream, validate_seed
from quasimarket.structure.calendar import check_year

__all__ = ["PROVIDER_KINDS", "small_economy", "synthetic_economy"]


#: Provider kinds, in the order their codes are numbered.
PROVIDER_KINDS = ("acute", "community", "mental_health", "ambulance", "independent", "third_sector")

#: England G&A beds per registered person (about 100,000 beds) [K: approximate].
ACUTE_BEDS_PER_HEAD = 1.6e-3
#: Mental health beds per person (about 18,000 in England) [K].
MH_BEDS_PER_HEAD = 0.28e-3
#: Community hospital beds per person (about 8,000) [K].
COMMUNITY_BEDS_PER_HEAD = 0.12e-3
#: Elective and day-case spells per person a year (about 8 million in England) [K].
ELECTIVE_SPELLS_PER_HEAD = 0.125
#: Share of elective capacity in the independent sector [K: roughly 10% of NHS-funded elective
#: activity in the 2020s].
INDEPENDENT_ELECTIVE_SHARE = 0.10

# How each kind of provider draws its catchment: host-share range and number of other
# (nearest) commissioners, weighted by population x exp(-distance / 0.8 map units) [K].
# Acute: the host provides the large majority [V: cross-checked with the real 2022 catchment
# file, where the top commissioner's median share is 0.90]; ambulance is handled separately.
_CATCHMENT_RULES: dict[str, tuple[float, float, int]] = {
    "acute": (0.75, 0.99, 5),
    "community": (0.75, 0.97, 2),
    "mental_health": (0.65, 0.92, 3),
    "independent": (0.30, 0.60, 5),
    "third_sector": (0.75, 1.00, 1),
}


@dataclass(frozen=True)
class _Shape:
    """How big an economy to draw."""

    regions: tuple[int, ...]  # indexes into REGIONS
    commissioners_per_region: tuple[int, ...]
    population: float
    practices: int
    providers: dict[str, int]
    unitary: tuple[int, ...]  # per region
    counties: tuple[int, ...]  # per region
    districts: int
    allocation_per_head: float  # £ per weighted person, before MFF
    ph_grant_per_head: float  # £ per person
    size_sigma: float  # spread of log commissioner size
    england_total: bool  # rescale totals exactly (full England) or use per-head rates
    gms_pms_apms: tuple[float, float, float]


def _largest_remainder(total: int, weights: npt.ArrayLike, minimum: int = 0) -> Int64Array:
    """Split *total* into integers proportional to *weights*, each at least *minimum*."""
    weights = np.asarray(weights, dtype=np.float64)
    base = np.full(weights.size, minimum, dtype=np.int64)
    rest = total - int(base.sum())
    quota = weights / weights.sum() * rest
    whole = np.floor(quota).astype(np.int64)
    short = rest - int(whole.sum())
    order = np.argsort(-(quota - whole), kind="stable")
    whole[order[:short]] += 1
    return np.asarray(base + whole, dtype=np.int64)


def _sum_by(index: Int64Array, values: FloatArray, length: int) -> FloatArray:
    """Sum *values* by group *index* (0..length-1)."""
    return np.asarray(np.bincount(index, weights=values, minlength=length), dtype=np.float64)


def _full_shape(year: FinancialYear, level: str) -> _Shape:
    targets = year_targets(year, level)
    shares = np.array([r[2] for r in REGIONS])
    if level == "ICB":
        per_region = tuple(r[3] for r in REGIONS)
        sigma = 0.45
    else:
        # 211 CCGs: London had 32 [K]; the rest split by population.
        others = _largest_remainder(211 - 32, shares[1:], minimum=1)
        per_region = (32, *(int(x) for x in others))
        sigma = 0.50
    # 152 upper-tier and unitary councils: 125 unitary + 27 counties [V: 002@292680]; London's
    # 33 (32 boroughs and the City) are all unitary [K]; 201 districts under the counties [K].
    unitary = (33, *(int(x) for x in _largest_remainder(125 - 33, shares[1:], minimum=3)))
    counties = (0, *(int(x) for x in _largest_remainder(27, shares[1:], minimum=2)))
    counts = {
        "acute": targets.acute_trusts,
        "community": 17 if level == "ICB" else 19,
        "mental_health": 50 if level == "ICB" else 56,
        "ambulance": 10,
        "independent": 30,
        "third_sector": 20,
    }
    return _Shape(
        regions=tuple(range(len(REGIONS))),
        commissioners_per_region=per_region,
        population=targets.population,
        practices=targets.practices,
        providers=counts,
        unitary=unitary,
        counties=counties,
        districts=201,
        allocation_per_head=targets.allocation_gbp / targets.population,
        ph_grant_per_head=targets.public_health_grant_gbp / targets.population,
        size_sigma=sigma,
        england_total=True,
        gms_pms_apms=targets.gms_pms_apms,
    )


def _codes(prefix: str, count: int, width: int, start: int = 1) -> list[str]:
    return [f"{prefix}{k:0{width}d}" for k in range(start, start + count)]


def _catchments(
    rng: np.random.Generator,
    kinds: npt.NDArray[np.str_],
    host: Int64Array,
    comm_xy: FloatArray,
    comm_pop: FloatArray,
    comm_region: Int64Array,
) -> tuple[Int64Array, Int64Array, FloatArray]:
    """Provider -> commissioner activity shares: (provider index, commissioner index, share)."""
    n_prov, n_comm = host.size, comm_pop.size
    shares = np.zeros((n_prov, n_comm))
    dist = np.linalg.norm(comm_xy[None, :, :] - comm_xy[host][:, None, :], axis=2)
    for kind, (low, high, k_other) in _CATCHMENT_RULES.items():
        rows = np.flatnonzero(kinds == kind)
        if rows.size == 0:
            continue
        host_share = rng.uniform(low, high, rows.size)
        if kind == "acute":  # about one acute trust in ten is a tertiary centre [K]
            tertiary = rng.random(rows.size) < 0.10
            host_share = np.where(tertiary, rng.uniform(0.40, 0.65, rows.size), host_share)
        k = min(k_other, n_comm - 1)
        if k <= 0:
            shares[rows, host[rows]] = 1.0
            continue
        d = dist[rows].copy()
        d[np.arange(rows.size), host[rows]] = np.inf
        nearest = np.argsort(d, axis=1, kind="stable")[:, :k]
        near_d = np.take_along_axis(d, nearest, axis=1)
        weight = comm_pop[nearest] * np.exp(-near_d / 0.8) * rng.lognormal(0, 0.3, nearest.shape)
        weight /= weight.sum(axis=1, keepdims=True)
        shares[rows[:, None], nearest] = (1.0 - host_share)[:, None] * weight
        shares[rows, host[rows]] = host_share
    # Ambulance services: every commissioner in the region is served by its nearest service.
    amb = np.flatnonzero(kinds == "ambulance")
    if amb.size:
        amb_region = comm_region[host[amb]]
        d = np.linalg.norm(comm_xy[:, None, :] - comm_xy[host[amb]][None, :, :], axis=2)
        d[comm_region[:, None] != amb_region[None, :]] = np.inf
        served_by = np.argmin(d, axis=1)
        has_service = np.isfinite(d.min(axis=1))
        matrix = np.zeros((amb.size, n_comm))
        cols = np.flatnonzero(has_service)
        matrix[served_by[cols], cols] = comm_pop[cols]
        matrix[np.arange(amb.size), host[amb]] += 1e-9  # a service always serves its host
        shares[amb] = matrix / matrix.sum(axis=1, keepdims=True)
    prov_idx, comm_idx = np.nonzero(shares > 1e-6)
    values = shares[prov_idx, comm_idx]
    values /= np.bincount(prov_idx, weights=values, minlength=n_prov)[prov_idx]
    return prov_idx.astype(np.int64), comm_idx.astype(np.int64), values


def _build(shape: _Shape, seed: int, year: FinancialYear, level: str, name: str) -> Economy:
    # One named stream per part of the economy (random_streams): changing how one part is
    # drawn leaves the others' draws alone. ICB and CCG economies of a seed are independent.
    def rng(part: str) -> np.random.Generator:
        return stream(seed, f"economy:{part}", level)

    rng_comm, rng_prac, rng_cells, rng_alloc = (
        rng("commissioners"),
        rng("practices"),
        rng("cells"),
        rng("allocation"),
    )
    rng_la, rng_prov, rng_catch = rng("local_authorities"), rng("providers"), rng("catchments")
    region_rows = [REGIONS[i] for i in shape.regions]
    n_reg = len(region_rows)

    # --- commissioners -------------------------------------------------------------------
    per_region = np.array(shape.commissioners_per_region, dtype=np.int64)
    comm_region = np.repeat(np.arange(n_reg), per_region)
    n_comm = comm_region.size
    size = 0.3 + np.minimum(rng_comm.lognormal(0.0, shape.size_sigma, n_comm), 3.0)
    region_share = np.array([r[2] for r in region_rows])
    region_share = region_share / region_share.sum()
    region_size = np.bincount(comm_region, weights=size, minlength=n_reg)
    comm_target_pop = size / region_size[comm_region] * region_share[comm_region] * shape.population
    centre = np.array([[r[5], r[6]] for r in region_rows])
    spread = 0.9 if n_comm > 1 else 0.0
    comm_xy = centre[comm_region] + rng_comm.normal(0.0, spread, (n_comm, 2))
    comm_mff_level = np.array([r[4] for r in region_rows])[comm_region]
    comm_mff = np.clip(comm_mff_level * rng_comm.lognormal(0.0, 0.025, n_comm), 0.90, 1.30)
    region_dep = np.array([REGION_DEPRIVATION.get(r[0], 0.0) for r in region_rows])
    comm_dep = region_dep[comm_region] + rng_comm.normal(0.0, 0.50, n_comm)
    comm_age_tilt = rng_comm.normal(0.0, 0.12, n_comm)  # older (coastal, rural) or younger

    # --- practices -------------------------------------------------------------------------
    per_comm = _largest_remainder(shape.practices, comm_target_pop, minimum=1)
    prac_comm = np.repeat(np.arange(n_comm), per_comm)
    n_prac = prac_comm.size
    raw = rng_prac.lognormal(0.0, 0.6, n_prac)
    raw_total = np.bincount(prac_comm, weights=raw, minlength=n_comm)
    list_size = np.maximum(raw / raw_total[prac_comm] * comm_target_pop[prac_comm], 750.0)
    dep_latent = comm_dep[prac_comm] + rng_prac.normal(0.0, 0.75, n_prac)
    # IMD quintile by population rank: each quintile holds about a fifth of the people.
    order = np.argsort(-dep_latent, kind="stable")
    cum_before = np.cumsum(list_size[order]) - list_size[order]
    quintile = np.empty(n_prac, dtype=np.int64)
    quintile[order] = np.minimum(np.floor(cum_before / list_size.sum() * 5).astype(np.int64), 4) + 1
    contract = rng_prac.choice(np.array(["GMS", "PMS", "APMS"]), n_prac, p=shape.gms_pms_apms)

    # --- age/sex cells: younger lists in deprived areas, random practice-level tilt ---------
    base = cell_shares()
    band_age = np.repeat(np.array([2.0, 9.5, 19.5, 34.5, 54.5, 69.5, 79.5, 90.0]), 2)
    gradient = (band_age - 40.0) / 25.0
    tilt = comm_age_tilt[prac_comm] - 0.08 * dep_latent + rng_cells.normal(0.0, 0.20, n_prac)
    weights = base[None, :] * np.exp(tilt[:, None] * gradient[None, :])
    weights *= rng_cells.gamma(300.0, 1.0 / 300.0, weights.shape)
    weights /= weights.sum(axis=1, keepdims=True)
    cells = np.round(weights * list_size[:, None])
    population = cells.sum(axis=1)

    # --- weighted capitation (payment-rules.md A12) ---------------------------------------
    need_raw = need_per_head(cells, quintile)
    if shape.england_total:
        need_scale = population.sum() / need_raw.sum()
    else:  # relative to an England-like population with England's mix of deprivation
        reference = float(base @ NEED_WEIGHTS.ravel()) * float(DEPRIVATION_NEED.mean())
        need_scale = 1.0 / reference
    weighted = need_raw * need_scale
    comm_pop = _sum_by(prac_comm, population, n_comm)
    comm_wp = _sum_by(prac_comm, weighted, n_comm)
    target = comm_wp * comm_mff * shape.allocation_per_head
    if shape.england_total:
        target *= shape.allocation_per_head * shape.population / target.sum()
    # Distance from target around 0, within +-5% [K: payment-rules.md A12 "no area more than
    # 5% below target" as a convergence band].
    # For England the draws are centred (target-weighted) so allocations still add up to the
    # year's total; alternating centring and clipping converges to both.
    dft = np.clip(rng_alloc.normal(0.0, 0.025, n_comm), -0.05, 0.05)
    if shape.england_total:
        for _ in range(50):
            dft = np.clip(dft - float(np.average(dft, weights=target)), -0.05, 0.05)
    allocation = target * (1.0 + dft)
    if shape.england_total:
        allocation *= target.sum() / allocation.sum()  # removes any residual (< 1e-9)

    region_codes = np.array([r[0] for r in region_rows])
    region_names = np.array([r[1] for r in region_rows])
    comm_codes = _codes("QS", n_comm, 2) if level == "ICB" else _codes("S", n_comm, 3)
    within = np.arange(n_comm) - np.repeat(np.cumsum(per_region) - per_region, per_region)
    commissioners = pd.DataFrame(
        {
            "code": comm_codes,
            "name": [
                f"Synthetic {region_names[r]} {level} {w + 1}"
                for r, w in zip(comm_region, within, strict=True)
            ],
            "kind": level,
            "region_code": region_codes[comm_region],
            "population": comm_pop,
            "weighted_population": comm_wp,
            "need_index": comm_wp / comm_pop,
            "mff": comm_mff,
            "target_allocation_gbp": target,
            "allocation_gbp": allocation,
        }
    )
    regions = pd.DataFrame({"region_code": region_codes, "region_name": region_names})

    # --- local authorities -------------------------------------------------------------------
    la_codes_per_practice, local_authorities = _local_authorities(
        rng_la, shape, region_codes, comm_region[prac_comm], population, dep_latent
    )

    practice_codes = _codes("S", n_prac, 5)
    practices = pd.DataFrame(
        {
            "code": practice_codes,
            "name": [f"Synthetic practice {c}" for c in practice_codes],
            "commissioner_code": np.array(comm_codes)[prac_comm],
            "la_code": la_codes_per_practice,
            "population": population,
            "weighted_population": weighted,
            "imd_quintile": quintile,
            "contract_type": contract.astype(str),
        }
    )

    # --- providers ---------------------------------------------------------------------------
    providers, catchments = _providers(
        rng_prov, rng_catch, shape, comm_pop, comm_xy, comm_region, comm_mff, region_codes
    )
    catchments["commissioner_code"] = np.array(comm_codes)[catchments.pop("commissioner_index")]

    return Economy(
        name=name,
        year=year,
        synthetic=True,
        commissioner_level=level,
        regions=regions,
        commissioners=commissioners,
        practices=practices,
        cells=cells_table(),
        practice_cells=cells.astype(np.float64),
        providers=providers,
        catchments=catchments[["provider_code", "commissioner_code", "share"]],
        local_authorities=local_authorities,
        tariff=synthetic_tariff(seed, year, providers),
        sources=_sources(level),
    )


def _local_authorities(
    rng: np.random.Generator,
    shape: _Shape,
    region_codes: npt.NDArray[np.str_],
    practice_region: Int64Array,
    population: FloatArray,
    dep_latent: FloatArray,
) -> tuple[npt.NDArray[np.str_], pd.DataFrame]:
    """Partition each region's practices (in commissioner order) into lower-tier councils.

    Returns each practice's lower-tier (unitary or district) code and the ``local_authorities``
    table, with an extra ``upper_tier_code`` column (own code for unitary and county councils,
    the county for districts).
    """
    n_reg = len(shape.unitary)
    districts_per_region = _largest_remainder(
        shape.districts, np.array(shape.counties, dtype=np.float64) + 1e-12, minimum=0
    )
    codes: list[str] = []
    kinds: list[str] = []
    uppers: list[str] = []
    regions: list[str] = []
    lower_rows: list[int] = []  # index into the table, per lower-tier unit in map order
    lower_region: list[int] = []
    counter = 0
    for r in range(n_reg):
        units: list[tuple[str, int]] = [("unitary", 0)] * shape.unitary[r]
        if shape.counties[r]:
            split = _largest_remainder(
                int(districts_per_region[r]), rng.uniform(0.6, 1.4, shape.counties[r]), minimum=1
            )
            units += [("county", int(k)) for k in split]
        order = rng.permutation(len(units))
        for i in order:
            kind, n_districts = units[i]
            counter += 1
            code = f"SL{counter:03d}"
            codes.append(code)
            kinds.append(kind)
            uppers.append(code)
            regions.append(str(region_codes[r]))
            if kind == "unitary":
                lower_rows.append(len(codes) - 1)
                lower_region.append(r)
            for _ in range(n_districts):
                counter += 1
                codes.append(f"SL{counter:03d}")
                kinds.append("district")
                uppers.append(code)
                regions.append(str(region_codes[r]))
                lower_rows.append(len(codes) - 1)
                lower_region.append(r)
    lower = np.array(lower_rows, dtype=np.int64)
    lower_reg = np.array(lower_region, dtype=np.int64)
    # Lower-tier sizes (lognormal), then cut each region's practice sequence at cumulative
    # population boundaries. Counties hold several districts, so they are larger.
    # Districts are about half the size of unitary councils, so roughly 40% of people live in
    # two-tier county areas [K].
    is_district = np.array([kinds[i] == "district" for i in lower])
    size = rng.lognormal(0.0, 0.45, lower.size) * np.where(is_district, 0.5, 1.0)
    practice_lower = np.empty(population.size, dtype=np.int64)
    for r in range(n_reg):
        in_region = np.flatnonzero(practice_region == r)
        members = np.flatnonzero(lower_reg == r)
        if in_region.size == 0 or members.size == 0:
            continue
        bounds = np.cumsum(size[members]) / size[members].sum()
        pop = population[in_region]
        mid = (np.cumsum(pop) - pop / 2.0) / pop.sum()
        pick = np.minimum(np.searchsorted(bounds, mid), members.size - 1)
        practice_lower[in_region] = members[pick]
    table_index = lower[practice_lower]
    n_la = len(codes)
    upper_index = np.array([codes.index(u) for u in uppers], dtype=np.int64)
    pop_la = np.bincount(table_index, weights=population, minlength=n_la)
    dep_la = np.bincount(table_index, weights=population * dep_latent, minlength=n_la)
    pop_upper = np.bincount(upper_index, weights=pop_la, minlength=n_la)
    dep_upper = np.bincount(upper_index, weights=dep_la, minlength=n_la)
    kind_arr = np.array(kinds)
    is_county = kind_arr == "county"
    pop_la = np.where(is_county, pop_upper, pop_la)
    dep_la = np.where(is_county, dep_upper, dep_la)
    # IMD-like score: England's LA average is about 21, most between 10 and 40 [K].
    imd = np.clip(
        21.0 + 10.0 * np.divide(dep_la, pop_la, out=np.zeros(n_la), where=pop_la > 0), 3.0, 60.0
    )
    # Ring-fenced public health grant to upper-tier and unitary councils [V: 002@310001],
    # shared by population with a deprivation weighting [K].
    holds_grant = kind_arr != "district"
    need = pop_la * (imd / 21.0) ** 0.5 * holds_grant
    grant_total = shape.ph_grant_per_head * (
        shape.population if shape.england_total else population.sum()
    )
    grant = need / need.sum() * grant_total if need.sum() > 0 else np.zeros(n_la)
    table = pd.DataFrame(
        {
            "code": codes,
            "name": [f"Synthetic {k} council {c}" for k, c in zip(kinds, codes, strict=True)],
            "kind": kinds,
            "region_code": regions,
            "population": pop_la,
            "imd_score": imd,
            "public_health_grant_gbp": grant,
            "upper_tier_code": uppers,
        }
    )
    return np.array(codes)[table_index], table


def _providers(
    rng: np.random.Generator,
    rng_catch: np.random.Generator,
    shape: _Shape,
    comm_pop: FloatArray,
    comm_xy: FloatArray,
    comm_region: Int64Array,
    comm_mff: FloatArray,
    region_codes: npt.NDArray[np.str_],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    n_comm = comm_pop.size
    kinds_list: list[str] = []
    hosts: list[Int64Array] = []
    for kind in PROVIDER_KINDS:
        count = shape.providers.get(kind, 0)
        if count == 0:
            continue
        if kind == "ambulance":
            # Spread services over regions by population, at distinct host commissioners.
            region_pop = np.bincount(comm_region, weights=comm_pop)
            per_region = _largest_remainder(count, region_pop, minimum=1)
            chosen = []
            for r, k in enumerate(per_region):
                members = np.flatnonzero(comm_region == r)
                k = min(int(k), members.size)
                chosen.append(rng.choice(members, size=k, replace=False))
            host = np.concatenate(chosen).astype(np.int64)
        elif count >= n_comm and kind == "acute":
            extra = rng.choice(n_comm, size=count - n_comm, p=comm_pop / comm_pop.sum())
            host = np.concatenate([np.arange(n_comm), extra]).astype(np.int64)
        else:
            replace = count > n_comm
            host = rng.choice(n_comm, size=count, replace=replace, p=comm_pop / comm_pop.sum())
            host = host.astype(np.int64)
        hosts.append(np.sort(host))
        kinds_list += [kind] * host.size
    host = np.concatenate(hosts)
    kinds = np.array(kinds_list)
    n = host.size
    codes = _codes("SR", n, 3)
    size = rng.lognormal(0.0, 0.35, n)
    is_acute = kinds == "acute"
    population = comm_pop.sum()

    def share_of(mask: npt.NDArray[np.bool_], total: float) -> FloatArray:
        weight = np.where(mask, size * comm_pop[host], 0.0)
        return np.where(mask, weight / max(weight.sum(), 1e-12) * total, 0.0)

    beds = (
        share_of(is_acute, ACUTE_BEDS_PER_HEAD * population)
        + share_of(kinds == "mental_health", MH_BEDS_PER_HEAD * population)
        + share_of(kinds == "community", COMMUNITY_BEDS_PER_HEAD * population)
        + np.where(kinds == "independent", rng.uniform(20, 80, n), 0.0)
        + np.where(kinds == "third_sector", rng.uniform(10, 30, n), 0.0)
    )
    elective_total = ELECTIVE_SPELLS_PER_HEAD * population
    has_independent = bool((kinds == "independent").any())
    independent_share = INDEPENDENT_ELECTIVE_SHARE if has_independent else 0.0
    elective = share_of(is_acute, (1.0 - independent_share) * elective_total) + share_of(
        kinds == "independent", independent_share * elective_total
    )
    mff = np.clip(comm_mff[host] * rng.lognormal(0.0, 0.015, n), 0.90, 1.30)
    label = {
        "acute": "Acute Trust",
        "community": "Community Health Trust",
        "mental_health": "Mental Health Trust",
        "ambulance": "Ambulance Service",
        "independent": "Independent Hospital",
        "third_sector": "Third Sector Provider",
    }
    providers = pd.DataFrame(
        {
            "code": codes,
            "name": [f"Synthetic {label[k]} {c}" for k, c in zip(kinds, codes, strict=True)],
            "kind": kinds.astype(str),
            "region_code": region_codes[comm_region[host]],
            "mff": mff,
            "beds": np.round(beds),
            "elective_capacity_spells": np.round(elective),
        }
    )
    prov_idx, comm_idx, share = _catchments(rng_catch, kinds, host, comm_xy, comm_pop, comm_region)
    catchments = pd.DataFrame(
        {"provider_code": np.array(codes)[prov_idx], "commissioner_index": comm_idx, "share": share}
    )
    return providers, catchments


def _sources(level: str) -> dict[str, str]:
    return {
        "economy": "synthetic England-like economy generated by quasimarket; not real data",
        "commissioners": (
            "42 ICBs in 7 regions (data README; ICBs from July 2022)"
            if level == "ICB"
            else "211 CCGs (001@11404), median population about 235,000 (002@86121)"
        ),
        "population": "63.8 million registered in 2025/26 (NHS England allocation file) [K]",
        "allocations": "weighted capitation, payment-rules.md A12; totals £115bn (ICB 2025/26) "
        "[K] or £65bn (CCG 2013/14, 000@9352) growing 3%/yr [K]",
        "local_authorities": "125 unitary + 27 counties (002@292680) and 201 districts [K]; "
        "public health grant about £3.3bn in 2015/16 terms [K] (002@310001)",
        "tariff": "SYNTHETIC HRG-like price catalogue (quasimarket.economy.prices); not "
        "national prices",
        "age_sex": "England-like age structure [K], quasimarket.economy.demography",
    }


def _parse_level(level: str | None, year: FinancialYear) -> str:
    if level is None:
        return default_level(year)
    text = str(level).strip().upper()
    if text not in {"ICB", "CCG"}:
        raise ConfigError(
            f"unknown commissioner level '{level}'",
            location="level",
            expected="ICB or CCG",
            fix="use level='ICB' (2022/23 on) or level='CCG' (2013-era runs)",
        )
    return text


def _check_seed(seed: int) -> int:
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or int(seed) < 0:
        raise ConfigError(
            f"the seed must be a non-negative whole number, got {seed!r}",
            location="seed",
            expected="an integer such as 0 or 42",
            fix="pass seed=0 (or any other non-negative integer)",
        )
    return validate_seed(seed, location="seed")


def synthetic_economy(
    seed: int = 0, year: FinancialYear | str | int = "2025/26", level: str | None = None
) -> Economy:
    """The full-size synthetic England-like economy for one financial year.

    Args:
        seed: Random seed; the same seed, year and level always give the same economy.
        year: Financial year, e.g. ``"2025/26"``; scales populations, allocations, prices.
        level: ``"ICB"`` (42 ICBs) or ``"CCG"`` (211 CCGs); by default ICB from 2022/23 on
            and CCG before.

    Returns:
        An :class:`~quasimarket.economy.model.Economy` with ``synthetic=True``.

    Raises:
        ConfigError: a bad seed, year or level.
    """
    fy = check_year(year)  # the calendar's years: prices and rules are dated
    chosen = _parse_level(level, fy)
    seed = _check_seed(seed)
    return _build(
        _full_shape(fy, chosen), seed, fy, chosen, f"synthetic England {chosen} (seed {seed})"
    )


def small_economy(
    seed: int = 0,
    year: FinancialYear | str | int = "2025/26",
    *,
    level: str | None = None,
    practices: int = 40,
    population: float = 400_000.0,
) -> Economy:
    """A small synthetic economy for tests and examples: one commissioner, three providers.

    One ICB (``QS01``; a CCG ``S001`` before 2022/23 or with ``level="CCG"``) in one region
    (``SY5``, Midlands), *practices* practices totalling about *population* people (list
    sizes are floored at 750), two unitary councils, and three providers: an acute trust
    ``SR001``, a community trust ``SR002`` and a mental health trust ``SR003``, each drawing
    all its activity from the one commissioner. Allocation, public health grant and prices use
    the England per-head rates for *year*, so magnitudes are realistic. The price catalogue is
    the same as the full economy's for the same seed. Builds in about 15 ms.

    Args:
        seed: Random seed; the same arguments always give the same economy.
        year: Financial year, e.g. ``"2025/26"``.
        level: ``"ICB"`` or ``"CCG"``; by default from the year.
        practices: Number of GP practices (1-2,000).
        population: Target registered population (people).

    Raises:
        ConfigError: a bad seed, year, level, practice count or population.
    """
    fy = check_year(year)  # the calendar's years: prices and rules are dated
    seed = _check_seed(seed)
    if not 1 <= int(practices) <= 2000 or not 750.0 * practices <= population <= 5e7:
        raise ConfigError(
            f"a small economy needs 1-2,000 practices of at least 750 people each "
            f"(got {practices} practices, population {population:,.0f})",
            location="practices/population",
            expected="practices between 1 and 2,000; population at least 750 per practice",
            fix="use the defaults (40 practices, 400,000 people) or synthetic_economy()",
        )
    level = _parse_level(level, fy)
    targets = year_targets(fy, level)
    shape = _Shape(
        regions=(4,),  # Midlands
        commissioners_per_region=(1,),
        population=float(population),
        practices=int(practices),
        providers={"acute": 1, "community": 1, "mental_health": 1},
        unitary=(2,),
        counties=(0,),
        districts=0,
        allocation_per_head=targets.allocation_gbp / targets.population,
        ph_grant_per_head=targets.public_health_grant_gbp / targets.population,
        size_sigma=0.0,
        england_total=False,
        gms_pms_apms=targets.gms_pms_apms,
    )
    return _build(shape, seed, fy, level, f"small synthetic {level} economy (seed {seed})")
