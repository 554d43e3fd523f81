"""Capitation: a payment per weighted head, with an outcome-based share and a contingency.

Capitation pays "a provider or group of providers to cover the majority (or all) of the care
provided to a target population"; "the risk in this approach lies with the providers who have to
manage their activity within a fixed cost" (Monitor 2014a, 002@262975). Case study C intended "a
capitated payment mechanism based on a fixed payment, an outcome based incentive payment and a
contingency" (002@272684), on a contract of about £20m in year 1 (002@267810).

The budget ``weighted_population × rate_per_head`` is split into a fixed part, an outcome part
earned in proportion to ``outcome_achievement`` and a contingency released in proportion to
``contingency_released``. Shares and release rules are local [modelling note]; the research gives
no figures.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import FloatArray, check_nonnegative, check_rate, fail
from quasimarket.mechanisms.registry import register

__all__ = ["Capitation", "capitation"]


@dataclass(frozen=True, slots=True)
class Capitation:
    """A capitated payment.

    Attributes:
        fixed: Fixed part of the budget, paid regardless, £.
        outcome_available: Part of the budget paid on outcome achievement, £.
        outcome_earned: ``outcome_available × outcome_achievement``, £.
        contingency: Part of the budget held as a contingency, £.
        contingency_paid: ``contingency × contingency_released``, £.
        payment: ``fixed + outcome_earned + contingency_paid``, £.
    """

    fixed: FloatArray
    outcome_available: FloatArray
    outcome_earned: FloatArray
    contingency: FloatArray
    contingency_paid: FloatArray
    payment: FloatArray


def capitation(
    weighted_population: npt.ArrayLike,
    *,
    rate_per_head: npt.ArrayLike,
    outcome_share: npt.ArrayLike = 0.0,
    outcome_achievement: npt.ArrayLike = 1.0,
    contingency_share: npt.ArrayLike = 0.0,
    contingency_released: npt.ArrayLike = 0.0,
) -> Capitation:
    """Pay a capitated budget: fixed part + outcome part earned + contingency released.

    Args:
        weighted_population: Registered population weighted for need (weighted heads).
        rate_per_head: £ per weighted head per period (year or month).
        outcome_share: Fraction of the budget paid on outcomes, in [0, 1].
        outcome_achievement: Fraction of the outcome part earned, in [0, 1].
        contingency_share: Fraction of the budget held as contingency, in [0, 1]; with
            ``outcome_share`` at most 1.
        contingency_released: Fraction of the contingency paid to the provider, in [0, 1]
            (e.g. released to meet demand above plan).

    Returns:
        :class:`Capitation`.

    Risk:
        Provider bears demand and cost risk within a fixed budget per weighted head; outcome
        underachievement costs it the unearned outcome share; the contingency moves some demand risk
        back to the commissioner.

    Source:
        002@262975 (Monitor 2014a); 002@272684 (case C shape); payment-rules.md A11 [K].

    Raises:
        ConfigError: A share or achievement outside [0, 1]; the two shares summing above 1;
            a negative population or rate.
    """
    outcome = check_rate(outcome_share, "outcome_share")
    contingency_rate = check_rate(contingency_share, "contingency_share")
    if np.any(outcome + contingency_rate > 1.0 + 1e-12):
        fail(
            "contingency_share",
            "outcome_share + contingency_share is over 1",
            expected="outcome and contingency shares adding up to at most 1",
            fix="reduce outcome_share or contingency_share",
        )
    achievement = check_rate(outcome_achievement, "outcome_achievement")
    released = check_rate(contingency_released, "contingency_released")
    budget = check_nonnegative(weighted_population, "weighted_population") * check_nonnegative(
        rate_per_head, "rate_per_head"
    )
    outcome_available = budget * outcome
    contingency = budget * contingency_rate
    fixed = budget - outcome_available - contingency
    outcome_earned = outcome_available * achievement
    contingency_paid = contingency * released
    return Capitation(
        fixed=fixed,
        outcome_available=outcome_available,
        outcome_earned=outcome_earned,
        contingency=contingency,
        contingency_paid=contingency_paid,
        payment=fixed + outcome_earned + contingency_paid,
    )


register(
    "capitation",
    title="Capitation with outcome payment and contingency",
    kind="payment_form",
    basis="terms",
    function=capitation,
    rule_source="002@262975 (Monitor 2014a); 002@272684 (case study C); payment-rules.md A11 [K]",
    risk_note=(
        "Provider bears demand and cost risk within a fixed budget per weighted head; outcome "
        "underachievement costs it the unearned outcome share; the contingency moves some demand "
        "risk back to the commissioner."
    ),
)
