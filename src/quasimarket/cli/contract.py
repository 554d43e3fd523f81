"""CLI commands: ``quasimarket contract check | new | mechanisms``.

Thin wrappers over :mod:`quasimarket.contracts`.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from quasimarket.cli._output import console, emit_json
from quasimarket.contracts import (
    MECHANISMS,
    RULES,
    TEMPLATE_NAMES,
    Contract,
    contract_template,
    load_contract,
)
from quasimarket.io import prepare_output, write_output_file

#: The command recorded in a template file's output marker (:mod:`quasimarket.io.outputs`).
NEW_COMMAND = "contract new"

contract_app = typer.Typer(
    help="Contract files: check one (plain-English summary and risk table) or write a template.",
    no_args_is_help=True,
)


def check_payload(contract: Contract, file: Path) -> dict[str, Any]:
    """What ``contract check --json`` prints: summary, risk table, defaults and the contract."""
    return {
        "file": str(file),
        "valid": True,
        "summary": contract.summary(),
        "risk_table": contract.risk_table(),
        "defaults": [item._asdict() for item in contract.resolved_defaults()],
        "contract": contract.to_json(),
    }


def _shown(value: Any) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, float) and abs(value) >= 1000:
        return f"{value:,.0f}"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@contract_app.command("check")
def check(
    file: Annotated[Path, typer.Argument(help="The contract TOML file.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """Validate a contract and say what it does and who bears the risk on each line."""
    contract = load_contract(file)
    if as_json:
        emit_json(check_payload(contract, file))
        return
    out = console()
    out.print(f"[bold green]valid[/]: {escape(str(file))}")
    for sentence in contract.summary():
        out.print(f"• {escape(sentence)}")
    risk = Table(title="Who bears the risk", show_lines=True)
    for column in ("line", "mechanism", "over-performance", "under-performance", "why"):
        risk.add_column(column, overflow="fold")
    for row in contract.risk_table():
        risk.add_row(
            escape(row["line"]),
            escape(row["mechanism"]),
            escape(row["over_performance_risk"]),
            escape(row["under_performance_risk"]),
            escape(f"{row['explanation']} ({row['source']})"),
        )
    out.print(risk)
    defaults = contract.resolved_defaults()
    if defaults:
        table = Table(title="Defaults applied (not in the file)")
        for column in ("line", "rule", "field", "value", "status", "source"):
            table.add_column(column, overflow="fold")
        for item in defaults:
            table.add_row(
                escape(item.line_id or "(contract)"),
                escape(item.rule),
                escape(item.field),
                escape(_shown(item.value)),
                escape(item.status),
                escape(item.source),
            )
        out.print(table)
    else:
        out.print("No defaults applied: every value is in the file.")


@contract_app.command("new")
def new(
    mechanism: Annotated[
        str,
        typer.Option(
            "--mechanism", "-m", help="Mechanism, adjustment rule or section (see `mechanisms`)."
        ),
    ],
    out: Annotated[
        Path | None, typer.Option("--out", "-o", help="Write here (default: print).")
    ] = None,
    force: Annotated[
        bool,
        typer.Option(
            "--force",
            help="Replace an earlier --out template written by contract new, if unedited "
            "(never other files).",
        ),
    ] = False,
) -> None:
    """Write an annotated contract template for a mechanism or rule."""
    if out is not None:
        prepare_output(out, command=NEW_COMMAND, kind="file", force=force)
    text = contract_template(mechanism)
    if out is None:
        sys.stdout.write(text)
        return
    write_output_file(out, text, command=NEW_COMMAND, force=force)
    console().print(f"wrote {escape(str(out))} (check it with: quasimarket contract check FILE)")


@contract_app.command("mechanisms")
def mechanisms(
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
) -> None:
    """List the pricing mechanisms, adjustment rules and sections a contract can use."""
    rows = [
        {"name": name, "kind": "mechanism", "title": cls.TITLE, "source": cls.SOURCE}
        for name, cls in MECHANISMS.items()
    ] + [
        {"name": name, "kind": "rule", "title": cls.TITLE, "source": cls.SOURCE}
        for name, cls in RULES.items()
    ]
    rows += [
        {"name": name, "kind": "section", "title": f"contract-level {name}", "source": ""}
        for name in TEMPLATE_NAMES
        if name not in MECHANISMS and name not in RULES
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table(title="Contract mechanisms, rules and sections")
    for column in ("name", "kind", "what", "source"):
        table.add_column(column, overflow="fold")
    for row in rows:
        table.add_row(*(escape(row[key]) for key in ("name", "kind", "title", "source")))
    console().print(table)


def register(app: typer.Typer) -> None:
    """Add the ``contract`` command group to *app*."""
    app.add_typer(contract_app, name="contract")
