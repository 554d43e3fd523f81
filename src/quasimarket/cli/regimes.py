"""CLI commands: ``regimes list | show NAME | diff A B | counterfactual [NAME]``."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from quasimarket.cli.runs import StoreOption

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]


def register(app: typer.Typer) -> None:
    """Add the ``regimes`` command group to *app*."""
    group = typer.Typer(help="Named policy regimes: presets, switches and counterfactuals.")
    app.add_typer(group, name="regimes")

    @group.command("list")
    def list_command(json_out: JsonOption = False) -> None:
        """List the regime presets in historical order."""
        from quasimarket.cli._output import console, emit_json
        from quasimarket.regimes import list_presets

        presets = list_presets()
        if json_out:
            emit_json(
                [
                    {
                        "name": p.name,
                        "title": p.title,
                        "era": p.era,
                        "beyond_research": p.switches.beyond_research,
                    }
                    for p in presets
                ]
            )
            return
        for p in presets:
            mark = " [yellow](beyond the research)[/]" if p.switches.beyond_research else ""
            console().print(f"[bold]{p.name}[/] ({p.era}): {p.title}{mark}", highlight=False)

    @group.command("show")
    def show_command(name: str, json_out: JsonOption = False) -> None:
        """Show a preset's switches, each with its source."""
        from rich.table import Table

        from quasimarket.cli._output import console, emit_json
        from quasimarket.regimes import get_preset

        preset = get_preset(name, location="NAME")
        values = preset.switches.model_dump(mode="json")
        if json_out:
            emit_json(
                {
                    "name": preset.name,
                    "title": preset.title,
                    "era": preset.era,
                    "description": preset.description,
                    "switches": {
                        k: {"value": v, "source": preset.sources.get(k, "default")}
                        for k, v in values.items()
                    },
                }
            )
            return
        out = console()
        out.print(f"[bold]{preset.name}[/]: {preset.title}\n{preset.description}", highlight=False)
        table = Table("switch", "value", "source")
        for key, value in values.items():
            table.add_row(key, str(value), preset.sources.get(key, "default"))
        out.print(table)

    @group.command("diff")
    def diff_command(a: str, b: str, json_out: JsonOption = False) -> None:
        """Show the switches that differ between presets A and B."""
        from rich.table import Table

        from quasimarket.cli._output import console, emit_json
        from quasimarket.regimes import diff_presets

        rows = diff_presets(a, b)
        if json_out:
            emit_json({"a": a, "b": b, "differences": rows})
            return
        table = Table("switch", a, b, "source (B)", title=f"{a} → {b}")
        for row in rows:
            table.add_row(row["switch"], str(row["a"]), str(row["b"]), row["source_b"])
        console().print(table)

    @group.command("counterfactual")
    def counterfactual_command(
        name: Annotated[str, typer.Argument(help="Built-in counterfactual.")] = "2013-2019",
        draws: Annotated[int | None, typer.Option("--draws", min=1, help="Ensemble size.")] = None,
        seed: Annotated[int | None, typer.Option("--seed", min=0, help="Master seed.")] = None,
        store: StoreOption = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Run store folder (same as --store).")
        ] = None,
        json_out: JsonOption = False,
    ) -> None:
        """Run both regime paths of a counterfactual on the same draws and print the difference."""
        from rich.table import Table

        from quasimarket.cli._output import console, emit_json
        from quasimarket.regimes import run_counterfactual

        result = run_counterfactual(name, draws=draws, seed=seed, store=out or store)
        if json_out:
            emit_json(
                {
                    "name": result.name,
                    "run_a": result.run_a,
                    "run_b": result.run_b,
                    "a": result.label_a,
                    "b": result.label_b,
                    "report": result.report.drop(columns="description").to_dict(orient="records"),
                }
            )
            return
        table = Table("metric", "A", "B", "B − A", title=str(result.report["description"].iloc[0]))
        for row in result.report.to_dict(orient="records"):
            table.add_row(
                row["metric"], f"{row['a']:,.3f}", f"{row['b']:,.3f}", f"{row['difference']:+,.3f}"
            )
        console().print(table)
        console().print(
            f"A = {result.label_a} (run {result.run_a})\n"
            f"B = {result.label_b} (run {result.run_b})\n"
            f"every table: quasimarket runs compare {result.run_a} {result.run_b}",
            highlight=False,
        )
