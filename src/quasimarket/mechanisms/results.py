"""Result records shared by several mechanisms.

Each mechanism returns a small frozen dataclass of float64 arrays (0-d for scalar inputs), in
pounds, never rounded. Results that change a payment carry ``payment`` (the amount paid) and/or
``adjustment`` (the £ change relative to the value the function was given; negative = deduction),
so the pricing engine can say "this rule changed this line by £x".
"""

from __future__ import annotations

from dataclasses import dataclass

from quasimarket.mechanisms._common import FloatArray

__all__ = ["Adjustment", "PaymentForm"]


@dataclass(frozen=True, slots=True)
class PaymentForm:
    """What a payment form pays for a line's activity.

    Attributes:
        payment: Amount paid, £.
        adjustment: ``payment − price × activity``, £: the difference from paying every unit at
            the full price (cost per case). Positive = the provider is paid more than that.
    """

    payment: FloatArray
    adjustment: FloatArray


@dataclass(frozen=True, slots=True)
class Adjustment:
    """A £ change to a line's payment (negative = deduction).

    Attributes:
        adjustment: £ change; deductions and sanctions are negative.
    """

    adjustment: FloatArray
