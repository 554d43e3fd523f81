"""Cells: the record-level pass of pricing, added up by line x month x pod x readmission flag.

Every line-level rule and the statement need only sums of record values over groups of records
that share a line, a month, a point of delivery (MRET acts on non-elective value, the aligned
payment incentive on elective pods) and whether the record is an emergency readmission in
scope of the rule. Within such a **cell** every line-level rule treats records alike (pro rata
to value, or per record), so pricing the cells gives the same money as pricing the records
(``docs/pricing.md``, "One pass, lazy records").

:func:`record_cells` makes the pass: the fused numba kernel
(:func:`quasimarket.pricing._kernel.fused_cells`) or, without numba, the readable numpy path
:func:`numpy_cells`. Both can also return the per-record tariff components for chosen records
(used by the lazy ``PricingResult.records`` and ``explain``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from quasimarket._types import FloatArray, IntArray
from quasimarket.activity import schema
from quasimarket.activity.table import ActivityTable
from quasimarket.pricing._kernel import N_SUMS, SUM_COUNT, fused_cells, use_kernel
from quasimarket.pricing.tariff_prices import lookup_tariff, price_at_tariff
from quasimarket.tariff.table import TariffTable
from quasimarket.vocabulary import POD_CODES

__all__ = [
    "N_POD",
    "N_SUMS",
    "SUM_COUNT",
    "CellPass",
    "LineSetup",
    "cell_index",
    "cell_parts",
    "numpy_cells",
    "record_cells",
]


#: Points of delivery (the pod axis of a cell).
N_POD = len(POD_CODES)
#: Order of the tariff components in the cell sums and per-record arrays.
PARTS = ("base", "excess", "short", "bpt", "top", "mff", "price")


@dataclass(frozen=True)
class LineSetup:
    """Per-line parameters of the record-level pass (arrays indexed by line).

    Attributes:
        n_lines: Lines in the contract.
        lut: Flat ``(provider, commissioner, pod)`` -> line index (-1 none, -2 ambiguous).
        line_of: Line per record where the activity names lines (``line_id``), else None.
        tariff_line: Priced at the national tariff.
        mff_lp: ``(lines, activity providers)`` market forces factor.
        top_override: Top-up fraction replacing the tariff's (NaN = none).
        rsse_age: RSSE minimum age, years.
        local_unit: Local unit price, £ per record (0 for other lines).
        readm_line: The emergency readmissions rule applies.
        window: Readmission window in days (-1: the link's own 30 days).
    """

    n_lines: int
    lut: npt.NDArray[np.int16]
    line_of: npt.NDArray[np.signedinteger[Any]] | None
    tariff_line: npt.NDArray[np.bool_]
    mff_lp: FloatArray
    top_override: FloatArray
    rsse_age: FloatArray
    local_unit: FloatArray
    readm_line: npt.NDArray[np.bool_]
    window: int

    @property
    def n_cells(self) -> int:
        """Cells: lines x 12 months x pods x readmission flag."""
        return self.n_lines * 12 * N_POD * 2


@dataclass(frozen=True)
class CellPass:
    """Result of the record-level pass.

    Attributes:
        sums: ``(cells, 8)``: base, excess, short, bpt, top-up, MFF, tariff price (£) and the
            record count of each cell.
        parts: ``(7, records)`` per-record components in the same order (when asked for).
        cell: Cell of each record (when asked for).
        unknown: Records on tariff lines whose HRG/TFC the tariff lacks.
        unpriced: Records whose HRG has no price for their pod (priced at £0).
        uncovered: Records no line (or more than one line) covers.
    """

    sums: FloatArray
    parts: FloatArray | None
    cell: npt.NDArray[np.int32] | None
    unknown: int
    unpriced: int
    uncovered: int


def cell_index(
    line_of: npt.NDArray[np.signedinteger[Any]],
    month: npt.NDArray[np.integer[Any]],
    pod: npt.NDArray[np.integer[Any]],
    readm: npt.NDArray[np.bool_],
) -> IntArray:
    """The cell of each record: ``((line * 12 + month - 1) * N_POD + pod) * 2 + readm``."""
    out = line_of.astype(np.intp) * 12
    out += month
    out -= 1
    out *= N_POD
    out += pod
    out *= 2
    out += readm
    return out


def cell_parts(n_cells: int) -> tuple[IntArray, IntArray, IntArray, npt.NDArray[np.bool_]]:
    """Line, month index (0 = April), pod and readmission flag of each cell."""
    c = np.arange(n_cells, dtype=np.intp)
    return c // (24 * N_POD), (c // (2 * N_POD)) % 12, (c // 2) % N_POD, (c % 2).astype(bool)


def _readm_excluded(table: ActivityTable) -> npt.NDArray[np.bool_]:
    """Per activity HRG code, plus a last False for "no HRG": excluded from readmissions."""
    return np.array(
        [h.startswith(schema.READMISSION_EXCLUDED_HRG_PREFIXES) for h in table.hrgs] + [False]
    )


def record_cells(
    table: ActivityTable,
    tariff: TariffTable | None,
    setup: LineSetup,
    *,
    rows: IntArray | None = None,
    want_records: bool = False,
) -> CellPass:
    """The record-level pass over all records (or *rows*): kernel if available, else numpy."""
    if use_kernel():
        sums, parts, cell, unknown, unpriced, uncovered = fused_cells(
            activity=table,
            tariff=tariff,
            rows=rows,
            line_of=setup.line_of,
            lut=setup.lut,
            n_lines=setup.n_lines,
            n_pod=N_POD,
            tariff_line=setup.tariff_line,
            mff_lp=setup.mff_lp,
            top_override=setup.top_override,
            rsse_age=setup.rsse_age,
            readm_line=setup.readm_line,
            readm_excluded=_readm_excluded(table),
            readm_min_age=schema.READMISSION_MIN_AGE,
            window=setup.window,
            want_records=want_records,
        )
        return CellPass(sums, parts, cell, unknown, unpriced, uncovered)
    return numpy_cells(table, tariff, setup, rows=rows, want_records=want_records)


def numpy_cells(
    table: ActivityTable,
    tariff: TariffTable | None,
    setup: LineSetup,
    *,
    rows: IntArray | None = None,
    want_records: bool = False,
) -> CellPass:
    """The readable numpy path of :func:`record_cells` (the reference the kernel is tested on).

    Assigns lines with the look-up table, prices tariff lines with
    :func:`~quasimarket.pricing.tariff_prices.lookup_tariff` and
    :func:`~quasimarket.pricing.tariff_prices.price_at_tariff`, flags readmissions in scope
    with :func:`~quasimarket.pricing.engine.readmission_rows`, then sums by cell.
    """
    from quasimarket.pricing.engine import group_sum, readmission_rows

    n = len(table)
    if setup.line_of is not None:
        line_of = setup.line_of.astype(np.intp)
    else:
        flat = (table.provider.astype(np.intp) * len(table.commissioners) + table.commissioner) * (
            N_POD
        ) + table.pod
        line_of = setup.lut[flat].astype(np.intp)
    bad = line_of < 0
    uncovered = int(bad.sum())
    line_safe = np.where(bad, 0, line_of)
    parts = np.zeros((7, n))
    unknown = unpriced = 0
    scope = setup.tariff_line[line_safe] & ~bad
    if tariff is not None and scope.any():
        inputs = lookup_tariff(table, tariff, scope)  # raises on unknown codes in scope
        priced = scope
        mff = setup.mff_lp.ravel()[line_safe * setup.mff_lp.shape[1] + table.provider]
        tp = price_at_tariff(
            table,
            inputs,
            mff=mff,
            rsse_min_age=setup.rsse_age[line_safe],
            top_up_override=setup.top_override[line_safe],
        )
        for k, arr in enumerate(
            (tp.base, tp.excess_bed_days, tp.short_stay, tp.bpt, tp.top_up, tp.mff, tp.price)
        ):
            parts[k] = np.where(priced, arr, 0.0)
        unpriced = int((priced & inputs.unpriced).sum())
    readm = np.zeros(n, dtype=bool)
    linked = readmission_rows(table, window_days=setup.window if setup.window >= 0 else None)
    readm[linked] = True
    readm &= setup.readm_line[line_safe] & ~bad
    cell = cell_index(line_safe, table.month, table.pod, readm)
    keep: IntArray = np.flatnonzero(~bad) if rows is None else rows[~bad[rows]]
    sums = np.zeros((setup.n_cells, N_SUMS))
    for k in range(7):
        sums[:, k] = group_sum(cell[keep], parts[k][keep], setup.n_cells)
    sums[:, SUM_COUNT] = np.bincount(cell[keep], minlength=setup.n_cells)
    picked: IntArray = np.arange(n, dtype=np.intp) if rows is None else rows
    return CellPass(
        sums,
        parts[:, picked] if want_records else None,
        cell[picked].astype(np.int32) if want_records else None,
        unknown,
        unpriced,
        uncovered,
    )
