"""The one vocabulary of points of delivery, currencies and services.

Every engine names activity with these words: activity files (``pod``), contract lines
(``pods``, ``currency``), payment rules (each rule's scope), the stress tester and the
simulation. The simulation counts some activity that is not itself paid for (referrals, GP
contacts); :data:`SIMULATED_ACTIVITY` says which point of delivery each simulated measure is
priced as, so a simulated contract line covers the same PODs as a real one.
"""

from __future__ import annotations

from typing import Literal

__all__ = [
    "APC_PODS",
    "BED_BASED_CURRENCIES",
    "CURRENCIES",
    "PODS",
    "POD_CODES",
    "POD_NAMES",
    "SERVICES",
    "SIMULATED_ACTIVITY",
    "Currency",
    "Pod",
    "pod_codes",
]

#: Points of delivery and their integer codes in compiled activity (``ActivityTable.pod``).
POD_CODES: dict[str, int] = {
    "day_case": 0,
    "elective": 1,
    "non_elective": 2,
    "op_first": 3,
    "op_follow_up": 4,
    "op_procedure": 5,
    "ae": 6,
    "community_contact": 7,
    "mh_contact": 8,
    "bed_day": 9,
}
#: Point-of-delivery names in code order.
PODS: tuple[str, ...] = tuple(sorted(POD_CODES, key=POD_CODES.__getitem__))
#: Names by code (index = code); the same tuple as :data:`PODS`.
POD_NAMES = PODS
#: A point of delivery name.
Pod = Literal[
    "day_case",
    "elective",
    "non_elective",
    "op_first",
    "op_follow_up",
    "op_procedure",
    "ae",
    "community_contact",
    "mh_contact",
    "bed_day",
]
#: Admitted patient care points of delivery (trim points and top-ups apply to these only).
APC_PODS: tuple[str, ...] = ("day_case", "elective", "non_elective")

#: Units of activity a contract line can be paid in.
CURRENCIES: tuple[str, ...] = (
    "spell",
    "attendance",
    "bed_day",
    "contact",
    "registered_head",
    "weighted_head",
    "qof_point",
    "service_unit",
)
Currency = Literal[
    "spell",
    "attendance",
    "bed_day",
    "contact",
    "registered_head",
    "weighted_head",
    "qof_point",
    "service_unit",
]
#: Currencies whose provider cost moves with length of stay.
BED_BASED_CURRENCIES = frozenset({"spell", "bed_day"})

#: What each measure of simulated activity is priced as (``None``: counted, not paid per
#: unit: referrals start pathways, GP contacts are paid by capitation).
SIMULATED_ACTIVITY: dict[str, str | None] = {
    "elective_referral": None,
    "elective_spell": "elective",
    "op_first": "op_first",
    "op_follow_up": "op_follow_up",
    "non_elective": "non_elective",
    "ae": "ae",
    "community": "community_contact",
    "mental_health": "mh_contact",
    "gp": None,
}
#: Contracted services and the simulated activity each covers (one contract line per service
#: per commissioner-provider pair in the simulation).
SERVICES: dict[str, tuple[str, ...]] = {
    "acute_elective": ("elective_spell", "op_first", "op_follow_up"),
    "acute_emergency": ("non_elective", "ae"),
    "community": ("community",),
    "mental_health": ("mental_health",),
}


def pod_codes(names: tuple[str, ...] | list[str]) -> tuple[int, ...]:
    """Integer codes of point-of-delivery *names* (KeyError names the unknown one)."""
    return tuple(POD_CODES[name] for name in names)
