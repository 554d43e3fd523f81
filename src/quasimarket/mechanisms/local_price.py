"""Local prices for activity with no national tariff: roll forward, benchmark, or cost.

The research found three ways commissioners set prices for non-tariff activity
(002@255999–256,550): in 2012 "in most areas, prices paid the previous year were reduced by the
current NHS-wide efficiency target"; by 2014 "a few areas" benchmarked against other areas; and
"very rarely" a costing exercise was done. By 2014/15 many moved such services to a fixed sum
(a block: see :mod:`quasimarket.mechanisms.block`, 002@256551).

Risk: all three set a unit price, so with cost-per-case payment the commissioner bears volume
risk and the provider bears the risk that its costs exceed the price.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import (
    FloatArray,
    as_float,
    check_choice,
    check_nonnegative,
    check_rate,
    fail,
)
from quasimarket.mechanisms.registry import register

__all__ = ["BENCHMARK_STATISTICS", "benchmark_price", "costing_price", "roll_forward_price"]

BenchmarkStatistic = Literal["median", "mean", "lower_quartile", "upper_quartile", "minimum"]
BENCHMARK_STATISTICS: tuple[str, ...] = (
    "median",
    "mean",
    "lower_quartile",
    "upper_quartile",
    "minimum",
)


def roll_forward_price(
    previous_price: npt.ArrayLike, *, efficiency_factor: npt.ArrayLike
) -> FloatArray:
    """Last year's local price less the national efficiency target.

    ``price = previous_price × (1 − efficiency_factor)``

    Args:
        previous_price: Price paid last year, £ per unit of the line's currency.
        efficiency_factor: The NHS-wide efficiency target as a fraction in [0, 1]
            (e.g. 0.04 for 4%).

    Returns:
        This year's price, £ per unit, same shape as the broadcast inputs.

    Risk:
        A unit price: paid per unit, so the commissioner bears volume risk and the provider bears
        the risk that its costs exceed the price.

    Source:
        002@255999 ("prices paid the previous year were reduced by the current NHS-wide
        efficiency target", the 2012 norm).

    Raises:
        ConfigError: ``efficiency_factor`` outside [0, 1].
    """
    efficiency = check_rate(efficiency_factor, "efficiency_factor")
    return as_float(previous_price) * (1.0 - efficiency)


def benchmark_price(
    peer_prices: npt.ArrayLike, *, statistic: BenchmarkStatistic | str = "median"
) -> FloatArray:
    """A local price benchmarked against peers' prices for the same service.

    Args:
        peer_prices: Peer prices, £ per unit, with peers on the LAST axis.
        statistic: ``"median"`` (default), ``"mean"``, ``"lower_quartile"``,
            ``"upper_quartile"`` or ``"minimum"``. Quartiles use linear interpolation.

    Returns:
        The benchmark price, £ per unit, with the peer axis removed.

    Risk:
        A unit price: paid per unit, so the commissioner bears volume risk and the provider bears
        the risk that its costs exceed the price.

    Source:
        002@256100 ("attempts to benchmark local prices with those in other areas", 2014).
        The choice of statistic is a [modelling note]: the research names no statistic.

    Raises:
        ConfigError: Unknown ``statistic``, no peers, or a negative peer price.
    """
    check_choice(statistic, "statistic", BENCHMARK_STATISTICS)
    prices = check_nonnegative(peer_prices, "peer_prices")
    if prices.ndim == 0 or prices.shape[-1] == 0:
        fail(
            "peer_prices",
            "no peer prices given",
            expected="peer prices on the last axis, e.g. [5200.0, 5480.0, 5630.0]",
            fix="give at least one peer price",
        )
    if statistic == "median":
        return as_float(np.median(prices, axis=-1))
    if statistic == "mean":
        return as_float(np.mean(prices, axis=-1))
    if statistic == "lower_quartile":
        return as_float(np.quantile(prices, 0.25, axis=-1))
    if statistic == "upper_quartile":
        return as_float(np.quantile(prices, 0.75, axis=-1))
    return as_float(np.min(prices, axis=-1))


def costing_price(unit_cost: npt.ArrayLike, *, overhead_rate: npt.ArrayLike = 0.0) -> FloatArray:
    """A local price built up from a costing exercise.

    ``price = unit_cost × (1 + overhead_rate)``

    Args:
        unit_cost: Direct cost per unit of activity found by the costing exercise, £.
        overhead_rate: Overheads as a fraction of direct cost, ≥ 0 (0.25 for 25%).

    Returns:
        The price, £ per unit.

    Risk:
        A unit price: paid per unit, so the commissioner bears volume risk and the provider bears
        the risk that its costs exceed the price.

    Source:
        002@256100 ("very rarely … more accurate costing exercises"). The overhead mark-up is a
        [modelling note].

    Raises:
        ConfigError: ``unit_cost`` or ``overhead_rate`` negative.
    """
    rate = check_nonnegative(overhead_rate, "overhead_rate")
    return check_nonnegative(unit_cost, "unit_cost") * (1.0 + rate)


_PRICE_RISK = (
    "A unit price: paid per unit, so the commissioner bears volume risk and the provider bears "
    "the risk that its costs exceed the price."
)
register(
    "local_price",
    title="Local price: last year's price less the efficiency target",
    kind="unit_price",
    function=roll_forward_price,
    rule_source="002@255999 (2012 norm); seeds-digest §4.7",
    risk_note=_PRICE_RISK,
)
register(
    "local_price_benchmark",
    title="Local price: benchmark against peers",
    kind="unit_price",
    function=benchmark_price,
    rule_source="002@256100 (2014); statistic is a [modelling note]",
    risk_note=_PRICE_RISK,
)
register(
    "local_price_costing",
    title="Local price: costing exercise",
    kind="unit_price",
    function=costing_price,
    rule_source="002@256100 (2014, 'very rarely'); overhead mark-up is a [modelling note]",
    risk_note=_PRICE_RISK,
)
