"""National quality requirement sanctions: per patient below a threshold, per breach, % of revenue.

The standard contract lets commissioners "impose financial penalties for breaches of nationally
specified events and other aspects of poor quality care" (002@70970). Schedules by standard and
year are in payment-rules.md A10: e.g. £120 per A&E patient below the 95% 4-hour standard with
no further penalty below 85% [V: nursingnotes], £250 per day per service user for mixed-sex
accommodation breaches [V: DH 20 Jan 2011], £5,000 per 52-week wait per month (2013/14)
[V: hsj 5058291]. All were removed from April 2021 [V: nationalworld Feb 2022].

Sign convention: every function returns :class:`Adjustment` with a NEGATIVE amount (a deduction).
Risk: the provider bears the penalty for missing the standard.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from quasimarket.mechanisms._common import as_float, check_nonnegative, check_rate, fail
from quasimarket.mechanisms.registry import register
from quasimarket.mechanisms.results import Adjustment

__all__ = [
    "DEFAULT_SANCTION_CAP_PCT",
    "cap_sanctions",
    "per_breach_sanction",
    "revenue_sanction",
    "threshold_sanction",
]

#: Cap on total operational-standard sanctions as a share of contract revenue.
#: [K] payment-rules.md A10 does not give it; NHS Standard Contract Schedule 4 is recalled as
#: capping them at 2.5% of actual monthly contract value. An overridable default, not official.
DEFAULT_SANCTION_CAP_PCT = 0.025


def threshold_sanction(
    numerator: npt.ArrayLike,
    denominator: npt.ArrayLike,
    *,
    threshold: npt.ArrayLike,
    unit_penalty: npt.ArrayLike,
    floor_threshold: npt.ArrayLike | None = None,
) -> Adjustment:
    """Penalty per patient by which performance falls short of a threshold.

    ``shortfall = max(0, threshold × denominator − numerator)``; with a ``floor_threshold`` the
    shortfall stops counting below it: ``min(shortfall, (threshold − floor) × denominator)``.
    ``adjustment = −unit_penalty × shortfall``. Patients are counted continuously (no rounding).

    Args:
        numerator: Patients meeting the standard (e.g. seen within 4 hours).
        denominator: Patients the standard applies to (e.g. A&E attendances).
        threshold: Required performance as a fraction, in [0, 1] (e.g. 0.95).
        unit_penalty: £ per patient below the threshold (e.g. 120).
        floor_threshold: Optional performance below which no further penalty accrues, in
            [0, threshold] (e.g. 0.85 for the A&E standard).

    Returns:
        :class:`Adjustment` (≤ 0).

    Risk:
        Provider bears the penalty for missing the standard.

    Source:
        payment-rules.md A10 [V: nursingnotes (A&E £120, 95%, no penalty below 85%);
        hsj 5077705 (RTT £500/£125, 2015/16)].

    Raises:
        ConfigError: A threshold outside [0, 1], a floor above the threshold, or a negative
            penalty.
    """
    required = check_rate(threshold, "threshold")
    penalty = check_nonnegative(unit_penalty, "unit_penalty")
    patients = as_float(denominator)
    shortfall = np.maximum(0.0, required * patients - as_float(numerator))
    if floor_threshold is not None:
        floor = check_rate(floor_threshold, "floor_threshold")
        if np.any(floor > required):
            fail(
                "floor_threshold",
                "floor_threshold is above threshold",
                expected="a floor below the threshold, e.g. threshold 0.95 with floor 0.85",
                fix="lower floor_threshold or raise threshold",
            )
        shortfall = np.minimum(shortfall, (required - floor) * patients)
    return Adjustment(adjustment=-penalty * shortfall)


def per_breach_sanction(count: npt.ArrayLike, *, unit_penalty: npt.ArrayLike) -> Adjustment:
    """Penalty per breach (per incident, per patient-day or per patient-month).

    ``adjustment = −unit_penalty × count``

    Args:
        count: Breaches (e.g. mixed-sex accommodation service-user days; 52-week waiters in the
            month; 12-hour trolley waits).
        unit_penalty: £ per breach (e.g. 250; 5,000; 1,000).

    Returns:
        :class:`Adjustment` (≤ 0).

    Risk:
        Provider bears the penalty for missing the standard.

    Source:
        payment-rules.md A10 [V: DH press release 20 Jan 2011 (MSA £250); hsj 5058291 (52 weeks
        £5,000); expressandstar (handover £200/£1,000)].

    Raises:
        ConfigError: Negative count or penalty.
    """
    breaches = check_nonnegative(count, "count")
    return Adjustment(adjustment=-check_nonnegative(unit_penalty, "unit_penalty") * breaches)


def revenue_sanction(revenue: npt.ArrayLike, *, pct: npt.ArrayLike) -> Adjustment:
    """Penalty as a percentage of the revenue for the service affected.

    ``adjustment = −pct × revenue``

    Args:
        revenue: Revenue for the service or period the sanction applies to, £.
        pct: Fraction withheld, in [0, 1] (e.g. Dec 2010 MSA rule: 10–100% of treatment cost).

    Returns:
        :class:`Adjustment` (≤ 0).

    Risk:
        Provider bears the penalty for missing the standard.

    Source:
        payment-rules.md A10 [V: hfma 4 Dec 2010].

    Raises:
        ConfigError: ``pct`` outside [0, 1].
    """
    share = check_rate(pct, "pct")
    return Adjustment(adjustment=-share * as_float(revenue))


def cap_sanctions(
    total: npt.ArrayLike,
    *,
    revenue: npt.ArrayLike,
    cap_pct: npt.ArrayLike = DEFAULT_SANCTION_CAP_PCT,
) -> Adjustment:
    """Cap the total of sanctions at a share of revenue.

    ``adjustment = −min(|total|, cap_pct × revenue)``

    Args:
        total: Sum of the sanctions before the cap, £ (either sign; its size is capped).
        revenue: Contract revenue the cap is measured against, £.
        cap_pct: Cap as a fraction of revenue, in [0, 1] (default 0.025 [K]).

    Returns:
        :class:`Adjustment` (≤ 0): the sanctions actually applied.

    Risk:
        Limits the provider's exposure to sanctions to a share of revenue.

    Source:
        [K] payment-rules.md A10 gives no cap; see :data:`DEFAULT_SANCTION_CAP_PCT`.

    Raises:
        ConfigError: ``cap_pct`` outside [0, 1].
    """
    share = check_rate(cap_pct, "cap_pct")
    cap = share * check_nonnegative(revenue, "revenue")
    return Adjustment(adjustment=-np.minimum(np.abs(as_float(total)), cap))


_RISK = "Provider bears the penalty for missing the standard."
register(
    "sanctions",
    title="Sanction per patient below a threshold",
    kind="adjustment",
    function=threshold_sanction,
    rule_source="payment-rules.md A10 [V: nursingnotes; hsj 5077705]; 002@70970",
    risk_note=_RISK,
)
register(
    "sanctions_per_breach",
    title="Sanction per breach",
    kind="adjustment",
    function=per_breach_sanction,
    rule_source="payment-rules.md A10 [V: DH 20 Jan 2011; hsj 5058291]; 002@70970",
    risk_note=_RISK,
)
register(
    "sanctions_revenue",
    title="Sanction as a percentage of revenue",
    kind="adjustment",
    function=revenue_sanction,
    rule_source="payment-rules.md A10 [V: hfma 4 Dec 2010]; 002@70970",
    risk_note=_RISK,
)
register(
    "sanctions_cap",
    title="Cap on total sanctions",
    kind="adjustment",
    function=cap_sanctions,
    rule_source="[K] cap share not in payment-rules.md A10 (default 2.5% of revenue)",
    risk_note="Limits the provider's exposure to sanctions to a share of revenue.",
)
