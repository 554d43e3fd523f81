"""Caps and collars: a fixed sum inside an activity corridor, a marginal rate outside it.

One CCG wanted "a set level of income for a set level of activity" ("[i.e. block] contract base")
with an acute trust; the TDA blocked it (002@254164). The corridor (collar and cap) and the
marginal rate are a [modelling note]: the research gives no widths or rates.

Risk: bounded. Inside the corridor the provider bears volume risk as in a block; outside it the
commissioner pays (above the cap) or recovers (below the collar) ``marginal_rate`` of the price.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import as_float, check_rate, fail
from quasimarket.mechanisms.registry import register
from quasimarket.mechanisms.results import PaymentForm

__all__ = ["caps_and_collars"]


def caps_and_collars(
    activity: npt.ArrayLike,
    *,
    fixed_value: npt.ArrayLike,
    collar_activity: npt.ArrayLike,
    cap_activity: npt.ArrayLike,
    price: npt.ArrayLike,
    marginal_rate: npt.ArrayLike,
) -> PaymentForm:
    """Fixed payment inside ``[collar, cap]``, adjusted at a marginal rate outside it.

    ``payment = fixed_value + r × price × max(0, a − cap) − r × price × max(0, collar − a)``

    Args:
        activity: Activity delivered, in the line's currency.
        fixed_value: Sum paid for activity inside the corridor, £.
        collar_activity: Lower edge of the corridor, same currency.
        cap_activity: Upper edge of the corridor (≥ collar), same currency.
        price: Price per unit, £.
        marginal_rate: Fraction of ``price`` paid above the cap / recovered below the collar,
            in [0, 1].

    Returns:
        :class:`PaymentForm`; ``adjustment = payment − price × activity``.

    Risk:
        Bounded: provider bears volume risk inside the corridor; outside it the commissioner pays,
        or recovers, the marginal rate of the price.

    Source:
        002@254164; corridor and rate are a [modelling note] (seeds-digest §4.2).

    Raises:
        ConfigError: ``marginal_rate`` outside [0, 1]; ``collar_activity`` above ``cap_activity``.
    """
    rate = check_rate(marginal_rate, "marginal_rate")
    collar = as_float(collar_activity)
    cap = as_float(cap_activity)
    if np.any(collar > cap):
        fail(
            "collar_activity",
            "collar_activity is above cap_activity",
            expected="collar_activity ≤ cap_activity (the corridor's lower edge first)",
            fix="swap or correct the collar and cap",
        )
    volume = as_float(activity)
    unit = as_float(price)
    above = np.maximum(0.0, volume - cap)
    below = np.maximum(0.0, collar - volume)
    payment = as_float(fixed_value) + rate * unit * (above - below)
    return PaymentForm(payment=payment, adjustment=payment - unit * volume)


register(
    "caps_and_collars",
    title="Caps and collars",
    kind="payment_form",
    basis="count",
    function=caps_and_collars,
    rule_source="002@254164; corridor and marginal rate are a [modelling note]",
    risk_note=(
        "Bounded: provider bears volume risk inside the corridor; outside it the commissioner "
        "pays, or recovers, the marginal rate of the price."
    ),
)
