"""Cost per case: every unit of activity paid at its price.

Cost per case "allocated the financial risk to the purchaser, as they could not cap their
expenditure" (002@72285); PbR is a prospective cost-per-case system and the provider "was at risk
of losing income if patients are not treated in sufficient numbers" (002@73620).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import as_float
from quasimarket.mechanisms.registry import register
from quasimarket.mechanisms.results import PaymentForm

__all__ = ["cost_per_case"]


def cost_per_case(activity: npt.ArrayLike, *, price: npt.ArrayLike) -> PaymentForm:
    """Pay ``price × activity``.

    Args:
        activity: Activity delivered, in the line's currency.
        price: Price per unit, £ (tariff or local price).

    Returns:
        :class:`PaymentForm` with ``payment = price × activity`` and ``adjustment = 0``.

    Risk:
        Commissioner bears volume risk (cannot cap spend); provider bears the risk of under-
        performance (income falls with activity).

    Source:
        002@72285; 002@73620 (PbR).
    """
    payment = as_float(activity) * as_float(price)
    return PaymentForm(payment=payment, adjustment=np.zeros_like(payment))


register(
    "cost_per_case",
    title="Cost per case",
    kind="payment_form",
    basis="unit",
    function=cost_per_case,
    rule_source="002@72285; 002@73620",
    risk_note=(
        "Commissioner bears volume risk (cannot cap spend); provider bears the risk of "
        "under-performance (income falls with activity)."
    ),
)
