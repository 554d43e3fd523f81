"""Activity caps (2011/12 only): activity above plan is not paid.

"the 2011–12 national contract included limits on activity which would be reimbursed.
Commissioners could refuse to pay for more activity than had been forecasted. Since 2012, this
contractual provision was deleted" after the Cooperation and Competition Panel ruled caps
restricted patient choice (002@248912–249,400; 002@249037; 002@249191).

Risk: the provider bears all over-plan activity.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import as_float
from quasimarket.mechanisms.registry import register
from quasimarket.mechanisms.results import Adjustment

__all__ = ["activity_cap"]


def activity_cap(value: npt.ArrayLike, *, plan_value: npt.ArrayLike) -> Adjustment:
    """Deduct the value of activity above plan.

    ``adjustment = −max(0, value − plan_value)``

    Args:
        value: Value of activity delivered at tariff, £.
        plan_value: Value of the activity forecast in the plan, £.

    Returns:
        :class:`Adjustment` (≤ 0).

    Risk:
        Provider bears all activity above plan (it is not paid).

    Source:
        002@249037 (allowed 2011/12 only); 002@249191 (deleted from 2012/13).
    """
    return Adjustment(adjustment=-np.maximum(0.0, as_float(value) - as_float(plan_value)))


register(
    "activity_cap",
    title="Activity cap (2011/12 only)",
    kind="adjustment",
    function=activity_cap,
    rule_source="002@249037 (2011/12); deleted from 2012/13 (002@249191)",
    risk_note="Provider bears all activity above plan (it is not paid).",
)
