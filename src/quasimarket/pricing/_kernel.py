"""One fused record kernel: line, tariff price, readmission scope and cell sums in one pass.

The readable, vectorised definition of the record-level rules is the numpy path
(:func:`quasimarket.pricing.cells.numpy_cells`): :func:`~quasimarket.pricing.engine`'s line
assignment, :func:`quasimarket.pricing.tariff_prices.lookup_tariff` +
:func:`quasimarket.mechanisms.national_tariff.national_tariff_price`, and
:func:`quasimarket.pricing.engine.readmission_rows`. That path makes ~50 passes over the
records. This kernel does the same look-ups and arithmetic, in the same order, in ONE pass per
record, and instead of writing per-record arrays it adds each record into its **cell**
(line x month x point of delivery x readmission-in-scope flag): the only sums the line-level
rules and the statement need. Per-record arrays are written only when asked for (the lazy
``PricingResult.records`` and ``explain``). Tests check the two paths agree
(``tests/unit/test_pricing_kernel.py``). Without numba (or with ``QUASIMARKET_NO_NUMBA=1``)
the engine uses the numpy path.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import numpy.typing as npt

from quasimarket._types import FloatArray
from quasimarket.validation.dates import NO_DAY as _NO_DAY  # a record without dates

__all__ = [
    "BLOCK",
    "HAVE_NUMBA",
    "N_SUMS",
    "SUM_COUNT",
    "fused_cells",
    "pack_tariff",
    "use_kernel",
]


#: Sums kept per cell: base, excess, short, bpt, top-up, MFF, tariff price, record count.
N_SUMS = 8
#: Slot of the record count in a cell's sums.
SUM_COUNT = 7
#: Records per block: the kernel adds each block's cell sums into the totals (so rounding error
#: grows with the block, not with 10 million records; the same accuracy as ``group_sum``).
BLOCK = 16_384

try:  # numba is a dependency; the numpy path remains for platforms without it
    from numba import njit

    HAVE_NUMBA = True
except ImportError:  # pragma: no cover - exercised only where numba is missing
    HAVE_NUMBA = False


def use_kernel() -> bool:
    """Whether the engine uses the fused kernel (numba present, not switched off)."""
    return HAVE_NUMBA and os.environ.get("QUASIMARKET_NO_NUMBA", "") not in {"1", "true"}


def _readmission_batch(
    nc: int,
    cand: Any,
    cand_cell: Any,
    cand_val: Any,
    cand_ok: Any,
    rows: Any,
    use_rows: bool,
    hrg: Any,
    los: Any,
    age: Any,
    readm_of: Any,
    self_discharge: Any,
    transfer_in: Any,
    cross_border: Any,
    day: Any,
    readm_excluded: Any,
    readm_min_age: int,
    window: int,
    acc: Any,
    want_records: bool,
    rec: Any,
    rec_cell: Any,
) -> None:
    """Decide the readmission scope of a batch of candidates, then add them to their cells.

    The first loop only loads and compares (no branches), so the index spells' cache misses
    overlap instead of queueing one after another.
    """
    for c in range(nc):
        j = cand[c]
        i = rows[j] if use_rows else j
        x = readm_of[i]
        ok = (
            (not readm_excluded[hrg[i]])
            & (not readm_excluded[hrg[x]])
            & (age[i] >= readm_min_age)
            & (not self_discharge[x])
            & (not transfer_in[i])
            & (not cross_border[i])
            & (not cross_border[x])
        )
        if window >= 0 and day[i] != _NO_DAY and day[x] != _NO_DAY:  # else: the link's 30 days
            ok = ok & ((day[i] - los[i]) - day[x] <= window)
        cand_ok[c] = ok
    for c in range(nc):
        cell = cand_cell[c] + (1 if cand_ok[c] else 0)
        for s in range(7):
            acc[cell * 8 + s] += cand_val[c, s]
        acc[cell * 8 + 7] += 1.0
        if want_records:
            j = cand[c]
            for s in range(7):
                rec[s, j] = cand_val[c, s]
            rec_cell[j] = cell


def _cells_loop(  # one flat signature keeps the kernel numba-friendly
    rows: Any,
    use_rows: bool,
    pod: Any,
    hrg: Any,
    tfc: Any,
    ae_type: Any,
    los: Any,
    age: Any,
    bpt_met: Any,
    top_eligible: Any,
    provider: Any,
    commissioner: Any,
    month: Any,
    readm_of: Any,
    self_discharge: Any,
    transfer_in: Any,
    cross_border: Any,
    day: Any,
    line_in: Any,
    use_line_in: bool,
    lut: Any,
    n_comm: int,
    n_pod: int,
    hrg_map: Any,
    tfc_map: Any,
    unit_price: Any,
    packed: Any,
    tariff_line: Any,
    mff_lp: Any,
    n_prov: int,
    top_override: Any,
    rsse_age: Any,
    readm_line: Any,
    readm_excluded: Any,
    readm_min_age: int,
    window: int,
    acc: Any,
    tot: Any,
    want_records: bool,
    rec: Any,
    rec_cell: Any,
) -> tuple[int, int, int]:
    """Price and add up records; returns (unknown codes, unpriced, not covered by a line)."""
    unknown = 0
    unpriced = 0
    uncovered = 0
    m = rows.shape[0] if use_rows else pod.shape[0]
    n_acc = acc.shape[0]
    n_hrg = unit_price.shape[0]
    n_cand = 2048
    cand = np.empty(n_cand, dtype=np.int64)
    cand_cell = np.empty(n_cand, dtype=np.int64)
    cand_val = np.empty((n_cand, 7))
    cand_ok = np.empty(n_cand, dtype=np.bool_)
    nc = 0
    for j in range(m):
        i = rows[j] if use_rows else j
        p = pod[i]
        if use_line_in:
            li = line_in[i]
        else:
            li = lut[(provider[i] * n_comm + commissioner[i]) * n_pod + p]
        if li < 0:
            uncovered += 1
            continue
        base = 0.0
        excess = 0.0
        short = 0.0
        bpt = 0.0
        top = 0.0
        uplift = 0.0
        total = 0.0
        if tariff_line[li]:
            k = hrg_map[hrg[i]]  # hrg -1 picks the last entry, which is -1
            col = p
            if p >= 3:
                if p == 3 or p == 4:  # outpatient attendance: procedure HRG price first (A2)
                    if k >= 0 and not np.isnan(unit_price[k, 5]):
                        col = 5
                    else:
                        k = tfc_map[tfc[i]]
                elif p == 6 and ae_type[i] >= 3:  # A&E type 3/4 department (A3)
                    col = 10
            if k < 0:
                unknown += 1
            else:
                # the steps of national_tariff_price, written as selects (no branches on
                # record data: a national year mixes pods and stays unpredictably)
                r = (col * n_hrg + k) * 8  # this HRG's parameters at this price: one cache line
                base = packed[r]
                missing = np.isnan(base)
                unpriced += missing
                base = 0.0 if missing else base
                stay = los[i]
                over = stay - packed[r + 1]  # trim point (NaN outside admitted care: no excess)
                excess = over * packed[r + 2] if over > 0.0 else 0.0
                rsse = packed[r + 3]  # NaN unless non-elective with an RSSE price that applies
                short_ok = (stay <= 1) & (age[i] >= rsse_age[li]) & (rsse == rsse)
                short = rsse - base if short_ok else 0.0
                best = packed[r + 4]
                bpt = best - (base + short) if bpt_met[i] & (best == best) else 0.0
                subtotal = base + excess + short + bpt
                pct = top_override[li]
                tariff_pct = packed[r + 5] if top_eligible[i] else 0.0
                pct = tariff_pct if pct != pct else pct
                top = pct * subtotal if p <= 2 else 0.0
                subtotal = subtotal + top
                uplift = (mff_lp[li * n_prov + provider[i]] - 1.0) * subtotal
                total = subtotal + uplift
        cell = ((li * 12 + month[i] - 1) * n_pod + p) * 2
        x = readm_of[i]
        o = cell * 8
        if x >= 0 and readm_line[li] and p == 2:
            # an emergency spell linked to an index spell (A5): its scope needs the index
            # spell's fields, a random access; batch those so the loads overlap
            cand[nc] = j
            cand_cell[nc] = cell
            cand_val[nc, 0] = base
            cand_val[nc, 1] = excess
            cand_val[nc, 2] = short
            cand_val[nc, 3] = bpt
            cand_val[nc, 4] = top
            cand_val[nc, 5] = uplift
            cand_val[nc, 6] = total
            nc += 1
            if nc == n_cand:
                _readmission_batch(
                    nc, cand, cand_cell, cand_val, cand_ok, rows, use_rows, hrg, los, age,
                    readm_of, self_discharge, transfer_in, cross_border, day, readm_excluded,
                    readm_min_age, window, acc, want_records, rec, rec_cell,
                )  # fmt: skip
                nc = 0
        else:
            acc[o] += base
            acc[o + 1] += excess
            acc[o + 2] += short
            acc[o + 3] += bpt
            acc[o + 4] += top
            acc[o + 5] += uplift
            acc[o + 6] += total
            acc[o + 7] += 1.0
            if want_records:
                rec[0, j] = base
                rec[1, j] = excess
                rec[2, j] = short
                rec[3, j] = bpt
                rec[4, j] = top
                rec[5, j] = uplift
                rec[6, j] = total
                rec_cell[j] = cell
        if (j + 1) % 16_384 == 0:  # BLOCK: fold the block's sums into the totals
            for c in range(n_acc):
                tot[c] += acc[c]
                acc[c] = 0.0
    _readmission_batch(
        nc, cand, cand_cell, cand_val, cand_ok, rows, use_rows, hrg, los, age, readm_of,
        self_discharge, transfer_in, cross_border, day, readm_excluded, readm_min_age, window,
        acc, want_records, rec, rec_cell,
    )  # fmt: skip
    for c in range(n_acc):
        tot[c] += acc[c]
    return unknown, unpriced, uncovered


_compiled: Any = None
if HAVE_NUMBA:
    _readmission_batch = njit(cache=True, nogil=True)(_readmission_batch)
    _compiled = njit(cache=True, nogil=True)(_cells_loop)


def pack_tariff(tariff: Any) -> npt.NDArray[np.float64]:
    """The tariff's per-record parameters as ``(price column, HRG, 8)`` rows (one cache line).

    Row ``[col, k]``: 0 price, 1 trim point (the non-elective one for the non-elective
    column; NaN outside admitted care), 2 excess bed day price, 3 RSSE price (NaN unless the
    non-elective column and RSSE applies), 4 BPT price, 5 specialised top-up fraction.
    """
    price = np.asarray(tariff.unit_price, dtype=np.float64)
    n_hrg, n_col = price.shape
    out = np.full((n_col, n_hrg, 8), np.nan)
    out[:, :, 0] = price.T
    out[0, :, 1] = tariff.elective_trim
    out[1, :, 1] = tariff.elective_trim
    out[2, :, 1] = tariff.non_elective_trim
    out[:, :, 2] = tariff.excess_bed_day
    out[2, :, 3] = np.where(tariff.rsse_applicable, tariff.rsse_price, np.nan)
    out[:, :, 4] = tariff.bpt_price
    out[:, :, 5] = tariff.top_up_pct
    return out


def fused_cells(
    *,
    activity: Any,
    tariff: Any,
    rows: npt.NDArray[np.intp] | None,
    line_of: npt.NDArray[np.signedinteger[Any]] | None,
    lut: npt.NDArray[np.int16],
    n_lines: int,
    n_pod: int,
    tariff_line: npt.NDArray[np.bool_],
    mff_lp: FloatArray,
    top_override: FloatArray,
    rsse_age: FloatArray,
    readm_line: npt.NDArray[np.bool_],
    readm_excluded: npt.NDArray[np.bool_],
    readm_min_age: int,
    window: int,
    want_records: bool,
) -> tuple[FloatArray, FloatArray | None, npt.NDArray[np.int32] | None, int, int, int]:
    """Run the kernel over all records (or *rows*).

    Args:
        activity: The :class:`~quasimarket.activity.ActivityTable`.
        tariff: The :class:`~quasimarket.tariff.TariffTable` (None: no tariff line).
        rows: Record indices to price (None = all).
        line_of: Line index per record, where the records name their line (else None: the
            kernel looks it up in *lut*).
        lut: Flat ``(provider, commissioner, pod)`` -> line index (-1 none, -2 ambiguous).
        n_lines: Lines in the contract.
        n_pod: Points of delivery (the last axis of *lut*).
        tariff_line: Per line: priced at the national tariff.
        mff_lp: ``(lines, providers)`` MFF per line and activity provider.
        top_override: Per line top-up fraction replacing the tariff's (NaN = none).
        rsse_age: Per line RSSE minimum age.
        readm_line: Per line: the readmissions rule applies.
        readm_excluded: Per activity HRG code (plus a last False for "no HRG"): excluded from
            the readmissions rule.
        readm_min_age: Minimum age at readmission, years.
        window: Readmission window, days (-1: the link's own window).
        want_records: Also return per-record components ``(7, records)`` and cells.

    Returns:
        ``(cell sums (cells, 8), records or None, record cells or None, unknown, unpriced,
        uncovered)``.
    """
    assert _compiled is not None
    n = len(activity)
    m = n if rows is None else rows.shape[0]
    if tariff is not None:
        hrg_map = np.append(tariff.index_of(activity.hrgs), -1).astype(np.int32)
        tfc_map = np.append(tariff.index_of(activity.tfcs, tfc=True), -1).astype(np.int32)
        unit_price = np.ascontiguousarray(tariff.unit_price, dtype=np.float64)
        packed = pack_tariff(tariff).ravel()
    else:  # no tariff line: the tariff branch never runs, dummies keep the types
        hrg_map = np.full(len(activity.hrgs) + 1, -1, dtype=np.int32)
        tfc_map = np.full(len(activity.tfcs) + 1, -1, dtype=np.int32)
        unit_price = np.zeros((1, 11))
        packed = np.zeros(11 * 8)
    n_cells = n_lines * 12 * n_pod * 2
    acc = np.zeros(n_cells * N_SUMS)
    tot = np.zeros(n_cells * N_SUMS)
    rec = np.empty((7, m)) if want_records else np.empty((7, 0))
    rec_cell = np.empty(m, dtype=np.int32) if want_records else np.empty(0, dtype=np.int32)
    no_rows = np.empty(0, dtype=np.intp)
    no_lines = np.empty(0, dtype=np.int8)
    unknown, unpriced, uncovered = _compiled(
        no_rows if rows is None else rows,
        rows is not None,
        activity.pod,
        activity.hrg,
        activity.tfc,
        activity.ae_dept_type,
        activity.los_days,
        activity.age,
        activity.bpt_met,
        activity.top_up_eligible,
        activity.provider,
        activity.commissioner,
        activity.month,
        activity.readmission_of,
        activity.self_discharge,
        activity.transfer_in,
        activity.cross_border,
        activity.day,
        no_lines if line_of is None else line_of,
        line_of is not None,
        lut,
        len(activity.commissioners),
        n_pod,
        hrg_map,
        tfc_map,
        unit_price,
        packed,
        tariff_line,
        np.ascontiguousarray(mff_lp).ravel(),
        mff_lp.shape[1],
        top_override,
        rsse_age,
        readm_line,
        readm_excluded,
        readm_min_age,
        window,
        acc,
        tot,
        want_records,
        rec,
        rec_cell,
    )
    return (
        tot.reshape(n_cells, N_SUMS),
        rec if want_records else None,
        rec_cell if want_records else None,
        int(unknown),
        int(unpriced),
        int(uncovered),
    )
