"""An Annex-A-shaped APC table built from published reference costs (for tests and calibration).

National tariff prices were set from reference costs (shared data README; payment-rules.md A1
"trim point ... derived from the length-of-stay distribution in reference-cost data"), so the
national average unit cost per HRG and point of delivery is a realistic stand-in for a price.
This loader lets the engine run on real HRG codes and magnitudes. It reads the files the user
gives it at run time; nothing from them is shipped with quasimarket.

Mapping (reference-cost ``type`` -> Annex A column):

* ``Elective`` -> ordinary elective spell tariff; ``Day_case`` -> day case spell tariff;
* ``Non_Elective_LS`` (long stay) -> non-elective spell tariff;
* ``Non_Elective_SS`` (short stay) -> reduced short-stay emergency price, with the % = SS/LS
  and "applicable" = both exist and SS < LS;
* ``Excess_unit_cost`` of the non-elective long-stay row (else the elective row) -> per-day
  long-stay payment;
* trim points from ``hrg_trimpoints.csv`` (``Episode.Trimpoint``, one per HRG, used for both
  elective and non-elective; HRGs without one have no trim point).

Which year (docs/tariffs.md): the file's ``Year`` N is read as the financial year *ending* in N,
(N-1)/N, so ``Year`` 2016 is reference costs 2015/16 [K: the Year 2016 rows are in HRG4+, whose
codes match the 2017/18 grouper's trim point file, and HRG4+ was first used for the 2015/16
collection]. With no year given, the most complete year of the file is used (the most HRGs with
an elective, day-case or non-elective cost), and a note says which.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from quasimarket.errors import ConfigError, InputError
from quasimarket.financial_year import FinancialYear
from quasimarket.io.tables import read_table
from quasimarket.tariff import annex_a as aa

__all__ = [
    "REFERENCE_COST_COLUMNS",
    "TRIMPOINT_COLUMNS",
    "ReferenceCostTariff",
    "annex_a_from_reference_costs",
    "build_reference_cost_tariff",
    "financial_year_of",
]

REFERENCE_COST_COLUMNS = ("sushrg", "description", "cost", "type", "Year", "Excess_unit_cost")
TRIMPOINT_COLUMNS = ("sushrg", "Episode.Trimpoint")
_FILES = ("reference_costs_2010_2016.csv", "hrg_trimpoints.csv")
#: ``Episode.Trimpoint`` value meaning "no trim point" in the grouper's trim point file.
NO_TRIM_SENTINEL = 32000
#: The cost types that make an HRG a row of the table (one of them must have a cost).
_PRICED_TYPES = ("Elective", "Day_case", "Non_Elective_LS")


def financial_year_of(year: int) -> FinancialYear:
    """The financial year of the reference-cost file's ``Year`` value: the one ending in it."""
    return FinancialYear(year - 1)


@dataclass(frozen=True)
class ReferenceCostTariff:
    """An APC table built from reference costs, and which year it is.

    Attributes:
        frame: One row per HRG, columns ``annex_a.APC_COLUMNS``.
        year: The file's ``Year`` value used.
        financial_year: The financial year of those costs (``Year`` - 1 to ``Year``).
        hrgs_by_year: HRGs with an elective, day-case or non-elective cost, by ``Year``.
        chosen_by_default: No year was asked for: the most complete one was used.
        notes: What was chosen or assumed, to show the user.
    """

    frame: pd.DataFrame
    year: int
    financial_year: FinancialYear
    hrgs_by_year: dict[int, int]
    chosen_by_default: bool
    notes: tuple[str, ...]


def _file_year(year: int | str | FinancialYear, *, file: Path) -> int:
    """The file's ``Year`` value for *year*: an int or ``"2016"`` is that value; a financial
    year (``"2015/16"``, ``"2015-16"``, a :class:`FinancialYear`) is the ``Year`` it ends in."""
    if isinstance(year, FinancialYear):
        return year.start + 1
    if isinstance(year, int):
        return year
    text = str(year).strip()
    if re.fullmatch(r"\d{4}", text):
        return int(text)
    try:
        return FinancialYear.parse(text).start + 1
    except ConfigError:
        raise InputError(
            f"'{year}' is not a reference-cost year",
            file=file,
            location="--year",
            expected="a financial year such as 2015/16, or the file's Year value such as 2016 "
            "(Year 2016 = 2015/16)",
            fix="give --year as YYYY/YY, e.g. 2015/16",
        ) from None


