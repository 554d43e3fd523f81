"""Declarative range checks: one :class:`Bound` per numeric input column, one checker for all.

A bound has *hard* limits that refuse the file (an :class:`~quasimarket.errors.InputError`
naming the rows) and *plausibility* limits that let the value through but add a note, with the
count and the first rows, to the output. A non-finite number (``inf``) is always refused; a
blank is allowed only where the column allows it. The tables of bounds live in
:mod:`quasimarket.validation.schema`; ``docs/input-validation.md`` lists them.

Checks run on the wide values as read (float64), *before* narrowing to the compiled dtypes, so
an age of 65,566 is refused rather than wrapping to 30 in an int16.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.errors import InputError, summarise_items

__all__ = ["Bound", "check_bound", "rows_text"]


@dataclass(frozen=True)
class Bound:
    """The accepted range of one numeric column.

    Attributes:
        table: Which input table (``"activity"``, ``"APC tariff"``, ``"MFF"`` ...).
        column: The column, as the user's file names it.
        unit: Unit for messages (``"days"``, ``"£"``, ``"years"``, ``"index"``).
        refuse_below, refuse_above: Hard limits: values outside are refused (None = none).
        warn_below, warn_above: Plausibility limits: values outside are priced as given, with a
            note and a count (None = none).
        whole: The value must be a whole number.
        allowed: If set, the only values accepted (e.g. A&E department types 1-4).
        why: Why the limits are what they are (the source, or [K] for our judgement).
        fix: What the user should do with a refused value.
    """

    table: str
    column: str
    unit: str
    refuse_below: float | None = None
    refuse_above: float | None = None
    warn_below: float | None = None
    warn_above: float | None = None
    whole: bool = False
    allowed: tuple[float, ...] | None = None
    why: str = ""
    fix: str = "correct those cells"

    def describe_hard(self) -> str:
        """The accepted values, for messages and docs: ``"0 to 3,653 days, whole numbers"``."""
        if self.allowed is not None:
            return "one of " + ", ".join(f"{v:g}" for v in self.allowed)
        lo, hi = self.refuse_below, self.refuse_above
        if lo is not None and hi is not None:
            text = f"{lo:,g} to {hi:,g} {self.unit}"
        elif lo is not None:
            text = f"{lo:,g} {self.unit} or more"
        elif hi is not None:
            text = f"at most {hi:,g} {self.unit}"
        else:
            text = f"a finite number of {self.unit}"
        return text + (", whole numbers" if self.whole else "")

    def describe_warn(self) -> str:
        """The plausible range, for notes and docs ("" when there is none)."""
        lo, hi = self.warn_below, self.warn_above
        if lo is not None and hi is not None:
            return f"{lo:,g} to {hi:,g} {self.unit}"
        if lo is not None:
            return f"{lo:,g} {self.unit} or more"
        if hi is not None:
            return f"at most {hi:,g} {self.unit}"
        return ""


def rows_text(mask: npt.NDArray[np.bool_], *, first_row: int = 2) -> str:
    """``'rows 2, 5 and 3 more'``: file rows of *mask* (the header is row 1 by default)."""
    return "rows " + summarise_items(np.flatnonzero(mask) + first_row)


def check_bound(
    values: npt.ArrayLike,
    bound: Bound,
    *,
    file: str | None,
    blank_ok: bool = True,
    rows: Callable[[npt.NDArray[np.bool_]], str] = rows_text,
    shown: Sequence[object] | pd.Series | None = None,
) -> str | None:
    """Check *values* (float64; NaN = blank) against *bound*.

    Args:
        values: The column as read, one value per row.
        bound: The limits.
        file: The file, for the error.
        blank_ok: Whether a blank (NaN) is accepted.
        rows: Renders a row mask as the error's location (file rows by default).
        shown: The raw cell values, for the error text (default: *values*).

    Returns:
        A note for the output when some values are outside the plausibility limits (with the
        count and the first rows), else None.

    Raises:
        InputError: A value is non-finite, blank where not allowed, not whole where it must be,
            not among the allowed values, or outside the hard limits.
    """
    arr = np.asarray(values, dtype=np.float64)
    blank = np.isnan(arr)
    present = ~blank

    def refuse(problem: str, mask: npt.NDArray[np.bool_], fix: str, shown: str = "") -> InputError:
        count = int(mask.sum())
        return InputError(
            f"{bound.column} {problem} in {count:,} row{'s' if count > 1 else ''} of the "
            f"{bound.table} table{shown}",
            file=file,
            location=f"column {bound.column!r}, {rows(mask)}",
            expected=bound.describe_hard() + ("" if blank_ok else ", in every row"),
            fix=fix,
        )

    if not blank_ok and blank.any():
        raise refuse("is blank", blank, "fill in those cells")
    with np.errstate(invalid="ignore"):
        bad = np.isinf(arr)
        if bound.whole:
            bad |= present & np.isfinite(arr) & (arr != np.floor(arr))
        if bound.allowed is not None:
            bad |= present & ~np.isin(arr, np.asarray(bound.allowed, dtype=np.float64))
        if bound.refuse_below is not None:
            bad |= present & (arr < bound.refuse_below)
        if bound.refuse_above is not None:
            bad |= present & (arr > bound.refuse_above)
    if bad.any():
        first = np.flatnonzero(bad)[:5]
        if isinstance(shown, pd.Series):
            raw: list[object] = shown.iloc[first].tolist()
        else:
            raw = [(shown if shown is not None else arr)[i] for i in first]
        examples = summarise_items(_show(v) for v in raw)
        raise refuse("out of range", bad, bound.fix, shown=f": {examples}")
    warn = np.zeros(arr.shape, dtype=bool)
    with np.errstate(invalid="ignore"):
        if bound.warn_below is not None:
            warn |= present & (arr < bound.warn_below)
        if bound.warn_above is not None:
            warn |= present & (arr > bound.warn_above)
    if not warn.any():
        return None
    count = int(warn.sum())
    where = f" of {file}" if file else ""
    return (
        f"{count:,} {bound.table} row{'s' if count > 1 else ''}{where} have {bound.column} "
        f"outside the plausible {bound.describe_warn()} ({rows(warn)}; e.g. "
        f"{_show(float(arr[warn][0]))}): priced as given; check them"
    )


def _show(value: object) -> str:
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value)}"
    return repr(value) if isinstance(value, str) else f"{value}"
