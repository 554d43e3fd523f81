"""Loading a national tariff (published workbooks, or Annex A shaped CSV/XLSX) into a
:class:`TariffTable`.

Each table is recognised by its header row, not by its file or sheet name: a folder of CSVs,
one CSV, or one workbook with several sheets all work. The header row is looked for in the
first :data:`HEADER_SEARCH_ROWS` rows of each sheet (published workbooks have title rows above
it), and its cells are read with the alias tables of :mod:`quasimarket.tariff.layouts`, so each
year's spellings, line breaks and footnote markers are accepted. docs/tariffs.md has the rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket.errors import InputError, summarise_items
from quasimarket.io.tables import read_raw_sheets, read_table
from quasimarket.tariff import annex_a as aa
from quasimarket.tariff.layouts import LAYOUTS, HeaderMatch, match_header
from quasimarket.tariff.table import RowNumbers, TariffTable

__all__ = [
    "HEADER_SEARCH_ROWS",
    "TABLE_KEYS",
    "FoundTable",
    "LoadedTariff",
    "load_mff",
    "load_tariff",
    "load_tariff_report",
]

#: The tables of a tariff, by key.
TABLE_KEYS = ("apc", "outpatient", "ae", "mff", "top_up")
#: What each table is, for messages.
TABLE_NAMES = {
    "apc": "admitted patient care and outpatient procedures (APC & OPROC)",
    "outpatient": "outpatient attendances by treatment function",
    "ae": "A&E",
    "mff": "market forces factor (MFF)",
    "top_up": "specialised top-ups",
}
#: How many rows from the top of each sheet are searched for the header row.
HEADER_SEARCH_ROWS = 30
#: Cells a header row needs to be taken as one (the code column and one more).
_MIN_HEADER_CELLS = 2
#: Sheets whose header candidates an error lists.
_MAX_SHEETS_SHOWN = 8
_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xlsm"}
_CODE_COLUMN = {
    "apc": aa.HRG_CODE,
    "outpatient": aa.TFC_CODE,
    "ae": aa.AE_HRG_CODE,
    "mff": aa.MFF_ORG_CODE,
    "top_up": aa.TOP_UP_CATEGORY_CODE,
}


@dataclass(frozen=True)
class FoundTable:
    """One table found in a tariff file: where, how it was read, and its rows.

    Attributes:
        kind: Table key (:data:`TABLE_KEYS`).
        file: The file.
        sheet: The sheet name (``None`` for CSV/Parquet).
        header_row: File row number of the header row (1 = first row).
        layout: Key of the layout whose spellings matched (:data:`~layouts.LAYOUTS`); several,
            joined by ``" | "``, when their spellings of these columns are the same.
        columns: Our column -> the header cell as written, for each recognised column.
        ignored: Header cells not recognised (their columns are not read).
        frame: The rows, with our column names.
        file_rows: File row number of each row of *frame*.
        notes: What was assumed or skipped while reading it.
    """

    kind: str
    file: Path
    sheet: str | None
    header_row: int
    layout: str
    columns: dict[str, str]
    ignored: tuple[str, ...]
    frame: pd.DataFrame
    file_rows: RowNumbers
    notes: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """``file [sheet 'name']``, as error messages name it."""
        return f"{self.file} [sheet {self.sheet!r}]" if self.sheet is not None else str(self.file)


@dataclass(frozen=True)
class LoadedTariff:
    """A loaded tariff and how it was read (what ``quasimarket tariff check`` reports)."""

    table: TariffTable
    tables: tuple[FoundTable, ...]
    sheets_searched: tuple[str, ...]
    notes: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class _Candidate:
    sheet: str | None
    row: int  # file row number
    match: HeaderMatch
    cells: tuple[str, ...]


def _cell_text(value: object) -> str:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return ""
    return str(value).strip()


def _blank(value: object) -> bool:
    return _cell_text(value) == ""


def _scan(grid: pd.DataFrame, sheet: str | None) -> list[_Candidate]:
    """Every row of the first HEADER_SEARCH_ROWS read as a header, best first."""
    found = []
    for row in range(min(len(grid), HEADER_SEARCH_ROWS)):
        cells = grid.iloc[row].tolist()
        match = match_header(cells)
        texts = tuple(_cell_text(c) for c in cells)
        found.append(_Candidate(sheet, row + 1, match, texts))
    # best first: most recognised cells, then most text cells (a header is words, a data row
    # mostly numbers), then nearest the top
    found.sort(key=lambda c: (-c.match.score, -sum(1 for t in c.cells if _is_text(t)), c.row))
    return found


def _is_text(cell: str) -> bool:
    """A non-blank cell that is not a number."""
    try:
        float(cell.replace(",", "").replace("£", ""))
    except ValueError:
        return bool(cell)
    return False


def _header_error(where: Path, location: str, candidate: _Candidate) -> InputError:
    dup = candidate.match.duplicates
    column, positions = next(iter(dup.items()))
    cells = [candidate.cells[p] for p in positions]
    return InputError(
        f"the header row has {len(cells)} columns that mean {column!r}: "
        + summarise_items(repr(c) for c in cells),
        file=where,
        location=f"{location}row {candidate.row}",
        expected="each column once",
        fix="delete or rename the extra column(s)",
    )


def _kind_of(candidate: _Candidate, expect: str | None) -> str | None:
    """The table a header candidate is; with *expect* (``--mff``), a row with that table's
    code column counts as it, so a missing column is named rather than the file refused."""
    kind = candidate.match.kind
    if (
        kind is None
        and expect is not None
        and _CODE_COLUMN[expect] in candidate.match.columns.values()
    ):
        return expect
    return kind


def _table_from(grid: pd.DataFrame, path: Path, candidate: _Candidate, kind: str) -> FoundTable:
    """The table below *candidate*'s header row, with our column names."""
    match = candidate.match
    sheet = candidate.sheet
    where = f"{path} [sheet {sheet!r}]" if sheet is not None else str(path)
    if match.duplicates:
        location = f"sheet {sheet!r}, " if sheet is not None else ""
        raise _header_error(path, location, candidate)
    body = grid.iloc[candidate.row :]
    positions = sorted(match.columns)
    frame = body.iloc[:, positions].copy()
    frame.columns = [match.columns[p] for p in positions]
    frame = frame.reset_index(drop=True)
    file_rows = np.arange(candidate.row + 1, candidate.row + 1 + len(frame), dtype=np.int64)
    blank = frame.map(_blank).to_numpy(dtype=bool)
    keep: npt.NDArray[np.bool_] = ~np.all(blank, axis=1)
    notes: list[str] = []
    # A note below the table ("Source: ...", "* see guidance") sits in the code column, and a
    # section heading in the name column with the code blank; neither has any value. An
    # HRG/TFC/org code never holds a space. Both are skipped, with a note: they carry no money.
    code = _CODE_COLUMN[kind]
    names = [c for c in frame.columns if c not in (code,) and c in (aa.HRG_NAME, aa.TFC_NAME)]
    others = [i for i, c in enumerate(frame.columns) if c != code and c not in names]
    if code in frame.columns and others:
        text = frame[code].map(_cell_text)
        spaced = text.str.contains(r"\s", regex=True).to_numpy(dtype=bool)
        headed = (text == "").to_numpy(dtype=bool)
        note_rows = keep & (spaced | headed) & blank[:, others].all(axis=1)
        if note_rows.any():
            keep &= ~note_rows
            notes.append(
                f"{where}: {int(note_rows.sum())} note or heading row(s) skipped (rows "
                f"{summarise_items(file_rows[note_rows].tolist())}): text only, in {code!r} "
                "or the name column, and no values"
            )
    frame = frame.iloc[np.flatnonzero(keep)].reset_index(drop=True)
    file_rows = file_rows[keep]
    return FoundTable(
        kind=kind,
        file=path,
        sheet=sheet,
        header_row=candidate.row,
        layout=match.layouts,
        columns={match.columns[p]: candidate.cells[p] for p in positions},
        ignored=tuple(match.ignored.values()),
        frame=frame,
        file_rows=file_rows,
        notes=tuple(notes),
    )


