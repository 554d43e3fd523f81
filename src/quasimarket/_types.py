"""Array type aliases shared across the package (for annotations only).

* :data:`FloatArray`: float64 arrays (money, rates, activity, draws).
* :data:`IntArray`: platform-index integers (``np.intp``): row indices, positions, codes used to
  index other arrays.
* :data:`Int64Array`: explicitly 64-bit integers (record ids, day numbers, counts stored as
  ``int64`` in tables).
* :data:`BoolArray`: boolean masks.
"""

from __future__ import annotations

from typing import TypeAlias

import numpy as np
import numpy.typing as npt

__all__ = ["BoolArray", "FloatArray", "Int64Array", "IntArray"]

FloatArray: TypeAlias = npt.NDArray[np.float64]
IntArray: TypeAlias = npt.NDArray[np.intp]
Int64Array: TypeAlias = npt.NDArray[np.int64]
BoolArray: TypeAlias = npt.NDArray[np.bool_]
