"""Reading tabular input files (CSV, Parquet, XLSX) with one clear error for each problem.

Checks, in order: the path exists and is a regular file (a named pipe or a device such as
``/dev/zero`` would hang or never end, so they are refused from ``os.stat`` before any read);
it is not too large; it is text (CSV) or the right binary format, judged from its first and
last bytes only; it is UTF-8 (a BOM is allowed); it parses; it has the required columns. Each
failure is an :class:`~quasimarket.errors.InputError` naming the file and what to do; a broken
workbook (not a zip, truncated, missing parts) or Parquet file (truncated, corrupt) included.
"""

from __future__ import annotations

import csv
import os
import re
import stat
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from quasimarket.errors import InputError, summarise_items
from quasimarket.io.config_files import describe_file_kind

__all__ = [
    "MAX_INPUT_BYTES",
    "read_excel_sheets",
    "read_raw_sheets",
    "read_table",
    "require_columns",
]

#: Input files larger than this are refused before reading (2 GiB).
MAX_INPUT_BYTES = 2 * 1024**3

_TEXT_SUFFIXES = {".csv", ".txt", ".tsv"}
_EXCEL_SUFFIXES = {".xlsx", ".xlsm"}
_PARQUET_MAGIC = b"PAR1"
_XLSX_MAGIC = b"PK\x03\x04"
#: How much of a CSV is sampled for NUL bytes and UTF-8 before pandas reads it.
_TEXT_SAMPLE_BYTES = 65536
_FIX_CSV = "check the file is a well-formed CSV with one header row"
_FIX_PARQUET = "write the Parquet file again (it may be truncated or corrupt), or give a CSV"
_FIX_EXCEL = (
    "open the workbook in Excel and save it again as .xlsx (it may be truncated or corrupt), "
    "or export the sheet as CSV"
)


def _check_file(path: Path, *, max_bytes: int) -> int:
    """Refuse a missing, unreadable, non-regular or too large file, from ``os.stat`` alone;
    return its size in bytes."""
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        raise InputError("file not found", file=path, fix="check the path and file name") from None
    except OSError as err:
        raise _unreadable(path, err) from None
    if stat.S_ISDIR(info.st_mode):
        raise InputError("is a folder, not a file", file=path, fix="give the path of a file")
    if not stat.S_ISREG(info.st_mode):
        raise InputError(
            f"not a regular file: it is {describe_file_kind(info.st_mode)}",
            file=path,
            expected="a CSV, Parquet or XLSX file saved on disk",
            fix="save the data to a file first and give its path",
        )
    size = info.st_size
    if size > max_bytes:
        raise InputError(
            f"file is too large ({size / 1024**2:,.0f} MiB)",
            file=path,
            expected=f"at most {max_bytes / 1024**2:,.0f} MiB",
            fix="split the file, or convert it to Parquet and filter it to the rows you need",
        )
    return size


def _unreadable(path: Path, err: OSError) -> InputError:
    if isinstance(err, PermissionError):
        return InputError(
            "permission denied: cannot read the file",
            file=path,
            fix="check the file's permissions (ls -l), or copy it somewhere you can read",
        )
    return InputError(
        f"cannot read the file: {err.strerror or type(err).__name__}",
        file=path,
        fix="check the path, and that the disk or network share is available",
    )


def _head(path: Path, size: int) -> bytes:
    """The first *size* bytes of *path* (never the whole file)."""
    with open(path, "rb") as handle:
        return handle.read(size)


def _tail(path: Path, size: int) -> bytes:
    """The last *size* bytes of *path* (fewer if the file is shorter)."""
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        handle.seek(max(handle.tell() - size, 0))
        return handle.read(size)


def _check_text(path: Path) -> None:
    head = _head(path, _TEXT_SAMPLE_BYTES)
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


def _check_header(path: Path, *, sep: str, what: str) -> None:
    """Refuse a header row naming a column twice (pandas would quietly read ``age.1``)."""
    raw = _head(path, _TEXT_SAMPLE_BYTES)
    if b"\n" not in raw and len(raw) == _TEXT_SAMPLE_BYTES:
        return  # a header longer than the sample: leave it to pandas
    lines = raw.decode("utf-8-sig", errors="replace").splitlines()
    names = next(csv.reader(lines[:1], delimiter=sep), [])
    counts = Counter(name.strip() for name in names if name.strip())
    twice = sorted(name for name, count in counts.items() if count > 1)
    if twice:
        raise InputError(
            f"the {what} names column{'s' if len(twice) > 1 else ''} "
            f"{summarise_items(repr(name) for name in twice)} twice",
            file=path,
            location="header row",
            expected="each column named once",
            fix="rename or remove the duplicate column(s)",
        )


