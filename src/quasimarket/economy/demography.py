"""Age/sex structure and need weights for registered populations.

The age/sex cells are ``AGE_BANDS x SEXES`` (:mod:`quasimarket.economy.model`), flattened
band-major: cell ``2 * band + sex`` with sex 0 = F, 1 = M.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.economy.model import AGE_BANDS, SEXES

__all__ = [
    "AGE_SHARES",
    "DEPRIVATION_NEED",
    "FEMALE_SHARES",
    "NEED_WEIGHTS",
    "cell_shares",
    "cells_table",
    "need_per_head",
]

#: England-like share of the registered population in each age band (sums to 1) [K: rounded
#: from the shape of the ONS 2021 census age structure; indicative only].
AGE_SHARES = np.array([0.054, 0.120, 0.115, 0.265, 0.255, 0.100, 0.066, 0.025])

#: Share of each age band that is female [K: approximate; women outnumber men from the
#: mid-60s, about 63% at 85+].
FEMALE_SHARES = np.array([0.488, 0.488, 0.490, 0.505, 0.505, 0.520, 0.545, 0.630])

#: Relative health-care cost per head by age band and sex (F, M), 45-64 = 1.0 [K: indicative
#: need weights in the spirit of the weighted-capitation formula, payment-rules.md A12; women
#: 15-44 carry maternity need; NOT the published Annex J weights].
NEED_WEIGHTS = np.array(
    [
        [0.95, 1.05],  # 0-4
        [0.40, 0.42],  # 5-14
        [0.60, 0.45],  # 15-24
        [0.85, 0.55],  # 25-44
        [1.00, 1.00],  # 45-64
        [1.85, 2.00],  # 65-74
        [2.90, 3.10],  # 75-84
        [4.20, 4.40],  # 85+
    ]
)

#: Need multiplier by IMD quintile (1 = most deprived) for additional need and the health
#: inequalities adjustment [K: indicative; the real formula adds about 10-15% for
#: inequalities, payment-rules.md A12].
DEPRIVATION_NEED = np.array([1.18, 1.08, 1.00, 0.94, 0.90])


def cells_table() -> pd.DataFrame:
    """The ``cells`` table: ``cell, age_band, sex`` in band-major order."""
    bands = np.repeat(np.array(AGE_BANDS, dtype=object), len(SEXES))
    sexes = np.tile(np.array(SEXES, dtype=object), len(AGE_BANDS))
    return pd.DataFrame(
        {
            "cell": [f"{b}_{s}" for b, s in zip(bands, sexes, strict=True)],
            "age_band": bands.astype(str),
            "sex": sexes.astype(str),
        }
    )


def cell_shares() -> npt.NDArray[np.float64]:
    """England-like share of people in each age/sex cell (16 values summing to 1)."""
    female = AGE_SHARES * FEMALE_SHARES
    male = AGE_SHARES * (1.0 - FEMALE_SHARES)
    return np.column_stack([female, male]).ravel()


def need_per_head(
    practice_cells: npt.NDArray[np.float64], imd_quintile: npt.NDArray[np.int64]
) -> npt.NDArray[np.float64]:
    """Unnormalised need-weighted people per practice.

    Args:
        practice_cells: People by practice and cell, shape ``(n_practices, 16)``.
        imd_quintile: IMD quintile per practice, 1 (most deprived) to 5.

    Returns:
        Weighted people per practice (same units as people; rescale so England's total
        weighted population equals its raw population).
    """
    weighted = practice_cells @ NEED_WEIGHTS.ravel()
    return np.asarray(weighted * DEPRIVATION_NEED[np.asarray(imd_quintile) - 1], dtype=np.float64)
