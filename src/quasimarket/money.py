"""Money: the one rounding rule, applied only at the reporting boundary.

Engines compute in float64 pounds and never round. Reported amounts (statement cells, totals,
``--json`` output) are rounded to whole pence **half away from zero** by :func:`round_pence`.
Golden tests compute the same figures with :class:`decimal.Decimal` and ``ROUND_HALF_UP``,
which is the same rule.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import numpy.typing as npt

__all__ = ["PENNY", "decimal_pence", "round_pence"]

PENNY = Decimal("0.01")


def round_pence(amount_gbp: float | npt.ArrayLike) -> npt.NDArray[np.float64]:
    """Round pounds to whole pence, half away from zero.

    The value is first rounded to 1e-6 of a penny, so float noise such as
    ``2.675 == 2.67499999...`` does not flip a half-penny the wrong way.
    """
    pence = np.round(np.abs(np.asarray(amount_gbp, dtype=np.float64)) * 100.0, 6)
    return np.sign(amount_gbp) * np.floor(pence + 0.5) / 100.0


def decimal_pence(amount_gbp: Decimal | float | str) -> Decimal:
    """Exact-decimal version of :func:`round_pence`, used by golden tests and reports."""
    return Decimal(str(amount_gbp)).quantize(PENNY, rounding=ROUND_HALF_UP)
