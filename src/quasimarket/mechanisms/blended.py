"""Blended payment (2019/20) and aligned payment and incentive (API, 2022/23 onward).

**Blended payment** for emergency care: a fixed payment based on planned activity plus a variable
element at 20% of the national price for activity above or below plan (payment-rules.md A6
[V: hsj 7026392; hfma 5 Nov 2019; hfma 2 Dec 2019]); the Long Term Plan's "fixed amount based on
expected levels of activity and a volume-based element based on actual activity" (002@351002).

**Aligned payment and incentive**: a fixed element plus a variable element on elective activity
around a threshold: 75% of unit price in 2022/23 (threshold 104% of 2019/20 value), all elective
activity at 100% from 2023/24 (payment-rules.md A7 [V: hfma 13 Jan 2022; hfma 16 Jun 2023]).

Risk: the commissioner bears ``variable_rate`` of the volume risk around plan and the provider the
rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import FloatArray, as_float, check_rate
from quasimarket.mechanisms.registry import register

#: Points of delivery in the API variable element: elective ordinary, day case, outpatient
#: procedures and first attendances (payment-rules.md A8, 2023/24 ERF scope [V: hfma
#: 2 Feb 2023]). Emergency care stays in the fixed element in every engine.
API_ELECTIVE_SCOPE: tuple[str, ...] = ("day_case", "elective", "op_procedure", "op_first")

__all__ = [
    "Blended",
    "aligned_payment_incentive",
    "blended_payment",
]

# The dated rates (blended 20% in 2019/20; API 75% in 2022/23, 100% from 2023/24) are not
# kept here: they come only from the payment-rule calendar,
# ``quasimarket.structure.payment_rules(year).blended_variable_rate`` and
# ``.api_variable_rate`` (payment-rules.md A6/A7), and reach these functions through the
# contract's default resolution (``quasimarket.contracts.defaults``). Every caller passes
# ``variable_rate`` explicitly.


@dataclass(frozen=True, slots=True)
class Blended:
    """A fixed-plus-variable payment.

    Attributes:
        fixed: Fixed element, £.
        variable: Variable element, £ (negative when activity is below plan or threshold).
        payment: ``fixed + variable`` (after any floor), £.
        adjustment: ``payment`` minus paying the activity at full unit prices, £ (see each
            function for the exact comparison).
    """

    fixed: FloatArray
    variable: FloatArray
    payment: FloatArray
    adjustment: FloatArray


def blended_payment(
    actual_value: npt.ArrayLike,
    *,
    planned_value: npt.ArrayLike,
    variable_rate: npt.ArrayLike,
) -> Blended:
    """Blended payment: fixed on plan, plus ``variable_rate`` of the value above or below plan.

    ``payment = planned_value + variable_rate × (actual_value − planned_value)``

    Args:
        actual_value: Value of activity delivered at national prices × MFF, £.
        planned_value: Value of planned activity at the same prices, £ (the fixed element).
        variable_rate: Share of the price paid for the difference, in [0, 1] (required: the
            calendar's ``blended_variable_rate``, 0.2 in 2019/20, payment-rules.md A6 [V]).

    Returns:
        :class:`Blended`; ``adjustment = payment − actual_value`` (vs full tariff).

    Risk:
        Commissioner bears the variable rate (20%) of the value of activity above or below plan; the
        provider bears the other 80%.

    Source:
        payment-rules.md A6 [V: hsj 7026392; hfma 5 Nov 2019]; 002@351002 (LTP 2019).

    Raises:
        ConfigError: ``variable_rate`` outside [0, 1].
    """
    rate = check_rate(variable_rate, "variable_rate")
    actual = as_float(actual_value)
    fixed = np.broadcast_to(
        as_float(planned_value),
        np.broadcast_shapes(np.shape(actual), np.shape(planned_value), rate.shape),
    ).astype(np.float64)
    variable = rate * (actual - fixed)
    payment = fixed + variable
    return Blended(fixed=fixed, variable=variable, payment=payment, adjustment=payment - actual)


def aligned_payment_incentive(
    elective_actual_value: npt.ArrayLike,
    *,
    fixed_value: npt.ArrayLike,
    elective_threshold_value: npt.ArrayLike,
    variable_rate: npt.ArrayLike,
    floor_value: npt.ArrayLike | None = None,
) -> Blended:
    """Aligned payment and incentive: fixed element plus a variable element on elective activity.

    ``variable = variable_rate × (elective_actual_value − elective_threshold_value)``;
    ``payment = max(fixed_value + variable, floor_value)``.

    Args:
        elective_actual_value: Value of elective activity delivered at unit prices, £.
        fixed_value: Fixed element, £; it already pays for elective activity up to the
            threshold (and for non-elective activity, CQUIN and expected BPT).
        elective_threshold_value: Elective value funded inside the fixed element, £ (2022/23:
            104% of 2019/20 value; 2023/24+: 0, all elective activity is variable).
        variable_rate: Share of unit price paid or recovered around the threshold, in [0, 1]
            (required: the calendar's ``api_variable_rate``, 0.75 in 2022/23 and 1.0 from
            2023/24, payment-rules.md A7 [V]).
        floor_value: Optional lowest total payment, £. 2022/23 floored under-delivery
            deductions at 75% of the initial ERF allocation, so the floor is
            ``fixed_value − 0.25 × ERF allocation`` [modelling note on how to express it].

    Returns:
        :class:`Blended`; ``adjustment = payment − (fixed_value + elective_actual_value −
        elective_threshold_value)``: the difference from paying every elective unit around the
        threshold at 100% of unit price (0 from 2023/24 when no floor bites).

    Risk:
        Fixed element: provider bears non-elective volume risk. Elective volume around the threshold
        is shared: commissioner pays 75% (2022/23) or 100% (2023/24+) of unit price.

    Source:
        payment-rules.md A7 [V: hfma 13 Jan 2022; hfma 25 Feb 2022; hfma 16 Jun 2023].

    Raises:
        ConfigError: ``variable_rate`` outside [0, 1].
    """
    rate = check_rate(variable_rate, "variable_rate")
    actual = as_float(elective_actual_value)
    threshold = as_float(elective_threshold_value)
    shape = np.broadcast_shapes(actual.shape, threshold.shape, rate.shape, np.shape(fixed_value))
    fixed = np.broadcast_to(as_float(fixed_value), shape).astype(np.float64)
    variable = rate * (actual - threshold)
    payment = fixed + variable
    if floor_value is not None:
        payment = np.maximum(payment, as_float(floor_value))
        variable = payment - fixed
    return Blended(
        fixed=fixed,
        variable=variable,
        payment=payment,
        adjustment=payment - (fixed + actual - threshold),
    )


register(
    "blended",
    title="Blended payment (2019/20)",
    kind="payment_form",
    basis="value",
    function=blended_payment,
    rule_source="payment-rules.md A6 [V: hsj 7026392; hfma 5 Nov 2019]; 002@351002",
    risk_note=(
        "Commissioner bears the variable rate (20%) of the value of activity above or below "
        "plan; the provider bears the other 80%."
    ),
)
register(
    "aligned_payment_incentive",
    title="Aligned payment and incentive (2022/23 onward)",
    kind="payment_form",
    basis="scope_value",
    scope=API_ELECTIVE_SCOPE,
    function=aligned_payment_incentive,
    rule_source="payment-rules.md A7 [V: hfma 13 Jan 2022; hfma 16 Jun 2023]",
    risk_note=(
        "Fixed element: provider bears non-elective volume risk. Elective volume around the "
        "threshold is shared: commissioner pays 75% (2022/23) or 100% (2023/24+) of unit price."
    ),
)