def _first_bad_utf8(path: Path) -> tuple[int, int] | None:
    """``(line, byte)`` of the first byte of *path* that is not UTF-8, read 1 MiB at a time."""
    line = 1
    carry = b""
    with open(path, "rb") as handle:
        while True:
            chunk = handle.read(1024**2)
            data = carry + chunk
            try:
                data.decode("utf-8")
                good = len(data)
            except UnicodeDecodeError as err:
                # A character cut by the chunk boundary is completed by the next chunk.
                cut = err.reason == "unexpected end of data" and err.start >= len(data) - 3
                if chunk and cut:
                    good = err.start
                else:
                    return line + data.count(b"\n", 0, err.start), data[err.start]
            line += data.count(b"\n", 0, good)
            carry = data[good:]
            if not chunk:
                return None


def _encoding_error(path: Path) -> InputError:
    """The first non-UTF-8 byte anywhere in *path*, as an error naming its line."""
    found = _first_bad_utf8(path)
    line, byte = found if found is not None else (1, 0)
    return InputError(
        f"file is not UTF-8 (byte 0x{byte:02x} at line {line})",
        file=path,
        location=f"line {line}",
        expected="UTF-8 text",
        fix="re-save the file as 'CSV UTF-8' (Excel) or convert it with iconv",
    )


def _unreadable_format(
    file: Path, what: str, err: BaseException, *, broken: str, fix: str
) -> InputError:
    """A parser's failure on the file's content as one :class:`InputError`.

    *broken* says what the file is not (``"a valid, complete Excel workbook"``); the parser's
    own first line follows in brackets for whoever has to dig further.
    """
    name, message = type(err).__name__, _first_line(err)
    detail = name if message == name else f"{name}: {message}"
    return InputError(f"could not read the {what}: {broken} ({detail})", file=file, fix=fix)


def _first_line(err: BaseException) -> str:
    lines = str(err).strip().splitlines()
    return lines[0][:300] if lines else type(err).__name__


def _read_excel(file: Path, *, what: str, sheet_name: Any, header: int | None = 0) -> Any:
    """``pd.read_excel`` with every failure caused by the file's bytes as an InputError.

    A workbook is a zip of XML parts, and a broken one fails deep inside zipfile, zlib,
    openpyxl or the XML parser with many exception types (``BadZipFile`` when truncated,
    ``KeyError`` for a missing part, ``ParseError`` for cut XML, ``InvalidFileException``);
    all of them mean the file is unreadable.
    """
    if _head(file, 4) != _XLSX_MAGIC:
        raise InputError(
            f"file is not an Excel workbook (the {what})", file=file, fix="save as .xlsx"
        )
    try:
        return pd.read_excel(file, sheet_name=sheet_name, header=header)
    except (ImportError, MemoryError):
        raise
    except OSError as err:
        raise _unreadable(file, err) from None
    except Exception as err:  # any parser failure on the user's bytes; see the docstring
        raise _unreadable_format(
            file, what, err, broken="not a valid, complete Excel workbook", fix=_FIX_EXCEL
        ) from None


def _read_parquet(file: Path, *, what: str) -> pd.DataFrame:
    """``pd.read_parquet`` after checking both magic numbers; corrupt content is an InputError."""
    if _head(file, 4) != _PARQUET_MAGIC:
        raise InputError("file is not Parquet", file=file, fix="give a real Parquet file or a CSV")
    if _tail(file, 4) != _PARQUET_MAGIC:
        raise InputError(
            "Parquet file is truncated (its footer is missing)",
            file=file,
            fix="write or copy the file again in full, or give a CSV",
        )
    try:
        return pd.read_parquet(file)
    except (ImportError, MemoryError):
        raise
    except Exception as err:  # pyarrow's ArrowInvalid, ArrowIOError (an OSError), ...
        if isinstance(err, PermissionError):
            raise _unreadable(file, err) from None
        raise _unreadable_format(
            file, what, err, broken="the Parquet file is corrupt", fix=_FIX_PARQUET
        ) from None


def read_excel_sheets(
    path: str | Path, *, what: str = "workbook", max_bytes: int = MAX_INPUT_BYTES
) -> dict[str, pd.DataFrame]:
    """Every sheet of an XLSX workbook by name, after the file checks of :func:`read_table`.

    Raises:
        InputError: missing, not a regular file, too large, not a workbook, or broken.
    """
    file = Path(path)
    _check_file(file, max_bytes=max_bytes)
    sheets: dict[str, pd.DataFrame] = _read_excel(file, what=what, sheet_name=None)
    return {str(name): frame for name, frame in sheets.items()}