def _parquet_grid(path: Path) -> pd.DataFrame:
    """A Parquet table as a grid whose first row is its column names (its header row)."""
    frame = read_table(path, what="tariff table")
    return pd.DataFrame([list(frame.columns), *frame.to_numpy(dtype=object).tolist()])


def _candidates_text(candidates: Sequence[_Candidate], sheets: Sequence[str]) -> str:
    """The best header candidates of each sheet, for the error message: sheets with
    recognised cells first, at most :data:`_MAX_SHEETS_SHOWN` (a message, not a dump)."""
    by_sheet = {s: [c for c in candidates if c.sheet == (s or None)] for s in sheets}
    order = sorted(sheets, key=lambda s: -max((c.match.score for c in by_sheet[s]), default=0))
    lines = []
    for sheet in order[:_MAX_SHEETS_SHOWN]:
        mine = by_sheet[sheet]
        # the best row, and the next only if it too has recognised cells
        shown = [c for c in mine if any(c.cells)][:2]
        shown = shown[:1] + [c for c in shown[1:] if c.match.score]
        label = f"sheet {sheet!r}" if sheet else "the file"
        if not shown:
            lines.append(f"{label}: no text in the first {HEADER_SEARCH_ROWS} rows")
            continue
        for c in shown:
            cells = [t for t in c.cells if t][:6]
            more = sum(1 for t in c.cells if t) - len(cells)
            tail = f", ... ({more} more)" if more > 0 else ""
            recognised = f"; {c.match.score} recognised" if c.match.score else ""
            lines.append(
                f"{label} row {c.row}: "
                + ", ".join(repr(t[:60]) for t in cells)
                + tail
                + recognised
            )
    if len(order) > _MAX_SHEETS_SHOWN:
        lines.append(f"and {len(order) - _MAX_SHEETS_SHOWN} more sheets")
    return "; ".join(lines)


