"""Spend attribution: why commissioner spend changed between two years (exact Shapley).

Each commissioner's spend on a POD is written as a telescoping product of six factors:

``spend = D0 × (D/D0) × (R/D) × (A/R) × (V/A) × (S/V)``

* **demography** ``D0``: expected demand from the projected population (size and age/sex mix)
  at base-year need;
* **need** ``D/D0``: growth in age-standardised need (``rates.need_growth``);
* **referral** ``R/D``: realised demand/referrals against expectation (demand management lever,
  overdispersion);
* **capacity** ``A/R``: activity delivered per unit of demand (elective capacity and waiting
  lists; the shift of care for emergency and community activity);
* **price** ``V/A``: average unit price (tariff uplift less efficiency, MFF, provider mix);
* **payment rules** ``S/V``: payment against priced value (block, MRET, blended payment, CQUIN,
  settlements).

The change in spend between two years is split with the Shapley value of this product over the
six factors (all 64 combinations of each factor taken at year *a* or year *b*). Shapley is used,
not sequential counterfactual steps, because it does not depend on an arbitrary order of the
steps and its components always add up exactly to the total change (efficiency). Zero
quantities are replaced by 1e-9 inside the chain, so the product still equals spend exactly.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd

from quasimarket._types import FloatArray
from quasimarket.simulation.parameters import DEMAND_PODS, PODS

__all__ = ["FACTORS", "shapley_product", "spend_attribution"]

#: The factors, in the order of the chain.
FACTORS = ("demography", "need", "referral", "capacity", "price", "payment_rules")
#: The demand POD behind each delivered POD.
DRIVER = {
    "elective_spell": "elective_referral",
    "op_first": "elective_referral",
    "op_follow_up": "elective_referral",
    "non_elective": "non_elective",
    "ae": "ae",
    "community": "community",
    "mental_health": "mental_health",
}
_EPS = 1e-9


def shapley_product(before: FloatArray, after: FloatArray) -> FloatArray:
    """Shapley split of ``Σ Π after − Σ Π before`` over the factors on the first axis.

    Args:
        before: Factors at the first year, shape ``(n_factors, ...)``.
        after: Factors at the second year, same shape.

    Returns:
        Contribution of each factor, shape ``(n_factors,)``; they sum to the total change.
    """
    n = before.shape[0]
    value: dict[tuple[int, ...], float] = {}
    for mask in itertools.product((0, 1), repeat=n):
        chosen = np.where(
            np.array(mask, dtype=bool).reshape((n,) + (1,) * (before.ndim - 1)), after, before
        )
        value[mask] = float(np.prod(chosen, axis=0).sum())
    out = np.zeros(n)
    for mask, v in value.items():
        size = sum(mask)
        for i in range(n):
            if mask[i]:
                continue
            with_i = (*mask[:i], 1, *mask[i + 1 :])
            weight = math.factorial(size) * math.factorial(n - size - 1) / math.factorial(n)
            out[i] += weight * (value[with_i] - v)
    return out


def _chain(
    expected0: FloatArray,
    expected: FloatArray,
    realised: FloatArray,
    activity: FloatArray,
    value: FloatArray,
    spend: FloatArray,
) -> FloatArray:
    """The six factors (6, C, P) whose product is *spend* (C, P)."""
    d0 = np.maximum(expected0, _EPS)
    d = np.maximum(expected, _EPS)
    r = np.maximum(realised, _EPS)
    a = np.maximum(activity, _EPS)
    v = np.maximum(value, _EPS)
    return np.stack([d0, d / d0, r / d, a / r, v / a, spend / v])


def spend_attribution(
    *,
    expected0: FloatArray,
    expected: FloatArray,
    realised: FloatArray,
    activity: FloatArray,
    value: FloatArray,
    spend: FloatArray,
    commissioners: list[str],
    year_a: int,
    year_b: int,
    year_labels: list[str],
) -> pd.DataFrame:
    """Attribution table: one row per commissioner and factor (plus ``England``).

    Args:
        expected0: Expected demand at base need by year, commissioner, demand POD (Y, C, Kd).
        expected: Expected demand with need growth (Y, C, Kd).
        realised: Realised demand (Y, C, Kd) (mean over draws).
        activity: Delivered activity by year, commissioner, POD (Y, C, P).
        value: Activity priced at the year's unit prices (Y, C, P).
        spend: Contract payments (Y, C, P).
        commissioners: Codes (C,).
        year_a, year_b: Year indexes to compare.
        year_labels: Financial-year labels.

    Returns:
        ``commissioner, from_year, to_year, factor, contribution_gbp, spend_a_gbp, spend_b_gbp``.
    """
    pods = [p for p in PODS if p in DRIVER]
    pi = [PODS.index(p) for p in pods]
    ki = [DEMAND_PODS.index(DRIVER[p]) for p in pods]

    def chain(y: int) -> FloatArray:
        return _chain(
            expected0[y][:, ki],
            expected[y][:, ki],
            realised[y][:, ki],
            activity[y][:, pi],
            value[y][:, pi],
            spend[y][:, pi],
        )

    before, after = chain(year_a), chain(year_b)
    rows = []
    for c, code in enumerate(commissioners):
        parts = shapley_product(before[:, c], after[:, c])
        for f, factor in enumerate(FACTORS):
            rows.append(
                (code, factor, parts[f], spend[year_a][c, pi].sum(), spend[year_b][c, pi].sum())
            )
    national = shapley_product(before, after)
    for f, factor in enumerate(FACTORS):
        rows.append(
            ("England", factor, national[f], spend[year_a][:, pi].sum(), spend[year_b][:, pi].sum())
        )
    frame = pd.DataFrame(
        rows, columns=["commissioner", "factor", "contribution_gbp", "spend_a_gbp", "spend_b_gbp"]
    )
    frame.insert(1, "from_year", year_labels[year_a])
    frame.insert(2, "to_year", year_labels[year_b])
    return frame
