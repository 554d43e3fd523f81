"""CQUIN: a percentage of outturn, earned by goal weights × achievement.

Commissioning for Quality and Innovation was introduced in 2009/10 to give "financial incentives
to achieve specific quality targets" (002@70617). The amount available is a share of actual annual
value (0.5% in 2009/10, 1.5% in 2010/11, 2.5% 2012/13–2018/19, 1.25% from 2019/20; suspended
2020/21–2021/22) and it is earned goal by goal (payment-rules.md A9).

Risk: the provider bears the CQUIN money it fails to earn (``forgone``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import SUM_TOLERANCE, FloatArray, as_float, check_rate, fail
from quasimarket.mechanisms.registry import register

__all__ = ["CQUIN_RATE_BY_YEAR", "Cquin", "cquin_payment"]

#: CQUIN as a share of outturn, by financial year (payment-rules.md A9). 2009/10 0.5%,
#: 2010/11 1.5% [V: hsj 1945128; pulsetoday]; 2011/12 and 2012/13 2.5% [K]; 2013/14–2018/19 2.5%
#: [V: hfma 1 Jun 2016]; 2019/20 1.25% [V: readkong CQUIN 2019-20]; 2020/21–2021/22 suspended
#: [V: england.nhs.uk cquin-20-21]; 2022/23–2023/24 1.25% [V: hfma 13 Jan 2022; hfma 8 Jan 2024].
CQUIN_RATE_BY_YEAR: dict[str, float] = {
    "2009/10": 0.005,
    "2010/11": 0.015,
    "2011/12": 0.025,
    "2012/13": 0.025,
    "2013/14": 0.025,
    "2014/15": 0.025,
    "2015/16": 0.025,
    "2016/17": 0.025,
    "2017/18": 0.025,
    "2018/19": 0.025,
    "2019/20": 0.0125,
    "2020/21": 0.0,
    "2021/22": 0.0,
    "2022/23": 0.0125,
    "2023/24": 0.0125,
}


@dataclass(frozen=True, slots=True)
class Cquin:
    """CQUIN money for a contract or line.

    Attributes:
        available: ``rate × outturn_value``, £.
        earned: ``available × Σ weight × achievement``, £.
        forgone: ``available − earned``, £ (the provider's loss).
    """

    available: FloatArray
    earned: FloatArray
    forgone: FloatArray


def cquin_payment(
    outturn_value: npt.ArrayLike,
    *,
    rate: npt.ArrayLike,
    weights: npt.ArrayLike,
    achievement: npt.ArrayLike,
) -> Cquin:
    """CQUIN available on outturn and earned by weighted goal achievement.

    Args:
        outturn_value: Actual annual value of the contract (excluding CQUIN), £.
        rate: CQUIN share of outturn, in [0, 1] (0.025 for 2.5%; see :data:`CQUIN_RATE_BY_YEAR`).
        weights: Share of the CQUIN money attached to each goal, goals on the LAST axis; each in
            [0, 1], summing to at most 1.
        achievement: Fraction of each goal achieved, goals on the LAST axis, in [0, 1].

    Returns:
        :class:`Cquin`.

    Risk:
        Provider bears the CQUIN money not earned on its quality goals.

    Source:
        payment-rules.md A9 [V: hfma 1 Jun 2016; readkong CQUIN 2019-20]; 002@70617.

    Raises:
        ConfigError: ``rate`` outside [0, 1]; weights negative or over 100% in total;
            achievement outside [0, 1].
    """
    share = check_rate(rate, "rate")
    goal_weights = np.atleast_1d(check_rate(weights, "weights"))
    total = goal_weights.sum(axis=-1)
    if np.any(total > 1.0 + SUM_TOLERANCE):
        fail(
            "weights",
            f"CQUIN weights over 100%: they sum to {float(np.max(total)):g}",
            expected="goal weights (fractions of the CQUIN money) summing to at most 1",
            fix="reduce the goal weights so they add up to 1 (100%) or less",
        )
    achieved = np.atleast_1d(check_rate(achievement, "achievement"))
    weighted = (goal_weights * achieved).sum(axis=-1)
    available = share * as_float(outturn_value)
    earned = available * weighted
    return Cquin(available=available, earned=earned, forgone=available - earned)


register(
    "cquin",
    title="CQUIN (Commissioning for Quality and Innovation)",
    kind="adjustment",
    function=cquin_payment,
    rule_source="payment-rules.md A9 [V: hfma 1 Jun 2016; readkong CQUIN 2019-20]; 002@70617",
    risk_note="Provider bears the CQUIN money not earned on its quality goals.",
)
