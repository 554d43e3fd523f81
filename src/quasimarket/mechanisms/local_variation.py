"""Local variations and local modifications: a price change in force between two dates.

The 2014/15 contract "for the first time, contained provisions specifically designed to allow the
parties greater flexibility in pricing" (002@249572): **local variations** adjust prices or
currencies "to facilitate significant service redesign or reconfiguration" and **local
modifications** are "allowed in the case of unavoidable higher local costs" (also 002@243743).
Examples in the research: variations for six tariff areas at a tertiary hospital (002@252566) and
a lower local tariff for admissions under two hours (002@253023).

Both are the same arithmetic: from ``effective_from`` to ``effective_to`` (inclusive) the price is
replaced by ``new_price`` or multiplied by ``factor``. Currency changes (which records a price
applies to) are selected by the pricing engine; this function only does the money.

Risk: a variation moves money between commissioner and provider by agreement; a modification
moves unavoidable extra local cost from the provider to the commissioner.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quasimarket.errors import ConfigError
from quasimarket.mechanisms._common import FloatArray, as_float, check_nonnegative, fail
from quasimarket.mechanisms.registry import register

__all__ = ["LocalVariation", "apply_local_variation", "day_number"]

DayLike = npt.ArrayLike | dt.date | str | None


@dataclass(frozen=True, slots=True)
class LocalVariation:
    """A price after a local variation or modification.

    Attributes:
        price: Price in force on each day, £ per unit.
        adjustment: ``price − original price``, £ per unit (negative = price reduced).
    """

    price: FloatArray
    adjustment: FloatArray


def day_number(value: DayLike, name: str) -> npt.NDArray[np.int64]:
    """Days since 1970-01-01 from ``datetime64``, ``datetime.date``, ISO strings or int days.

    Raises:
        ConfigError: A value is not a date.
    """
    arr = np.asarray(value)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64)
    try:
        return np.asarray(value, dtype="datetime64[D]").astype(np.int64)
    except (ValueError, TypeError):
        raise ConfigError(
            f"{name} is not a date: {value!r}",
            location=name,
            expected="an ISO date such as 2014-04-01 (or numpy datetime64[D])",
            fix=f"write {name} as YYYY-MM-DD",
        ) from None


def apply_local_variation(
    price: npt.ArrayLike,
    day: DayLike,
    *,
    effective_from: DayLike,
    effective_to: DayLike = None,
    new_price: npt.ArrayLike | None = None,
    factor: npt.ArrayLike | None = None,
) -> LocalVariation:
    """Apply a local variation (or modification) to prices on the days it is in force.

    Args:
        price: National (or previously agreed) price, £ per unit.
        day: Activity date: ``datetime64[D]``, ISO string, ``datetime.date`` or day number.
        effective_from: First day the variation applies (inclusive).
        effective_to: Last day the variation applies (inclusive); ``None`` = open-ended.
        new_price: Replacement price, £ per unit. Give exactly one of ``new_price``/``factor``.
        factor: Multiplier on ``price`` (e.g. 0.8 for 20% lower; 1.05 for a modification
            covering 5% unavoidable extra cost). Must be ≥ 0.

    Returns:
        :class:`LocalVariation` with the price in force and the £ per unit change.

    Risk:
        A variation moves money between the parties by agreement (in the research, usually to
        keep within the commissioner's budget, 002@252687); a modification moves unavoidable
        extra local cost from the provider to the commissioner.

    Source:
        002@249572 (2014/15 contract); 002@252566–253,100 (examples). NTPS local variation /
        modification rules from 2014/15 [K: payment-rules.md A0].

    Raises:
        ConfigError: Neither or both of ``new_price``/``factor``; a negative one; a date that is
            not a date; ``effective_to`` before ``effective_from``.
    """
    if (new_price is None) == (factor is None):
        fail(
            "new_price",
            "a local variation needs exactly one of new_price or factor",
            expected="new_price (£ per unit) or factor (multiplier), not both and not neither",
            fix="give either new_price or factor",
        )
    base = as_float(price)
    days = day_number(day, "day")
    start = day_number(effective_from, "effective_from")
    if effective_to is None:
        in_force = days >= start
    else:
        end = day_number(effective_to, "effective_to")
        if np.any(end < start):
            fail(
                "effective_to",
                "effective_to is before effective_from",
                expected="an end date on or after the start date",
                fix="swap or correct the dates",
            )
        in_force = (days >= start) & (days <= end)
    if new_price is not None:
        varied = check_nonnegative(new_price, "new_price")
    else:
        assert factor is not None  # exactly one of the two was checked above
        varied = base * check_nonnegative(factor, "factor")
    result = np.where(in_force, varied, base).astype(np.float64)
    return LocalVariation(price=result, adjustment=result - base)


register(
    "local_variation",
    title="Local variation (price or currency change with effective dates)",
    kind="adjustment",
    function=apply_local_variation,
    rule_source="002@249572 (2014/15 contract); 002@252566, 002@253023 (examples)",
    risk_note=(
        "Agreed between commissioner and provider to support service redesign: moves money by "
        "agreement, usually to keep within the commissioner's budget (002@252687)."
    ),
)
register(
    "local_modification",
    title="Local modification (unavoidable higher local costs)",
    kind="adjustment",
    function=apply_local_variation,
    rule_source="002@249572, 002@243743 (2014/15 contract)",
    risk_note=(
        "Moves provably unavoidable extra local cost from the provider to the commissioner."
    ),
)
