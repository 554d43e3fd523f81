"""Emergency readmissions within 30 days: the avoidable share is not paid.

2012/13–2018/19: a local clinical review (led by a clinician not employed by the provider) sets
the proportion of readmissions deemed avoidable; that proportion of their value is not paid and
the money goes to post-discharge services (payment-rules.md A5 [V: hfma 5 Mar 2012; hsj 5041632]).
In 2011/12 readmissions within 30 days of an elective admission were not paid at all
(``avoidable_share = 1``) [V: hfma 1 Mar 2011]. Removed in 2019/20 with MRET.

Finding readmissions (same patient, ≤ 30 days after discharge) and applying the exclusions
(maternity, cancer, children under 4, …, A5) is record-level work done by the pricing engine;
this function only does the money.

Risk: the provider bears the cost of readmissions judged avoidable.
"""

from __future__ import annotations

import numpy.typing as npt

from quasimarket.mechanisms._common import as_float, check_rate
from quasimarket.mechanisms.registry import register
from quasimarket.mechanisms.results import Adjustment

__all__ = ["readmission_deduction"]


def readmission_deduction(
    readmission_value: npt.ArrayLike, *, avoidable_share: npt.ArrayLike
) -> Adjustment:
    """Deduct the avoidable share of the value of 30-day emergency readmissions.

    ``adjustment = −avoidable_share × readmission_value``

    Args:
        readmission_value: Tariff value of in-scope (non-excluded) readmission spells, £.
        avoidable_share: Fraction judged avoidable by the clinical review, in [0, 1].

    Returns:
        :class:`Adjustment` (≤ 0 for non-negative values).

    Risk:
        Provider bears the cost of readmissions the clinical review judges avoidable.

    Source:
        payment-rules.md A5 [V: hfma 5 Mar 2012; hsj 5041632; PMC5226021 Table 1].

    Raises:
        ConfigError: ``avoidable_share`` outside [0, 1].
    """
    share = check_rate(avoidable_share, "avoidable_share")
    return Adjustment(adjustment=-share * as_float(readmission_value))


register(
    "readmissions",
    title="Emergency readmissions within 30 days",
    kind="adjustment",
    scope=("non_elective",),
    function=readmission_deduction,
    rule_source="payment-rules.md A5 [V: hfma 5 Mar 2012; hsj 5041632] (2012/13–2018/19)",
    risk_note="Provider bears the cost of readmissions the clinical review judges avoidable.",
)
