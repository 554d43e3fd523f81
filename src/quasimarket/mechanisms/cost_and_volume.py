"""Cost and volume: a base sum for a target volume, then a marginal rate above it.

Cost and volume contracts set "the volume of cases in advance, and may lead to additional
payments where the target volume of cases is exceeded", "mitigating the risk to the provider"
(002@72285, early 1990s).

Risk: shared. The provider keeps the base sum if activity falls short of the threshold; above it
the commissioner pays ``marginal_rate`` of the price and the provider bears the rest.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import as_float, check_nonnegative, check_rate
from quasimarket.mechanisms.registry import register
from quasimarket.mechanisms.results import PaymentForm

__all__ = ["cost_and_volume"]


def cost_and_volume(
    activity: npt.ArrayLike,
    *,
    base_value: npt.ArrayLike,
    threshold_activity: npt.ArrayLike,
    price: npt.ArrayLike,
    marginal_rate: npt.ArrayLike = 1.0,
) -> PaymentForm:
    """Pay a base sum up to a threshold volume and a marginal rate per unit above it.

    ``payment = base_value + marginal_rate × price × max(0, activity − threshold_activity)``

    Args:
        activity: Activity delivered, in the line's currency (spells, attendances, …).
        base_value: Sum paid for activity up to the threshold, £.
        threshold_activity: Target volume covered by ``base_value``, same currency.
        price: Price per unit, £.
        marginal_rate: Fraction of ``price`` paid per unit above the threshold, in [0, 1].

    Returns:
        :class:`PaymentForm`; ``adjustment = payment − price × activity``.

    Risk:
        Shared: the provider keeps the base if activity falls short; above the threshold the
        commissioner pays the marginal rate and the provider bears the rest of the price.

    Source:
        002@72285. The marginal rate is a [modelling note] (the research gives none).

    Raises:
        ConfigError: ``marginal_rate`` outside [0, 1] or a negative threshold.
    """
    rate = check_rate(marginal_rate, "marginal_rate")
    threshold = check_nonnegative(threshold_activity, "threshold_activity")
    volume = as_float(activity)
    unit = as_float(price)
    payment = as_float(base_value) + rate * unit * np.maximum(0.0, volume - threshold)
    return PaymentForm(payment=payment, adjustment=payment - unit * volume)


register(
    "cost_and_volume",
    title="Cost and volume",
    kind="payment_form",
    basis="count",
    function=cost_and_volume,
    rule_source="002@72285; marginal rate is a [modelling note]",
    risk_note=(
        "Shared: the provider keeps the base if activity falls short; above the threshold the "
        "commissioner pays the marginal rate and the provider bears the rest of the price."
    ),
)
