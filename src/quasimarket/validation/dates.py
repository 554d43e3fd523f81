"""Reading date columns with explicit formats: UK day-first when ambiguous, never a guess.

Without ``--date-format`` a column's format is recognised from its values, one family per
column: ISO ``2016-05-06`` (an optional time is ignored), HES/SUS ``20160506``, or UK
``06/05/2016`` (``/``, ``.`` or ``-`` separated; day first). A column that mixes families, or
whose slashed dates can only be month-first (``12/25/2016``), is refused with the fix: dates
decide the month and the financial year, so a misread one moves money.

Values are parsed once per distinct value (a year of spells has a few hundred distinct dates),
so ten million rows cost one factorisation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.errors import InputError, summarise_items
from quasimarket.validation.bounds import rows_text
from quasimarket.validation.schema import EARLIEST_DATE, LATEST_DATE

__all__ = ["NO_DAY", "parse_days"]

#: Day number for a blank date.
NO_DAY = int(np.iinfo(np.int32).min)

_FAMILIES = {
    "ISO (YYYY-MM-DD)": r"^\d{4}-\d{1,2}-\d{1,2}(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$",
    "HES (YYYYMMDD)": r"^\d{8}$",
    "UK (DD/MM/YYYY)": r"^\d{1,2}[/.-]\d{1,2}[/.-]\d{4}(?: \d{1,2}:\d{2}(?::\d{2})?)?$",
}
_FORMATS = {"ISO (YYYY-MM-DD)": "ISO8601", "HES (YYYYMMDD)": "%Y%m%d"}


def parse_days(
    values: pd.Series, *, column: str, file: str, date_format: str | None = None
) -> npt.NDArray[np.int32]:
    """Dates as int32 day numbers since 1970-01-01 (:data:`NO_DAY` where blank).

    Args:
        values: The column as read.
        column: Its name, for errors.
        file: The file, for errors.
        date_format: A ``strftime`` format (``%d/%m/%Y``) every non-blank cell must match;
            None recognises the format (module docstring).

    Raises:
        InputError: A cell is not a date (in the format), the column mixes formats, slashed
            dates are month-first, or a date is before the NHS began or after 2100.
    """
    if pd.api.types.is_datetime64_any_dtype(values.dtype):
        parsed = pd.to_datetime(values)
        days = _to_days(parsed.to_numpy(dtype="datetime64[ns]"))
        return _check_range(days, values, column=column, file=file)
    if values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) in (
        "date",
        "datetime",
    ):  # Parquet date32 columns arrive as datetime.date objects
        days = _to_days(pd.to_datetime(values).to_numpy(dtype="datetime64[ns]"))
        return _check_range(days, values, column=column, file=file)
    text = values.astype("string").str.strip()
    codes, uniques = pd.factorize(text.mask(text == ""), use_na_sentinel=True)
    labels = pd.Series(uniques, dtype="string")
    if date_format is not None:
        parsed_u = pd.to_datetime(labels, format=date_format, errors="coerce")
        _refuse_unreadable(
            parsed_u,
            labels,
            codes,
            values,
            column=column,
            file=file,
            expected=f"dates in the format {date_format}",
            fix="correct those cells, or give the format the file uses with --date-format",
        )
    else:
        parsed_u = _recognise(labels, codes, values, column=column, file=file)
    lookup = np.append(_to_days(parsed_u.to_numpy(dtype="datetime64[ns]")), NO_DAY)
    days = lookup[np.where(codes >= 0, codes, lookup.size - 1)].astype(np.int32)
    return _check_range(days, values, column=column, file=file)


def _recognise(
    labels: pd.Series, codes: npt.NDArray[np.intp], values: pd.Series, *, column: str, file: str
) -> pd.Series:
    family = pd.Series(pd.NA, index=labels.index, dtype="string")
    for name, pattern in _FAMILIES.items():
        family = family.mask(family.isna() & labels.str.match(pattern), name)
    unknown = family.isna()
    if unknown.any():
        _raise_for_labels(
            unknown.to_numpy(),
            labels,
            codes,
            values,
            column=column,
            file=file,
            problem="dates in a format that is not recognised",
            expected="YYYY-MM-DD, YYYYMMDD or DD/MM/YYYY (UK, day first)",
            fix="give the format with --date-format (e.g. --date-format '%d %b %Y')",
        )
    found = sorted(set(family.dropna().tolist()))
    if len(found) > 1:
        examples = [f"{labels[family == name].iloc[0]!r} ({name})" for name in found]
        raise InputError(
            "the column mixes date formats: " + " and ".join(examples),
            file=file,
            location=f"column {column!r}",
            expected="one date format in the whole column",
            fix="re-export the column in one format, or give it with --date-format",
        )
    if not found:
        return pd.Series(pd.NaT, index=labels.index, dtype="datetime64[ns]")
    name = found[0]
    if name in _FORMATS:
        parsed = pd.to_datetime(labels, format=_FORMATS[name], errors="coerce")
    else:
        parts = labels.str.extract(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})")
        first = parts[0].astype(int)
        second = parts[1].astype(int)
        if (second > 12).any() and not (first > 12).any():
            example = labels[second > 12].iloc[0]
            raise InputError(
                f"the dates are month first ({example!r}), not UK day first",
                file=file,
                location=f"column {column!r}",
                expected="DD/MM/YYYY (UK); month-first dates only when you say so",
                fix="pass --date-format '%m/%d/%Y' if the whole column is month first",
            )
        iso = parts[2] + "-" + parts[1].str.zfill(2) + "-" + parts[0].str.zfill(2)
        parsed = pd.to_datetime(iso, format="%Y-%m-%d", errors="coerce")
    _refuse_unreadable(
        parsed,
        labels,
        codes,
        values,
        column=column,
        file=file,
        expected=f"real calendar dates ({name})",
        fix="correct those cells",
    )
    return parsed


def _refuse_unreadable(
    parsed: pd.Series,
    labels: pd.Series,
    codes: npt.NDArray[np.intp],
    values: pd.Series,
    *,
    column: str,
    file: str,
    expected: str,
    fix: str,
) -> None:
    bad = (parsed.isna() & labels.notna()).to_numpy()
    if bad.any():
        _raise_for_labels(
            bad,
            labels,
            codes,
            values,
            column=column,
            file=file,
            problem="dates that cannot be read",
            expected=expected,
            fix=fix,
        )


def _raise_for_labels(
    bad_labels: npt.NDArray[np.bool_],
    labels: pd.Series,
    codes: npt.NDArray[np.intp],
    values: pd.Series,
    *,
    column: str,
    file: str,
    problem: str,
    expected: str,
    fix: str,
) -> None:
    rows = np.isin(codes, np.flatnonzero(bad_labels))
    raise InputError(
        f"{problem}: " + summarise_items(repr(str(v)) for v in labels[bad_labels].tolist()),
        file=file,
        location=f"column {column!r}, {rows_text(rows)}",
        expected=expected,
        fix=fix,
    )


def _to_days(stamps: npt.NDArray[np.datetime64]) -> npt.NDArray[np.int64]:
    days = stamps.astype("datetime64[D]")
    out = days.astype(np.int64)
    out[np.isnat(days)] = NO_DAY
    return out


_EARLIEST = int(np.datetime64(EARLIEST_DATE, "D").astype(np.int64))
_LATEST = int(np.datetime64(LATEST_DATE, "D").astype(np.int64))


def _check_range(
    days: npt.NDArray[np.int64], values: pd.Series, *, column: str, file: str
) -> npt.NDArray[np.int32]:
    given = days != NO_DAY
    bad = given & ((days < _EARLIEST) | (days >= _LATEST))
    if bad.any():
        raise InputError(
            "dates before the NHS began or after 2100: "
            + summarise_items(repr(str(v)) for v in values[bad].tolist()),
            file=file,
            location=f"column {column!r}, {rows_text(bad)}",
            expected=f"dates from {EARLIEST_DATE} to before {LATEST_DATE}",
            fix="correct those cells (a year typed wrongly?)",
        )
    return days.astype(np.int32)
