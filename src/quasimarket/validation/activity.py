"""Cross-field checks of activity records: facts that must agree between columns.

Each check is vectorised over the whole table and either refuses the file (naming the rows)
or returns a note with counts. :data:`CROSS_CHECKS` lists them for ``docs/input-validation.md``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.errors import InputError, summarise_items
from quasimarket.validation.bounds import rows_text
from quasimarket.validation.dates import NO_DAY
from quasimarket.vocabulary import POD_CODES

__all__ = [
    "CROSS_CHECKS",
    "check_los_against_dates",
    "check_patient_ids",
    "check_readmission_links",
    "patient_age_note",
]

#: The cross-field checks, (name, rule, what happens), for the docs.
CROSS_CHECKS: tuple[tuple[str, str, str], ...] = (
    (
        "length of stay vs dates",
        "where los_days and both dates are given, los_days = discharge - admission (HES "
        "spelldur is defined so)",
        "refused",
    ),
    (
        "readmission links",
        "readmission_of points at another admitted-care spell of the same patient (when "
        "patient_id is given) at the same provider, discharged on or before the readmission "
        "and at most 30 days before it (payment-rules.md A5), and the readmission is an "
        "emergency (non-elective) spell",
        "refused",
    ),
    (
        "patient ids",
        "patient ids read as decimals must be whole numbers below 2^53, or distinct patients "
        "would collide",
        "refused",
    ),
    (
        "one patient, one age",
        "a patient's records in one financial year differ in age by at most one year",
        "note with counts (a reused or colliding pseudonym)",
    ),
)


def check_los_against_dates(
    los: npt.NDArray[np.floating],
    admission: npt.NDArray[np.int32],
    discharge: npt.NDArray[np.int32],
    record_id: npt.NDArray[np.generic],
    *,
    file: str,
) -> None:
    """Refuse records whose ``los_days`` contradicts their admission and discharge dates."""
    both = (admission != NO_DAY) & (discharge != NO_DAY)
    span = discharge.astype(np.int64) - admission.astype(np.int64)
    bad = both & ~np.isnan(los) & (los != span)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"los_days contradicts the dates in {int(bad.sum()):,} record(s): record "
            f"{record_id[first]!s} has los_days {los[first]:g} but its dates are "
            f"{int(span[first]):,} days apart (other records: "
            + summarise_items(np.asarray(record_id)[bad][1:6].tolist())
            + ")",
            file=file,
            location=f"columns 'los_days', 'admission_date', 'discharge_date', {rows_text(bad)}",
            expected="los_days = discharge_date - admission_date",
            fix="correct the dates or los_days of those records, or drop the los_days column "
            "so it is derived from the dates",
        )


def check_readmission_links(
    links: npt.NDArray[np.int64],
    *,
    record_id: npt.NDArray[np.generic],
    pod: npt.NDArray[np.int8],
    provider: npt.NDArray[np.int32],
    patient: npt.NDArray[np.integer] | None,
    admission: npt.NDArray[np.int32],
    discharge: npt.NDArray[np.int32],
    month: npt.NDArray[np.int8],
    fy_start: npt.NDArray[np.int16],
    window_days: int,
    file: str,
) -> None:
    """Refuse explicit ``readmission_of`` links that cannot be readmissions (A5)."""
    rows = np.flatnonzero(links >= 0)
    if rows.size == 0:
        return
    index = links[rows]
    apc = POD_CODES["non_elective"]
    problems: list[tuple[str, npt.NDArray[np.bool_]]] = [
        ("points at the record itself", index == rows),
        ("is set on a record that is not an emergency admitted spell", pod[rows] != apc),
        ("points at a record that is not an admitted-care spell", pod[index] > apc),
        ("points at a spell at another provider", provider[index] != provider[rows]),
    ]
    if patient is not None:
        problems.append(("points at another patient's spell", patient[index] != patient[rows]))
    dated = (admission[rows] != NO_DAY) & (discharge[index] != NO_DAY)
    gap = admission[rows].astype(np.int64) - discharge[index].astype(np.int64)
    problems.append(("points at a spell discharged after this admission", dated & (gap < 0)))
    problems.append(
        (
            f"points at a spell discharged more than {window_days} days before",
            dated & (gap > window_days),
        )
    )
    undated = ~dated
    order_now = fy_start[rows].astype(np.int64) * 12 + month[rows]
    order_then = fy_start[index].astype(np.int64) * 12 + month[index]
    problems.append(("points at a spell in a later month", undated & (order_then > order_now)))
    for problem, bad in problems:
        if bad.any():
            mask = np.zeros(links.shape[0], dtype=bool)
            mask[rows[bad]] = True
            pairs = [
                f"{record_id[r]!s} -> {record_id[i]!s}"
                for r, i in zip(rows[bad][:5], index[bad][:5], strict=True)
            ]
            raise InputError(
                f"readmission_of {problem} in {int(bad.sum()):,} record(s): "
                + summarise_items(pairs),
                file=file,
                location=f"column 'readmission_of', {rows_text(mask)}",
                expected="the record_id of the same patient's earlier emergency-readmission "
                f"index spell at the same provider, discharged within {window_days} days "
                "before (payment-rules.md A5)",
                fix="correct or blank those links (leave the column out to derive them from "
                "patient_id and the dates)",
            )


def check_patient_ids(values: pd.Series, *, file: str) -> None:
    """Refuse decimal patient ids that would collide: fractions, or beyond float precision."""
    if values.dtype.kind != "f":
        return
    arr = values.to_numpy(dtype=np.float64, na_value=np.nan)
    with np.errstate(invalid="ignore"):
        bad = ~np.isnan(arr) & ((arr != np.floor(arr)) | (np.abs(arr) >= 2.0**53))
    if bad.any():
        raise InputError(
            "patient ids were read as decimals that cannot tell patients apart: "
            + summarise_items(f"{v:.17g}" for v in arr[bad][:5]),
            file=file,
            location=f"column 'patient_id', {rows_text(bad)}",
            expected="whole-number ids below 2^53, or text ids",
            fix="export patient_id as text (quote it), so long ids keep every digit",
        )


def patient_age_note(
    patient: npt.NDArray[np.integer],
    age: npt.NDArray[np.integer],
    fy_start: npt.NDArray[np.int16],
    *,
    file: str,
) -> str | None:
    """A note when one patient's records in one year differ in age by more than a year."""
    known = patient >= 0
    if not known.any():
        return None
    frame = pd.DataFrame({"p": patient[known], "y": fy_start[known], "a": age[known]})
    ages = frame.groupby(["p", "y"], sort=False)["a"]
    spread = ages.max() - ages.min()
    clash = int((spread > 1).sum())
    if not clash:
        return None
    return (
        f"{clash:,} patient id(s) of {file} have records in one year whose ages differ by more "
        "than a year (a reused or colliding pseudonym?): readmissions are linked by patient "
        "id, so check them"
    )
