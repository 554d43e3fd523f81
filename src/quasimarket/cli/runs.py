"""CLI commands: ``runs list / show / compare / delete / tidy`` over the run store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

STORE_HELP = "Run store folder (default $QUASIMARKET_RUNS or ./runs)."
#: The ``--store`` option shared by the runs and stress commands.
StoreOption = Annotated[Path | None, typer.Option("--store", help=STORE_HELP)]


def register(app: typer.Typer) -> None:
    """Add the ``runs`` group to *app*."""
    group = typer.Typer(
        help="List, show, compare, delete and tidy stored runs.", no_args_is_help=True
    )
    app.add_typer(group, name="runs")

    @group.command("list")
    def list_runs(
        store: StoreOption = None,
        kind: str | None = typer.Option(None, help="Only runs of this kind (stress, simulation)."),
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """List the complete runs in the store, newest first."""
        from rich.table import Table

        from quasimarket.cli._output import console, emit_json
        from quasimarket.runs import RunStore

        records = RunStore(store).list(kind)
        if json_out:
            emit_json([r.to_dict() for r in records])
            return
        table = Table()
        table.add_column("run id", no_wrap=True, min_width=29)
        for column in ("kind", "name", "created (UTC)", "seed", "draws", "time (s)"):
            table.add_column(column, justify="right" if column in ("seed", "draws") else "left")
        for r in records:
            table.add_row(
                r.run_id,
                r.kind,
                r.name or "",
                r.created_utc.isoformat(timespec="seconds"),
                "" if r.seed is None else str(r.seed),
                "" if r.draws is None else f"{r.draws:,}",
                "" if r.elapsed_s is None else f"{r.elapsed_s:.1f}",
            )
        console().print(table if records else "no runs in the store")

    @group.command("show")
    def show(
        run_id: str = typer.Argument(..., help="Run id (or a unique prefix)."),
        store: StoreOption = None,
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Show a run's manifest and the first rows of its summary table."""
        from quasimarket.cli._output import console, emit_json
        from quasimarket.runs import RunStore

        runs = RunStore(store)
        record = runs.get(run_id)
        if json_out:
            emit_json({"run": record.to_dict(), "manifest": record.manifest})
            return
        out = console()
        for key, value in record.to_dict().items():
            out.print(f"[bold]{key}[/]: {value}", highlight=False)
        if "summary" in record.tables:
            out.print(runs.table(record.run_id, "summary").to_string(index=False, max_rows=40))

    @group.command("compare")
    def compare(
        run_a: str = typer.Argument(..., help="First run id."),
        run_b: str = typer.Argument(..., help="Second run id."),
        store: StoreOption = None,
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Compare two runs: scenario changes, tables, and means of numeric columns (b − a)."""
        from quasimarket.cli._output import console, emit_json
        from quasimarket.runs import RunStore

        result = RunStore(store).compare(run_a, run_b)
        if json_out:
            emit_json(result.to_dict())
            return
        out = console()
        out.print(f"[bold]a[/] {result.a.run_id}  [bold]b[/] {result.b.run_id}", highlight=False)
        out.print("[bold]scenario changes[/]")
        for key, left, right in result.scenario_changes or [("(none)", "", "")]:
            out.print(f"  {key}: {left!r} → {right!r}", highlight=False, markup=False)
        out.print("[bold]tables[/]")
        out.print(result.tables.to_string(index=False))
        if len(result.numeric):
            out.print(result.numeric.to_string(index=False, max_rows=60))

    @group.command("delete")
    def delete(
        run_id: str = typer.Argument(..., help="Run id to delete."),
        store: StoreOption = None,
        yes: bool = typer.Option(False, "--yes", help="Do not ask for confirmation."),
    ) -> None:
        """Delete a run (catalog row, then folder)."""
        from quasimarket.cli._output import console
        from quasimarket.runs import RunStore

        runs = RunStore(store)
        record = runs.get(run_id)
        if not yes and not typer.confirm(f"Delete run {record.run_id}?"):
            raise typer.Exit(1)
        runs.delete(record.run_id)
        console().print(f"deleted {record.run_id}", highlight=False)

    @group.command("tidy")
    def tidy(
        store: StoreOption = None,
        json_out: bool = typer.Option(False, "--json", help="Print JSON."),
    ) -> None:
        """Clean up after crashes: adopt finished runs missing from the catalog, remove
        temporary folders, and rebuild a damaged catalog from the run folders."""
        from quasimarket.cli._output import console, emit_json
        from quasimarket.runs import RunStore

        runs = RunStore(store)
        report = runs.repair()
        if json_out:
            emit_json(report.to_dict())
            return
        out = console()
        if report.catalog:
            out.print(f"repaired the catalog: {report.catalog}", highlight=False, markup=False)
        lines = [
            *(f"adopted {path}" for path in report.adopted),
            *(f"removed {path}" for path in report.removed),
            *(
                f"dropped the catalog row of {run_id} (its folder is gone)"
                for run_id in report.dropped
            ),
            *(f"skipped {path}: {why}" for path, why in report.skipped),
        ]
        for line in lines:
            out.print(line, highlight=False, markup=False)
        counts = (
            f"{len(report.adopted)} adopted, {len(report.removed)} removed, "
            f"{len(report.dropped)} dropped, {len(report.skipped)} skipped"
        )
        done = "tidied" if report.changed else "nothing to tidy in"
        out.print(f"{done} {runs.path}: {counts}", highlight=False, markup=False)
