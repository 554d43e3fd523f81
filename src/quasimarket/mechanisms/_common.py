"""Shared helpers for the payment mechanisms: array coercion and parameter checks.

Every mechanism function coerces its inputs with :func:`as_float` and checks its parameters with
the ``check_*`` helpers, which raise :class:`quasimarket.errors.ConfigError` with ``location`` set
to the parameter name, what was expected and how to fix it. The checks are vectorised (one
``np.all`` per parameter), so they cost little even on a Monte Carlo draw axis.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NoReturn

import numpy as np
import numpy.typing as npt

from quasimarket._types import FloatArray
from quasimarket.errors import ConfigError, summarise_items

__all__ = [
    "FloatArray",
    "as_float",
    "check_at_least",
    "check_choice",
    "check_increasing",
    "check_nonnegative",
    "check_profile",
    "check_rate",
    "check_shares",
    "fail",
]

# FloatArray (quasimarket._types, re-exported here for the mechanisms): a float64 array of any
# shape (0-d for scalar inputs). Money is in pounds.

#: Tolerance for "sums to one" checks on shares, weights and profiles.
SUM_TOLERANCE = 1e-9


def as_float(value: npt.ArrayLike) -> FloatArray:
    """``value`` as a float64 array (no copy when it already is one)."""
    return np.asarray(value, dtype=np.float64)


def fail(name: str, problem: str, *, expected: str, fix: str) -> NoReturn:
    """Raise the one :class:`ConfigError` every bad mechanism parameter gets."""
    raise ConfigError(problem, location=name, expected=expected, fix=fix)


def _shown(values: Iterable[Any]) -> str:
    return summarise_items(f"{float(v):g}" for v in values)


def check_rate(
    value: npt.ArrayLike, name: str, *, low: float = 0.0, high: float = 1.0
) -> FloatArray:
    """Check every element of a rate or share lies in ``[low, high]`` (NaN fails)."""
    arr = as_float(value)
    ok = (arr >= low) & (arr <= high)
    if not np.all(ok):
        bad = np.unique(arr[~ok])
        fail(
            name,
            f"{name} must be between {low:g} and {high:g}, got {_shown(bad)}",
            expected=f"a fraction from {low:g} to {high:g} (e.g. 0.3 for 30%)",
            fix=f"write {name} as a fraction, not a percentage, within [{low:g}, {high:g}]",
        )
    return arr


def check_nonnegative(value: npt.ArrayLike, name: str) -> FloatArray:
    """Check every element is ≥ 0 (NaN fails)."""
    arr = as_float(value)
    ok = arr >= 0.0
    if not np.all(ok):
        fail(
            name,
            f"{name} must not be negative, got {_shown(np.unique(arr[~ok]))}",
            expected="a number ≥ 0",
            fix=f"give {name} as a non-negative amount",
        )
    return arr


def check_at_least(value: npt.ArrayLike, name: str, *, low: float, strict: bool) -> FloatArray:
    """Check every element is ``> low`` (``strict``) or ``≥ low``."""
    arr = as_float(value)
    ok = arr > low if strict else arr >= low
    if not np.all(ok):
        sign = ">" if strict else "≥"
        fail(
            name,
            f"{name} must be {sign} {low:g}, got {_shown(np.unique(arr[~ok]))}",
            expected=f"a number {sign} {low:g}",
            fix=f"correct {name}",
        )
    return arr


def check_shares(value: npt.ArrayLike, name: str, *, total: float = 1.0) -> FloatArray:
    """Check shares along the LAST axis are each in [0, 1] and sum to ``total`` (±1e-9)."""
    arr = check_rate(value, name)
    if arr.ndim == 0:
        fail(
            name,
            f"{name} must be a list of shares, one per party, got a single number",
            expected="a list of fractions summing to 1, e.g. [0.4, 0.4, 0.1, 0.1]",
            fix=f"give {name} as a list",
        )
    sums = arr.sum(axis=-1)
    if not np.all(np.abs(sums - total) <= SUM_TOLERANCE):
        fail(
            name,
            f"{name} must sum to {total:g}, got {_shown(np.unique(sums))}",
            expected=f"fractions summing to exactly {total:g}",
            fix=f"rescale {name} so that they add up to {total:g}",
        )
    return arr


def check_increasing(value: npt.ArrayLike, name: str) -> FloatArray:
    """Check band edges along the last axis are positive and strictly increasing."""
    arr = as_float(value)
    if arr.ndim == 0:
        arr = arr[np.newaxis]
    ok = bool(np.all(arr > 0.0)) and bool(np.all(np.diff(arr, axis=-1) > 0.0))
    if not ok:
        fail(
            name,
            f"{name} must be positive and strictly increasing, got {_shown(arr.ravel())}",
            expected="fractions of plan in increasing order, e.g. [0.02, 0.05]",
            fix=f"sort {name} and remove duplicates or zeros",
        )
    return arr


def check_profile(value: npt.ArrayLike, name: str, *, months: int = 12) -> FloatArray:
    """Check a monthly profile: last axis of length ``months``, non-negative, summing to 1."""
    arr = as_float(value)
    if arr.ndim == 0 or arr.shape[-1] != months:
        fail(
            name,
            f"{name} must have {months} monthly fractions (April first), got shape {arr.shape}",
            expected=f"{months} fractions, April to March, summing to 1",
            fix=f"give {months} values in {name}",
        )
    check_rate(arr, name)
    sums = arr.sum(axis=-1)
    if not np.all(np.abs(sums - 1.0) <= SUM_TOLERANCE):
        fail(
            name,
            f"{name} must sum to 1, got {_shown(np.unique(sums))}",
            expected="12 fractions, April to March, summing to 1",
            fix=f"divide each value of {name} by their total",
        )
    return arr


def check_choice(value: str, name: str, choices: Iterable[str]) -> str:
    """Check a string option is one of ``choices``."""
    options = list(choices)
    if value not in options:
        fail(
            name,
            f"unknown {name} {value!r}",
            expected="one of " + ", ".join(repr(o) for o in options),
            fix=f"set {name} to one of the listed values",
        )
    return value
