"""The compiled national tariff: Annex A tables turned into small numpy price arrays.

A :class:`TariffTable` holds one row per *currency code* (admitted-care and outpatient-procedure
HRGs, A&E HRGs, and outpatient treatment function codes) and one price column per point of
delivery, so pricing a record is one gather from a small array. Built from DataFrames in the
Annex A shape of :mod:`quasimarket.tariff.annex_a` (payment-rules.md A1-A3), from an economy's
synthetic catalogue, or from CSV/XLSX files via :func:`quasimarket.tariff.load_tariff`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt
import pandas as pd

from quasimarket._types import FloatArray
from quasimarket.errors import InputError, summarise_items
from quasimarket.io.tables import require_columns
from quasimarket.tariff import annex_a as aa
from quasimarket.validation.bounds import Bound, check_bound, rows_text
from quasimarket.validation.schema import APC_TARIFF_BOUNDS, MFF_BOUNDS, OTHER_TARIFF_BOUNDS
from quasimarket.vocabulary import POD_CODES

if TYPE_CHECKING:
    from quasimarket.economy.model import Economy

__all__ = [
    "AE_TYPE_3_4_COLUMN",
    "NO_PRICE_MARKERS",
    "N_PRICE_COLUMNS",
    "TFC_PREFIX",
    "RowNumbers",
    "TariffTable",
]


#: Price-matrix column holding the A&E price for type 3/4 departments (columns 0-9 are pods).
AE_TYPE_3_4_COLUMN = len(POD_CODES)
#: Number of columns of :attr:`TariffTable.unit_price`.
N_PRICE_COLUMNS = len(POD_CODES) + 1
#: Outpatient treatment function codes are stored in the currency-code list as ``"TFC 100"``,
#: so they can never collide with HRG codes.
TFC_PREFIX = "TFC "
#: MFF for a provider missing from the MFF table: 1.000 (payment-rules.md A1.2 [V: "By default
#: the MFF is 1.000"]).
DEFAULT_MFF = 1.0


#: Cell texts that mean "no price" (published workbooks write a dash), compared after £, commas
#: and spaces are removed and case is folded.
NO_PRICE_MARKERS = frozenset({"", "-", "–", "—", "--", "n/a", "na", "none", "nil"})

#: File row number of each row of a table (a header on row 1 gives 2, 3, ...).
RowNumbers = npt.NDArray[np.int64]


def _file_rows(positions: npt.NDArray[np.intp], file_rows: RowNumbers | None) -> list[int]:
    """File row numbers of 0-based *positions* (header on row 1 unless *file_rows* says)."""
    if file_rows is None:
        return [int(p) + 2 for p in positions]
    return [int(file_rows[p]) for p in positions]


def _rows_renderer(file_rows: RowNumbers | None) -> Callable[[npt.NDArray[np.bool_]], str]:
    if file_rows is None:
        return rows_text
    return lambda mask: "rows " + summarise_items(_file_rows(np.flatnonzero(mask), file_rows))


def _fraction(
    values: pd.Series, *, column: str, file: str | None, file_rows: RowNumbers | None = None
) -> FloatArray:
    """A percentage column as fractions: values above 1.5 are read as percentage points.

    Annex A workbooks store these as Excel percentages (0.46) but CSV exports often carry 46;
    both are accepted (a real RSSE or top-up share above 150% does not exist).
    """
    arr = _numeric(values, column=column, file=file, file_rows=file_rows)
    finite = arr[np.isfinite(arr)]
    if finite.size and finite.max() > 1.5:
        arr = arr / 100.0
    return arr


def _numeric(
    values: pd.Series,
    *,
    column: str,
    file: str | None,
    expected: str = "a number in £ or days (blank or '-' = no price)",
    file_rows: RowNumbers | None = None,
) -> FloatArray:
    """A price/trim column as float64 (blank or a no-price marker = NaN); other text is one
    clear error naming the column and the file rows."""
    if not pd.api.types.is_numeric_dtype(values.dtype) or values.dtype == bool:
        cleaned = values.astype("string").str.replace(r"[£,\s]", "", regex=True)
        cleaned = cleaned.mask(cleaned.str.casefold().isin(NO_PRICE_MARKERS), pd.NA)
        parsed = pd.to_numeric(cleaned, errors="coerce")
        bad = parsed.isna() & cleaned.notna()
        if bad.any():
            rows = np.flatnonzero(bad.to_numpy())
            raise InputError(
                f"column {column!r} has values that are not numbers: "
                + summarise_items(repr(v) for v in values.iloc[rows]),
                file=file,
                location=f"column {column!r}, rows " + summarise_items(_file_rows(rows, file_rows)),
                expected=expected,
                fix="correct or blank out those cells",
            )
        return parsed.to_numpy(dtype=np.float64, na_value=np.nan)
    return pd.to_numeric(values, errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)


def _checked(
    values: FloatArray,
    bound: Bound,
    *,
    column: str,
    file: str | None,
    notes: list[str],
    shown: pd.Series | None = None,
    file_rows: RowNumbers | None = None,
) -> FloatArray:
    """*values* of *column* checked against the validation layer's *bound* (blank allowed).

    *shown* is the column as written, so an error quotes the user's 300, not the 3.0 read.
    """
    note = check_bound(
        values,
        replace(bound, column=column),
        file=file,
        shown=shown,
        rows=_rows_renderer(file_rows),
    )
    if note:
        notes.append(note)
    return values


def _flag(values: pd.Series) -> npt.NDArray[np.bool_]:
    text = values.astype("string").str.strip().str.lower().fillna("")
    return text.isin(["yes", "y", "true", "1", "1.0", "applicable"]).to_numpy()


def _codes(
    frame: pd.DataFrame,
    column: str,
    *,
    file: str | None,
    what: str,
    file_rows: RowNumbers | None = None,
) -> list[str]:
    codes = frame[column].astype("string").str.strip()
    blank = codes.isna() | (codes == "")
    if blank.any():
        rows = _file_rows(np.flatnonzero(blank.to_numpy()), file_rows)
        raise InputError(
            f"the {what} has blank codes in {column!r}",
            file=file,
            location="rows " + summarise_items(rows),
            expected="a code in every row",
            fix="fill in or delete those rows",
        )
    dup = codes.duplicated(keep=False)
    if dup.any():
        rows = _file_rows(np.flatnonzero(dup.to_numpy()), file_rows)
        raise InputError(
            f"the {what} has duplicate codes: " + summarise_items(sorted(set(codes[dup].tolist()))),
            file=file,
            location=f"column {column!r}, rows " + summarise_items(rows),
            expected="one row per code",
            fix="keep one row per code",
        )
    return [str(c) for c in codes.tolist()]


@dataclass(frozen=True)
class TariffTable:
    """National prices compiled to arrays (float64 pounds, days).

    Attributes:
        codes: Currency codes; the row index of every array below. APC/OPROC HRGs, then A&E
            HRGs, then outpatient TFCs as ``"TFC <code>"``.
        names: Display names, same order.
        unit_price: ``(codes, N_PRICE_COLUMNS)`` £ per spell/attendance; column = pod code
            (:data:`~quasimarket.vocabulary.POD_CODES`), plus column
            :data:`AE_TYPE_3_4_COLUMN` for A&E type 3/4 departments. NaN = no national price.
        elective_trim: Ordinary elective trim point, days (inf = none); also used for day cases.
        non_elective_trim: Non-elective trim point, days (inf = none).
        excess_bed_day: Per-day long-stay payment, £/day (0 = none).
        rsse_applicable: Reduced short-stay emergency adjustment applies to the HRG.
        rsse_price: Reduced short-stay emergency price, £ (NaN = none).
        bpt_price: Best-practice tariff price, £ (NaN = no BPT).
        top_up_pct: Specialised top-up, fraction of the admitted-care price (0 = none).
        mff_providers: Provider codes of the MFF table.
        mff_index: MFF payment index per provider, same order.
        source: Where the prices came from (for statements).
    """

    codes: tuple[str, ...]
    names: tuple[str, ...]
    unit_price: FloatArray
    elective_trim: FloatArray
    non_elective_trim: FloatArray
    excess_bed_day: FloatArray
    rsse_applicable: npt.NDArray[np.bool_]
    rsse_price: FloatArray
    bpt_price: FloatArray
    top_up_pct: FloatArray
    mff_providers: tuple[str, ...] = ()
    mff_index: FloatArray = field(default_factory=lambda: np.zeros(0))
    source: str = "tariff"
    notes: tuple[str, ...] = ()
    mff_source: str | None = None
    _index: dict[str, int] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._index.update({code: i for i, code in enumerate(self.codes)})

    # -- construction ------------------------------------------------------------------------
    @classmethod
    def from_frames(
        cls,
        apc: pd.DataFrame,
        *,
        outpatient: pd.DataFrame | None = None,
        ae: pd.DataFrame | None = None,
        mff: pd.DataFrame | None = None,
        top_up: pd.DataFrame | None = None,
        source: str = "tariff",
        files: Mapping[str, str] | None = None,
        file_rows: Mapping[str, RowNumbers] | None = None,
    ) -> TariffTable:
        """Compile Annex A DataFrames (columns from :mod:`quasimarket.tariff.annex_a`).

        Args:
            apc: "1 APC & OPROC": one row per HRG (``APC_COLUMNS``; BPT and top-up optional).
            outpatient: One row per TFC (``OUTPATIENT_COLUMNS``).
            ae: One row per A&E HRG (``AE_COLUMNS``).
            mff: One row per provider (``MFF_COLUMNS``).
            top_up: One row per specialised top-up category (``TOP_UP_COLUMNS``).
            source: Description for statements.
            files: File name per table key (``"apc"``, ...) for error messages.
            file_rows: Per table key, the file row number of each frame row, for error
                messages (default: header on row 1, so the first row is row 2).

        Raises:
            InputError: Missing columns, duplicate or blank codes, non-numeric prices, or an
                HRG's top-up category missing from the top-up table.
        """
        files = dict(files or {})
        rows_of = dict(file_rows or {})
        notes: list[str] = []
        f_apc = files.get("apc")
        r_apc = rows_of.get("apc")
        require_columns(apc, aa.APC_COLUMNS, file=f_apc, what="APC tariff table")
        apc_codes = _codes(apc, aa.HRG_CODE, file=f_apc, what="APC tariff table", file_rows=r_apc)
        n_apc = len(apc_codes)

        def num(col: str, kind: str = "price") -> FloatArray:
            values = _numeric(apc[col], column=col, file=f_apc, file_rows=r_apc)
            return _checked(
                values,
                APC_TARIFF_BOUNDS[kind],
                column=col,
                file=f_apc,
                notes=notes,
                file_rows=r_apc,
            )

        def share(
            frame: pd.DataFrame, col: str, file: str | None, rows: RowNumbers | None
        ) -> FloatArray:
            values = _fraction(frame[col], column=col, file=file, file_rows=rows)
            return _checked(
                values,
                APC_TARIFF_BOUNDS["share"],
                column=col,
                file=file,
                notes=notes,
                shown=frame[col],
                file_rows=rows,
            )

        combined = num(aa.COMBINED_DC_EL)
        day_case = np.where(np.isnan(combined), num(aa.DAY_CASE), combined)
        elective = np.where(np.isnan(combined), num(aa.ELECTIVE), combined)
        nel = num(aa.NON_ELECTIVE)
        rsse_pct = share(apc, aa.RSSE_PERCENT, f_apc, r_apc)
        rsse_price = num(aa.RSSE_PRICE)
        rsse_price = np.where(np.isnan(rsse_price), rsse_pct * nel, rsse_price)
        rsse_app = _flag(apc[aa.RSSE_APPLICABLE]) & ~np.isnan(rsse_price)
        bpt = num(aa.BPT_PRICE) if aa.BPT_PRICE in apc.columns else np.full(n_apc, np.nan)
        top = np.zeros(n_apc)
        if aa.TOP_UP_CATEGORY in apc.columns:
            cats = apc[aa.TOP_UP_CATEGORY].astype("string").str.strip().fillna("")
            pct_by_cat: dict[str, float] = {}
            if top_up is not None and len(top_up):
                f_top = files.get("top_up")
                r_top = rows_of.get("top_up")
                require_columns(top_up, aa.TOP_UP_COLUMNS, file=f_top, what="top-up table")
                keys = _codes(
                    top_up,
                    aa.TOP_UP_CATEGORY_CODE,
                    file=f_top,
                    what="top-up table",
                    file_rows=r_top,
                )
                pcts = share(top_up, aa.TOP_UP_PERCENT, f_top, r_top)
                pct_by_cat = dict(zip(keys, pcts.tolist(), strict=True))
            used = cats[cats != ""]
            unknown = sorted(set(used.tolist()) - set(pct_by_cat))
            if unknown:
                raise InputError(
                    "HRGs name specialised top-up categories that the top-up table does not "
                    "have: " + summarise_items(unknown),
                    file=f_apc,
                    location=f"column {aa.TOP_UP_CATEGORY!r}",
                    expected="categories listed in the top-up table",
                    fix="add them to the top-up table or blank them out",
                )
            top = np.array([pct_by_cat.get(c, 0.0) for c in cats.tolist()], dtype=np.float64)

        codes = list(apc_codes)
        names = [str(x) for x in apc[aa.HRG_NAME].astype("string").fillna("").tolist()]
        rows_price = np.full((n_apc, N_PRICE_COLUMNS), np.nan)
        rows_price[:, POD_CODES["day_case"]] = day_case
        rows_price[:, POD_CODES["elective"]] = elective
        rows_price[:, POD_CODES["non_elective"]] = nel
        rows_price[:, POD_CODES["op_procedure"]] = num(aa.OP_PROCEDURE)
        blocks = [rows_price]
        el_trim = [num(aa.ELECTIVE_TRIM, "trim")]
        nel_trim = [num(aa.NON_ELECTIVE_TRIM, "trim")]
        ebd = [num(aa.EXCESS_BED_DAY, "excess_bed_day")]
        extra = 0

        if ae is not None and len(ae):
            f_ae = files.get("ae")
            r_ae = rows_of.get("ae")
            require_columns(ae, aa.AE_COLUMNS, file=f_ae, what="A&E tariff table")
            ae_codes = _codes(
                ae, aa.AE_HRG_CODE, file=f_ae, what="A&E tariff table", file_rows=r_ae
            )
            price = OTHER_TARIFF_BOUNDS["price"]
            p12, p34 = (
                _checked(
                    _numeric(ae[col], column=col, file=f_ae, file_rows=r_ae),
                    price,
                    column=col,
                    file=f_ae,
                    notes=notes,
                    file_rows=r_ae,
                )
                for col in (aa.AE_TYPE_1_2, aa.AE_TYPE_3_4)
            )
            ae_names = ae[aa.AE_HRG_NAME].astype("string").fillna("").tolist()
            new_rows = []
            for i, code in enumerate(ae_codes):
                if code in codes:  # an A&E HRG also in the APC sheet: add the A&E prices
                    j = codes.index(code)
                    rows_price[j, POD_CODES["ae"]] = p12[i]
                    rows_price[j, AE_TYPE_3_4_COLUMN] = p34[i]
                else:
                    new_rows.append(i)
            block = np.full((len(new_rows), N_PRICE_COLUMNS), np.nan)
            block[:, POD_CODES["ae"]] = p12[new_rows]
            block[:, AE_TYPE_3_4_COLUMN] = p34[new_rows]
            blocks.append(block)
            codes += [ae_codes[i] for i in new_rows]
            names += [str(ae_names[i]) for i in new_rows]
            extra += len(new_rows)

        if outpatient is not None and len(outpatient):
            f_op = files.get("outpatient")
            r_op = rows_of.get("outpatient")
            require_columns(outpatient, aa.OUTPATIENT_COLUMNS, file=f_op, what="outpatient table")
            tfcs = _codes(
                outpatient, aa.TFC_CODE, file=f_op, what="outpatient tariff table", file_rows=r_op
            )
            block = np.full((len(tfcs), N_PRICE_COLUMNS), np.nan)
            for col, pod in ((aa.OP_FIRST, "op_first"), (aa.OP_FOLLOW_UP, "op_follow_up")):
                block[:, POD_CODES[pod]] = _checked(
                    _numeric(outpatient[col], column=col, file=f_op, file_rows=r_op),
                    OTHER_TARIFF_BOUNDS["price"],
                    column=col,
                    file=f_op,
                    notes=notes,
                    file_rows=r_op,
                )
            blocks.append(block)
            codes += [TFC_PREFIX + _tfc(c) for c in tfcs]
            names += [str(x) for x in outpatient[aa.TFC_NAME].astype("string").fillna("")]
            extra += len(tfcs)

        def pad(values: FloatArray, fill: float) -> FloatArray:
            return np.concatenate([values, np.full(extra, fill)])

        mff_codes: tuple[str, ...] = ()
        mff_index = np.zeros(0)
        if mff is not None and len(mff):
            f_mff = files.get("mff")
            r_mff = rows_of.get("mff")
            require_columns(mff, (aa.MFF_ORG_CODE, aa.MFF_INDEX), file=f_mff, what="MFF table")
            mff_codes = tuple(
                _codes(mff, aa.MFF_ORG_CODE, file=f_mff, what="MFF table", file_rows=r_mff)
            )
            mff_index = _mff_index(mff, file=f_mff, notes=notes, file_rows=r_mff)

        el = pad(el_trim[0], np.inf)
        nl = pad(nel_trim[0], np.inf)
        return cls(
            codes=tuple(codes),
            names=tuple(names),
            unit_price=np.vstack(blocks),
            elective_trim=np.where(np.isnan(el), np.inf, el),
            non_elective_trim=np.where(np.isnan(nl), np.inf, nl),
            excess_bed_day=np.nan_to_num(pad(ebd[0], 0.0), nan=0.0),
            rsse_applicable=np.concatenate([rsse_app, np.zeros(extra, dtype=bool)]),
            rsse_price=pad(rsse_price, np.nan),
            bpt_price=pad(bpt, np.nan),
            top_up_pct=pad(top, 0.0),
            mff_providers=mff_codes,
            mff_index=mff_index,
            source=source,
            notes=tuple(notes),
            mff_source=files.get("mff"),
        )

    @classmethod
    def from_economy(cls, economy: Economy) -> TariffTable:
        """The economy's price catalogue (``economy.tariff``, Annex A shaped) compiled."""
        t = economy.tariff
        return cls.from_frames(
            t["apc"],
            outpatient=t.get("outpatient"),
            ae=t.get("ae"),
            mff=t.get("mff"),
            top_up=t.get("top_up"),
            source=f"{economy.year} price catalogue of {economy.name}",
        )

    # -- look-ups ----------------------------------------------------------------------------
    @property
    def n_codes(self) -> int:
        """Number of currency codes (rows)."""
        return len(self.codes)

    def index_of(
        self, codes: Sequence[str] | npt.NDArray[np.object_], *, tfc: bool = False
    ) -> npt.NDArray[np.int32]:
        """Row index of each code (-1 where unknown). With *tfc*, codes are TFCs."""
        if tfc:
            return np.array(
                [self._index.get(TFC_PREFIX + _tfc(c), -1) for c in codes], dtype=np.int32
            )
        return np.array([self._index.get(str(c), -1) for c in codes], dtype=np.int32)

    def mff_for(self, providers: Sequence[str]) -> FloatArray:
        """MFF payment index for each provider code (1.000 where absent [V] A1.2)."""
        table = dict(zip(self.mff_providers, self.mff_index.tolist(), strict=True))
        return np.array([table.get(str(p), DEFAULT_MFF) for p in providers], dtype=np.float64)

    def with_mff(
        self,
        mff: pd.DataFrame,
        *,
        file: str | None = None,
        file_rows: RowNumbers | None = None,
    ) -> TariffTable:
        """A copy with the MFF table replaced (``MFF_COLUMNS``).

        *file_rows* (file row of each row, for errors) defaults to ``mff.attrs["file_rows"]``,
        which :func:`~quasimarket.tariff.load_mff` sets when the header is below title rows.
        """
        if file_rows is None and "file_rows" in mff.attrs:
            file_rows = np.asarray(mff.attrs["file_rows"], dtype=np.int64)
        require_columns(mff, (aa.MFF_ORG_CODE, aa.MFF_INDEX), file=file, what="MFF table")
        codes = tuple(
            _codes(mff, aa.MFF_ORG_CODE, file=file, what="MFF table", file_rows=file_rows)
        )
        notes = [n for n in self.notes if not n.startswith(_MFF_NOTE)]
        index = _mff_index(mff, file=file, notes=notes, file_rows=file_rows)
        return TariffTable(
            codes=self.codes,
            names=self.names,
            unit_price=self.unit_price,
            elective_trim=self.elective_trim,
            non_elective_trim=self.non_elective_trim,
            excess_bed_day=self.excess_bed_day,
            rsse_applicable=self.rsse_applicable,
            rsse_price=self.rsse_price,
            bpt_price=self.bpt_price,
            top_up_pct=self.top_up_pct,
            mff_providers=codes,
            mff_index=index,
            source=self.source,
            notes=tuple(notes),
            mff_source=file,
        )

    def describe(self) -> dict[str, object]:
        """Counts for summaries: currencies, HRGs with a price per pod, MFF providers."""
        priced = ~np.isnan(self.unit_price)
        return {
            "source": self.source,
            "codes": self.n_codes,
            "priced_by_pod": {pod: int(priced[:, code].sum()) for pod, code in POD_CODES.items()},
            "mff_providers": len(self.mff_providers),
        }


#: Notes about the MFF table start so (a replaced MFF table drops the old table's notes).
_MFF_NOTE = "MFF:"


def _mff_index(
    mff: pd.DataFrame, *, file: str | None, notes: list[str], file_rows: RowNumbers | None = None
) -> FloatArray:
    """The MFF payment index column, checked (0.5-2; blank refused)."""
    values = _numeric(
        mff[aa.MFF_INDEX],
        column=aa.MFF_INDEX,
        file=file,
        expected="an index such as 0.965 (1.000 = national average)",
        file_rows=file_rows,
    )
    note = check_bound(
        values,
        replace(MFF_BOUNDS["index"], column=aa.MFF_INDEX),
        file=file,
        blank_ok=False,
        rows=_rows_renderer(file_rows),
    )
    if note:
        notes.append(f"{_MFF_NOTE} {note}")
    return values


def _tfc(code: object) -> str:
    """Normalise a treatment function code: ``100``, ``"100"`` and ``100.0`` -> ``"100"``."""
    text = str(code).strip()
    if text.endswith(".0") and text[:-2].isdigit():
        text = text[:-2]
    return text


def _path_str(path: Path | None) -> str | None:
    return str(path) if path is not None else None
