"""The units the payment pipeline works on, and their running money.

A **unit** is a group of activity that the payment rules treat alike: one record, one *cell*
of records sharing line, month, point of delivery and readmission flag (the pricing engine),
or one whole line (the stress tester and the simulation, which hold line aggregates). Every
unit has a line, a month, a point of delivery and a readmission flag; its ``count`` (units of
activity) and ``value`` (£ at that step) may carry leading draw axes ``(*D, n)``.

Each rule adds ``value × mult + k × count`` to its column and to the running value, so one
implementation serves one record and ten million, and a Monte Carlo draw axis comes for free.
In *tracking* mode (cells, no draws) the units also keep, per unit, how one record's money
follows from its unit price ``v0`` (``alpha × v0 + beta`` per column): that is what lets the
pricing engine rebuild per-record money lazily, exactly as if it had priced record by record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["SUM_BLOCK", "LineRule", "Units", "group_sum"]

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.intp]
BoolArray = npt.NDArray[np.bool_]

#: Records per block in :func:`group_sum`.
SUM_BLOCK = 16_384


def group_sum(
    group: npt.NDArray[np.signedinteger[Any]], weights: FloatArray, size: int
) -> FloatArray:
    """Sums of *weights* (last axis) by *group*, accurate to well under a penny.

    ``np.bincount`` adds sequentially, so over 10 million records worth £20bn its rounding
    error can reach pennies. Summing blocks of :data:`SUM_BLOCK` records and then adding the
    block sums keeps the error near that of pairwise summation, at the same cost. Weights with
    leading (draw) axes are summed per group along the last axis.
    """
    if weights.ndim > 1:
        out = np.zeros((*weights.shape[:-1], size))
        for g in np.unique(group):
            out[..., g] = weights[..., group == g].sum(axis=-1)
        return out
    n = group.shape[0]
    if n <= SUM_BLOCK:
        return np.asarray(np.bincount(group, weights=weights, minlength=size), dtype=np.float64)
    blocks = np.empty(((n + SUM_BLOCK - 1) // SUM_BLOCK, size))
    for b, start in enumerate(range(0, n, SUM_BLOCK)):
        stop = start + SUM_BLOCK
        blocks[b] = np.bincount(group[start:stop], weights=weights[start:stop], minlength=size)
    return np.asarray(blocks.sum(axis=0), dtype=np.float64)


@dataclass(frozen=True)
class LineRule:
    """One rule that acted on one line (for the statement notes and ``explain``)."""

    line_id: str
    column: str
    rule: str
    title: str
    source: str
    note: str = ""


@dataclass
class Units:
    """The units of one pipeline run and their running money.

    Attributes:
        n_lines: Lines of the payment plan.
        line_of: Line index of each unit ``(n,)``.
        month0: Month of each unit, 0 = April ``(n,)``.
        pod: Point-of-delivery code of each unit ``(n,)`` (:mod:`quasimarket.vocabulary`).
        readm: Unit is an emergency readmission in the readmissions rule's scope ``(n,)``.
        count: Units of activity ``(n,)`` or ``(*D, n)``.
        value: Running value, £ ``(*D, n)`` (or ``(n,)``).
        track: Keep per-record attribution coefficients (cells, no draw axis).
        aggregate: One unit per line with no months (line aggregates).
        columns: Keep each rule's money in ``cols`` (callers that need only the outturn,
            like the stress tester's inner loop, switch it off).
        cols: £ per unit by rule column.
        resid: £ per ``(line, month)`` that no unit carries, by column (``(*D, lines, 12)``).
        applied: Rules that acted, per line, in order.
        notes: Plain-English notes on assumptions and rules that could not apply.
    """

    n_lines: int
    line_of: npt.NDArray[np.signedinteger[Any]]
    month0: IntArray
    pod: npt.NDArray[np.integer[Any]]
    readm: BoolArray
    count: FloatArray
    value: FloatArray
    track: bool = False
    cols: dict[str, FloatArray] = field(default_factory=dict)
    resid: dict[str, FloatArray] = field(default_factory=dict)
    applied: list[LineRule] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    alpha: dict[str, FloatArray] = field(default_factory=dict)
    beta: dict[str, FloatArray] = field(default_factory=dict)
    a: FloatArray | None = None
    b: FloatArray | None = None
    aggregate: bool = False
    columns: bool = True
    _identity: bool = field(default=False, init=False)

    def __post_init__(self) -> None:
        n = self.line_of.shape[0]
        self._identity = n == self.n_lines and bool(
            (self.line_of == np.arange(n, dtype=self.line_of.dtype)).all()
        )
        if self.value.ndim > 1 and self.track:
            raise ValueError("per-record tracking needs units without a draw axis")

    @classmethod
    def of_lines(
        cls,
        *,
        count: FloatArray,
        value: FloatArray,
        pod: npt.NDArray[np.integer[Any]],
        readm: BoolArray | None = None,
        columns: bool = True,
        copy: bool = True,
    ) -> Units:
        """One unit per line (line aggregates, as the stress tester and simulation hold them).

        *count* and *value* are ``(*D, lines)``; *pod* is each line's point of delivery.
        The units change *value* in place unless ``copy`` (the default).
        """
        n = value.shape[-1]
        return cls(
            n_lines=n,
            line_of=np.arange(n, dtype=np.intp),
            month0=np.zeros(n, dtype=np.intp),
            pod=np.asarray(pod),
            readm=np.zeros(n, dtype=bool) if readm is None else readm,
            count=np.asarray(count, dtype=np.float64),
            # keep lines-major layouts; *copy* False: the caller hands over a fresh array
            value=np.array(value, dtype=np.float64, order="K", copy=copy or None),
            aggregate=True,
            columns=columns,
        )

    @property
    def n(self) -> int:
        """Number of units."""
        return int(self.line_of.shape[0])

    @property
    def lead(self) -> tuple[int, ...]:
        """The leading (draw) axes of the money."""
        return tuple(self.value.shape[:-1])

    def col(self, name: str) -> FloatArray:
        """Column *name* (created at zero)."""
        if name not in self.cols:
            self.cols[name] = np.zeros_like(self.value)
        return self.cols[name]

    def res(self, name: str) -> FloatArray:
        """Residual of column *name* per ``(line, month)`` (created at zero)."""
        if name not in self.resid:
            self.resid[name] = np.zeros((*self.lead, self.n_lines, 12))
        return self.resid[name]

    def resid_by_line(self) -> FloatArray | float:
        """Per-line total of every residual (0.0 when there are none)."""
        if not self.resid:
            return 0.0
        total: FloatArray = sum(r.sum(axis=-1) for r in self.resid.values())  # type: ignore[assignment]
        return total

    def line_sum(self, weights: FloatArray) -> FloatArray:
        """Per-line sums of a per-unit array (``(*D, lines)``)."""
        if self._identity:  # one unit per line: the units' own array (callers only read it)
            return weights
        return group_sum(self.line_of, weights, self.n_lines)

    def counts(self) -> FloatArray:
        """Activity per line."""
        return self.line_sum(self.count)

    def at_units(self, per_line: FloatArray) -> FloatArray:
        """A per-line array ``(*D, lines)`` taken at each unit ``(*D, n)``."""
        if self._identity:
            return per_line
        return per_line[..., self.line_of]

    def apply(
        self,
        name: str,
        mult: FloatArray,
        k: FloatArray | None = None,
        rows: BoolArray | None = None,
    ) -> None:
        """Add ``value × mult + count × k`` per unit (of units *rows*) to column *name*.

        *mult* and *k* are per unit (restricted to *rows* when given); *k* is £ per unit of
        activity.
        """
        value = self.value if rows is None else self.value[..., rows]
        rec = value * mult
        if k is not None:
            count = self.count if rows is None else self.count[..., rows]
            rec += count * k
        if self.track:
            self._track(name, mult, k, rows)
        if rows is None:
            self.col(name)[...] += rec
            self.value += rec
        else:
            self.col(name)[..., rows] += rec
            self.value[..., rows] += rec

    def _track(
        self, name: str, mult: FloatArray, k: FloatArray | None, rows: BoolArray | None
    ) -> None:
        assert self.a is not None
        assert self.b is not None
        a = self.a if rows is None else self.a[rows]
        b = self.b if rows is None else self.b[rows]
        da = a * mult
        db = b * mult
        if k is not None:
            db += k
        for store, delta in ((self.alpha, da), (self.beta, db)):
            if name not in store:
                store[name] = np.zeros(self.n)
            if rows is None:
                store[name] += delta
            else:
                store[name][rows] += delta
        if rows is None:
            self.a += da
            self.b += db
        else:
            self.a[rows] += da
            self.b[rows] += db

    def spread(
        self,
        name: str,
        amount: FloatArray,
        *,
        scope: BoolArray | None = None,
        total: FloatArray | None = None,
    ) -> None:
        """Attribute per-line *amount* ``(*D, lines)`` to units pro rata to value.

        Units share by their value at this step (only units in *scope*, when given); *total*
        is the line sums of that value if already known. Lines whose value is zero share by
        activity (of *scope*, else all units); lines with no such activity keep the amount
        as a statement residual spread evenly over the 12 months. The amounts are added to
        the running value.
        """
        if self.aggregate and not self.track:
            # one unit per line: the unit carries the whole amount (what pro rata gives, and
            # no residual); the stress tester's and simulation's hot path
            if self.columns:
                self.col(name)[...] += amount
            self.value += amount
            return
        if total is None:
            total = self.line_sum(self.value if scope is None else self.value * scope)
        amount = np.broadcast_to(amount, total.shape)
        by_value = total != 0
        factor = np.divide(amount, total, out=np.zeros(total.shape), where=by_value)
        mult = self.at_units(factor)
        if scope is not None:
            mult = mult * scope
        k: FloatArray | None = None
        rest = ~by_value & (amount != 0)
        if rest.any():  # rare: lines with no value to share by
            one = self.count if scope is None else self.count * scope
            count = np.broadcast_to(self.line_sum(one), total.shape)
            by_count = rest & (count > 0)
            per = np.divide(amount, count, out=np.zeros(total.shape), where=by_count)
            k = self.at_units(per)
            if scope is not None:
                k = k * scope
            orphan = rest & (count <= 0)
            if orphan.any():
                self.res(name)[orphan] += (amount[orphan] / 12.0)[..., None]
        self.apply(name, mult, k)

    def formal_by_line(self) -> FloatArray:
        """Per-line formal outturn so far: unit values plus residuals ``(*D, lines)``.

        With one unit per line and no residuals this is the units' own array (read it only).
        """
        if not self.resid:
            return self.line_sum(self.value)
        return self.line_sum(self.value) + self.resid_by_line()
