"""Reading tabular input files (CSV, Parquet, XLSX) with one clear error for each problem.

Checks, in order: the file exists; it is not too large; it is text (CSV) or the right binary
format; it is UTF-8 (a BOM is allowed); it parses; it has the required columns. Each failure is
an :class:`~quasimarket.errors.InputError` naming the file and what to do.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from quasimarket.errors import InputError, summarise_items

__all__ = ["MAX_INPUT_BYTES", "read_table", "require_columns"]

#: Input files larger than this are refused before reading (2 GiB).
MAX_INPUT_BYTES = 2 * 1024**3

_TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
_PARQUET_MAGIC = b"PAR1"
_XLSX_MAGIC = b"PK\x03\x04"


def _check_file(path: Path, *, max_bytes: int) -> None:
    if not path.exists():
        raise InputError("file not found", file=path, fix="check the path and file name")
    if path.is_dir():
        raise InputError("is a folder, not a file", file=path, fix="give the path of a file")
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(
            f"file is too large ({size / 1024**2:,.0f} MiB)",
            file=path,
            expected=f"at most {max_bytes / 1024**2:,.0f} MiB",
            fix="split the file, or convert it to Parquet and filter it to the rows you need",
        )


def _check_text(path: Path) -> None:
    head = path.read_bytes()[:65536]
    if b"\x00" in head:
        raise InputError(
            "file is not text (it contains NUL bytes)",
            file=path,
            expected="a UTF-8 CSV file",
            fix="export the table as CSV (UTF-8), or give a .parquet or .xlsx file",
        )
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as err:
        # A multi-byte character may be cut at the end of the sample; only complain if the
        # bad byte is well inside it.
        if err.start < len(head) - 4:
            raise _encoding_error(path) from None


def _encoding_error(path: Path) -> InputError:
    """The first non-UTF-8 byte anywhere in *path*, as an error naming its line."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
        position, byte = len(data), 0
    except UnicodeDecodeError as err:
        position, byte = err.start, data[err.start]
    line = data[:position].count(b"\n") + 1
    return InputError(
        f"file is not UTF-8 (byte 0x{byte:02x} at line {line})",
        file=path,
        location=f"line {line}",
        expected="UTF-8 text",
        fix="re-save the file as 'CSV UTF-8' (Excel) or convert it with iconv",
    )


def read_table(
    path: str | Path,
    *,
    required: Iterable[str] = (),
    what: str = "table",
    dtype: dict[str, str] | None = None,
    max_bytes: int = MAX_INPUT_BYTES,
) -> pd.DataFrame:
    """Read a CSV, Parquet or XLSX table and check it has the *required* columns.

    Args:
        path: The file. Its suffix chooses the reader; ``.xlsx`` reads the first sheet.
        required: Column names that must be present (after stripping a UTF-8 BOM).
        what: What the table is, for messages (e.g. ``"activity table"``).
        dtype: Optional pandas dtypes by column, for CSV.
        max_bytes: Refuse larger files.
    """
    file = Path(path)
    _check_file(file, max_bytes=max_bytes)
    suffix = file.suffix.lower()
    try:
        if suffix == ".parquet":
            if file.read_bytes()[:4] != _PARQUET_MAGIC:
                raise InputError(
                    "file is not Parquet", file=file, fix="give a real Parquet file or a CSV"
                )
            frame = pd.read_parquet(file)
        elif suffix in {".xlsx", ".xlsm"}:
            if file.read_bytes()[:4] != _XLSX_MAGIC:
                raise InputError("file is not an Excel workbook", file=file, fix="save as .xlsx")
            frame = pd.read_excel(file, sheet_name=0)
        elif suffix in _TEXT_SUFFIXES or suffix == "":
            _check_text(file)
            sep = "\t" if suffix == ".tsv" else ","
            frame = pd.read_csv(file, sep=sep, dtype=dtype, encoding="utf-8-sig")  # type: ignore[arg-type]
        else:
            raise InputError(
                f"unsupported file type '{suffix}' for the {what}",
                file=file,
                expected=".csv, .parquet or .xlsx",
                fix="convert the file to CSV or Parquet",
            )
    except InputError:
        raise
    except UnicodeDecodeError:
        raise _encoding_error(file) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError, OSError) as err:
        raise InputError(
            f"could not read the {what}: {str(err).splitlines()[0]}",
            file=file,
            fix="check the file is a well-formed CSV with one header row",
        ) from None
    frame.columns = [str(column).lstrip("\ufeff").strip() for column in frame.columns]
    require_columns(frame, required, file=file, what=what)
    return frame


def require_columns(
    frame: pd.DataFrame, required: Iterable[str], *, file: str | Path | None, what: str
) -> None:
    """Raise one :class:`InputError` listing every required column that is missing."""
    missing: Sequence[str] = [column for column in required if column not in frame.columns]
    if missing:
        raise InputError(
            f"the {what} is missing column{'s' if len(missing) > 1 else ''} "
            f"{summarise_items(repr(m) for m in missing)}",
            file=file,
            location="header row",
            expected=f"columns {', '.join(repr(c) for c in required)}",
            fix="add the missing column(s); found "
            + summarise_items(map(repr, frame.columns), first=8),
        )
