"""The compiled activity table: validated records as integer codes and numpy arrays.

:func:`load_activity` reads a CSV/Parquet/XLSX file (:func:`quasimarket.io.read_table`), maps
SUS/SLAM column names (:data:`~quasimarket.activity.schema.SUS_COLUMN_MAP`), derives length of
stay, month, financial year, point of delivery and readmission links where they are absent,
validates every row, and compiles an :class:`ActivityTable`. Text columns become integer codes
over a small list of categories, so pricing is gathers from small arrays.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket._types import BoolArray, FloatArray, Int64Array
from quasimarket.activity import formats, schema
from quasimarket.errors import InputError, summarise_items
from quasimarket.financial_year import FinancialYear
from quasimarket.io.tables import read_table
from quasimarket.validation.activity import (
    check_los_against_dates,
    check_patient_ids,
    check_readmission_links,
    patient_age_note,
)
from quasimarket.validation.bounds import check_bound
from quasimarket.validation.dates import NO_DAY, parse_days
from quasimarket.validation.schema import ACTIVITY_BOUNDS
from quasimarket.vocabulary import POD_CODES, POD_NAMES

__all__ = ["ActivityTable", "categorical", "link_readmissions", "load_activity"]

_NO_DAY = NO_DAY


def _rows(mask: npt.NDArray[np.bool_]) -> str:
    """'rows 2, 5 and 3 more' (1-based file rows: header is row 1)."""
    return "rows " + summarise_items(np.flatnonzero(mask) + 2)


@dataclass(frozen=True)
class ActivityTable:
    """Activity records compiled to arrays (one element per record).

    Attributes:
        record_id: Record ids (int64 or object array), unique.
        commissioner: int32 index into :attr:`commissioners`.
        commissioners: Commissioner codes.
        provider: int32 index into :attr:`providers`.
        providers: Provider codes.
        pod: int8 point-of-delivery codes (:data:`POD_CODES`).
        hrg: int32 index into :attr:`hrgs` (-1 = none).
        hrgs: HRG codes.
        tfc: int32 index into :attr:`tfcs` (-1 = none).
        tfcs: Treatment function codes.
        los_days: int32 length of stay, days.
        age: int16 age in years.
        month: int8 month of the financial year, 1 = April.
        fy_start: int16 start year of each record's financial year (-1 = unknown).
        ae_dept_type: int8 A&E department type 1-4.
        bpt_met: Best-practice criteria met.
        top_up_eligible: Specialised top-up may be claimed.
        readmission_of: int64 row index of the index spell (-1 = not a readmission).
        self_discharge: Index spell ended in self-discharge against advice.
        transfer_in: Admitted by transfer from another provider.
        cross_border: Cross-border activity.
        day: int32 day number (days since 1970-01-01) of discharge, else admission; the
            minimum int32 where the file has no dates (pricing then uses mid-month).
        line: int32 index into :attr:`line_ids` (-1 = not given; pricing assigns the line).
        line_ids: Contract service line ids named in the ``line_id`` column.
        source: Where the records came from (file path or "synthetic ...").
        notes: What validation let through but the user should know (values outside the
            plausible range, defaults taken for blank cells), with counts; pricing copies them
            into the statement's notes.
        readmission_basis: How :attr:`readmission_of` was found: ``"given"`` (the file's
            ``readmission_of`` column, or built in code), ``"derived"`` (from patient ids and
            dates) or ``""`` (neither: no readmission can be found, and pricing says so when
            a line has the readmissions rule).
        readmission_notes: Spells left out of readmission linking, with counts (pricing
            adds them to the notes when a line has the readmissions rule).
    """

    record_id: npt.NDArray[np.generic]
    commissioner: npt.NDArray[np.int32]
    commissioners: tuple[str, ...]
    provider: npt.NDArray[np.int32]
    providers: tuple[str, ...]
    pod: npt.NDArray[np.int8]
    hrg: npt.NDArray[np.int32]
    hrgs: tuple[str, ...]
    tfc: npt.NDArray[np.int32]
    tfcs: tuple[str, ...]
    los_days: npt.NDArray[np.int32]
    age: npt.NDArray[np.int16]
    month: npt.NDArray[np.int8]
    fy_start: npt.NDArray[np.int16]
    ae_dept_type: npt.NDArray[np.int8]
    bpt_met: BoolArray
    top_up_eligible: BoolArray
    readmission_of: Int64Array
    self_discharge: BoolArray
    transfer_in: BoolArray
    cross_border: BoolArray
    day: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    line: npt.NDArray[np.int32] = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    line_ids: tuple[str, ...] = ()
    source: str = "activity"
    notes: tuple[str, ...] = ()
    readmission_basis: str = "given"
    readmission_notes: tuple[str, ...] = ()

    def __len__(self) -> int:
        return int(self.pod.shape[0])

    @property
    def years(self) -> list[str]:
        """Financial years present (``"2016/17"``), from dates or the ``year`` column."""
        starts = np.unique(self.fy_start[self.fy_start >= 0])
        return [str(FinancialYear(int(s))) for s in starts]

    def position(self, record_id: object) -> int:
        """Row index of *record_id* (one vectorised scan); InputError naming the id if absent."""
        ids = self.record_id
        found = np.zeros(0, dtype=np.intp)
        if ids.dtype.kind in "iu":
            try:
                found = np.flatnonzero(ids == int(str(record_id)))
            except ValueError:
                found = np.zeros(0, dtype=np.intp)
        else:
            found = np.flatnonzero(ids == str(record_id))
        if found.size:
            return int(found[0])
        raise InputError(
            f"record {record_id!r} is not in the activity table",
            file=self.source,
            location="column 'record_id'",
            expected="a record_id from the activity table",
            fix="check the id (see the records.parquet output for ids)",
        )

    def take(self, rows: npt.NDArray[np.integer] | npt.NDArray[np.bool_]) -> ActivityTable:
        """A sub-table of *rows*; readmission links are re-indexed, links leaving it dropped."""
        index = np.arange(len(self))[rows]
        remap = np.full(len(self) + 1, -1, dtype=np.int64)
        remap[index] = np.arange(index.size)
        links = self.readmission_of[index]
        new_links = remap[np.where(links >= 0, links, len(self))]
        return replace(
            self,
            record_id=self.record_id[index],
            commissioner=self.commissioner[index],
            provider=self.provider[index],
            pod=self.pod[index],
            hrg=self.hrg[index],
            tfc=self.tfc[index],
            los_days=self.los_days[index],
            age=self.age[index],
            month=self.month[index],
            fy_start=self.fy_start[index],
            ae_dept_type=self.ae_dept_type[index],
            bpt_met=self.bpt_met[index],
            top_up_eligible=self.top_up_eligible[index],
            readmission_of=new_links,
            self_discharge=self.self_discharge[index],
            transfer_in=self.transfer_in[index],
            cross_border=self.cross_border[index],
            day=self.day[index],
            line=self.line[index],
        )

    def to_frame(self) -> pd.DataFrame:
        """The records as a DataFrame in the activity schema (categoricals for codes)."""
        link = self.readmission_of
        has = link >= 0
        rid = self.record_id
        linked = rid[np.where(has, link, 0)]
        readm: pd.Series[Any]
        if rid.dtype.kind in "iu":
            readm = pd.Series(linked, dtype="Int64").mask(pd.Series(~has))
        else:
            readm = pd.Series(linked, dtype=object).mask(pd.Series(~has))
        return pd.DataFrame(
            {
                "record_id": rid,
                "commissioner": _cat(self.commissioner, self.commissioners),
                "provider": _cat(self.provider, self.providers),
                "pod": _cat(self.pod, POD_NAMES),
                "hrg": _cat(self.hrg, self.hrgs),
                "tfc": _cat(self.tfc, self.tfcs),
                "los_days": self.los_days,
                "age": self.age,
                "month": self.month,
                "year": _year_cat(self.fy_start),
                "ae_dept_type": self.ae_dept_type,
                "bpt_met": self.bpt_met,
                "top_up_eligible": self.top_up_eligible,
                "readmission_of": readm,
                "self_discharge": self.self_discharge,
                "transfer_in": self.transfer_in,
                "cross_border": self.cross_border,
                "line_id": _cat(self.line, self.line_ids),
            }
        )

    @classmethod
    def from_frame(
        cls,
        frame: pd.DataFrame,
        *,
        file: str | Path | None = None,
        date_format: str | None = None,
        fmt: str = "auto",
    ) -> ActivityTable:
        """Validate and compile a DataFrame in the activity schema (extract names are mapped
        by format *fmt*: :data:`quasimarket.activity.formats.FORMATS`, or ``auto``).

        Raises:
            InputError: Missing columns, duplicate record ids, discharge before admission,
                negative length of stay, unknown pod, month outside 1-12, bad readmission link.
        """
        return _compile(
            frame,
            file=str(file) if file is not None else "activity table",
            date_format=date_format,
            fmt=fmt,
        )


def _year_cat(fy_start: npt.NDArray[np.int16]) -> pd.Categorical[str]:
    starts = np.unique(fy_start[fy_start >= 0])
    labels = [str(FinancialYear(int(s))) for s in starts]
    codes = np.searchsorted(starts, fy_start).astype(np.int32)
    codes[fy_start < 0] = -1
    return categorical(codes, labels)


def categorical(codes: npt.ArrayLike, categories: Sequence[str]) -> pd.Categorical[str]:
    """A pandas Categorical from integer codes (-1 = missing) and category labels."""
    index: pd.Index[str] = pd.Index([str(c) for c in categories])
    return pd.Categorical.from_codes(np.asarray(codes, dtype=np.int32), categories=index)


_cat = categorical


def _factorize(
    values: pd.Series, *, upper: bool = False
) -> tuple[npt.NDArray[np.int32], tuple[str, ...]]:
    """Integer codes and category labels for a text column (NA or blank -> -1)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        cats = [str(c).strip() for c in values.cat.categories]
        cats = [c.upper() for c in cats] if upper else cats
        codes = values.cat.codes.to_numpy().astype(np.int32)
        if len(set(cats)) == len(cats) and "" not in cats:
            return codes, tuple(cats)
    text = values.astype("string").str.strip()
    if pd.api.types.is_float_dtype(values.dtype):
        text = text.str.replace(r"\.0$", "", regex=True)
    if upper:
        text = text.str.upper()
    codes_i, uniques = pd.factorize(text, use_na_sentinel=True)
    codes_arr = np.asarray(codes_i, dtype=np.int32)
    labels = [str(u) for u in uniques]
    if "" in labels:
        blank = labels.index("")
        codes_arr[codes_arr == blank] = -1
    return codes_arr, tuple(labels)


