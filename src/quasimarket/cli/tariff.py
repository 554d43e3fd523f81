"""CLI commands: ``quasimarket tariff check | show | build``.

Thin wrappers over :mod:`quasimarket.tariff`: ``check`` says how a tariff file was read,
``show`` prints one HRG's prices, ``build`` writes an Annex-A-shaped APC table from reference
costs. docs/tariffs.md has examples.
"""

from __future__ import annotations

import difflib
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from quasimarket.cli._output import console, emit_json

if TYPE_CHECKING:
    from quasimarket.tariff.loader import LoadedTariff

#: The command recorded in a built table's output marker (:mod:`quasimarket.io.outputs`).
BUILD_COMMAND = "tariff build"

tariff_app = typer.Typer(
    help="National tariff files: check how a workbook is read, show one HRG's prices, or "
    "build an Annex A table from reference costs.",
    no_args_is_help=True,
)

FileArgument = Annotated[
    Path, typer.Argument(help="Tariff workbook (XLSX), CSV/Parquet table, or folder of them.")
]
MffOption = Annotated[
    Path | None,
    typer.Option("--mff", help="MFF table (CSV/XLSX) replacing any in FILE."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]

#: Points of delivery with a price column in the tariff, in display order.
_PRICED_PODS = (
    "day_case",
    "elective",
    "non_elective",
    "op_procedure",
    "op_first",
    "op_follow_up",
    "ae",
)


def _number(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else float(value)


def check_payload(loaded: LoadedTariff, file: Path) -> dict[str, Any]:
    """What ``tariff check --json`` prints: tables found, counts and notes."""
    import numpy as np

    from quasimarket.tariff.table import TFC_PREFIX
    from quasimarket.vocabulary import POD_CODES

    table = loaded.table
    is_tfc = np.array([c.startswith(TFC_PREFIX) for c in table.codes], dtype=bool)
    priced = ~np.isnan(table.unit_price)
    return {
        "file": str(file),
        "valid": True,
        "sheets_searched": list(loaded.sheets_searched),
        "tables": [
            {
                "table": t.kind,
                "file": str(t.file),
                "sheet": t.sheet,
                "header_row": t.header_row,
                "layout": t.layout,
                "rows": len(t.frame),
                "columns": t.columns,
                "ignored_columns": list(t.ignored),
            }
            for t in loaded.tables
        ],
        "counts": {
            "hrgs": int((~is_tfc).sum()),
            "treatment_functions": int(is_tfc.sum()),
            "prices": int(priced.sum()),
            "prices_by_pod": {pod: int(priced[:, POD_CODES[pod]].sum()) for pod in _PRICED_PODS},
            "trim_points": int(
                np.isfinite(table.elective_trim).sum() + np.isfinite(table.non_elective_trim).sum()
            ),
            "short_stay_emergency": int(table.rsse_applicable.sum()),
            "best_practice": int((~np.isnan(table.bpt_price)).sum()),
            "top_up": int((table.top_up_pct > 0).sum()),
            "mff_providers": len(table.mff_providers),
        },
        "notes": _notes(loaded),
    }


def _notes(loaded: LoadedTariff) -> list[str]:
    notes = list(loaded.notes) + list(loaded.table.notes)
    if not loaded.table.mff_providers:
        notes.append(
            "no MFF table: every provider is priced at MFF 1.000 unless you give --mff "
            "(the pricing statement says so too)"
        )
    return notes


@tariff_app.command("check")
def check(
    file: FileArgument,
    mff: MffOption = None,
    as_json: JsonOption = False,
) -> None:
    """Load a tariff and say which sheets, tables, layout and header rows were recognised."""
    from quasimarket.tariff.loader import TABLE_NAMES, load_tariff_report

    loaded = load_tariff_report(file, mff=mff)
    payload = check_payload(loaded, file)
    if as_json:
        emit_json(payload)
        return
    out = console()
    out.print(f"[bold green]valid[/]: {escape(str(file))}")
    if payload["sheets_searched"]:
        out.print(
            "sheets searched: " + escape(", ".join(repr(s) for s in payload["sheets_searched"]))
        )
    tables = Table(title="Tables recognised")
    for column in ("table", "where", "header row", "layout", "rows", "columns"):
        tables.add_column(column, overflow="fold")
    for t in payload["tables"]:
        sheet = f"sheet {t['sheet']!r}" if t["sheet"] is not None else ""
        # the file is named above; a folder's tables each name theirs
        where = sheet if t["file"] == str(file) and sheet else f"{Path(t['file']).name} {sheet}"
        recognised = f"{len(t['columns'])} recognised"
        if t["ignored_columns"]:
            recognised += f", {len(t['ignored_columns'])} not used"
        tables.add_row(
            escape(f"{t['table']}: {TABLE_NAMES[t['table']]}"),
            escape(where),
            str(t["header_row"]),
            escape(t["layout"]),
            f"{t['rows']:,}",
            recognised,
        )
    out.print(tables)
    c = payload["counts"]
    by_pod = ", ".join(f"{pod} {n:,}" for pod, n in c["prices_by_pod"].items() if n)
    out.print(
        f"{c['hrgs']:,} HRGs, {c['treatment_functions']:,} treatment functions; "
        f"{c['prices']:,} prices ({by_pod or 'none'}); {c['trim_points']:,} trim points; "
        f"{c['short_stay_emergency']:,} with a short-stay emergency price, "
        f"{c['best_practice']:,} best-practice, {c['top_up']:,} top-up; "
        f"{c['mff_providers']:,} MFF provider{'' if c['mff_providers'] == 1 else 's'}"
    )
    for note in payload["notes"]:
        out.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)


def _find_code(loaded: LoadedTariff, hrg: str, file: Path) -> int:
    from quasimarket.errors import InputError
    from quasimarket.tariff.table import TFC_PREFIX

    codes = loaded.table.codes
    wanted = hrg.strip()
    for candidate in (wanted, wanted.upper(), TFC_PREFIX + wanted):
        index = int(loaded.table.index_of([candidate])[0])
        if index >= 0:
            return index
    close = difflib.get_close_matches(wanted.upper(), list(codes), n=3, cutoff=0.6)
    raise InputError(
        f"HRG {hrg!r} is not in the tariff",
        file=file,
        location="--hrg",
        expected=f"one of its {len(codes):,} codes"
        + (f"; did you mean {', '.join(close)}?" if close else ""),
        fix="check the code (quasimarket tariff check FILE counts the HRGs it read)",
    )


def show_payload(loaded: LoadedTariff, index: int) -> dict[str, Any]:
    """What ``tariff show --json`` prints: the row as written and the prices as used."""
    import pandas as pd

    from quasimarket.tariff.table import AE_TYPE_3_4_COLUMN, TFC_PREFIX
    from quasimarket.vocabulary import POD_CODES

    table = loaded.table
    code = table.codes[index]
    written: list[dict[str, Any]] = []
    for found in loaded.tables:
        key = found.frame.columns[0]
        column = found.frame[key].astype("string").str.strip()
        wanted = code.removeprefix(TFC_PREFIX) if found.kind == "outpatient" else code
        column = column.str.removesuffix(".0") if found.kind == "outpatient" else column
        hits = (column == wanted).to_numpy(dtype=bool)
        for position in hits.nonzero()[0]:
            row = found.frame.iloc[int(position)]
            written += [
                {
                    "table": found.kind,
                    "where": found.where,
                    "row": int(found.file_rows[int(position)]),
                    "column": str(ours),
                    "header": found.columns.get(str(ours), str(ours)),
                    "value": None if pd.isna(value) else str(value),
                }
                for ours, value in row.items()
            ]
    prices = {pod: _number(float(table.unit_price[index, POD_CODES[pod]])) for pod in _PRICED_PODS}
    prices["ae_type_3_4"] = _number(float(table.unit_price[index, AE_TYPE_3_4_COLUMN]))
    return {
        "code": code,
        "name": table.names[index],
        "as_written": written,
        "as_priced": {
            "prices_gbp": prices,
            "elective_trim_days": _number(float(table.elective_trim[index])),
            "non_elective_trim_days": _number(float(table.non_elective_trim[index])),
            "excess_bed_day_gbp": float(table.excess_bed_day[index]),
            "short_stay_emergency": bool(table.rsse_applicable[index]),
            "short_stay_emergency_gbp": _number(float(table.rsse_price[index])),
            "best_practice_gbp": _number(float(table.bpt_price[index])),
            "top_up_share": float(table.top_up_pct[index]),
        },
        "notes": _notes(loaded),
    }


def _gbp(value: float | None) -> str:
    return "-" if value is None else f"£{value:,.2f}"


@tariff_app.command("show")
def show(
    file: FileArgument,
    hrg: Annotated[str, typer.Option("--hrg", help="The HRG code (or treatment function code).")],
    mff: MffOption = None,
    as_json: JsonOption = False,
) -> None:
    """Print one HRG's row as written in the file and the prices pricing will use."""
    from quasimarket.tariff.loader import load_tariff_report

    loaded = load_tariff_report(file, mff=mff)
    payload = show_payload(loaded, _find_code(loaded, hrg, file))
    if as_json:
        emit_json(payload)
        return
    out = console()
    out.print(f"[bold]{escape(payload['code'])}[/] {escape(payload['name'])}")
    wheres = sorted({cell["where"] for cell in payload["as_written"]})
    written = Table(title="As written in " + escape(", ".join(wheres) or "the file"))
    for column in ("row", "header as published", "our column", "value"):
        written.add_column(column, overflow="fold")
    for cell in payload["as_written"]:
        written.add_row(
            str(cell["row"]),
            escape(" ".join(str(cell["header"]).split())),
            escape(cell["column"]),
            escape("" if cell["value"] is None else cell["value"]),
        )
    out.print(written)
    used = payload["as_priced"]
    priced = Table(title="As priced (before MFF; '-' = no national price)")
    priced.add_column("what")
    priced.add_column("value", justify="right")
    for pod, value in used["prices_gbp"].items():
        priced.add_row(f"{pod} price", _gbp(value))

    def days(value: float | None) -> str:
        return "none" if value is None else f"{value:g} days"

    priced.add_row("elective trim point", days(used["elective_trim_days"]))
    priced.add_row("non-elective trim point", days(used["non_elective_trim_days"]))
    priced.add_row("per day long stay payment", _gbp(used["excess_bed_day_gbp"]))
    rsse = used["short_stay_emergency"]
    priced.add_row(
        "reduced short stay emergency",
        _gbp(used["short_stay_emergency_gbp"]) if rsse else "not applicable",
    )
    priced.add_row("best practice tariff", _gbp(used["best_practice_gbp"]))
    priced.add_row("specialised top-up", f"{used['top_up_share']:.1%}")
    out.print(priced)
    for note in payload["notes"]:
        out.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)