def read_raw_sheets(
    path: str | Path, *, what: str = "table", max_bytes: int = MAX_INPUT_BYTES
) -> dict[str, pd.DataFrame]:
    """Every sheet of a workbook, or the one table of a CSV, as cells with no header row.

    For files whose header row is not the first (published workbooks have title rows above
    it): the caller finds the header. Cells are read as written (CSV: all text; XLSX: numbers
    and text); the frames have a plain 0-based row index. A CSV is one sheet named ``""``.

    Raises:
        InputError: the checks of :func:`read_table` (missing, not a regular file, too large,
            not text or not a workbook, not UTF-8, broken).
    """
    file = Path(path)
    if _check_file(file, max_bytes=max_bytes) == 0:
        raise InputError(
            f"file is empty (0 bytes), expected the {what}",
            file=file,
            fix="check the path; the file may not have been saved or copied in full",
        )
    suffix = file.suffix.lower()
    if suffix in _EXCEL_SUFFIXES:
        sheets: dict[str, pd.DataFrame] = _read_excel(file, what=what, sheet_name=None, header=None)
        return {str(name): frame for name, frame in sheets.items()}
    if suffix not in _TEXT_SUFFIXES and suffix != "":
        raise InputError(
            f"unsupported file type '{suffix}' for the {what}",
            file=file,
            expected=".csv or .xlsx",
            fix="convert the file to CSV or XLSX",
        )
    _check_text(file)
    sep = "\t" if suffix == ".tsv" else ","
    try:
        with open(file, encoding="utf-8-sig", newline="") as handle:
            rows = list(csv.reader(handle, delimiter=sep))
    except UnicodeDecodeError:
        raise _encoding_error(file) from None
    except csv.Error as err:
        raise _csv_error(file, what, err) from None
    except PermissionError as err:
        raise _unreadable(file, err) from None
    width = max((len(row) for row in rows), default=0)
    # ragged rows (a title row of one cell above a wide header) are padded, not refused
    grid = [row + [""] * (width - len(row)) for row in rows]
    return {"": pd.DataFrame(grid, dtype=object)}


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

    Raises:
        InputError: missing, not a regular file (folder, FIFO, device), too large, not the
            format its suffix says, not UTF-8, unparseable or broken, or missing a column.
    """
    file = Path(path)
    if _check_file(file, max_bytes=max_bytes) == 0:
        raise InputError(
            f"file is empty (0 bytes), expected the {what}",
            file=file,
            fix="check the path; the file may not have been saved or copied in full",
        )
    suffix = file.suffix.lower()
    try:
        if suffix == ".parquet":
            frame = _read_parquet(file, what=what)
        elif suffix in _EXCEL_SUFFIXES:
            frame = _read_excel(file, what=what, sheet_name=0)
        elif suffix in _TEXT_SUFFIXES or suffix == "":
            _check_text(file)
            sep = "\t" if suffix == ".tsv" else ","
            _check_header(file, sep=sep, what=what)
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
    except PermissionError as err:
        raise _unreadable(file, err) from None
    except pd.errors.EmptyDataError:
        raise InputError(
            f"the {what} has no header row (the file is empty or blank lines only)",
            file=file,
            location="line 1",
            expected="a header row naming the columns, then one row per record",
            fix=_FIX_CSV,
        ) from None
    except (pd.errors.ParserError, ValueError, OSError) as err:
        raise _csv_error(file, what, err) from None
    frame.columns = [str(column).lstrip("\ufeff").strip() for column in frame.columns]
    require_columns(frame, required, file=file, what=what)
    return frame


_FIELDS = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


def _csv_error(file: Path, what: str, err: BaseException) -> InputError:
    """pandas' CSV failure in words; a ragged row names its line and the likely cause."""
    ragged = _FIELDS.search(str(err))
    if ragged is None:
        return InputError(f"could not read the {what}: {_first_line(err)}", file=file, fix=_FIX_CSV)
    header, line, found = (int(group) for group in ragged.groups())
    return InputError(
        f"line {line} has {found} fields but the header row has {header}",
        file=file,
        location=f"line {line}",
        expected=f"every row with the {header} columns of the header row (line 1)",
        fix="remove any title or note rows above the header row (the header must be line 1), "
        "and quote values that contain the separator",
    )


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
