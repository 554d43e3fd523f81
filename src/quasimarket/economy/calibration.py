"""Calibration targets for the synthetic England-like economy, by financial year.

Every number here is a target the generator is scaled to, with its source. ``[V]`` marks a
figure seen in a source (seed text, or the real open data described in
``/work/shared/data/README.md``, used only to choose the target); ``[K]`` marks an approximate or
assumed figure that users can override by editing the generated tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from quasimarket.financial_year import FinancialYear

__all__ = [
    "ALLOCATION_GROWTH",
    "ICB_ERA_START",
    "REGIONS",
    "REGION_DEPRIVATION",
    "YearTargets",
    "default_level",
    "year_targets",
]

#: First financial year with ICBs as the commissioners (ICBs replaced CCGs on 1 July 2022;
#: 2022/23 is treated as an ICB year) [V: Health and Care Act 2022; digest §1 eras].
ICB_ERA_START = 2022

#: The seven NHS regions (since 2020): synthetic code, name, share of England's registered
#: population, ICBs in the region, and a regional market-forces level (London highest) [K:
#: shares and ICB counts approximate the 2025/26 allocation file, where London has 5 ICBs,
#: South East 6, South West 7, East of England 6, Midlands 11, North East and Yorkshire 4 and
#: North West 3; MFF levels indicative, payment-rules.md A1.2 "typically about 0.90-1.30"].
#: The ``x, y`` columns place each region on a rough map (arbitrary units) for catchments.
REGIONS: tuple[tuple[str, str, float, int, float, float, float], ...] = (
    # code, name, population share, ICBs, MFF level, x, y
    ("SY1", "London", 0.160, 5, 1.20, 7.0, 2.0),
    ("SY2", "South East", 0.155, 6, 1.05, 7.5, 0.5),
    ("SY3", "South West", 0.095, 7, 0.97, 3.0, 0.5),
    ("SY4", "East of England", 0.110, 6, 1.02, 8.0, 4.0),
    ("SY5", "Midlands", 0.190, 11, 0.96, 5.0, 5.0),
    ("SY6", "North East and Yorkshire", 0.150, 4, 0.95, 6.0, 9.0),
    ("SY7", "North West", 0.140, 3, 0.96, 3.5, 8.5),
)

#: Regional shift of deprivation (standard units of the practice deprivation score): the North
#: and inner London more deprived, the South less [K: the broad pattern of IMD 2019].
REGION_DEPRIVATION = {
    "SY1": 0.15,
    "SY2": -0.35,
    "SY3": -0.20,
    "SY4": -0.25,
    "SY5": 0.10,
    "SY6": 0.30,
    "SY7": 0.35,
}

#: Annual growth of commissioner allocations, cash terms [K: "about 3%/yr", h2 brief].
ALLOCATION_GROWTH = 0.03


@dataclass(frozen=True)
class YearTargets:
    """Targets for one financial year (units in the attribute names).

    Attributes:
        population: England GP-registered population (people).
        practices: Number of GP practices.
        commissioners: Number of commissioners at the chosen level.
        allocation_gbp: Total commissioner allocations (£ a year).
        public_health_grant_gbp: Total ring-fenced public health grant to upper-tier and unitary
            local authorities (£ a year; 0 before 2013/14).
        acute_trusts: Number of acute providers.
        gms_pms_apms: Shares of practices on GMS, PMS and APMS contracts.
    """

    population: float
    practices: int
    commissioners: int
    allocation_gbp: float
    public_health_grant_gbp: float
    acute_trusts: int
    gms_pms_apms: tuple[float, float, float]


def default_level(year: FinancialYear) -> str:
    """``"ICB"`` from 2022/23 on, ``"CCG"`` before (2013-era runs)."""
    return "ICB" if year.start >= ICB_ERA_START else "CCG"


def year_targets(year: FinancialYear, level: str) -> YearTargets:
    """The calibration targets for *year* at commissioner *level* (``"ICB"`` or ``"CCG"``).

    Sources:
        * population 63.8 million registered in 2025/26 [V: sum of ``Population`` in the
          2025/26 allocation file, data README], about 0.7%/yr lower going back [K].
        * practices 6,348 in 2025/26 [V: data README]; about 7,900 in 2013/14 and falling
          roughly linearly with mergers [K].
        * 42 ICBs [V: data README]; 211 CCGs at April 2013 [V: 001@11404].
        * ICB allocations about £115bn in 2025/26 [K: approximate, brief asks £110-120bn];
          CCG allocations "£65 billion" in 2013/14 [V: 000@9352, 001@11404]; both grow about
          3%/yr [K].
        * public health grant about £3.3bn in 2015/16 terms [K], ring-fenced from April 2013
          [V: 002@310001]; about £2.7bn in 2013/14-2014/15 before the 0-5s transfer [K]; +2%/yr
          after 2015/16 [K].
        * about 140 acute trusts [V: 138 in the 2022 catchment file, data README; K: 140].
        * GMS/PMS/APMS about 55/42/3% in 2013 moving to 70/27/3% by 2025 [K].
    """
    start = year.start
    population = 63.8e6 * (1.007 ** (start - 2025))
    practices = round(7900 - (7900 - 6350) * min(max((start - 2013) / 12.0, 0.0), 1.2))
    if level == "ICB":
        commissioners = 42
        allocation = 115e9 * (1 + ALLOCATION_GROWTH) ** (start - 2025)
    else:
        commissioners = 211
        allocation = 65e9 * (1 + ALLOCATION_GROWTH) ** (start - 2013)
    if start < 2013:
        grant = 0.0
    elif start < 2015:
        grant = 2.7e9
    else:
        grant = 3.3e9 * 1.02 ** (start - 2015)
    blend = min(max((start - 2013) / 12.0, 0.0), 1.0)
    gms = 0.55 + 0.15 * blend
    pms = 0.42 - 0.15 * blend
    return YearTargets(
        population=population,
        practices=practices,
        commissioners=commissioners,
        allocation_gbp=allocation,
        public_health_grant_gbp=grant,
        acute_trusts=140,
        gms_pms_apms=(gms, pms, 1.0 - gms - pms),
    )
