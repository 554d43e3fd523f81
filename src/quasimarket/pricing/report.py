"""Reporting a pricing result: the JSON summary and the output folder (rounded to pence here)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from quasimarket.errors import RunError
from quasimarket.io import output_folder
from quasimarket.io.json_output import dumps
from quasimarket.io.outputs import Inputs
from quasimarket.money import round_pence
from quasimarket.pricing.result import PricingResult

__all__ = ["OUTPUT_COMMAND", "OUTPUT_FILES", "summary_payload", "write_outputs"]

#: The files a pricing output folder holds (besides its output marker).
OUTPUT_FILES = ("statement.csv", "records.parquet", "totals.json")
#: Added when there is non-contract activity (priced at tariff, by commissioner).
NON_CONTRACT_FILES = ("non_contract_statement.csv", "non_contract_records.parquet")
#: The command recorded in a pricing output folder's marker (:mod:`quasimarket.io.outputs`).
OUTPUT_COMMAND = "price"


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
        **({"non_contract": _non_contract(result.non_contract)} if result.non_contract else {}),
    }


def _non_contract(result: PricingResult) -> dict[str, Any]:
    """The non-contract statement's totals, by commissioner (what each is invoiced)."""
    commissioner = {line.id: line.commissioner for line in result.contract.lines}
    statement = result.statement.assign(commissioner=lambda f: f["line_id"].map(commissioner))
    by_comm = statement.groupby("commissioner", sort=True)[["activity", "formal_gbp"]].sum()
    return {
        "records": len(result.activity),
        "formal_gbp": _pence(result.totals()["formal_gbp"]),
        "by_commissioner": [
            {
                "commissioner": str(code),
                "activity": float(row.activity),
                "formal_gbp": _pence(row.formal_gbp),
            }
            for code, row in by_comm.iterrows()
        ],
        "notes": list(result.notes),
    }


def write_outputs(
    result: PricingResult,
    out: str | Path,
    *,
    replace: bool = True,
    inputs: Inputs | None = None,
) -> Path:
    """Write ``statement.csv``, ``records.parquet`` and ``totals.json`` into *out*, atomically
    (and the non-contract statement and records when there is non-contract activity).

    Money in the statement and JSON is rounded to pence (half away from zero); the Parquet
    record table keeps unrounded float64 pounds so sums can be re-derived exactly.

    Args:
        result: The pricing result.
        out: The folder (created; written whole, with its output marker).
        replace: Replace an earlier, unchanged pricing output at *out* (as a re-run expects);
            ``False`` refuses any non-empty *out* (the CLI without ``--force``). Files
            quasimarket did not write are never replaced.
        inputs: The files priced, by label: *out* may not be, hold or lie in one of them.

    Raises:
        InputError: *out* is taken (:func:`quasimarket.io.prepare_output`).
    """
    # Everything is checked before anything is written: no NaN or infinity in any output.
    totals = dumps(summary_payload(result), what="totals.json", indent=2, ensure_ascii=False)
    statement = _rounded(result, "statement.csv")
    nca = result.non_contract
    nca_statement = _rounded(nca, "non_contract_statement.csv") if nca is not None else None
    with output_folder(out, command=OUTPUT_COMMAND, force=replace, inputs=inputs) as tmp:
        statement.to_csv(tmp / "statement.csv", index=False)
        result.records.to_parquet(tmp / "records.parquet", index=False)
        if nca is not None and nca_statement is not None:
            nca_statement.to_csv(tmp / "non_contract_statement.csv", index=False)
            nca.records.to_parquet(tmp / "non_contract_records.parquet", index=False)
        (tmp / "totals.json").write_text(totals + "\n", encoding="utf-8")
    return Path(out)


def _rounded(result: PricingResult, name: str) -> pd.DataFrame:
    """The statement in pence; non-finite money is a bug, reported before anything is written."""
    statement = result.statement.copy()
    for column in statement.columns:
        if column.endswith("_gbp"):
            money = statement[column].to_numpy(dtype=np.float64)
            if not np.isfinite(money).all():
                raise RunError(
                    f"{name} would hold non-finite money in {column!r} "
                    f"({int((~np.isfinite(money)).sum()):,} rows)",
                    location=name,
                    fix="nothing was written; this is a bug if the inputs passed validation, "
                    "please report it with the inputs",
                )
            statement[column] = round_pence(money)
    return statement
