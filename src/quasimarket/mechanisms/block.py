"""Block contracts: a fixed annual sum paid in monthly instalments, whatever the activity.

A block is "a fixed budget", "allocating the financial risks of overperformance to the provider"
(002@72285). Community and mental health services were "still covered by block contracts"
(002@75304; 002@243475), and by 2014/15 commissioners increasingly insisted on "a fixed sum" for
non-tariff services (002@256551). Activity is monitored but not paid: "any over or under
performance informed the setting of the next year's block amount" (002@257294), which
:func:`rebase_block` models.

Risk: the provider bears volume (over-performance) risk in year; the commissioner's spend is
certain. Re-basing passes last year's volume change into next year's price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import (
    FloatArray,
    as_float,
    check_at_least,
    check_nonnegative,
    check_profile,
)
from quasimarket.mechanisms.registry import register

__all__ = ["FLAT_PROFILE", "BlockPayment", "block_payment", "rebase_block"]

#: Twelve equal monthly instalments, April first (the default block profile).
FLAT_PROFILE: FloatArray = np.full(12, 1.0 / 12.0)


@dataclass(frozen=True, slots=True)
class BlockPayment:
    """A block payment.

    Attributes:
        annual: Annual value paid, £ (the sum of ``monthly``).
        activity: Activity tracked but not paid (the argument, or ``None``), in the line's
            currency; kept for the statement and for re-basing next year.
        profile: The monthly profile (12 fractions, April first), shaped like ``monthly``.
        annual_value: The agreed annual value, £.
    """

    annual: FloatArray
    activity: FloatArray | None
    profile: FloatArray
    annual_value: FloatArray

    @property
    def monthly(self) -> FloatArray:
        """Monthly instalments, £, with a trailing axis of 12 (April first).

        Built on demand: line aggregates (the stress tester, the simulation) need only the
        annual sum, and twelve instalments per draw and pair would cost twelve times the memory.
        """
        return self.annual_value[..., np.newaxis] * self.profile


def block_payment(
    annual_value: npt.ArrayLike,
    *,
    monthly_profile: npt.ArrayLike | None = None,
    activity: npt.ArrayLike | None = None,
) -> BlockPayment:
    """Pay a fixed annual sum in monthly instalments.

    Args:
        annual_value: Agreed annual block value, £.
        monthly_profile: 12 fractions (April first) summing to 1; default flat (1/12 each).
            May carry leading axes that broadcast against ``annual_value``.
        activity: Optional activity delivered (any shape), tracked only; it never changes the
            payment.

    Returns:
        :class:`BlockPayment` with ``monthly`` (``annual_value.shape + (12,)``) and ``annual``.

    Risk:
        Provider bears the risk of over-performance (activity is not paid); the commissioner's spend
        is fixed.

    Source:
        002@72285 (definition and risk); 002@243475 (CHS/MH blocks); 002@256551 (fixed sums for
        non-tariff services, 2014/15).

    Raises:
        ConfigError: ``monthly_profile`` is not 12 non-negative fractions summing to 1.
    """
    annual = as_float(annual_value)
    profile = (
        FLAT_PROFILE
        if monthly_profile is None
        else check_profile(monthly_profile, "monthly_profile")
    )
    tracked = None if activity is None else as_float(activity)
    # Σ (annual × fraction) = annual × Σ fractions (to float rounding, far below a penny)
    return BlockPayment(
        annual=annual * profile.sum(),
        activity=tracked,
        # a broadcast view (no memory) shaped like the instalments
        profile=np.broadcast_to(
            profile, (*np.broadcast_shapes(annual.shape, profile.shape[:-1]), 12)
        ),
        annual_value=annual,
    )


def rebase_block(
    annual_value: npt.ArrayLike,
    *,
    planned_activity: npt.ArrayLike,
    observed_activity: npt.ArrayLike,
) -> FloatArray:
    """Next year's block value, re-based on the activity observed this year.

    ``next_annual_value = annual_value × observed_activity / planned_activity``

    Args:
        annual_value: This year's block value, £.
        planned_activity: Activity the block was set for (> 0), in the line's currency.
        observed_activity: Activity actually delivered (≥ 0), same currency.

    Returns:
        Next year's block value, £ (before any inflation or efficiency factor).

    Risk:
        Last year's over/under performance moves into next year's block value.

    Source:
        002@257294 ("any over or under performance informed the setting of the next year's block
        amount"). Pro-rata re-basing is a [modelling note]: the research gives no formula.

    Raises:
        ConfigError: ``planned_activity`` ≤ 0 or ``observed_activity`` < 0.
    """
    planned = check_at_least(planned_activity, "planned_activity", low=0.0, strict=True)
    observed = check_nonnegative(observed_activity, "observed_activity")
    return as_float(annual_value) * (observed / planned)


register(
    "block",
    title="Block contract",
    kind="payment_form",
    basis="month_value",
    function=block_payment,
    rule_source="002@72285; 002@243475; 002@256551",
    risk_note=(
        "Provider bears the risk of over-performance (activity is not paid); the commissioner's "
        "spend is fixed."
    ),
)
register(
    "block_rebase",
    title="Block re-based on observed activity",
    kind="payment_form",
    function=rebase_block,
    rule_source="002@257294; pro-rata formula is a [modelling note]",
    risk_note="Last year's over/under performance moves into next year's block value.",
)