_TRUE = ("true", "t", "yes", "y", "1", "1.0")
_FALSE = ("false", "f", "no", "n", "0", "0.0")


def _bool(frame: pd.DataFrame, column: str, default: bool, *, file: str) -> BoolArray:
    """A yes/no column: true/false, yes/no, Y/N, 1/0 (any case); a blank cell is *default*
    (the schema's default for the column)."""
    if column not in frame.columns:
        return np.full(len(frame), default, dtype=bool)
    values = frame[column]
    if values.dtype == bool:
        return np.array(values.to_numpy(), dtype=bool)  # a copy: the caller's frame stays
    text = values.astype("string").str.strip().str.lower()
    out = np.array(text.isin(_TRUE).to_numpy(dtype=bool, na_value=False), dtype=bool)
    blank = text.isna().to_numpy() | (text == "").to_numpy(dtype=bool, na_value=True)
    bad = ~(out | blank | text.isin(_FALSE).to_numpy(dtype=bool, na_value=False))
    if bad.any():
        rows = np.flatnonzero(bad)
        raise InputError(
            f"column '{column}' has {rows.size:,} value(s) that are not yes/no: "
            + summarise_items(repr(str(v)) for v in values.iloc[rows[:5]]),
            file=file,
            location=f"{column}, {_rows(bad)}",
            expected="true/false, yes/no, Y/N or 1/0 (any case), or blank for "
            f"{'true' if default else 'false'}",
            fix=f"recode column '{column}' as yes/no values",
        )
    out[blank] = default
    return out


