"""GP practice payments: GMS global sum, QOF, enhanced services, and PMS/APMS agreed sums.

The 2004 GMS contract combines "a basic payment (calculated by a formula) with additional payment
for meeting quality thresholds (Quality and Outcomes Framework or QOF) and for providing a range
of 'enhanced services'" (002@147360): directed (DES), national (NES) and local (LES) enhanced
services (002@147680). PMS is "a locally negotiated contract and paid a fixed annual rate"
(002@148286) and APMS a contract for "non-traditional" providers (002@148794).

Figures (£ per weighted patient, £ per QOF point) are national and change yearly; the examples
use illustrative [K] values. Risk: practices bear the cost of their list within a formula price;
QOF and enhanced services pay for what is achieved or delivered.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy.typing as npt

from quasimarket.mechanisms._common import FloatArray, as_float, check_nonnegative
from quasimarket.mechanisms.registry import register

__all__ = [
    "PracticePayment",
    "enhanced_services",
    "gms_global_sum",
    "locally_agreed_sum",
    "qof_payment",
]


@dataclass(frozen=True, slots=True)
class PracticePayment:
    """A payment to a GP practice.

    Attributes:
        payment: Amount paid, £.
    """

    payment: FloatArray


def gms_global_sum(
    weighted_patients: npt.ArrayLike, *, price_per_weighted_patient: npt.ArrayLike
) -> PracticePayment:
    """GMS global sum: weighted list size × £ per weighted patient.

    Args:
        weighted_patients: Practice list weighted by the Carr-Hill formula (weighted patients).
        price_per_weighted_patient: £ per weighted patient per year (national figure [K]).

    Returns:
        :class:`PracticePayment`.

    Risk:
        Practice bears the cost of caring for its list within the formula price.

    Source:
        002@147360 (2004 GMS basic payment "calculated by a formula"); figures [K].

    Raises:
        ConfigError: Negative inputs.
    """
    patients = check_nonnegative(weighted_patients, "weighted_patients")
    price = check_nonnegative(price_per_weighted_patient, "price_per_weighted_patient")
    return PracticePayment(payment=patients * price)


def qof_payment(
    points: npt.ArrayLike,
    *,
    value_per_point: npt.ArrayLike,
    prevalence_factor: npt.ArrayLike = 1.0,
    list_size_factor: npt.ArrayLike = 1.0,
) -> PracticePayment:
    """QOF achievement payment: points × £ per point × prevalence and list-size adjustments.

    Args:
        points: QOF points achieved.
        value_per_point: £ per point for an average practice (national figure [K]).
        prevalence_factor: Practice prevalence relative to national (adjusted), ≥ 0.
        list_size_factor: Practice list size ÷ national average list size, ≥ 0.

    Returns:
        :class:`PracticePayment`.

    Risk:
        Practice bears the QOF money it does not achieve.

    Source:
        002@147360 (QOF); adjustment shape [K].

    Raises:
        ConfigError: Negative inputs.
    """
    payment = (
        check_nonnegative(points, "points")
        * check_nonnegative(value_per_point, "value_per_point")
        * check_nonnegative(prevalence_factor, "prevalence_factor")
        * check_nonnegative(list_size_factor, "list_size_factor")
    )
    return PracticePayment(payment=payment)


def enhanced_services(units: npt.ArrayLike, *, price_per_unit: npt.ArrayLike) -> PracticePayment:
    """Enhanced services (DES/NES/LES): units delivered × £ per unit.

    Args:
        units: Units delivered (e.g. extended-hours sessions, vaccinations, patients registered
            on a scheme).
        price_per_unit: £ per unit.

    Returns:
        :class:`PracticePayment`.

    Risk:
        Paid per unit delivered: the commissioner bears volume risk.

    Source:
        002@147680.

    Raises:
        ConfigError: Negative inputs.
    """
    delivered = check_nonnegative(units, "units")
    return PracticePayment(payment=delivered * check_nonnegative(price_per_unit, "price_per_unit"))


def locally_agreed_sum(agreed_value: npt.ArrayLike) -> PracticePayment:
    """PMS or APMS: the locally agreed annual sum.

    Args:
        agreed_value: Agreed annual contract value, £.

    Returns:
        :class:`PracticePayment` with ``payment = agreed_value``.

    Risk:
        A fixed annual sum: the practice bears volume risk (like a block).

    Source:
        002@148286 (PMS fixed annual rate); 002@148794 (APMS).
    """
    return PracticePayment(payment=as_float(agreed_value) + 0.0)


_RISK_FORMULA = "Practice bears the cost of caring for its list within the formula price."
register(
    "gms_global_sum",
    title="GMS global sum",
    kind="practice",
    function=gms_global_sum,
    rule_source="002@147360 (2004 GMS); £ per weighted patient [K]",
    risk_note=_RISK_FORMULA,
)
register(
    "qof",
    title="Quality and Outcomes Framework (QOF)",
    kind="practice",
    function=qof_payment,
    rule_source="002@147360; £ per point and adjustments [K]",
    risk_note="Practice bears the QOF money it does not achieve.",
)
register(
    "enhanced_services",
    title="Enhanced services (DES/NES/LES)",
    kind="practice",
    function=enhanced_services,
    rule_source="002@147680",
    risk_note="Paid per unit delivered: the commissioner bears volume risk.",
)
register(
    "locally_agreed_sum",
    title="PMS/APMS locally agreed sum",
    kind="practice",
    function=locally_agreed_sum,
    rule_source="002@148286 (PMS); 002@148794 (APMS)",
    risk_note="A fixed annual sum: the practice bears volume risk (like a block).",
)
