"""Default [K] parameters of the system simulation: activity rates, seasonality, demography, costs.

Every number here is a [K] default (plausible public basis, approximate, not a fit) and every one
can be overridden in a scenario file (see :class:`~quasimarket.simulation.scenario.Rates`).
National per-head rates are chosen so that an England-sized economy gives roughly the published
annual volumes (NHS England hospital activity statistics, rounded, mid-2010s) [K: approximate]:

* about 16 million elective (GP and other) referrals for a first outpatient appointment;
* about 7-8 million day case and ordinary elective spells (the synthetic economy's elective
  capacity is 0.125 spells per head,
  :data:`quasimarket.economy.synthetic.ELECTIVE_SPELLS_PER_HEAD`);
* about 6 million non-elective spells; about 24 million A&E attendances;
* about 120 million outpatient attendances (first plus follow-up);
* about 100 million community contacts, 20 million mental health contacts and 300 million GP
  consultations a year [K: order of magnitude only].

Points of delivery (PODs, the last axis of activity arrays) are :data:`PODS`.
"""

from __future__ import annotations

import numpy as np

from quasimarket.vocabulary import SERVICES, SIMULATED_ACTIVITY

__all__ = [
    "AGE_WIDTH_YEARS",
    "CAPACITY_SEASONALITY",
    "DEMAND_PODS",
    "PODS",
    "SERVICES",
    "default_age_profile",
    "default_deprivation",
    "default_per_head",
    "default_seasonality",
]


#: Measures of activity reported by the simulation (the last axis of activity arrays, called
#: "PODs" here): the keys of :data:`quasimarket.vocabulary.SIMULATED_ACTIVITY`, in its order,
#: which also says the point of delivery each measure is priced as.
PODS: tuple[str, ...] = tuple(SIMULATED_ACTIVITY)
#: PODs whose demand is drawn from the population (the others follow from completed pathways).
DEMAND_PODS: tuple[str, ...] = (
    "elective_referral",
    "non_elective",
    "ae",
    "community",
    "mental_health",
    "gp",
)
# SERVICES (contracted services, one contract form per service, and the measures each covers)
# is the one vocabulary's, quasimarket.vocabulary.SERVICES, re-exported here.

#: Average events per registered person a year in England, by demand POD [K: see module doc].
_PER_HEAD: dict[str, float] = {
    "elective_referral": 0.28,
    "non_elective": 0.105,
    "ae": 0.43,
    "community": 1.8,
    "mental_health": 0.35,
    "gp": 5.4,
}

#: Relative rate by age band (``AGE_BANDS`` order, 45-64 = 1) [K: shapes of the published
#: age-specific HES admission and attendance rates, rounded; indicative only].
_AGE_PROFILE: dict[str, tuple[float, ...]] = {
    "elective_referral": (0.5, 0.4, 0.5, 0.7, 1.0, 1.6, 1.9, 1.8),
    "non_elective": (1.1, 0.35, 0.5, 0.6, 1.0, 1.9, 3.4, 5.8),
    "ae": (1.6, 0.9, 1.2, 1.0, 0.9, 1.0, 1.5, 2.4),
    "community": (0.8, 0.3, 0.2, 0.3, 0.6, 1.4, 3.5, 7.0),
    "mental_health": (0.1, 0.8, 1.5, 1.3, 1.0, 0.7, 0.9, 1.4),
    "gp": (1.3, 0.6, 0.7, 0.8, 1.0, 1.5, 2.0, 2.3),
}

#: Rate multiplier by IMD quintile (1 = most deprived) [K: emergency and mental health use rise
#: steeply with deprivation, planned care much less].
_DEPRIVATION: dict[str, tuple[float, ...]] = {
    "elective_referral": (1.02, 1.01, 1.0, 0.99, 0.98),
    "non_elective": (1.30, 1.15, 1.0, 0.90, 0.80),
    "ae": (1.30, 1.15, 1.0, 0.90, 0.82),
    "community": (1.15, 1.07, 1.0, 0.95, 0.90),
    "mental_health": (1.40, 1.20, 1.0, 0.90, 0.80),
    "gp": (1.10, 1.05, 1.0, 0.97, 0.94),
}

#: Monthly demand profile, April first, mean 1 [K: shape of NHS England monthly statistics:
#: A&E peaks in early summer, non-elective admissions in winter, referrals dip in August and
#: December].
_SEASONALITY: dict[str, tuple[float, ...]] = {
    "elective_referral": (0.98, 1.03, 1.04, 1.04, 0.93, 1.02, 1.07, 1.04, 0.86, 1.04, 1.00, 0.95),
    "non_elective": (0.98, 1.00, 0.97, 0.99, 0.95, 0.97, 1.00, 1.00, 1.03, 1.05, 0.99, 1.07),
    "ae": (1.03, 1.07, 1.05, 1.06, 0.99, 0.99, 0.99, 0.97, 0.96, 0.93, 0.91, 1.05),
    "community": (1.00, 1.00, 1.00, 1.00, 0.95, 1.00, 1.02, 1.02, 0.95, 1.03, 1.00, 1.03),
    "mental_health": (1.00, 1.00, 1.00, 1.00, 0.96, 1.00, 1.02, 1.02, 0.96, 1.02, 1.00, 1.02),
    "gp": (1.00, 1.00, 0.98, 1.00, 0.92, 1.00, 1.05, 1.05, 0.95, 1.05, 1.00, 1.00),
}

#: Monthly elective capacity profile, April first, mean 1 [K: theatre lists thin in August and
#: over Christmas].
CAPACITY_SEASONALITY = np.array(
    [1.0, 1.03, 1.02, 1.02, 0.92, 1.0, 1.06, 1.05, 0.88, 1.02, 1.0, 1.0], dtype=np.float64
)
CAPACITY_SEASONALITY = CAPACITY_SEASONALITY / CAPACITY_SEASONALITY.mean()

#: Width of each age band in years (the last is open; people leave it only by dying).
AGE_WIDTH_YEARS = np.array([5.0, 10.0, 10.0, 20.0, 20.0, 10.0, 10.0, np.inf])


def default_per_head() -> dict[str, float]:
    """National events per person a year by demand POD (a copy; [K])."""
    return dict(_PER_HEAD)


def default_age_profile() -> dict[str, list[float]]:
    """Relative rates by age band by demand POD (a copy; [K])."""
    return {k: list(v) for k, v in _AGE_PROFILE.items()}


def default_deprivation() -> dict[str, list[float]]:
    """Rate multipliers by IMD quintile by demand POD (a copy; [K])."""
    return {k: list(v) for k, v in _DEPRIVATION.items()}


def default_seasonality() -> dict[str, list[float]]:
    """Monthly profiles (April first) by demand POD (a copy; [K])."""
    return {k: list(v) for k, v in _SEASONALITY.items()}
