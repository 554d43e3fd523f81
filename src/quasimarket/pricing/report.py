"""Reporting a pricing result: the JSON summary and the output folder (rounded to pence here)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from quasimarket.io import atomic_dir
from quasimarket.money import round_pence
from quasimarket.pricing.result import PricingResult

__all__ = ["summary_payload", "write_outputs"]


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


def write_outputs(result: PricingResult, out: str | Path) -> Path:
    """Write ``statement.csv``, ``records.parquet`` and ``totals.json`` into *out*, atomically.

    Money in the statement and JSON is rounded to pence (half away from zero); the Parquet
    record table keeps unrounded float64 pounds so sums can be re-derived exactly.
    """
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
