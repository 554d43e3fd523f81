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

__all__ = ["Cquin", "cquin_payment"]


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
        rate: CQUIN share of outturn, in [0, 1] (0.025 for 2.5%). The dated national rate is
            ``quasimarket.structure.payment_rules(year).cquin_rate`` (``None`` when no national
            scheme applies).
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