def _tables_in(
    path: Path, *, expect: str | None = None
) -> tuple[list[FoundTable], list[str], list[str]]:
    """The tables of one file, the sheets searched and notes; refuses a file with none."""
    suffix = path.suffix.lower()
    if suffix == ".parquet":  # a Parquet table's header is its schema: row 1, nothing above
        grids = {"": _parquet_grid(path)}
    else:
        what = "tariff workbook" if suffix in {".xlsx", ".xlsm"} else "tariff table"
        grids = read_raw_sheets(path, what=what)
    sheets = list(grids)
    found: list[FoundTable] = []
    candidates: list[_Candidate] = []
    for name, grid in grids.items():
        sheet = name if suffix in {".xlsx", ".xlsm"} else None
        scanned = _scan(grid.iloc[:1] if suffix == ".parquet" else grid, sheet)
        candidates += scanned
        best = next(
            (
                c
                for c in scanned
                if _kind_of(c, expect) is not None and c.match.score >= _MIN_HEADER_CELLS
            ),
            None,
        )
        if best is not None:
            kind = _kind_of(best, expect)
            assert kind is not None
            found.append(_table_from(grid, path, best, kind))
    notes: list[str] = []
    chosen: dict[str, FoundTable] = {}
    for table in found:
        if table.kind in chosen:  # a second sheet of the same kind: use the first, and say so
            notes.append(
                f"{table.where} also looks like a {table.kind} table (header row "
                f"{table.header_row}); the first, {chosen[table.kind].where}, was used"
            )
            continue
        chosen[table.kind] = table
    if not chosen:
        searched = ", ".join(repr(s) for s in sheets if s) or "the file"
        raise InputError(
            "not a recognisable tariff table: no header row in the first "
            f"{HEADER_SEARCH_ROWS} rows has the tariff's column names (searched {searched}); "
            "best header candidates: " + _candidates_text(candidates, sheets),
            file=path,
            location="header row",
            expected=f"a header row with {aa.HRG_CODE!r} and price columns such as "
            f"{aa.NON_ELECTIVE!r} or {aa.DAY_CASE!r} (any layout of docs/tariffs.md: "
            + ", ".join(layout.title for layout in LAYOUTS)
            + f"), or {aa.TFC_CODE!r}, {aa.AE_TYPE_1_2!r} or {aa.MFF_INDEX!r}",
            fix="if this is a published Annex A or prices workbook, check that its APC sheet "
            "is in it and that the header row is in the first "
            f"{HEADER_SEARCH_ROWS} rows; if your headers are spelt differently, rename them "
            "to the column names of docs/tariffs.md (quasimarket tariff check FILE tells you "
            "which are recognised)",
        )
    return list(chosen.values()), [s for s in sheets if s], notes