def _years_text(counts: dict[int, int]) -> str:
    return ", ".join(f"{y} ({financial_year_of(y)}): {n:,}" for y, n in sorted(counts.items()))


def build_reference_cost_tariff(
    reference_costs_csv: str | Path,
    trimpoints_csv: str | Path | None = None,
    *,
    year: int | str | FinancialYear | None = None,
) -> ReferenceCostTariff:
    """Build an APC table (``annex_a.APC_COLUMNS``) from reference costs and trim points.

    Args:
        reference_costs_csv: ``reference_costs_2010_2016.csv``, or the folder holding it and
            ``hrg_trimpoints.csv``.
        trimpoints_csv: ``hrg_trimpoints.csv`` (default: beside the reference costs).
        year: Which costs: the file's ``Year`` value (int, or text such as ``"2016"``), or a
            financial year (``"2015/16"``, = ``Year`` 2016). Default: the most complete year of
            the file (most HRGs with a cost; the latest if tied), said in the notes.

    Returns:
        The table (one row per HRG that has an elective, day-case or non-elective cost that
        year), the year used and notes.

    Raises:
        InputError: Missing file/columns, a *year* that is not a year, or no rows for it.
    """
    ref = Path(reference_costs_csv)
    if ref.is_dir():
        trimpoints_csv = trimpoints_csv or ref / _FILES[1]
        ref = ref / _FILES[0]
    trim_path = Path(trimpoints_csv) if trimpoints_csv else ref.parent / _FILES[1]
    asked = None if year is None else _file_year(year, file=ref)
    all_costs = read_table(ref, required=REFERENCE_COST_COLUMNS, what="reference costs table")
    trims = read_table(trim_path, required=TRIMPOINT_COLUMNS, what="trim point table")
    years = pd.to_numeric(all_costs["Year"], errors="coerce")
    if years.isna().any():
        rows = np.flatnonzero(years.isna().to_numpy()) + 2
        raise InputError(
            "the reference costs table has Year values that are not years",
            file=ref,
            location="column 'Year', rows " + ", ".join(str(r) for r in rows[:5]),
            expected="a year such as 2016 in every row",
            fix="correct or delete those rows",
        )
    all_costs = all_costs.assign(Year=years.astype(int))
    priced = all_costs[all_costs["type"].isin(_PRICED_TYPES) & all_costs["cost"].notna()]
    per_year = priced.groupby("Year")["sushrg"].nunique()
    counts = {
        int(y): int(n) for y, n in zip(per_year.index.tolist(), per_year.tolist(), strict=True)
    }
    if not counts:
        raise InputError(
            "the reference costs table has no elective, day-case or non-elective costs",
            file=ref,
            location="column 'type'",
            expected="rows of type " + ", ".join(_PRICED_TYPES),
            fix="give the national schedule of reference costs (one row per HRG and type)",
        )
    most = max(counts, key=lambda y: (counts[y], y))
    chosen = most if asked is None else asked
    costs = all_costs[all_costs["Year"] == chosen]
    if chosen not in counts:
        raise InputError(
            f"no reference costs for Year {chosen} (financial year {financial_year_of(chosen)})",
            file=ref,
            location="column 'Year'",
            expected="one of the years in the file, by Year (financial year): HRGs "
            + _years_text(counts),
            fix=f"pass --year with one of those, e.g. {financial_year_of(most)} (the most "
            "complete)",
        )
    fy = financial_year_of(chosen)
    notes = []
    if asked is None:
        notes.append(
            f"reference costs of Year {chosen} (financial year {fy}) used: the most complete "
            f"year in the file, {counts[chosen]:,} HRGs with a cost (all years: "
            f"{_years_text(counts)}); choose another with --year"
        )
    else:
        notes.append(
            f"reference costs of Year {chosen} (financial year {fy}) used, as asked: "
            f"{counts[chosen]:,} HRGs with a cost"
            + (
                f"; the most complete year is {most} ({financial_year_of(most)}), "
                f"{counts[most]:,} HRGs"
                if most != chosen
                else ""
            )
        )
    notes.append(
        "prices are national average unit costs, not a published tariff; no outpatient "
        "procedure or combined day case/elective prices, no MFF table (every provider 1.000)"
    )
    frame = _apc_frame(costs, trims)
    return ReferenceCostTariff(
        frame=frame,
        year=chosen,
        financial_year=fy,
        hrgs_by_year=counts,
        chosen_by_default=asked is None,
        notes=tuple(notes),
    )


