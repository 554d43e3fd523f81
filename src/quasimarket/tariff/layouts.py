"""The column names of each published tariff workbook layout, mapped to our Annex A columns.

One alias table per layout: the header cell as published -> the :mod:`~quasimarket.tariff.annex_a`
constant it means. Headers are compared after :func:`normalise_header` (line breaks, repeated
spaces and underscores become one space; dashes are unified; case is folded; a trailing "(£)"
and footnote markers are dropped), so each spelling is listed once, as published.

Sources and status, per spelling (docs/tariffs.md has the same tables):

* **Annex A 2012/13 - 2019/20** (national tariff, Monitor / NHS Improvement): the spellings of
  :mod:`~quasimarket.tariff.annex_a` [V: column names repeated across public tariff projects,
  including SQL imports of the 2017/18 and 2018/19 "1 APC & OPROC" sheets, which show the line
  break of "Reduced short stay emergency tariff <line break> applicable?" and the trailing space
  of "% applied in calculation of reduced short stay emergency tariff "].
* **2020/21 - 2022/23** (national tariff, NHS England and NHS Improvement): the same sheet with
  "price" in place of "tariff" [K: unconfirmed; the "tariff" spellings are accepted too, since
  the 2020/21 workbook rolled 2019/20 over].
* **NHS Payment Scheme 2023/24 onwards** (NHS England): "unit price" in place of "tariff"
  [K: unconfirmed; the scheme calls these "unit prices"].

The outpatient, A&E, MFF and top-up tables are quasimarket's simplified shape [K] (annex_a);
their published variants below are [K] too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace

from quasimarket.tariff import annex_a as aa

__all__ = [
    "LAYOUTS",
    "HeaderMatch",
    "Layout",
    "match_header",
    "normalise_header",
    "table_kind",
]


@dataclass(frozen=True)
class Layout:
    """One published layout: its name, years and header spellings.

    Attributes:
        key: Short name shown by ``tariff check`` (``"annex-a-2012"``).
        title: What the layout is, with its years.
        columns: Header as published -> our column (:mod:`~quasimarket.tariff.annex_a`).
        unconfirmed: Headers of *columns* whose published spelling is not confirmed [K].
    """

    key: str
    title: str
    columns: Mapping[str, str]
    unconfirmed: frozenset[str] = frozenset()


# Columns every layout spells the same way (HRG code and name, trim points, per-day payment).
_SHARED = {
    "HRG code": aa.HRG_CODE,
    "HRG name": aa.HRG_NAME,
    "Ordinary elective long stay trim point (days)": aa.ELECTIVE_TRIM,
    "Non-elective long stay trim point (days)": aa.NON_ELECTIVE_TRIM,
    "Per day long stay payment (for days exceeding trim point) (£)": aa.EXCESS_BED_DAY,
    "BPT applies to HRG or sub-HRG level": aa.BPT_LEVEL,
    "BPT name": aa.BPT_NAME,
}

# The simplified outpatient, A&E, MFF and top-up tables of annex_a, plus published variants [K].
_OTHER_TABLES = {
    aa.TFC_CODE: aa.TFC_CODE,
    "Treatment function code": aa.TFC_CODE,  # [K]
    aa.TFC_NAME: aa.TFC_NAME,
    "Treatment function name": aa.TFC_NAME,  # [K]
    aa.OP_FIRST: aa.OP_FIRST,
    aa.OP_FOLLOW_UP: aa.OP_FOLLOW_UP,
    "Follow up attendance - single professional (£)": aa.OP_FOLLOW_UP,  # [K]
    aa.AE_TYPE_1_2: aa.AE_TYPE_1_2,
    "Type 1 and 2 departments (£)": aa.AE_TYPE_1_2,  # [K]
    aa.AE_TYPE_3_4: aa.AE_TYPE_3_4,
    "Type 3 and 4 departments (£)": aa.AE_TYPE_3_4,  # [K]
    aa.MFF_ORG_CODE: aa.MFF_ORG_CODE,
    "Organisation code": aa.MFF_ORG_CODE,  # [K]
    aa.MFF_ORG_NAME: aa.MFF_ORG_NAME,
    "Organisation name": aa.MFF_ORG_NAME,  # [K]
    aa.MFF_INDEX: aa.MFF_INDEX,
    "Payment MFF": aa.MFF_INDEX,  # [K]
    aa.TOP_UP_CATEGORY: aa.TOP_UP_CATEGORY,
    aa.TOP_UP_PERCENT: aa.TOP_UP_PERCENT,
}
_OTHER_UNCONFIRMED = frozenset(
    {
        "Treatment function code",
        "Treatment function name",
        "Organisation code",
        "Organisation name",
        "Payment MFF",
        "Follow up attendance - single professional (£)",
        "Type 1 and 2 departments (£)",
        "Type 3 and 4 departments (£)",
    }
)


def _priced(word: str) -> dict[str, str]:
    """The APC price headers with *word* ("tariff", "price", "unit price") for the price."""
    return {
        f"Outpatient procedure {word} (£)": aa.OP_PROCEDURE,
        f"Combined day case / ordinary elective spell {word} (£)": aa.COMBINED_DC_EL,
        f"Day case spell {word} (£)": aa.DAY_CASE,
        f"Ordinary elective spell {word} (£)": aa.ELECTIVE,
        f"Non-elective spell {word} (£)": aa.NON_ELECTIVE,
        f"Reduced short stay emergency {word} applicable?": aa.RSSE_APPLICABLE,
        f"% applied in calculation of reduced short stay emergency {word}": aa.RSSE_PERCENT,
        f"Reduced short stay emergency {word} (£)": aa.RSSE_PRICE,
        f"BPT {word} (£)": aa.BPT_PRICE,
    }


_ANNEX_A = {
    **_SHARED,
    **_priced("tariff"),
    # the constants as annex_a spells them (its "_applicable?" is the cell's line break)
    **{column: column for column in aa.APC_COLUMNS + aa.APC_OPTIONAL_COLUMNS},
    'Area BPT Name applies (see also tab "07#BPTs")': aa.BPT_NAME,
    **_OTHER_TABLES,
}
_NT_2020 = {**_SHARED, **_priced("price"), **_priced("tariff"), **_OTHER_TABLES}
_NHSPS = {
    **_SHARED,
    **_priced("unit price"),
    "Reduced short stay emergency applicable?": aa.RSSE_APPLICABLE,  # [K]
    **_OTHER_TABLES,
}

#: The layouts recognised, oldest first. A header row is read with the one that matches most
#: of its cells (ties: the oldest).
LAYOUTS: tuple[Layout, ...] = (
    Layout(
        key="annex-a-2012",
        title="National tariff Annex A, 2012/13 to 2019/20",
        columns=_ANNEX_A,
        unconfirmed=frozenset({"BPT tariff (£)"}) | _OTHER_UNCONFIRMED,
    ),
    Layout(
        key="nt-2020",
        title="National tariff workbook, 2020/21 to 2022/23",
        columns=_NT_2020,
        unconfirmed=frozenset(_priced("price")) | _OTHER_UNCONFIRMED,
    ),
    Layout(
        key="nhsps-2023",
        title="NHS Payment Scheme prices workbook, 2023/24 onwards",
        columns=_NHSPS,
        unconfirmed=frozenset(_priced("unit price"))
        | {"Reduced short stay emergency applicable?"}
        | _OTHER_UNCONFIRMED,
    ),
)

_SPACES = re.compile(r"[\s_]+")
# Footnote markers at the end of a header: *, daggers, [1], ^1, superscript digits, (1).
_FOOTNOTE = re.compile(r"(?:\s*(?:\*+|[†‡§]+|\[\d{1,2}\]|\^\d{1,2}|[¹²³⁰-⁹]+|\(\d{1,2}\)))+$")
_POUND = re.compile(r"\s*\(£\)$")


def normalise_header(cell: object) -> str:
    """A header cell as compared: ``"Day case spell\\n tariff (£)*"`` -> ``"day case spell
    tariff"``.

    Line breaks, tabs, repeated spaces and underscores (an Excel line break as some exports
    write it, also ``_x000D_``) become one space; en and em dashes a hyphen; case is folded;
    trailing footnote markers and a trailing ``(£)`` (some years drop it) are removed.
    """
    if cell is None or (isinstance(cell, float) and cell != cell):  # NaN: an empty cell
        return ""
    text = str(cell).replace("_x000D_", " ").replace("_x000A_", " ")
    text = text.replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'")
    text = _SPACES.sub(" ", text).strip().casefold()
    text = _FOOTNOTE.sub("", text).strip()
    return _POUND.sub("", text).strip()


_LOOKUP: tuple[tuple[Layout, dict[str, str]], ...] = tuple(
    (layout, {normalise_header(k): v for k, v in layout.columns.items()}) for layout in LAYOUTS
)


def table_kind(columns: Iterable[str]) -> str | None:
    """Which table (``"apc"``, ``"outpatient"``, ``"ae"``, ``"mff"``, ``"top_up"``) a set of
    our column names belongs to, or None."""
    cols = set(columns)
    if aa.NON_ELECTIVE in cols or aa.DAY_CASE in cols or aa.EXCESS_BED_DAY in cols:
        return "apc"
    if aa.COMBINED_DC_EL in cols or aa.ELECTIVE in cols:
        return "apc"
    if aa.TFC_CODE in cols:
        return "outpatient"
    if aa.AE_TYPE_1_2 in cols or aa.AE_TYPE_3_4 in cols:
        return "ae"
    if aa.MFF_INDEX in cols:
        return "mff"
    if aa.TOP_UP_PERCENT in cols:
        return "top_up"
    if aa.HRG_CODE in cols:  # an APC sheet with its price columns missing: say which
        return "apc"
    return None


@dataclass(frozen=True)
class HeaderMatch:
    """A header row read with one layout.

    Attributes:
        layout: The layout that matched most cells.
        columns: Cell position -> our column, for each recognised cell.
        ignored: Cell position -> header text, for non-blank cells not recognised.
        duplicates: Our column -> positions, where two cells mean the same column.
        kind: The table the recognised columns make (see :func:`table_kind`), or None.
        also: Keys of the other layouts that recognise the same cells (the columns are spelt
            alike in those years).
    """

    layout: Layout
    columns: Mapping[int, str]
    ignored: Mapping[int, str]
    duplicates: Mapping[str, tuple[int, ...]]
    kind: str | None
    also: tuple[str, ...] = ()

    @property
    def layouts(self) -> str:
        """``"annex-a-2012"``, or ``"annex-a-2012 | nt-2020"`` when several read it alike."""
        return " | ".join((self.layout.key, *self.also))

    @property
    def score(self) -> int:
        """Recognised cells: how good a header candidate the row is."""
        return len(self.columns)


def match_header(cells: Sequence[object]) -> HeaderMatch:
    """Read one row as a header with each layout; the best reading (most cells recognised)."""
    keys = [normalise_header(c) for c in cells]
    best: HeaderMatch | None = None
    for layout, lookup in _LOOKUP:
        columns = {i: lookup[k] for i, k in enumerate(keys) if k and k in lookup}
        if best is not None and len(columns) <= best.score:
            if columns and columns == best.columns:
                best = replace(best, also=(*best.also, layout.key))
            continue
        ignored = {i: str(cells[i]).strip() for i, k in enumerate(keys) if k and k not in lookup}
        seen: dict[str, list[int]] = {}
        for i, column in columns.items():
            seen.setdefault(column, []).append(i)
        duplicates = {c: tuple(p) for c, p in seen.items() if len(p) > 1}
        best = HeaderMatch(layout, columns, ignored, duplicates, table_kind(columns.values()))
    assert best is not None  # LAYOUTS is not empty
    return best
