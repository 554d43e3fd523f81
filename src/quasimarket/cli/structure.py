"""CLI commands: the structure of the commissioning system.

Top-level: ``who-commissions``, ``services``, ``eras``, ``org-types``, ``payment-rules``;
group ``structure``: ``graph`` and ``answers-to``. Each prints a readable table by default and
JSON with ``--json``; all logic lives in :mod:`quasimarket.structure`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON.")]
YearRequired = Annotated[
    str, typer.Option("--year", help="Financial year 1991..2025, e.g. 2016 or 2016/17.")
]
YearOptional = Annotated[
    str | None,
    typer.Option("--year", help="Only this financial year (1991..2025), e.g. 2016 or 2016/17."),
]


def _sourced(source: str, quote: str) -> str:
    return f"{source}" + (f' — "{quote}"' if quote else "")


def register(app: typer.Typer) -> None:
    """Add the structure commands to *app*."""
    group = typer.Typer(
        help="Accountability and funding relations between organisations, by year.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="structure")

    @app.command("who-commissions")
    def who_commissions_command(
        service: Annotated[str, typer.Argument(help='A service, e.g. "sexual health services".')],
        year: YearRequired,
        json_out: JsonOption = False,
    ) -> None:
        """Which bodies commission a service in a year, how, and on what source."""
        from quasimarket.cli._output import console, emit_json
        from quasimarket.structure import who_commissions

        answer = who_commissions(service, year)
        if json_out:
            emit_json(answer.to_dict())
            return
        out = console()
        out.print(f"[bold]{answer.service}[/], {answer.year}", highlight=False)
        if not answer.described:
            out.print(answer.note, highlight=False)
            return
        names = " and ".join(f"{b.name} ({b.short})" if b.short else b.name for b in answer.bodies)
        out.print(f"Commissioned by: [bold]{names}[/]", highlight=False)
        out.print(f"Arrangement: {answer.arrangement}", highlight=False)
        if answer.statutory:
            out.print(f"Statutory responsibility: {answer.statutory.name}", highlight=False)
        for level in answer.levels:
            uptake = (
                f"{level.ccgs_april_2015} CCGs from April 2015" if level.ccgs_april_2015 else ""
            )
            later = f", {level.ccgs_2016_17} by 2016/17" if level.ccgs_2016_17 else ""
            out.print(f"  level {level.level} {level.name}: {level.description} ({uptake}{later})")
        if answer.note:
            out.print(f"Note: {answer.note}", highlight=False)
        for ambiguity in answer.ambiguities:
            out.print(
                f"[yellow]Ambiguity[/] ({', '.join(ambiguity.bodies)}; {ambiguity.sources}): "
                f"{ambiguity.note}",
                highlight=False,
            )
        if answer.beyond_research:
            out.print("[yellow]Beyond the research[/]: part of this answer is not in the seeds.")
        out.print(f"Source: {_sourced(answer.source, answer.quote)}", highlight=False)

    @app.command("services")
    def services_command(year: YearOptional = None, json_out: JsonOption = False) -> None:
        """List the services quasimarket knows (optionally those described in a year)."""
        from rich.table import Table

        from quasimarket.cli._output import console, emit_json
        from quasimarket.structure import services

        items = services(year)
        if json_out:
            emit_json([{"id": s.id, "name": s.name, "aliases": list(s.aliases)} for s in items])
            return
        table = Table("Service", "Also matches")
        for item in items:
            table.add_row(item.name, ", ".join(item.aliases[:6]))
        console().print(table)

    @app.command("eras")
    def eras_command(json_out: JsonOption = False) -> None:
        """The timeline of the commissioning system, 1991/92 to 2025/26."""
        from rich.table import Table

        from quasimarket.cli._output import console, emit_json
        from quasimarket.structure import eras

        items = eras()
        if json_out:
            emit_json([{**e.model_dump(), "period": e.period} for e in items])
            return
        table = Table("Years", "Era", "Key changes", "Source", show_lines=True)
        for era in items:
            name = era.name + (" *" if era.beyond_research else "")
            if era.ambiguity:
                name += f"\n(ambiguity: {era.ambiguity.note})"
            table.add_row(era.period, name, "\n".join(era.key_changes), era.source)
        console().print(table)

    @app.command("org-types")
    def org_types_command(year: YearOptional = None, json_out: JsonOption = False) -> None:
        """Organisation types (optionally those existing in a year), with role and source."""
        from rich.table import Table

        from quasimarket.cli._output import console, emit_json
        from quasimarket.structure import org_types

        items = org_types(year)
        if json_out:
            emit_json([{**o.model_dump(), "period": o.period} for o in items])
            return
        table = Table("Organisation", "Years", "Category", "Role", "Source", show_lines=True)
        for org in items:
            name = f"{org.name} ({org.short})" if org.short else org.name
            if org.beyond_research:
                name += "\n[yellow]beyond research[/]"
            if org.ambiguity:
                name += f"\n[yellow]ambiguity[/]: {org.ambiguity.note}"
            table.add_row(name, org.period, org.category, org.role, org.source)
        console().print(table)

    @app.command("payment-rules")
    def payment_rules_command(year: YearRequired, json_out: JsonOption = False) -> None:
        """The national payment rules in force in a financial year, with sources (V/K/seed)."""
        from rich.table import Table

        from quasimarket.cli._output import console, emit_json
        from quasimarket.structure import payment_rules

        rules = payment_rules(year)
        if json_out:
            emit_json({"year": str(rules.year), "rules": rules.as_dict()})
            return
        table = Table(
            "Rule", "Value", "Status", "Source", "Note", title=f"Payment rules {rules.year}"
        )
        for name, item in rules.as_dict().items():
            value = "not in force" if item["value"] is None else str(item["value"])
            table.add_row(name, value, item["status"], item["source"], item["note"])
        console().print(table)

    @group.command("graph")
    def graph_command(
        year: YearRequired,
        kind: Annotated[
            str, typer.Option("--kind", help="accountability, funding or all.")
        ] = "all",
        out: Annotated[
            Path | None, typer.Option("--out", help="Write to FILE.png, FILE.dot or FILE.json.")
        ] = None,
        fmt: Annotated[
            str | None, typer.Option("--format", help="Print as dot or json instead of a table.")
        ] = None,
        json_out: JsonOption = False,
        force: Annotated[
            bool,
            typer.Option(
                "--force",
                help="Replace an earlier --out file written by structure graph (never other "
                "files).",
            ),
        ] = False,
    ) -> None:
        """The accountability/funding graph for a year: a table, DOT/JSON text, or a file."""
        from rich.table import Table

        from quasimarket.cli._output import console, emit_json
        from quasimarket.errors import ConfigError
        from quasimarket.io import prepare_output
        from quasimarket.structure import graph_to_dict, graph_to_dot, structure_graph, write_graph
        from quasimarket.structure.drawing import GRAPH_COMMAND, check_graph_suffix

        if fmt not in (None, "dot", "json"):
            raise ConfigError(
                f"unknown format '{fmt}'",
                location="--format",
                expected="dot or json (use --out FILE.png for a picture)",
                fix="choose --format dot or --format json",
            )
        if out is not None:
            prepare_output(out, command=GRAPH_COMMAND, kind="file", force=force)
            check_graph_suffix(out)
        graph = structure_graph(year, kind)
        if out is not None:
            written = write_graph(graph, out, replace=force)
            if json_out:
                emit_json({"written": str(written), "nodes": graph.number_of_nodes()})
            else:
                console().print(f"wrote {written}", highlight=False)
            return
        if json_out or fmt == "json":
            emit_json(graph_to_dict(graph))
            return
        if fmt == "dot":
            typer.echo(graph_to_dot(graph), nl=False)
            return
        table = Table(
            "From", "Relation", "To", "Detail", title=f"{kind} relations {graph.graph['year']}"
        )
        for edge in graph_to_dict(graph)["edges"]:
            detail = edge["sanctions"] or edge["what"]
            relation = edge["kind"] + (f" ({edge['strength']})" if edge["strength"] else "")
            table.add_row(edge["from"], relation, edge["to"], detail)
        console().print(table)

    @group.command("answers-to")
    def answers_to_command(
        org: Annotated[str, typer.Argument(help="An organisation type, e.g. CCG or LA.")],
        year: YearRequired,
        json_out: JsonOption = False,
    ) -> None:
        """Who an organisation answers to in a year, up the chain, with sanctions."""
        from rich.table import Table

        from quasimarket.cli._output import console, emit_json
        from quasimarket.structure import answers_to

        links = answers_to(org, year)
        if json_out:
            emit_json([link.to_dict() for link in links])
            return
        table = Table("Level", "Who", "Answers to", "Strength", "Sanctions", "Source")
        for link in (item.to_dict() for item in links):
            table.add_row(
                str(link["depth"]),
                link["from_name"],
                link["to_name"],
                link["strength"],
                link["sanctions"],
                link["source"],
            )
        console().print(table)