def annex_a_from_reference_costs(
    reference_costs_csv: str | Path,
    trimpoints_csv: str | Path | None = None,
    *,
    year: int | str | FinancialYear | None = None,
) -> pd.DataFrame:
    """The APC table of :func:`build_reference_cost_tariff` (its notes in ``frame.attrs``).

    Args:
        reference_costs_csv: ``reference_costs_2010_2016.csv``, or the folder holding it and
            ``hrg_trimpoints.csv``.
        trimpoints_csv: ``hrg_trimpoints.csv`` (default: beside the reference costs).
        year: The file's ``Year`` value, or a financial year such as ``"2015/16"``; default
            the most complete year of the file.

    Returns:
        One row per HRG that has an elective, day-case or non-elective cost that year;
        ``frame.attrs["notes"]`` says which year was used.

    Raises:
        InputError: Missing file/columns, or no rows for *year*.
    """
    built = build_reference_cost_tariff(reference_costs_csv, trimpoints_csv, year=year)
    frame = built.frame
    frame.attrs["notes"] = list(built.notes)
    frame.attrs["year"] = built.year
    frame.attrs["financial_year"] = str(built.financial_year)
    return frame


def _apc_frame(costs: pd.DataFrame, trims: pd.DataFrame) -> pd.DataFrame:
    """One Annex A APC row per HRG from one year's reference costs."""
    wide = costs.pivot_table(index="sushrg", columns="type", values="cost", aggfunc="mean")
    excess = costs.pivot_table(
        index="sushrg", columns="type", values="Excess_unit_cost", aggfunc="mean"
    )
    names = costs.groupby("sushrg")["description"].first()
    wanted = ["Elective", "Day_case", "Non_Elective_LS", "Non_Elective_SS"]
    wide = wide.reindex(columns=wanted)
    excess = excess.reindex(index=wide.index, columns=wanted)
    wide = wide[wide[["Elective", "Day_case", "Non_Elective_LS"]].notna().any(axis=1)]
    excess = excess.loc[wide.index]
    trim = trims.drop_duplicates("sushrg").set_index("sushrg")["Episode.Trimpoint"]
    trim_days = pd.to_numeric(trim.reindex(wide.index), errors="coerce")
    # The grouper's trim point file writes 32000 for "no trim point" (399 HRGs of 2,879 in
    # hrg_trimpoints.csv): that is a blank, not a 87-year stay.
    trim_days = trim_days.mask(trim_days >= NO_TRIM_SENTINEL)

    nel = wide["Non_Elective_LS"]
    short = wide["Non_Elective_SS"]
    applicable = nel.notna() & short.notna() & (short < nel)
    ebd_nel = excess["Non_Elective_LS"].where(excess["Non_Elective_LS"] > 0)
    ebd = ebd_nel.fillna(excess["Elective"].where(excess["Elective"] > 0)).fillna(0.0)
    frame = pd.DataFrame(
        {
            aa.HRG_CODE: wide.index.astype(str),
            aa.HRG_NAME: names.reindex(wide.index).astype(str).to_numpy(),
            aa.OP_PROCEDURE: np.nan,
            aa.COMBINED_DC_EL: np.nan,
            aa.DAY_CASE: wide["Day_case"].to_numpy(),
            aa.ELECTIVE: wide["Elective"].to_numpy(),
            aa.ELECTIVE_TRIM: trim_days.to_numpy(),
            aa.NON_ELECTIVE: nel.to_numpy(),
            aa.NON_ELECTIVE_TRIM: trim_days.to_numpy(),
            aa.EXCESS_BED_DAY: ebd.to_numpy(),
            aa.RSSE_APPLICABLE: np.where(applicable, "Yes", "No"),
            aa.RSSE_PERCENT: np.where(applicable, short / nel, np.nan),
            aa.RSSE_PRICE: np.where(applicable, short, np.nan),
        }
    )
    return frame.reset_index(drop=True)
