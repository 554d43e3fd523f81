"""Marginal rate emergency rule (MRET): emergency activity above a baseline paid at a reduced rate.

"each year's contract provided that emergency admissions exceeding a local baseline figure from
2008–09 would only be reimbursed at 30% of tariff" (002@249400); from 2014/15 the parties could
vary the baseline (002@249952); the rate rose to 70% from 2016/17 and the rule was abolished in
2019/20 in favour of blended payment (payment-rules.md A4).

Risk: the provider bears ``1 − rate`` of the value of emergency activity above the baseline; the
commissioner retains that amount (to reinvest in demand management, A4 [V: hfma 1 Mar 2013]).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import FloatArray, as_float, check_rate
from quasimarket.mechanisms.registry import register

__all__ = ["Mret", "marginal_rate_emergency"]


@dataclass(frozen=True, slots=True)
class Mret:
    """The marginal rate emergency rule applied to a line.

    Attributes:
        paid: Amount paid for non-elective activity, £.
        adjustment: ``paid − nel_value`` (≤ 0), £.
        retained: Amount the commissioner retains, ``−adjustment``, £.
    """

    paid: FloatArray
    adjustment: FloatArray
    retained: FloatArray


def marginal_rate_emergency(
    nel_value: npt.ArrayLike, *, baseline_value: npt.ArrayLike, rate: npt.ArrayLike
) -> Mret:
    """Pay emergency activity above the baseline at ``rate`` of tariff.

    ``paid = min(v, b) + rate × max(0, v − b)``

    Args:
        nel_value: Tariff value of in-scope non-elective (emergency) spells, £.
        baseline_value: Agreed baseline value (2008/09 by default; a later year from 2014/15), £.
        rate: Share of tariff paid above the baseline, in [0, 1]. The dated national rate is
            ``quasimarket.structure.payment_rules(year).mret_rate`` (0.3 to 2015/16, 0.7
            2016/17–2018/19, ``None`` from 2019/20 when the rule was abolished).

    Returns:
        :class:`Mret`.

    Risk:
        Provider bears 1 − rate (70%, later 30%) of the value of emergency activity above the
        baseline; the commissioner retains it for demand management.

    Source:
        payment-rules.md A4 [V: hfma 1 Mar 2013; hfma 3 Apr 2017]; 002@249400; 002@249952.

    Raises:
        ConfigError: ``rate`` outside [0, 1].
    """
    marginal = check_rate(rate, "rate")
    value = as_float(nel_value)
    baseline = as_float(baseline_value)
    excess = np.maximum(0.0, value - baseline)
    paid = np.minimum(value, baseline) + marginal * excess
    adjustment = paid - value
    return Mret(paid=paid, adjustment=adjustment, retained=-adjustment)


register(
    "mret",
    title="Marginal rate emergency rule",
    kind="adjustment",
    scope=("non_elective",),
    function=marginal_rate_emergency,
    rule_source="payment-rules.md A4 [V: hfma 1 Mar 2013; hfma 3 Apr 2017]; 002@249400",
    risk_note=(
        "Provider bears 1 − rate (70%, later 30%) of the value of emergency activity above the "
        "baseline; the commissioner retains it for demand management."
    ),
)
