"""Loading a national tariff (Annex A shaped CSV/XLSX files) into a :class:`TariffTable`.

Each table is recognised by its columns (:mod:`quasimarket.tariff.annex_a`), not by its file
or sheet name: a folder of CSVs, one CSV, or one workbook with several sheets all work.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from quasimarket.errors import InputError
from quasimarket.io.tables import read_excel_sheets, read_table
from quasimarket.tariff import annex_a as aa
from quasimarket.tariff.table import TariffTable

__all__ = ["TABLE_KEYS", "load_mff", "load_tariff"]

#: The tables of a tariff, by key.
TABLE_KEYS = ("apc", "outpatient", "ae", "mff", "top_up")
_SUFFIXES = {".csv", ".tsv", ".txt", ".parquet", ".xlsx", ".xlsm"}


def _kind(columns: list[str]) -> str | None:
    """Which Annex A table a header row belongs to (None if none)."""
    cols = set(columns)
    if aa.NON_ELECTIVE in cols or aa.DAY_CASE in cols or aa.EXCESS_BED_DAY in cols:
        return "apc"
    if aa.TFC_CODE in cols:
        return "outpatient"
    if aa.AE_TYPE_1_2 in cols:
        return "ae"
    if aa.MFF_INDEX in cols:
        return "mff"
    if aa.TOP_UP_PERCENT in cols:
        return "top_up"
    if aa.HRG_CODE in cols:  # an APC sheet with its price columns missing: say which
        return "apc"
    return None


def _frames_from(path: Path) -> dict[str, tuple[pd.DataFrame, str]]:
    found: dict[str, tuple[pd.DataFrame, str]] = {}
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        sheets = read_excel_sheets(path, what="tariff workbook")  # file checks, broken workbooks
        for name, frame in sheets.items():
            frame.columns = [str(c).strip() for c in frame.columns]
            kind = _kind(list(frame.columns))
            if kind and kind not in found:
                found[kind] = (frame, f"{path} [sheet {name!r}]")
        return found
    frame = read_table(path, what="tariff table")
    kind = _kind(list(frame.columns))
    if kind is None:
        raise InputError(
            "not a recognisable tariff table",
            file=path,
            location="header row",
            expected=f"Annex A columns such as {aa.HRG_CODE!r} and {aa.NON_ELECTIVE!r} (APC), "
            f"{aa.TFC_CODE!r} (outpatients), {aa.AE_TYPE_1_2!r} (A&E), {aa.MFF_INDEX!r} (MFF)",
            fix="use the column names of docs/pricing.md (Annex A shape)",
        )
    found[kind] = (frame, str(path))
    return found


def load_tariff(path: str | Path, *, mff: str | Path | None = None) -> TariffTable:
    """Load a national tariff from a file or a folder of files.

    Args:
        path: An APC CSV/Parquet/XLSX file, a workbook with several Annex A sheets, or a
            folder holding one file per table (APC required; outpatient, A&E, MFF and top-up
            optional).
        mff: Optional MFF table (``MFF_COLUMNS``) replacing any in *path*.

    Raises:
        InputError: The file is missing, too large, not text, lacks a column, or has bad rows.
    """
    root = Path(path)
    found: dict[str, tuple[pd.DataFrame, str]] = {}
    if root.is_dir():
        paths = sorted(p for p in root.iterdir() if p.suffix.lower() in _SUFFIXES)
        for file in paths:
            for kind, value in _frames_from(file).items():
                if kind in found:  # never pick one of two tables by file name: refuse
                    raise InputError(
                        f"the tariff folder has two {kind} tables: {found[kind][1]} and {value[1]}",
                        file=root,
                        expected=f"one {kind} table per tariff",
                        fix="move the one you do not want out of the folder",
                    )
                found[kind] = value
    else:
        found = _frames_from(root)
    if "apc" not in found:
        raise InputError(
            "no admitted patient care (APC) tariff table found",
            file=root,
            expected=f"a table with the Annex A columns {', '.join(map(repr, aa.APC_COLUMNS))}",
            fix="give the APC & OPROC sheet of the tariff workbook as CSV or XLSX",
        )
    frames = {k: v[0] for k, v in found.items()}
    files = {k: v[1] for k, v in found.items()}
    table = TariffTable.from_frames(
        frames["apc"],
        outpatient=frames.get("outpatient"),
        ae=frames.get("ae"),
        mff=frames.get("mff"),
        top_up=frames.get("top_up"),
        source=str(root),
        files=files,
    )
    if mff is not None:
        table = table.with_mff(load_mff(mff), file=str(mff))
    return table


def load_mff(path: str | Path) -> pd.DataFrame:
    """Read an MFF table (``Org code``, ``MFF payment index``) from CSV/Parquet/XLSX."""
    return read_table(path, required=(aa.MFF_ORG_CODE, aa.MFF_INDEX), what="MFF table")
