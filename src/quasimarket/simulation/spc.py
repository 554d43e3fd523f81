"""Statistical process control (SPC) in the NHS "Making Data Count" style: XmR charts.

An XmR (individuals) chart: the centre line is the mean of the baseline points; process limits
are mean ± 3σ with σ estimated from the average moving range (σ = mean |x_t − x_{t−1}| / 1.128,
the d2 constant for ranges of two). Special-cause variation is flagged by the two Making Data
Count rules used here [K: NHS England/Improvement "Making Data Count" guidance, 2019]:

* a single point outside the process limits;
* a shift: a run of 7 or more consecutive points all above or all below the mean.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from quasimarket._types import FloatArray

__all__ = ["SHIFT_RUN", "XmR", "xmr"]

#: d2 for moving ranges of two points.
D2 = 1.128
#: Points in a row on one side of the mean that make a shift.
SHIFT_RUN = 7


@dataclass(frozen=True)
class XmR:
    """An XmR chart: centre, limits and special-cause flags for each point."""

    values: FloatArray
    mean: float
    sigma: float
    upper: float
    lower: float
    outside: npt.NDArray[np.bool_]
    shift: npt.NDArray[np.bool_]

    @property
    def special_cause(self) -> npt.NDArray[np.bool_]:
        """Points flagged by either rule."""
        return np.asarray(self.outside | self.shift)


def xmr(values: npt.ArrayLike, *, baseline: int | None = None) -> XmR:
    """The XmR chart of *values*.

    Args:
        values: The series (e.g. monthly activity), at least 2 points.
        baseline: Number of leading points that set the mean and limits (default all).
    """
    x = np.asarray(values, dtype=np.float64)
    base = x[: baseline or len(x)]
    mean = float(base.mean())
    moving = np.abs(np.diff(base))
    sigma = float(moving.mean() / D2) if moving.size else 0.0
    upper, lower = mean + 3 * sigma, mean - 3 * sigma
    outside = (x > upper) | (x < lower)
    side = np.sign(x - mean)
    shift = np.zeros(len(x), dtype=bool)
    start = 0
    for i in range(1, len(x) + 1):  # a loop over a chart's points (tens), not records
        if i == len(x) or side[i] != side[start] or side[i] == 0:
            if side[start] != 0 and i - start >= SHIFT_RUN:
                shift[start:i] = True
            start = i
    return XmR(x, mean, sigma, upper, lower, outside, shift)
