"""CLI command ``activity load``: read extracts (HES, SUS+, ECDS, SLAM) into one table.

Registered on the ``activity`` group of :mod:`quasimarket.cli.price` (beside ``generate``).
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Annotated, Any

import typer

from quasimarket.activity.formats import FORMATS

#: The ``--format`` choices, as help text.
FORMAT_HELP = (
    "Extract format of every file: "
    + ", ".join([*FORMATS, "auto"])
    + " (auto: recognise each file by its columns)."
)
FormatOption = Annotated[str, typer.Option("--format", help=FORMAT_HELP)]
OUTPUT_COMMAND = "activity load"


def _summary(table: Any) -> dict[str, Any]:
    """Counts by point of delivery, commissioner and year, and the notes."""
    import numpy as np

    from quasimarket.vocabulary import POD_NAMES

    pods = np.bincount(table.pod, minlength=len(POD_NAMES))
    comms = np.bincount(table.commissioner, minlength=len(table.commissioners))
    return {
        "source": table.source,
        "records": len(table),
        "by_pod": {POD_NAMES[k]: int(v) for k, v in enumerate(pods) if v},
        "by_commissioner": {c: int(comms[k]) for k, c in enumerate(table.commissioners)},
        "providers": list(table.providers),
        "years": table.years,
        "notes": [*table.notes, *table.readmission_notes],
    }


def load_command(
    files: Annotated[
        list[Path], typer.Argument(help="Activity files (CSV, Parquet or XLSX), one or more.")
    ],
    fmt: FormatOption = "auto",
    date_format: Annotated[
        str | None,
        typer.Option(
            "--date-format", metavar="FORMAT", help="How dates are written, e.g. '%d/%m/%Y'."
        ),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option("--out", help="Write the combined table (activity schema) as Parquet."),
    ] = None,
    force: Annotated[
        bool, typer.Option("--force", help="Replace an earlier --out of activity load.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Map, check and combine activity extracts (HES, SUS+, ECDS, SLAM).

    Says which mapping read each file, which columns were ignored, and what was found.
    """
    from quasimarket.activity import load_activity
    from quasimarket.cli._output import emit_json
    from quasimarket.cli.price import _date_format
    from quasimarket.io.outputs import prepare_output, write_output_file

    inputs: dict[str, Path | None] = {f"file {k + 1}": p for k, p in enumerate(files)}
    if out is not None:  # before any work
        prepare_output(out, command=OUTPUT_COMMAND, kind="file", force=force, inputs=inputs)
    table = load_activity(files, date_format=_date_format(date_format), fmt=fmt)
    summary = _summary(table)
    if out is not None:
        buffer = io.BytesIO()
        table.to_frame().to_parquet(buffer, index=False)
        written = write_output_file(
            out, buffer.getvalue(), command=OUTPUT_COMMAND, force=force, inputs=inputs
        )
        summary["written"] = str(written)
    if as_json:
        emit_json(summary)
        return
    _print(summary)


def _print(summary: dict[str, Any]) -> None:
    from rich.table import Table

    from quasimarket.cli._output import console

    con = console()
    years = ", ".join(summary["years"]) or "no dates or year"
    con.print(f"[bold]{summary['records']:,} records[/] ({years}) from {summary['source']}")
    pods = Table("point of delivery", "records")
    for pod, n in summary["by_pod"].items():
        pods.add_row(pod, f"{n:,}")
    con.print(pods)
    comms = Table("commissioner", "records")
    for code, n in summary["by_commissioner"].items():
        comms.add_row(code, f"{n:,}")
    con.print(comms)
    for note in summary["notes"]:
        con.print(f"note: {note}", highlight=False, soft_wrap=True)
    if "written" in summary:
        con.print(f"written: {summary['written']}")
