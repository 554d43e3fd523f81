"""Reporting a pricing result: the JSON summary and the output folder (rounded to pence here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from quasimarket.errors import ConfigError, summarise_items
from quasimarket.io import atomic_dir
from quasimarket.money import round_pence
from quasimarket.pricing.result import PricingResult

__all__ = ["OUTPUT_FILES", "check_output_folder", "summary_payload", "write_outputs"]

#: The files a pricing output folder holds (and all it may hold to be replaced).
OUTPUT_FILES = ("statement.csv", "records.parquet", "totals.json")


def _pence(value: float) -> float:
    return float(round_pence(value))


def summary_payload(result: PricingResult) -> dict[str, Any]:
    """Totals, per-line totals, per-rule breakdown and notes, in pounds rounded to pence."""
    contract = result.contract
    statement = result.statement
    money = [c for c in statement.columns if c.endswith("_gbp")]
    by_line = statement.groupby("line_id", sort=False)[["activity", *money]].sum()
    lines = []
    cells = {
        c: dict(zip(by_line.index, by_line[c].to_numpy(dtype=float), strict=True))
        for c in ["activity", *money]
    }
    for line in contract.lines:
        entry: dict[str, Any] = {
            "line_id": line.id,
            "service": line.service,
            "mechanism": line.mechanism,
            "activity": cells["activity"][line.id],
        }
        entry.update({c: _pence(cells[c][line.id]) for c in money})
        lines.append(entry)
    totals = {k: (v if k == "records" else _pence(v)) for k, v in result.totals().items()}
    return {
        "contract": contract.name,
        "year": str(contract.year),
        "records": len(result.activity),
        "tariff": result.tariff.source if result.tariff is not None else None,
        "totals": totals,
        "lines": lines,
        "breakdown": [
            {**row, "amount_gbp": _pence(row["amount_gbp"])} for row in result.breakdown()
        ],
        "notes": list(result.notes),
    }


def check_output_folder(out: str | Path) -> None:
    """Refuse an output path whose replacement would destroy the user's files.

    The folder is written whole and swapped into place, so it may only be new, empty, or an
    earlier pricing output (nothing but :data:`OUTPUT_FILES`).

    Raises:
        ConfigError: *out* is a file, or a folder holding anything else.
    """
    target = Path(out)
    if target.exists() and not target.is_dir():
        raise ConfigError(
            "the output path is a file, not a folder: refusing to replace it",
            file=target,
            location="--out",
            expected="a new folder, an empty folder or an earlier pricing output folder",
            fix="give --out a folder path (it is created), not an input or other file",
        )
    if target.is_dir():
        foreign = sorted(p.name for p in target.iterdir() if p.name not in OUTPUT_FILES)
        if foreign:
            raise ConfigError(
                f"the output folder holds {len(foreign)} file(s) quasimarket did not write "
                f"({summarise_items(foreign)}): refusing to replace it",
                file=target,
                location="--out",
                expected="a new folder, an empty folder or an earlier pricing output folder",
                fix="choose a new --out folder; the folder is replaced whole",
            )


def write_outputs(result: PricingResult, out: str | Path) -> Path:
    """Write ``statement.csv``, ``records.parquet`` and ``totals.json`` into *out*, atomically.

    Money in the statement and JSON is rounded to pence (half away from zero); the Parquet
    record table keeps unrounded float64 pounds so sums can be re-derived exactly.

    Raises:
        ConfigError: *out* is a file or a folder of other files (:func:`check_output_folder`).
    """
    check_output_folder(out)
    with atomic_dir(out) as tmp:
        statement = result.statement.copy()
        for column in statement.columns:
            if column.endswith("_gbp"):
                statement[column] = round_pence(statement[column].to_numpy(dtype=np.float64))
        statement.to_csv(tmp / "statement.csv", index=False)
        result.records.to_parquet(tmp / "records.parquet", index=False)
        (tmp / "totals.json").write_text(
            json.dumps(summary_payload(result), indent=2, ensure_ascii=False) + "\n",
            encoding="utf-8",
        )
    return Path(out)