def _numbers(frame: pd.DataFrame, column: str, *, file: str) -> FloatArray:
    """A numeric column as float64, wide enough to check before narrowing (blank = NaN).

    Text that is not a number is one error naming the rows.
    """
    values = frame[column]
    if values.dtype == bool:
        raise InputError(
            f"column {column!r} holds true/false values, not numbers",
            file=file,
            location=f"column {column!r}",
            expected="numbers",
            fix="correct the column",
        )
    if values.dtype.kind in "iuf":
        return values.to_numpy(dtype=np.float64)
    text = values.astype("string").str.strip()
    parsed = pd.to_numeric(text.mask(text == ""), errors="coerce")
    bad = (parsed.isna() & text.notna() & (text != "")).to_numpy(dtype=bool, na_value=False)
    if bad.any():
        raise InputError(
            f"{column} must be a number: " + summarise_items(repr(v) for v in values[bad].tolist()),
            file=file,
            location=f"column {column!r}, {_rows(bad)}",
            expected="a whole number",
            fix="fill in or correct those cells",
        )
    return parsed.to_numpy(dtype=np.float64, na_value=np.nan)


def _checked(
    frame: pd.DataFrame, column: str, *, file: str, notes: list[str], blank_ok: bool = False
) -> FloatArray:
    """A numeric column checked against its declared limits (:mod:`quasimarket.validation`)."""
    values = _numbers(frame, column, file=file)
    note = check_bound(
        values, ACTIVITY_BOUNDS[column], file=file, blank_ok=blank_ok, shown=frame[column]
    )
    if note:
        notes.append(note)
    return values