def load_tariff_report(path: str | Path, *, mff: str | Path | None = None) -> LoadedTariff:
    """Load a national tariff and say how it was read (tables, layouts, header rows, notes).

    Args:
        path: A CSV/Parquet/XLSX file (a published Annex A or prices workbook, or Annex A
            shaped tables), or a folder holding one file per table (APC required; outpatient,
            A&E, MFF and top-up optional).
        mff: Optional MFF table replacing any in *path*.

    Raises:
        InputError: The file is missing, unreadable or has no tariff table (the message lists
            the sheets searched and the best header candidates), a table lacks a column, or a
            row is bad (named by file, sheet, row and column).
    """
    root = Path(path)
    found: dict[str, FoundTable] = {}
    notes: list[str] = []
    searched: list[str] = []
    if root.is_dir():
        paths = sorted(p for p in root.iterdir() if p.suffix.lower() in _SUFFIXES)
        for file in paths:
            tables, sheets, more = _tables_in(file)
            notes += more
            searched += [f"{file.name} [{s}]" for s in sheets] or [file.name]
            for table in tables:
                if table.kind in found:  # never pick one of two tables by file name: refuse
                    raise InputError(
                        f"the tariff folder has two {table.kind} tables: "
                        f"{found[table.kind].where} and {table.where}",
                        file=root,
                        expected=f"one {table.kind} table per tariff",
                        fix="move the one you do not want out of the folder",
                    )
                found[table.kind] = table
    else:
        tables, sheets, notes = _tables_in(root)
        searched = sheets
        found = {t.kind: t for t in tables}
    if "apc" not in found:
        seen = ", ".join(f"{TABLE_NAMES[k]} in {t.where}" for k, t in found.items())
        raise InputError(
            "no admitted patient care (APC) tariff table found"
            + (f"; found only: {seen}" if seen else ""),
            file=root,
            expected=f"a table with the columns {aa.HRG_CODE!r} and the APC prices, such as "
            f"{aa.NON_ELECTIVE!r} (docs/tariffs.md lists each layout's spellings)",
            fix="add the APC & OPROC sheet (or its CSV) to the tariff: the APC table is the "
            "one every tariff needs",
        )
    for table in found.values():
        notes += table.notes
        if table.ignored:
            notes.append(
                f"{table.where}: columns not used: "
                + summarise_items([repr(c[:60]) for c in table.ignored], first=6)
            )
    frames = {k: t.frame for k, t in found.items()}
    files = {k: t.where for k, t in found.items()}
    rows = {k: t.file_rows for k, t in found.items()}
    tariff = TariffTable.from_frames(
        frames["apc"],
        outpatient=frames.get("outpatient"),
        ae=frames.get("ae"),
        mff=frames.get("mff"),
        top_up=frames.get("top_up"),
        source=str(root),
        files=files,
        file_rows=rows,
    )
    if mff is not None:
        mff_table = _load_mff_table(mff)
        tariff = tariff.with_mff(
            mff_table.frame, file=mff_table.where, file_rows=mff_table.file_rows
        )
        notes.append(f"MFF table from {mff_table.where} (replacing any in {root})")
    return LoadedTariff(
        table=tariff,
        tables=tuple(found.values()),
        sheets_searched=tuple(searched),
        notes=tuple(notes),
    )


def load_tariff(path: str | Path, *, mff: str | Path | None = None) -> TariffTable:
    """Load a national tariff from a file or a folder of files (see :func:`load_tariff_report`).

    Raises:
        InputError: The file is missing, too large, not text, has no tariff table, lacks a
            column, or has bad rows.
    """
    return load_tariff_report(path, mff=mff).table


def _load_mff_table(path: str | Path) -> FoundTable:
    tables, _sheets, _notes = _tables_in(Path(path), expect="mff")
    for table in tables:
        if table.kind == "mff":
            return table
    raise InputError(
        "not an MFF table",
        file=path,
        location="header row",
        expected=f"columns {aa.MFF_ORG_CODE!r} and {aa.MFF_INDEX!r}",
        fix="give the MFF sheet of the tariff workbook, or a CSV with those two columns",
    )


def load_mff(path: str | Path) -> pd.DataFrame:
    """Read an MFF table (``Org code``, ``MFF payment index``) from CSV/Parquet/XLSX; its
    header row may be below title rows (``frame.attrs["file_rows"]`` keeps the file rows)."""
    found = _load_mff_table(path)
    frame = found.frame
    frame.attrs["file_rows"] = found.file_rows.tolist()
    return frame
