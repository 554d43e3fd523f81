"""Saving and loading an :class:`Economy` as a folder of Parquet tables plus JSON metadata.

Layout of an economy folder::

    economy.json              name, year, synthetic, level, sources, format version
    regions.parquet           one file per table of the Economy
    commissioners.parquet
    practices.parquet
    cells.parquet
    practice_cells.parquet    one column per cell, rows follow practices.parquet
    providers.parquet
    catchments.parquet
    local_authorities.parquet
    tariff/<key>.parquet      apc, outpatient, ae, mff, top_up
    .quasimarket-output.json  the output marker: which files quasimarket wrote, with hashes

Writing is atomic (:func:`quasimarket.io.output_folder`): the folder appears complete or not at
all, and it replaces only an earlier, unchanged saved economy, never a folder of other files.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quasimarket.economy.model import Economy
from quasimarket.errors import InputError
from quasimarket.financial_year import FinancialYear
from quasimarket.io import output_folder, read_table
from quasimarket.io.json_output import dumps
from quasimarket.io.outputs import Inputs

__all__ = [
    "FORMAT_VERSION",
    "METADATA_FILE",
    "OUTPUT_COMMAND",
    "TABLES",
    "load_economy",
    "save_economy",
]

#: Version of the folder layout; bumped when it changes incompatibly.
FORMAT_VERSION = 1
#: The metadata file that marks a folder as a saved economy.
METADATA_FILE = "economy.json"
#: The command recorded in a saved economy's output marker (:mod:`quasimarket.io.outputs`).
OUTPUT_COMMAND = "economy build"
#: The table attributes of :class:`Economy` saved one Parquet file each, with the columns a
#: loaded table must have (the ``Economy`` docstring).
TABLES: dict[str, tuple[str, ...]] = {
    "regions": ("region_code", "region_name"),
    "commissioners": (
        "code",
        "name",
        "kind",
        "region_code",
        "population",
        "weighted_population",
        "need_index",
        "mff",
        "target_allocation_gbp",
        "allocation_gbp",
    ),
    "practices": (
        "code",
        "name",
        "commissioner_code",
        "la_code",
        "population",
        "weighted_population",
        "imd_quintile",
        "contract_type",
    ),
    "cells": ("cell", "age_band", "sex"),
    "providers": (
        "code",
        "name",
        "kind",
        "region_code",
        "mff",
        "beds",
        "elective_capacity_spells",
    ),
    "catchments": ("provider_code", "commissioner_code", "share"),
    "local_authorities": (
        "code",
        "name",
        "kind",
        "region_code",
        "population",
        "imd_score",
        "public_health_grant_gbp",
    ),
}


def save_economy(
    economy: Economy,
    path: str | Path,
    *,
    replace: bool = True,
    inputs: Inputs | None = None,
) -> Path:
    """Write *economy* to the folder *path*, atomically.

    Args:
        economy: The economy to save.
        path: The folder (created; written whole, with its output marker).
        replace: Replace an earlier, unchanged saved economy at *path* (as a re-run expects);
            ``False`` refuses any non-empty *path* (the CLI without ``--force``). Files
            quasimarket did not write are never replaced.
        inputs: The files it was built from, by label: *path* may not be, hold or lie in one.

    Returns:
        The folder written.

    Raises:
        InputError: *path* is taken (:func:`quasimarket.io.prepare_output`).
    """
    target = Path(path)
    with output_folder(target, command=OUTPUT_COMMAND, force=replace, inputs=inputs) as tmp:
        for name in TABLES:
            frame: pd.DataFrame = getattr(economy, name)
            frame.to_parquet(tmp / f"{name}.parquet", index=False)
        cells = pd.DataFrame(
            economy.practice_cells, columns=[str(c) for c in economy.cells["cell"]]
        )
        cells.to_parquet(tmp / "practice_cells.parquet", index=False)
        (tmp / "tariff").mkdir()
        for key, frame in economy.tariff.items():
            frame.to_parquet(tmp / "tariff" / f"{key}.parquet", index=False)
        metadata: dict[str, Any] = {
            "format_version": FORMAT_VERSION,
            "name": economy.name,
            "year": str(economy.year),
            "synthetic": economy.synthetic,
            "commissioner_level": economy.commissioner_level,
            "tariff": sorted(economy.tariff),
            "sources": economy.sources,
        }
        (tmp / METADATA_FILE).write_text(
            dumps(metadata, what=METADATA_FILE, indent=2, ensure_ascii=False)
        )
    return target


def _metadata(folder: Path) -> dict[str, Any]:
    meta_path = folder / METADATA_FILE
    if not folder.is_dir():
        raise InputError(
            "economy folder not found",
            file=folder,
            expected="a folder written by save_economy or 'quasimarket economy build'",
            fix="check the path, or build one with 'quasimarket economy build --out DIR'",
        )
    if not meta_path.is_file():
        raise InputError(
            f"not a saved economy: {METADATA_FILE} is missing",
            file=folder,
            expected=f"a folder containing {METADATA_FILE} and the table .parquet files",
            fix="point at a folder written by save_economy or 'quasimarket economy build'",
        )
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise InputError(
            f"the economy metadata is not valid JSON ({err})",
            file=meta_path,
            expected="the JSON written by save_economy",
            fix="rebuild the economy folder",
        ) from None
    required = ("format_version", "name", "year", "synthetic", "commissioner_level")
    missing = [key for key in required if not isinstance(meta, dict) or key not in meta]
    if missing:
        raise InputError(
            f"the economy metadata lacks {', '.join(missing)}",
            file=meta_path,
            expected=f"keys {', '.join(required)}",
            fix="rebuild the economy folder",
        )
    if meta["format_version"] != FORMAT_VERSION:
        raise InputError(
            f"economy folder format {meta['format_version']} is not supported",
            file=meta_path,
            location="format_version",
            expected=f"format {FORMAT_VERSION}",
            fix="rebuild the economy folder with this version of quasimarket",
        )
    return dict(meta)


def load_economy(path: str | Path) -> Economy:
    """Read an economy folder written by :func:`save_economy`.

    Raises:
        InputError: the folder, its metadata or one of its tables is missing or malformed.
    """
    folder = Path(path)
    meta = _metadata(folder)
    tables = {
        name: read_table(folder / f"{name}.parquet", required=columns, what=f"{name} table")
        for name, columns in TABLES.items()
    }
    cells_frame = read_table(folder / "practice_cells.parquet", what="practice cells table")
    cell_names = [str(c) for c in tables["cells"]["cell"]]
    if list(cells_frame.columns) != cell_names or len(cells_frame) != len(tables["practices"]):
        raise InputError(
            "the practice cells table does not match the practices and cells tables",
            file=folder / "practice_cells.parquet",
            expected=f"{len(tables['practices'])} rows and columns {', '.join(cell_names)}",
            fix="rebuild the economy folder",
        )
    tariff = {
        str(key): read_table(folder / "tariff" / f"{key}.parquet", what=f"tariff {key} table")
        for key in meta.get("tariff", [])
    }
    return Economy(
        name=str(meta["name"]),
        year=FinancialYear.parse(meta["year"]),
        synthetic=bool(meta["synthetic"]),
        commissioner_level=str(meta["commissioner_level"]),
        regions=tables["regions"],
        commissioners=tables["commissioners"],
        practices=tables["practices"],
        cells=tables["cells"],
        practice_cells=cells_frame.to_numpy(dtype=np.float64),
        providers=tables["providers"],
        catchments=tables["catchments"],
        local_authorities=tables["local_authorities"],
        tariff=tariff,
        sources={str(k): str(v) for k, v in dict(meta.get("sources", {})).items()},
    )