@tariff_app.command("build")
def build(
    reference_costs: Annotated[
        Path,
        typer.Option(
            "--reference-costs",
            help="Folder with reference_costs_2010_2016.csv and hrg_trimpoints.csv (or the "
            "reference costs CSV itself).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", help="The APC table to write (CSV).")],
    year: Annotated[
        str | None,
        typer.Option(
            "--year",
            help="Financial year such as 2015/16, or the file's Year value (Year 2016 = "
            "2015/16). Default: the most complete year of the file.",
        ),
    ] = None,
    as_json: JsonOption = False,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an earlier --out file written by tariff build, if unedited (never "
            "other files).",
        ),
    ] = False,
) -> None:
    """Write an Annex-A-shaped APC table (CSV) from published reference costs, atomically."""
    from quasimarket.errors import InputError
    from quasimarket.io import prepare_output, write_output_file
    from quasimarket.tariff.reference_costs import build_reference_cost_tariff

    if out.suffix.lower() != ".csv":
        raise InputError(
            "--out must be a .csv file",
            file=out,
            location="--out",
            expected="a file name ending in .csv",
            fix=f"use --out {out.with_suffix('.csv')}",
        )
    inputs = {"--reference-costs": reference_costs}
    prepare_output(out, command=BUILD_COMMAND, kind="file", force=force, inputs=inputs)
    built = build_reference_cost_tariff(reference_costs, year=year)
    text = built.frame.to_csv(index=False, lineterminator="\n")
    written = write_output_file(out, text, command=BUILD_COMMAND, force=force, inputs=inputs)
    payload = {
        "written": str(written),
        "year": built.year,
        "financial_year": str(built.financial_year),
        "chosen_by_default": built.chosen_by_default,
        "hrgs": len(built.frame),
        "hrgs_by_year": {str(k): v for k, v in sorted(built.hrgs_by_year.items())},
        "notes": list(built.notes),
    }
    if as_json:
        emit_json(payload)
        return
    con = console()
    con.print(
        f"wrote {len(built.frame):,} HRGs of reference costs {built.financial_year} "
        f"(Year {built.year}) to {escape(str(written))}"
    )
    for note in built.notes:
        con.print(f"[yellow]note:[/] {escape(note)}", soft_wrap=True)
    con.print(f"check it with: quasimarket tariff check {escape(str(written))}")


def register(app: typer.Typer) -> None:
    """Add the ``tariff`` command group to *app*."""
    app.add_typer(tariff_app, name="tariff")
