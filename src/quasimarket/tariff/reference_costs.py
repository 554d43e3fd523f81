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
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from quasimarket.errors import InputError
from quasimarket.io.tables import read_table
from quasimarket.tariff import annex_a as aa

__all__ = ["REFERENCE_COST_COLUMNS", "TRIMPOINT_COLUMNS", "annex_a_from_reference_costs"]

REFERENCE_COST_COLUMNS = ("sushrg", "description", "cost", "type", "Year", "Excess_unit_cost")
TRIMPOINT_COLUMNS = ("sushrg", "Episode.Trimpoint")
_FILES = ("reference_costs_2010_2016.csv", "hrg_trimpoints.csv")
#: ``Episode.Trimpoint`` value meaning "no trim point" in the grouper's trim point file.
NO_TRIM_SENTINEL = 32000


def annex_a_from_reference_costs(
    reference_costs_csv: str | Path,
    trimpoints_csv: str | Path | None = None,
    *,
    year: int = 2015,
) -> pd.DataFrame:
    """Build an APC table (``annex_a.APC_COLUMNS``) from reference costs and trim points.

    Args:
        reference_costs_csv: ``reference_costs_2010_2016.csv``, or the folder holding it and
            ``hrg_trimpoints.csv``.
        trimpoints_csv: ``hrg_trimpoints.csv`` (default: beside the reference costs).
        year: The ``Year`` of reference costs to use (2010-2016 in the public file).

    Returns:
        One row per HRG that has an elective, day-case or non-elective cost that year.

    Raises:
        InputError: Missing file/columns, or no rows for *year*.
    """
    ref = Path(reference_costs_csv)
    if ref.is_dir():
        trimpoints_csv = trimpoints_csv or ref / _FILES[1]
        ref = ref / _FILES[0]
    trim_path = Path(trimpoints_csv) if trimpoints_csv else ref.parent / _FILES[1]
    costs = read_table(ref, required=REFERENCE_COST_COLUMNS, what="reference costs table")
    trims = read_table(trim_path, required=TRIMPOINT_COLUMNS, what="trim point table")
    costs = costs[costs["Year"] == year]
    if costs.empty:
        raise InputError(
            f"no reference costs for year {year}",
            file=ref,
            location="column 'Year'",
            expected="one of the years in the file",
            fix="pass --year with a year the file has",
        )
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
