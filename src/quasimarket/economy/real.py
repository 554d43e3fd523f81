"""Building the real 2025/26 England economy from public NHS open-data files.

A user who downloads the public files below into one folder gets the real economy with
:func:`load_real_economy` (or ``quasimarket economy build --from DIR``). Nothing from these files
is shipped with quasimarket; they are read at run time only.

============================================  ===================================================
file                                          used for
============================================  ===================================================
``gp_practice_populations_2025_26.csv``       practices, ICBs, regions, populations, weighted
                                              populations (``Population``, ``Final WP``)
``lookup_lsoa11_subicb22_icb22_ltla22.csv``   the list of ICBs (both code forms), LSOA -> LTLA
``trust_catchment_icb22.csv``                 acute trusts and their ICB catchment shares
``lookup_trust22_region21.csv``               trust names and NHS regions
``imd2019_lsoa_england.csv``                  deprivation: LTLA score and practice IMD quintile
``ae_attendances_2016_2019.csv`` (optional)   acute trust size (type 1 attendances) for beds
``reference_costs_2010_2016.csv`` and         the APC price table, via the reference-cost
``hrg_trimpoints.csv`` (optional)             loader; otherwise the synthetic catalogue
============================================  ===================================================

What the public files do not contain, and what is done instead (all recorded in
``Economy.sources``):

* **community, mental health, ambulance and independent providers** have no catchment file, so
  the real economy has acute trusts only (the 138 trusts of the catchment file);
* **MFF** by trust is not in the files: each trust and ICB gets its region's indicative MFF level
  [K, the same levels as the synthetic economy];
* **allocations**: target = ``Final WP`` x MFF, scaled to £115bn in 2025/26 [K]; actual =
  target (distance from target is not in the files);
* **age/sex cells** are the England-like shares applied to each practice's ``Population`` [K];
* **contract type** is not in the file: every practice is given ``GMS`` [K];
* **local authorities** are the lower-tier authorities (``LAD``) of the practices: E06/E08/E09
  codes are ``unitary`` and E07 codes ``district``; the county above a district is not in these
  files, so a district is its own ``upper_tier_code`` and the public health grant (about £3.3bn
  in 2015/16 terms growing 2%/yr [K]) is shared over unitary authorities and districts;
* **beds / elective capacity**: national totals [K] shared by type 1 A&E attendances where the
  A&E file is present, else equally.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from quasimarket.economy.calibration import REGIONS, year_targets
from quasimarket.economy.demography import cell_shares, cells_table
from quasimarket.economy.model import Economy
from quasimarket.economy.prices import synthetic_tariff
from quasimarket.economy.synthetic import (
    ACUTE_BEDS_PER_HEAD,
    ELECTIVE_SPELLS_PER_HEAD,
    INDEPENDENT_ELECTIVE_SHARE,
)
from quasimarket.errors import InputError, summarise_items
from quasimarket.financial_year import FinancialYear
from quasimarket.io import read_table

__all__ = ["REAL_FILES", "REAL_YEAR", "load_real_economy"]

#: The financial year the public files describe.
REAL_YEAR = FinancialYear(2025)

#: The files :func:`load_real_economy` reads, by role.
REAL_FILES = {
    "practices": "gp_practice_populations_2025_26.csv",
    "lookup": "lookup_lsoa11_subicb22_icb22_ltla22.csv",
    "catchments": "trust_catchment_icb22.csv",
    "trusts": "lookup_trust22_region21.csv",
    "imd": "imd2019_lsoa_england.csv",
}
#: Optional files: used when present.
OPTIONAL_FILES = {
    "ae": "ae_attendances_2016_2019.csv",
    "reference_costs": "reference_costs_2010_2016.csv",
    "trimpoints": "hrg_trimpoints.csv",
}

_PRACTICE_COLUMNS = (
    "Practice_Code",
    "GP_Practice_Name",
    "ICB",
    "ICBname",
    "Rcode",
    "Region",
    "LAD",
    "LTLA",
    "Population",
    "Final WP",
)
_LOOKUP_COLUMNS = ("lsoa11_code", "icb22_code", "icb22_code_h", "icb22_name", "ltla22_code")
_CATCHMENT_COLUMNS = ("nhs_trust22_code", "icb22_code", "proportion_trust_came_from_icb")
_TRUST_COLUMNS = ("nhs_trust22_code", "nhs_trust22_name", "nhs_region21_nhs_code", "status")
_IMD_COLUMNS = ("nation", "lsoa", "UK_IMD_E_score")

#: NHS region codes (since 2020) to the synthetic region rows with the same name, for the
#: indicative MFF level [K].
_REAL_REGION = {
    "Y56": "SY1",  # London
    "Y59": "SY2",  # South East
    "Y58": "SY3",  # South West
    "Y61": "SY4",  # East of England
    "Y60": "SY5",  # Midlands
    "Y63": "SY6",  # North East and Yorkshire
    "Y62": "SY7",  # North West
}
_MFF_BY_SYNTHETIC_REGION = {r[0]: r[4] for r in REGIONS}


def _lines(index: pd.Index | np.ndarray) -> str:
    """File line numbers (header = line 1) for 0-based data row positions."""
    return "line" + ("s " if len(index) > 1 else " ") + summarise_items(int(i) + 2 for i in index)


def _numeric(frame: pd.DataFrame, column: str, file: Path, *, allow_negative: bool = False) -> None:
    values = pd.to_numeric(frame[column], errors="coerce")
    bad = np.flatnonzero(values.isna().to_numpy())
    if bad.size:
        raise InputError(
            f"{bad.size} value{'s' if bad.size > 1 else ''} in column '{column}' "
            f"{'are' if bad.size > 1 else 'is'} missing or not a number",
            file=file,
            location=f"column '{column}', {_lines(bad)}",
            expected="a number in every row",
            fix=f"fill in '{column}' for those rows, or remove the rows",
        )
    negative = np.flatnonzero((values < 0).to_numpy())
    if negative.size and not allow_negative:
        raise InputError(
            f"negative {column.lower()} ({values.iloc[negative[0]]:g})",
            file=file,
            location=f"column '{column}', {_lines(negative)}",
            expected=f"'{column}' of zero or more",
            fix="correct the value(s); a population cannot be negative",
        )
    frame[column] = values.astype(float)


def _read_practices(path: Path) -> pd.DataFrame:
    frame = read_table(
        path, required=_PRACTICE_COLUMNS, what="GP practice population file", dtype={"LAD": "str"}
    )
    codes = frame["Practice_Code"].astype(str).str.strip()
    duplicated = codes.duplicated(keep=False).to_numpy()
    if duplicated.any():
        rows = np.flatnonzero(duplicated)
        first = codes.iloc[rows[0]]
        same = np.flatnonzero((codes == first).to_numpy())
        raise InputError(
            f"duplicate practice code '{first}' ({np.unique(codes.iloc[rows]).size} duplicated "
            "code(s) in all)",
            file=path,
            location=f"column 'Practice_Code', {_lines(same)}",
            expected="each practice code once",
            fix="remove or merge the duplicate rows",
        )
    frame["Practice_Code"] = codes
    for column in ("Population", "Final WP"):
        _numeric(frame, column, path)
    return frame


def _unknown_icb(
    codes: pd.Series, known: set[str], *, file: Path, column: str, lookup: Path
) -> None:
    unknown_mask = ~codes.isin(known).to_numpy()
    if unknown_mask.any():
        unknown = pd.unique(codes[unknown_mask])
        raise InputError(
            f"{unknown.size} unknown ICB code{'s' if unknown.size > 1 else ''}: "
            f"{summarise_items(repr(c) for c in unknown)}",
            file=file,
            location=f"column '{column}', {_lines(np.flatnonzero(unknown_mask))}",
            expected=f"ICB codes listed in {lookup.name} (column "
            f"'{'icb22_code_h' if column == 'ICB' else 'icb22_code'}')",
            fix="correct the codes, or use a lookup file from the same year as the data",
        )


def _check_folder(folder: Path) -> None:
    if not folder.is_dir():
        raise InputError(
            "data folder not found",
            file=folder,
            expected="a folder holding the public NHS files " + ", ".join(REAL_FILES.values()),
            fix="check the path given to --from / load_real_economy",
        )
    missing = [name for name in REAL_FILES.values() if not (folder / name).is_file()]
    if missing:
        raise InputError(
            f"the data folder lacks {summarise_items(missing)}",
            file=folder,
            expected="files " + ", ".join(REAL_FILES.values()),
            fix="download the missing public files into the folder (see docs/economy.md)",
        )


def load_real_economy(path: str | Path) -> Economy:
    """The real 2025/26 England economy from the public files in the folder *path*.

    Args:
        path: A folder with the files in :data:`REAL_FILES` (and optionally
            :data:`OPTIONAL_FILES`), named as published.

    Returns:
        An :class:`Economy` with ``synthetic=False``: 42 ICBs, 7 regions, every practice of the
        file and the 138 acute trusts of the catchment file.

    Raises:
        InputError: a missing file or column, wrong encoding, negative or non-numeric
            population, duplicate practice code, unknown ICB code or inconsistent catchment.
    """
    folder = Path(path)
    _check_folder(folder)
    files = {role: folder / name for role, name in REAL_FILES.items()}
    practices_raw = _read_practices(files["practices"])
    lookup = read_table(
        files["lookup"], required=_LOOKUP_COLUMNS, what="LSOA/ICB/LTLA lookup", dtype=None
    )
    icbs = lookup.drop_duplicates("icb22_code_h")[["icb22_code", "icb22_code_h", "icb22_name"]]
    _unknown_icb(
        practices_raw["ICB"].astype(str),
        set(icbs["icb22_code_h"].astype(str)),
        file=files["practices"],
        column="ICB",
        lookup=files["lookup"],
    )

    # --- regions and commissioners -------------------------------------------------------
    regions = (
        practices_raw[["Rcode", "Region"]]
        .drop_duplicates("Rcode")
        .rename(columns={"Rcode": "region_code", "Region": "region_name"})
        .sort_values("region_code")
        .reset_index(drop=True)
    )
    mff_of_region = {
        code: _MFF_BY_SYNTHETIC_REGION.get(_REAL_REGION.get(code, ""), 1.0)
        for code in regions["region_code"]
    }
    pop = practices_raw["Population"].to_numpy(dtype=float)
    wp_raw = practices_raw["Final WP"].to_numpy(dtype=float)
    weighted = wp_raw * (pop.sum() / wp_raw.sum())  # England need index = 1
    practices_raw["weighted"] = weighted
    grouped = practices_raw.groupby("ICB", sort=True)
    commissioners = pd.DataFrame(
        {
            "code": grouped.size().index.astype(str),
            "name": grouped["ICBname"].first().to_numpy(),
            "kind": "ICB",
            "region_code": grouped["Rcode"].agg(lambda s: s.mode().iloc[0]).to_numpy(),
            "population": grouped["Population"].sum().to_numpy(),
            "weighted_population": grouped["weighted"].sum().to_numpy(),
        }
    )
    commissioners["need_index"] = commissioners["weighted_population"] / commissioners["population"]
    commissioners["mff"] = commissioners["region_code"].map(mff_of_region).astype(float)
    targets = year_targets(REAL_YEAR, "ICB")
    target = commissioners["weighted_population"] * commissioners["mff"]
    commissioners["target_allocation_gbp"] = target / target.sum() * targets.allocation_gbp
    commissioners["allocation_gbp"] = commissioners["target_allocation_gbp"]

    # --- deprivation by lower-tier local authority ------------------------------------------
    imd = read_table(files["imd"], required=_IMD_COLUMNS, what="IMD 2019 LSOA file")
    imd = imd[imd["nation"].astype(str) == "E"]
    _numeric(imd, "UK_IMD_E_score", files["imd"], allow_negative=True)
    lsoa = lookup[["lsoa11_code", "ltla22_code"]].merge(
        imd[["lsoa", "UK_IMD_E_score"]], left_on="lsoa11_code", right_on="lsoa", how="inner"
    )
    ltla_score = lsoa.groupby("ltla22_code")["UK_IMD_E_score"].mean()  # LSOAs ~ equal size
    lad = practices_raw["LAD"].astype(str).str.strip()
    practices_raw["LAD"] = lad
    la_pop = practices_raw.groupby("LAD")["Population"].sum()
    la_score = ltla_score.reindex(la_pop.index)
    la_score = la_score.fillna(float(ltla_score.mean()))
    # Population-weighted quintiles: rank authorities from most deprived, cut at fifths.
    order = la_score.sort_values(ascending=False, kind="stable").index
    cum_before = la_pop.loc[order].cumsum() - la_pop.loc[order]
    quintile = np.minimum(np.floor(cum_before / la_pop.sum() * 5), 4).astype(np.int64) + 1

    practices = pd.DataFrame(
        {
            "code": practices_raw["Practice_Code"].to_numpy(),
            "name": practices_raw["GP_Practice_Name"].astype(str).to_numpy(),
            "commissioner_code": practices_raw["ICB"].astype(str).to_numpy(),
            "la_code": lad.to_numpy(),
            "population": pop,
            "weighted_population": weighted,
            "imd_quintile": lad.map(quintile).to_numpy(dtype=np.int64),
            "contract_type": "GMS",
        }
    )
    practice_cells = pop[:, None] * cell_shares()[None, :]

    # --- local authorities -------------------------------------------------------------------
    la_names = practices_raw.groupby("LAD")["LTLA"].first()
    la_region = (
        practices_raw.groupby(["LAD", "Rcode"])["Population"]
        .sum()
        .reset_index()
        .sort_values(["LAD", "Population"])
        .drop_duplicates("LAD", keep="last")
        .set_index("LAD")["Rcode"]
    )
    codes = la_pop.index.astype(str)
    kind = np.where(pd.Series(codes).str.startswith("E07"), "district", "unitary")
    score = la_score.to_numpy(dtype=float)
    grant_need = la_pop.to_numpy() * np.sqrt(score / np.average(score, weights=la_pop))
    grant_total = targets.public_health_grant_gbp
    local_authorities = pd.DataFrame(
        {
            "code": codes,
            "name": la_names.reindex(la_pop.index).astype(str).to_numpy(),
            "kind": kind,
            "region_code": la_region.reindex(la_pop.index).to_numpy(),
            "population": la_pop.to_numpy(),
            "imd_score": score,
            "public_health_grant_gbp": grant_need / grant_need.sum() * grant_total,
            "upper_tier_code": codes,
        }
    )

    # --- acute trusts and catchments -----------------------------------------------------
    providers, catchments = _acute_trusts(folder, files, icbs, float(pop.sum()), mff_of_region)

    tariff = synthetic_tariff(0, REAL_YEAR, providers)
    tariff_source = "synthetic catalogue (seed 0): reference cost files not found"
    apc = _reference_cost_apc(folder)
    if apc is not None:
        tariff["apc"] = apc
        tariff_source = (
            f"APC from reference costs {apc.attrs.get('financial_year', '')} (the most complete "
            "year of the file) via quasimarket.tariff.reference_costs; outpatient, A&E and "
            "top-up tables synthetic"
        )

    return Economy(
        name="England 2025/26 (public NHS open data)",
        year=REAL_YEAR,
        synthetic=False,
        commissioner_level="ICB",
        regions=regions,
        commissioners=commissioners,
        practices=practices,
        cells=cells_table(),
        practice_cells=practice_cells,
        providers=providers,
        catchments=catchments,
        local_authorities=local_authorities,
        tariff=tariff,
        sources={
            "folder": str(folder),
            "practices": f"{REAL_FILES['practices']} (Population, Final WP scaled so England "
            "need = 1); contract type not in the file: GMS assumed [K]",
            "age_sex": "England-like shares applied to each practice [K]: the file has no "
            "age/sex breakdown",
            "allocations": "target = Final WP x regional MFF [K], scaled to £115bn [K]; "
            "actual = target",
            "deprivation": f"{REAL_FILES['imd']} (England LSOAs) averaged to LTLA via "
            f"{REAL_FILES['lookup']}; practice quintile = its LTLA's population-weighted "
            "quintile",
            "local_authorities": "lower-tier authorities of the practices; county tier not in "
            "the files; public health grant shared by population and deprivation [K]",
            "providers": f"acute trusts of {REAL_FILES['catchments']} with names from "
            f"{REAL_FILES['trusts']}; no community, mental health, ambulance or independent "
            "providers (no public catchment file); MFF by region [K]",
            "tariff": tariff_source,
        },
    )


def _acute_trusts(
    folder: Path,
    files: dict[str, Path],
    icbs: pd.DataFrame,
    population: float,
    mff_of_region: dict[str, float],
) -> tuple[pd.DataFrame, pd.DataFrame]:
    catchment = read_table(
        files["catchments"], required=_CATCHMENT_COLUMNS, what="trust catchment file"
    )
    trusts = read_table(files["trusts"], required=_TRUST_COLUMNS, what="trust lookup")
    file = files["catchments"]
    _unknown_icb(
        catchment["icb22_code"].astype(str),
        set(icbs["icb22_code"].astype(str)),
        file=file,
        column="icb22_code",
        lookup=files["lookup"],
    )
    share_column = "proportion_trust_came_from_icb"
    _numeric(catchment, share_column, file)
    catchment["trust"] = catchment["nhs_trust22_code"].astype(str).str.strip()
    totals = catchment.groupby("trust")[share_column].sum()
    off = totals[(totals - 1.0).abs() > 0.01]
    if len(off):
        rows = np.flatnonzero(catchment["trust"].isin(off.index).to_numpy())
        raise InputError(
            f"catchment shares do not sum to 1 for {len(off)} trust(s): "
            + summarise_items(f"{t} ({v:.3f})" for t, v in off.items()),
            file=file,
            location=f"column '{share_column}', {_lines(rows)}",
            expected="shares summing to 1 for each trust",
            fix="use the complete catchment file, or correct the shares",
        )
    unknown = sorted(set(totals.index) - set(trusts["nhs_trust22_code"].astype(str)))
    if unknown:
        raise InputError(
            f"{len(unknown)} trust code(s) of the catchment file are not in "
            f"{files['trusts'].name}: {summarise_items(unknown)}",
            file=file,
            location="column 'nhs_trust22_code'",
            expected="trust codes listed in the trust lookup",
            fix="use a trust lookup from the same year as the catchment file",
        )
    code_h = dict(
        zip(icbs["icb22_code"].astype(str), icbs["icb22_code_h"].astype(str), strict=True)
    )
    catchments = pd.DataFrame(
        {
            "provider_code": catchment["trust"].to_numpy(),
            "commissioner_code": catchment["icb22_code"].astype(str).map(code_h).to_numpy(),
            "share": (catchment[share_column] / catchment["trust"].map(totals)).to_numpy(),
        }
    )
    catchments = catchments[catchments["share"] > 0].reset_index(drop=True)

    info = trusts.drop_duplicates("nhs_trust22_code").set_index("nhs_trust22_code")
    codes = totals.index.astype(str)
    region = info.loc[codes, "nhs_region21_nhs_code"].astype(str).to_numpy()
    size = _trust_size(folder, codes)
    beds = size / size.sum() * ACUTE_BEDS_PER_HEAD * population
    elective = (
        size
        / size.sum()
        * (1.0 - INDEPENDENT_ELECTIVE_SHARE)
        * (ELECTIVE_SPELLS_PER_HEAD * population)
    )
    providers = pd.DataFrame(
        {
            "code": codes,
            "name": info.loc[codes, "nhs_trust22_name"].astype(str).to_numpy(),
            "kind": "acute",
            "region_code": region,
            "mff": [mff_of_region.get(r, 1.0) for r in region],
            "beds": np.round(beds),
            "elective_capacity_spells": np.round(elective),
        }
    )
    return providers, catchments


def _trust_size(folder: Path, codes: pd.Index) -> np.ndarray:
    """Relative size of each trust: mean monthly type 1 A&E attendances, else 1."""
    path = folder / OPTIONAL_FILES["ae"]
    size = np.ones(len(codes))
    if not path.is_file():
        return size
    ae = read_table(path, required=("org_code", "type", "attendances"), what="A&E file")
    type1 = ae[ae["type"].astype(str) == "1"]
    mean = pd.to_numeric(type1["attendances"], errors="coerce").groupby(type1["org_code"]).mean()
    found = mean.reindex(codes).to_numpy(dtype=float)
    fallback = float(np.nanmedian(found)) if np.isfinite(found).any() else 1.0
    return np.where(np.isfinite(found) & (found > 0), found, fallback)


def _reference_cost_apc(folder: Path) -> pd.DataFrame | None:
    """The APC table from reference costs, if the files and the loader are there."""
    ref = folder / OPTIONAL_FILES["reference_costs"]
    trims = folder / OPTIONAL_FILES["trimpoints"]
    if not (ref.is_file() and trims.is_file()):
        return None
    try:
        from quasimarket.tariff.reference_costs import annex_a_from_reference_costs
    except ImportError:  # pragma: no cover - the loader ships with quasimarket
        return None
    return annex_a_from_reference_costs(ref, trims)