def _month_and_fy(
    days: npt.NDArray[np.int32],
) -> tuple[npt.NDArray[np.int8], npt.NDArray[np.int16]]:
    d = days.astype("datetime64[D]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    cal_month = (d.astype("datetime64[M]").astype(np.int64) % 12) + 1
    fy = np.where(cal_month >= 4, year, year - 1).astype(np.int16)
    month = ((cal_month - 4) % 12 + 1).astype(np.int8)
    return month, fy


def _compile(
    raw: pd.DataFrame, *, file: str, date_format: str | None = None, fmt: str = "auto"
) -> ActivityTable:
    frame, mapping = formats.adapt(raw, fmt, file=file)
    n = len(frame)
    required = ["record_id", "commissioner", "provider", "age"]
    if "pod" not in frame.columns and "admission_method" not in frame.columns:
        required.append("pod")
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(
            "the activity table is missing column"
            + ("s " if len(missing) > 1 else " ")
            + summarise_items(repr(m) for m in missing),
            file=file,
            location="header row",
            expected="the columns of docs/activity-schema.md (SUS names such as admimeth, "
            "procode, sushrg, startage are mapped automatically)",
            fix="add the missing column(s); found "
            + summarise_items(map(repr, frame.columns), first=8),
        )
    if n == 0:
        raise InputError(
            "the activity table has no rows", file=file, fix="give a file with activity records"
        )

    notes = _mapping_notes(mapping)
    record_id = _record_ids(frame["record_id"], file=file)
    quantity = np.ones(n, dtype=np.int64)
    if "count" in frame.columns:
        counted = _checked(frame, "count", file=file, notes=notes, blank_ok=True)
        if n_blank := int(np.isnan(counted).sum()):
            notes.append(f"{n_blank:,} row(s) of {file} have a blank count: each is one unit")
        quantity = np.nan_to_num(counted, nan=1.0).astype(np.int64)

    # dates, length of stay (validation layer: declared limits, explicit date formats)
    adm = (
        parse_days(
            frame["admission_date"], file=file, column="admission_date", date_format=date_format
        )
        if ("admission_date" in frame.columns)
        else np.full(n, _NO_DAY, dtype=np.int32)
    )
    dis = (
        parse_days(
            frame["discharge_date"], file=file, column="discharge_date", date_format=date_format
        )
        if ("discharge_date" in frame.columns)
        else np.full(n, _NO_DAY, dtype=np.int32)
    )
    both = (adm != _NO_DAY) & (dis != _NO_DAY)
    before = both & (dis < adm)
    if before.any():
        raise InputError(
            "discharge date before admission date for records "
            + summarise_items(np.asarray(record_id)[before].tolist()),
            file=file,
            location=f"columns 'admission_date'/'discharge_date', {_rows(before)}",
            expected="discharge_date on or after admission_date",
            fix="correct the dates of those records",
        )
    span = np.where(both, dis.astype(np.int64) - adm.astype(np.int64), np.nan)
    if "los_days" in frame.columns:
        los_f = _checked(frame, "los_days", file=file, notes=notes, blank_ok=True)
        check_los_against_dates(los_f, adm, dis, record_id, file=file)
        los_f = np.where(np.isnan(los_f), span, los_f)  # a blank LOS comes from the dates
    else:
        los_f = span
        note = check_bound(los_f, ACTIVITY_BOUNDS["los_days"], file=file)
        if note:
            notes.append(note)

    # month and financial year
    day = np.where(dis != _NO_DAY, dis, adm)
    has_day = day != _NO_DAY
    month = np.zeros(n, dtype=np.int8)
    fy = np.full(n, -1, dtype=np.int16)
    if has_day.any():
        m, y = _month_and_fy(np.where(has_day, day, 0).astype(np.int32))
        month = np.where(has_day, m, 0).astype(np.int8)
        fy = np.where(has_day, y, -1).astype(np.int16)
    if "month" in frame.columns:
        given = _checked(frame, "month", file=file, notes=notes, blank_ok=True)
        month = np.where(has_day | np.isnan(given), month, np.nan_to_num(given)).astype(np.int8)
    if (month == 0).any():
        bad = month == 0
        raise InputError(
            "no month or date for some records",
            file=file,
            location=f"column 'month', {_rows(bad)}",
            expected="a month (1 = April) or a discharge/admission date",
            fix="add a 'month' column or the dates",
        )
    if "year" in frame.columns:
        fy = _year_column(frame["year"], fy, file=file)

    for column, known, title in (
        ("admission_method", schema.ADMIMETH_CODES, "admimeth"),
        ("patient_class", schema.CLASSPAT_CODES, "classpat"),
    ):
        if column in frame.columns:
            _check_codes(frame[column], known, column=column, title=title, file=file)

    # point of delivery (a day case has no stay: LOS 0 by definition)
    los_or_zero = np.nan_to_num(los_f, nan=0.0)
    if "pod" in frame.columns:
        pod_codes, pod_names = _factorize(frame["pod"])
        lookup = np.array(
            [POD_CODES.get(name.strip().lower(), -1) for name in pod_names] + [-1], dtype=np.int16
        )
        pod16 = lookup[np.where(pod_codes >= 0, pod_codes, len(pod_names))]
        if "admission_method" in frame.columns:
            missing_pod = pod16 < 0
            if missing_pod.any():
                derived = schema.classify_pod(
                    frame["admission_method"], frame.get("patient_class"), los_or_zero
                )
                pod16 = np.where(missing_pod & (pod_codes < 0), derived, pod16)
        bad = pod16 < 0
        if bad.any():
            values = sorted({str(v) for v in frame["pod"][bad].tolist()})
            raise InputError(
                "unknown point of delivery: " + summarise_items(repr(v) for v in values),
                file=file,
                location=f"column 'pod', {_rows(bad)}",
                expected="one of " + ", ".join(POD_CODES),
                fix="use the pod names of docs/activity-schema.md",
            )
        pod = pod16.astype(np.int8)
    else:
        pod = schema.classify_pod(
            frame["admission_method"], frame.get("patient_class"), los_or_zero
        )
    stay = np.isin(pod, (POD_CODES["elective"], POD_CODES["non_elective"]))
    no_stay = stay & np.isnan(los_f)
    if no_stay.any():
        raise InputError(
            f"{int(no_stay.sum()):,} admitted spell(s) have no length of stay: no los_days "
            "and not both dates, e.g. records "
            + summarise_items(np.asarray(record_id)[no_stay][:5].tolist()),
            file=file,
            location=f"columns 'los_days', 'admission_date', 'discharge_date', {_rows(no_stay)}",
            expected="los_days, or both dates, for every elective and non-elective spell (the "
            "price depends on the stay: short-stay, trim point, excess bed days)",
            fix="add los_days (HES spelldur) or the admission and discharge dates",
        )
    los = los_or_zero.astype(np.int32)

    commissioner, commissioners = _factorize(frame["commissioner"])
    provider, providers = _factorize(frame["provider"])
    for name, codes in (("commissioner", commissioner), ("provider", provider)):
        blank = codes < 0
        if blank.any():
            raise InputError(
                f"blank {name} code",
                file=file,
                location=f"column {name!r}, {_rows(blank)}",
                expected=f"a {name} code in every row",
                fix="fill in those cells",
            )
    if "hrg" in frame.columns:
        hrg, hrgs = _factorize(frame["hrg"], upper=True)
    else:
        hrg, hrgs = np.full(n, -1, dtype=np.int32), ()
    if "tfc" in frame.columns:
        tfc, tfcs = _factorize(frame["tfc"])
    else:
        tfc, tfcs = np.full(n, -1, dtype=np.int32), ()
    if "line_id" in frame.columns:
        line, line_ids = _factorize(frame["line_id"])
    else:
        line, line_ids = np.full(n, -1, dtype=np.int32), ()
    age = _checked(frame, "age", file=file, notes=notes).astype(np.int16)
    ae = pod == POD_CODES["ae"]
    if "ae_dept_type" in frame.columns:
        ae_given = _checked(frame, "ae_dept_type", file=file, notes=notes, blank_ok=True)
        ae_blank = ae & np.isnan(ae_given)
        ae_type = np.nan_to_num(ae_given, nan=1.0).astype(np.int8)
    else:
        ae_blank = ae
        ae_type = np.ones(n, dtype=np.int8)
    if ae_blank.any():
        notes.append(
            f"{int(ae_blank.sum()):,} A&E attendance(s) of {file} have no ae_dept_type: priced "
            "as type 1 (consultant-led) departments; give the column to price type 3/4 units"
        )

    self_discharge = _bool(frame, "self_discharge", False, file=file)
    if "discharge_method" in frame.columns:
        meth = frame["discharge_method"].astype("string").str.strip()
        self_discharge |= meth.isin(schema.SELF_DISCHARGE_DISMETH).to_numpy(dtype=bool)
    transfer = _bool(frame, "transfer_in", False, file=file)
    if "admission_source" in frame.columns:
        src = frame["admission_source"].astype("string").str.strip()
        transfer |= src.isin(schema.TRANSFER_ADMISORC).to_numpy(dtype=bool)
    if "admission_method" in frame.columns:
        am = frame["admission_method"].astype("string").str.strip().str.upper()
        transfer |= am.isin(schema.TRANSFER_ADMIMETH).to_numpy(dtype=bool)

    table = ActivityTable(
        record_id=record_id,
        commissioner=commissioner,
        commissioners=commissioners,
        provider=provider,
        providers=providers,
        pod=pod,
        hrg=hrg,
        hrgs=hrgs,
        tfc=tfc,
        tfcs=tfcs,
        los_days=los.astype(np.int32, copy=False),
        age=age.astype(np.int16, copy=False),
        month=month,
        fy_start=fy,
        ae_dept_type=ae_type.astype(np.int8, copy=False),
        bpt_met=_bool(frame, "bpt_met", False, file=file),
        top_up_eligible=_bool(frame, "top_up_eligible", True, file=file),
        readmission_of=np.full(n, -1, dtype=np.int64),
        self_discharge=self_discharge,
        transfer_in=transfer,
        cross_border=_bool(frame, "cross_border", False, file=file),
        day=day.astype(np.int32),
        line=line,
        line_ids=line_ids,
        source=file,
    )
    patient: npt.NDArray[np.int32] | None = None
    if "patient_id" in frame.columns:
        check_patient_ids(frame["patient_id"], file=file)
        patient = _patient_codes(frame["patient_id"])
        note = patient_age_note(patient, age, fy, file=file)
        if note:
            notes.append(note)
    # rows an extract says are not paid (unattended, not the spell's last episode): they
    # take no part in linking, and are dropped once every row has been checked
    kept = (
        _bool(frame, formats.ROW_KEPT, True, file=file)
        if formats.ROW_KEPT in frame.columns
        else None
    )
    linking: list[str] = []  # said where a readmissions rule applies (pricing)
    if "readmission_of" in frame.columns:
        links = _explicit_links(frame["readmission_of"], record_id, file=file)
        check_readmission_links(
            links,
            record_id=record_id,
            pod=pod,
            provider=provider,
            patient=patient,
            admission=adm,
            discharge=dis,
            month=month,
            fy_start=fy,
            window_days=schema.READMISSION_WINDOW_DAYS,
            file=file,
        )
        basis = "given"
    elif patient is not None:
        # Readmissions link admitted spells only, so outpatient and A&E rows in the same
        # table (which have no discharge date) do not stop the linking; spells that cannot
        # be placed in time are left out and counted, never silently.
        apc = (pod <= POD_CODES["non_elective"]) & (True if kept is None else kept)
        dated = (adm != _NO_DAY) & (dis != _NO_DAY)
        if n_undated := int((apc & ~dated).sum()):
            linking.append(
                f"{n_undated:,} admitted spell(s) of {file} lack an admission or discharge "
                "date: they are left out of readmission linking (neither index spells nor "
                "readmissions)"
            )
        if n_anonymous := int((apc & dated & (patient < 0)).sum()):
            linking.append(
                f"{n_anonymous:,} admitted spell(s) of {file} have no patient_id: they are "
                "left out of readmission linking"
            )
        if n_counted := int((apc & dated & (quantity > 1)).sum()):
            linking.append(
                f"{n_counted:,} row(s) of {file} count more than one admitted spell: they are "
                "left out of readmission linking (a counted row is no one patient's spell)"
            )
        links = link_readmissions(
            patient=patient,
            admission_day=adm,
            discharge_day=dis,
            pod=pod,
            provider=provider,
            linkable=apc & dated & (quantity == 1),
        )
        basis = "derived"
    else:
        links = table.readmission_of
        basis = ""
    table = replace(
        table,
        readmission_of=links,
        readmission_basis=basis,
        readmission_notes=tuple(linking),
        notes=tuple(notes),
    )
    if kept is not None and not kept.all():
        table, quantity = table.take(kept), quantity[kept]
    return _expanded(table, quantity) if (quantity != 1).any() else table


def _mapping_notes(mapping: formats.Mapping) -> list[str]:
    """Which format read the file and how, when it was not the schema's own names."""
    notes = list(mapping.notes)
    if mapping.ignored or any(formats.column_key(a) != b for a, b in mapping.used):
        notes.append(mapping.describe())
    return notes


def _expanded(table: ActivityTable, quantity: Int64Array) -> ActivityTable:
    """Each counted row as that many unit records (``<id>#1`` ... ``<id>#k``).

    Every rule then weighs a counted row by its count exactly as it weighs the same records
    listed one by one (the cost is one record per unit, as for a record-level file).
    """
    rows = np.repeat(np.arange(len(table)), quantity)
    out = table.take(rows)
    first = np.concatenate(([0], np.cumsum(quantity)[:-1]))
    serial = np.arange(rows.size) - np.repeat(first, quantity) + 1
    ids = out.record_id.astype(str).astype(object)
    many = quantity[rows] > 1
    ids[many] = ids[many] + "#" + serial[many].astype(str).astype(object)
    return replace(out, record_id=ids)


def _check_codes(
    values: pd.Series, known: frozenset[str], *, column: str, title: str, file: str
) -> None:
    """Every non-blank code is one the NHS Data Dictionary defines."""
    text = formats.code_text(values)
    bad = (text.notna() & (text != "") & ~text.isin(known)).to_numpy(dtype=bool, na_value=False)
    if bad.any():
        raise InputError(
            f"unknown {title} code(s): "
            + summarise_items(repr(v) for v in sorted(set(text[bad].tolist()))),
            file=file,
            location=f"column {column!r} ({title}), {_rows(bad)}",
            expected="one of " + ", ".join(sorted(known)) + " (NHS Data Dictionary)",
            fix=f"correct those {title} codes, or give a 'pod' column",
        )


def _patient_codes(values: pd.Series) -> npt.NDArray[np.int32]:
    """Patient codes (-1 = blank), without building a label per patient: a year of one trust
    has a million patients, and only equality between records matters."""
    if values.dtype.kind in "iu":
        codes = pd.factorize(values.to_numpy())[0]
        return np.asarray(codes, dtype=np.int32)
    if values.dtype.kind == "f":
        codes = pd.factorize(values.to_numpy(), use_na_sentinel=True)[0]
        return np.asarray(codes, dtype=np.int32)
    text = values.astype("string").str.strip()
    codes = pd.factorize(text.mask(text == ""), use_na_sentinel=True)[0]
    return np.asarray(codes, dtype=np.int32)


def _record_ids(values: pd.Series, *, file: str) -> npt.NDArray[np.generic]:
    """Record ids: integers, or stripped text; every row has one and each id is unique."""
    if values.dtype.kind in "iu":
        record_id: npt.NDArray[np.generic] = values.to_numpy().astype(np.int64, copy=False)
        blank = np.zeros(len(values), dtype=bool)
    elif values.dtype.kind == "f":  # an integer column with blanks is read as decimals
        arr = values.to_numpy(dtype=np.float64)
        blank = np.isnan(arr)
        with np.errstate(invalid="ignore"):
            bad = ~blank & ((arr != np.floor(arr)) | (np.abs(arr) >= 2.0**53))
        if bad.any():
            raise InputError(
                "record ids were read as decimals that are not whole numbers below 2^53: "
                + summarise_items(f"{v:.17g}" for v in arr[bad][:5]),
                file=file,
                location=f"column 'record_id', {_rows(bad)}",
                expected="whole-number or text ids",
                fix="export record_id as text (quote it)",
            )
        record_id = np.where(blank, 0, arr).astype(np.int64)
    else:
        text = values.astype("string").str.strip()
        blank = (text.isna() | (text == "")).to_numpy(dtype=bool, na_value=True)
        record_id = text.to_numpy(dtype=object)
    if blank.any():
        raise InputError(
            f"{int(blank.sum()):,} record(s) have no record_id",
            file=file,
            location=f"column 'record_id', {_rows(blank)}",
            expected="an id in every row",
            fix="fill in those ids (the spell or attendance identifier)",
        )
    dup = pd.Series(record_id).duplicated(keep=False).to_numpy()
    if dup.any():
        ids = sorted(set(pd.Series(record_id)[dup].astype(str).tolist()))
        raise InputError(
            "duplicate record ids: " + summarise_items(ids),
            file=file,
            location=f"column 'record_id', {_rows(dup)}",
            expected="each record_id once",
            fix="remove the duplicate rows or give them distinct ids",
        )
    return record_id


def _year_column(
    values: pd.Series, fy: npt.NDArray[np.int16], *, file: str
) -> npt.NDArray[np.int16]:
    """The ``year`` column (HES ``FYEAR``): fills the year where a record has no dates, and
    must agree with the dates where it has them."""
    codes, labels = _factorize(values)
    starts = []
    for label in labels:
        try:
            starts.append(FinancialYear.parse_extract(label).start)
        except Exception:  # any parse failure is the same user error
            bad = codes == labels.index(label)
            raise InputError(
                f"not a financial year: {label!r}",
                file=file,
                location=f"column 'year', {_rows(bad)}",
                expected="a financial year: HES FYEAR 1617, or 201617, 2016/17, 2016-17",
                fix="correct those cells",
            ) from None
    lookup = np.array([*starts, -1], dtype=np.int16)
    given = lookup[np.where(codes >= 0, codes, len(starts))]
    clash = (fy >= 0) & (given >= 0) & (given != fy)
    if clash.any():
        first = int(np.flatnonzero(clash)[0])
        raise InputError(
            f"{int(clash.sum()):,} record(s) have a financial year that disagrees with their "
            f"dates, e.g. {str(values.iloc[first]).strip()!r} for a record dated in "
            f"{FinancialYear(int(fy[first]))}",
            file=file,
            location=f"column 'year', {_rows(clash)}",
            expected="the financial year of the discharge date (else the admission date)",
            fix="correct the year or the dates of those records (HES FYEAR 1617 is 2016/17)",
        )
    return np.where(fy >= 0, fy, given).astype(np.int16)


def _explicit_links(
    values: pd.Series, record_id: npt.NDArray[np.generic], *, file: str
) -> Int64Array:
    """Row index of each ``readmission_of`` id (-1 where blank); unknown ids are an error."""
    has = values.notna().to_numpy().copy()
    if not pd.api.types.is_numeric_dtype(values.dtype):
        has &= (values.astype("string").str.strip() != "").to_numpy(dtype=bool, na_value=False)
    out = np.full(len(values), -1, dtype=np.int64)
    if not has.any():
        return out
    if record_id.dtype.kind in "iu":
        wanted = pd.to_numeric(values[has], errors="coerce")
        ids = pd.Index(record_id)
        pos = ids.get_indexer(wanted.to_numpy(dtype=np.float64).astype(np.int64))
        pos[wanted.isna().to_numpy()] = -1
    else:
        ids = pd.Index(record_id.astype(str))
        pos = ids.get_indexer(values[has].astype("string").str.strip().to_numpy(dtype=object))
    unknown = pos < 0
    if unknown.any():
        rows = np.flatnonzero(has)[unknown]
        mask = np.zeros(len(values), dtype=bool)
        mask[rows] = True
        raise InputError(
            "readmission_of names records that are not in the table: "
            + summarise_items(_id_text(v) for v in values[mask].tolist()),
            file=file,
            location=f"column 'readmission_of', {_rows(mask)}",
            expected="the record_id of the index spell, or blank",
            fix="correct or blank those links",
        )
    out[has] = pos
    return out


def _id_text(value: object) -> str:
    """An id as the user wrote it: 99999999, not the 99999999.0 a column with blanks reads."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def link_readmissions(
    *,
    patient: npt.NDArray[np.integer],
    admission_day: npt.NDArray[np.integer],
    discharge_day: npt.NDArray[np.integer],
    pod: npt.NDArray[np.integer],
    provider: npt.NDArray[np.integer] | None = None,
    window_days: int = schema.READMISSION_WINDOW_DAYS,
    linkable: npt.NDArray[np.bool_] | None = None,
) -> Int64Array:
    """Link each emergency spell to the index spell it readmits (payment-rules.md A5 [V]).

    A non-elective spell is a readmission when the same patient's previous admitted-care spell
    (by admission date, then discharge date; at the same provider when *provider* is given
    [K]) was discharged on or before its admission and at most *window_days* (30) days before.
    Only admitted-care spells (and of those only *linkable* ones, when given: both dates known)
    take part.

    Returns:
        int64 row index of the index spell per record, -1 where none.
    """
    n = pod.shape[0]
    out = np.full(n, -1, dtype=np.int64)
    in_scope = pod <= POD_CODES["non_elective"]
    if linkable is not None:
        in_scope &= linkable
    apc = np.flatnonzero(in_scope)
    if apc.size < 2:
        return out
    keys = [discharge_day[apc], admission_day[apc], patient[apc]]
    if provider is not None:
        keys.append(provider[apc])
    order = apc[np.lexsort(keys)]
    prev, cur = order[:-1], order[1:]
    same = patient[prev] == patient[cur]
    if provider is not None:
        same &= provider[prev] == provider[cur]
    gap = admission_day[cur].astype(np.int64) - discharge_day[prev].astype(np.int64)
    link = (
        same
        & (pod[cur] == POD_CODES["non_elective"])
        & (gap >= 0)
        & (gap <= window_days)
        & (patient[cur] >= 0)
    )
    out[cur[link]] = prev[link]
    return out


def load_activity(
    path: str | Path | Sequence[str | Path],
    *,
    date_format: str | None = None,
    fmt: str = "auto",
    labels: Sequence[str] | None = None,
) -> ActivityTable:
    """Read, validate and compile one activity file, or several as one table.

    See ``docs/activity-schema.md`` for the columns. Extract column names are mapped by
    format *fmt* (:data:`quasimarket.activity.formats.FORMATS`: ``hes-apc``, ``hes-op``,
    ``hes-ae``, ``sus-apc``, ``ecds``, ``slam``, or ``auto`` per file). Every column is checked
    by the validation layer (:mod:`quasimarket.validation`): values it lets through but finds
    implausible are counted in :attr:`ActivityTable.notes`.

    Several files (APC, OP and A&E extracts of one trust) are each mapped and validated on
    their own, so an error names the file and its row; then they are combined, and
    readmissions are linked over the whole table.

    Args:
        path: The file, or a list of files (CSV, Parquet or XLSX).
        date_format: The ``strftime`` format of the date columns (``%d/%m/%Y``); None
            recognises ISO, HES ``YYYYMMDD`` and UK day-first dates, one format per column.
        fmt: The extract format of every file, or ``auto`` to recognise each by its columns.
        labels: How messages name each file (default: its path), e.g. the name a web user
            uploaded it under.

    Raises:
        InputError: A file is missing, too large, not text, or has bad rows (each error
            names the rows/ids and the fix); two files share record ids.
    """
    paths = [Path(path)] if isinstance(path, (str, Path)) else [Path(p) for p in path]
    if not paths:
        raise InputError("no activity files given", fix="give one or more activity files")
    names = list(labels) if labels is not None else [str(p) for p in paths]
    if len(names) != len(paths):
        raise ValueError("one label per activity file")
    if len(paths) == 1:
        frame = read_table(paths[0], what="activity table")
        return ActivityTable.from_frame(frame, file=names[0], date_format=date_format, fmt=fmt)
    adapted: list[pd.DataFrame] = []
    notes: list[str] = []
    for p, name in zip(paths, names, strict=True):
        raw = read_table(p, what="activity table")
        frame, mapping = formats.adapt(raw, fmt, file=name)
        notes.extend(_mapping_notes(mapping))
        # validate alone (errors name this file's rows); links may point into other files
        alone = _compile(
            frame.drop(columns=["readmission_of"], errors="ignore"),
            file=name,
            date_format=date_format,
            fmt="slam" if fmt == "auto" else fmt,  # already mapped: schema names pass
        )
        notes.extend(alone.notes)
        frame = frame.assign(record_id=_id_strings(frame["record_id"]))
        # whole numbers as text: a column another file lacks would turn them to decimals
        # (HES dates 20160405 -> 20160405.0) when the files are combined
        ints = [c for c in frame.columns if frame[c].dtype.kind in "iu"]
        adapted.append(frame.astype(dict.fromkeys(ints, "string")))
    _check_ids_across(adapted, names)
    combined = pd.concat(adapted, ignore_index=True)
    for column in combined.columns:  # categoricals of differing categories concat as object
        if combined[column].dtype == object and column != "record_id":
            combined[column] = combined[column].astype("string")
    table = _compile(
        combined,
        file=" + ".join(names),
        date_format=date_format,
        fmt="slam",
    )
    return replace(table, notes=tuple(dict.fromkeys(notes)))


def _id_strings(values: pd.Series) -> pd.Series:
    """Record ids as text, so ids of an integer file and a text file compare alike."""
    if values.dtype.kind == "f":
        arr = values.to_numpy(dtype=np.float64)
        return pd.Series(
            [str(int(v)) if v == v else "" for v in arr], index=values.index, dtype="string"
        )
    return values.astype("string").str.strip()


def _check_ids_across(frames: list[pd.DataFrame], paths: list[str]) -> None:
    """One error when two files hold the same record id (each file's own ids are checked
    when it is validated). One hash pass over all the ids, then integer work per file."""
    sizes = [len(f) for f in frames]
    codes, _ = pd.factorize(pd.concat([f["record_id"] for f in frames], ignore_index=True))
    owner = np.full(int(codes.max()) + 1 if codes.size else 0, -1, dtype=np.int64)
    start = 0
    for k, size in enumerate(sizes):
        mine = codes[start : start + size]
        start += size
        seen = owner[mine]
        clash = seen >= 0
        if clash.any():
            j = int(seen[clash][0])
            ids = frames[k]["record_id"].to_numpy(dtype=object)[clash]
            raise InputError(
                f"{int(clash.sum()):,} record id(s) of {paths[k]} are also in {paths[j]}: "
                + summarise_items([str(v) for v in ids[:5]]),
                file=paths[k],
                location=f"column 'record_id', {_rows(clash)}",
                expected="record ids unique over all the files loaded together",
                fix="load each extract once, or make the ids distinct (e.g. prefix "
                "each file's ids: APC-..., OP-...)",
            )
        owner[mine] = k
