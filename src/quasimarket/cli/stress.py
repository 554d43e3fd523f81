"""CLI commands: ``stress run / examples / check`` and ``report RUN``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from quasimarket.cli.runs import StoreOption


def _scenario(path: Path | None, example: str | None, draws: int | None, seed: int | None) -> Any:
    from quasimarket.errors import ConfigError, from_validation_error
    from quasimarket.stress.builtin import load_example
    from quasimarket.stress.scenario import Scenario, check_references, load_scenario

    if (path is None) == (example is None):
        raise ConfigError(
            "give a scenario file or --example NAME (exactly one)",
            location="arguments",
            expected="quasimarket stress run SCENARIO.toml, or --example acute-designs",
            fix="list the built-in examples with `quasimarket stress examples`",
        )
    scenario = load_example(example) if example is not None else load_scenario(path)  # type: ignore[arg-type]
    if draws is None and seed is None:
        return scenario
    data = scenario.model_dump()
    data.update({k: v for k, v in (("draws", draws), ("seed", seed)) if v is not None})
    from pydantic import ValidationError

    try:
        updated = Scenario.model_validate(data)
    except ValidationError as error:
        raise from_validation_error(error, file="command line", what="options") from None
    check_references(updated)
    return updated


def register(app: typer.Typer) -> None:
    """Add the ``stress`` group and the ``report`` command to *app*."""
    group = typer.Typer(
        help="Monte Carlo stress tests: who bears the financial risk under each contract design.",
        no_args_is_help=True,
    )
    app.add_typer(group, name="stress")

    @group.command("run")
    def run(
        scenario_file: Annotated[
            Path | None, typer.Argument(help="Scenario TOML file.", show_default=False)
        ] = None,
        example: Annotated[
            str | None, typer.Option("--example", help="Run a built-in example instead.")
        ] = None,
        store: StoreOption = None,
        workers: Annotated[
            int | None,
            typer.Option("--workers", min=1, help="Start a local Dask cluster with K workers."),
        ] = None,
        scheduler: Annotated[
            str | None, typer.Option("--scheduler", help="Use the Dask scheduler at ADDRESS.")
        ] = None,
        draws: Annotated[int | None, typer.Option("--draws", help="Override draws.")] = None,
        seed: Annotated[int | None, typer.Option("--seed", help="Override the seed.")] = None,
        chunk_size: Annotated[
            int | None, typer.Option("--chunk-size", help="Draws per chunk (memory bound).")
        ] = None,
        plots: Annotated[
            Path | None, typer.Option("--plots", help="Also write PNG + HTML plots here.")
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Run a stress test, store it, and print the designs side by side."""
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        from quasimarket.cli._output import console, emit_json, err_console
        from quasimarket.runs import RunStore
        from quasimarket.stress.run import run_stress, save_run

        if workers is not None and scheduler is not None:
            raise typer.BadParameter("give --workers or --scheduler, not both")
        spec = _scenario(scenario_file, example, draws, seed)
        with Progress(
            TextColumn("[bold]stress test"),
            BarColumn(),
            TextColumn("{task.completed:,.0f}/{task.total:,.0f} draws"),
            TimeRemainingColumn(),
            console=err_console(),
            transient=True,
            disable=json_out or not sys.stderr.isatty(),
        ) as bar:
            task = bar.add_task("draws", total=spec.draws)
            result = run_stress(
                spec,
                workers=workers,
                scheduler=scheduler,
                chunk_size=chunk_size,
                progress=lambda done, total: bar.update(task, completed=done),
            )
        run_id = save_run(result, store, source=str(scenario_file or f"example:{example}"))
        if plots is not None:
            from quasimarket.stress.plots import write_plots

            write_plots(result.tables(), plots)
        if json_out:
            emit_json(
                {
                    "run_id": run_id,
                    "store": str(RunStore(store).path),
                    "summary": _records(result.summary),
                    "attribution": _records(result.attribution),
                    "timings": result.timings,
                }
            )
            return
        _print_result(console(), result, run_id)

    @group.command("examples")
    def examples(
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """List the built-in example scenarios."""
        from quasimarket.cli._output import console, emit_json
        from quasimarket.stress.builtin import EXAMPLES

        if json_out:
            emit_json(EXAMPLES)
            return
        out = console()
        for name, text in EXAMPLES.items():
            out.print(f"[bold]{name}[/]: {text}", highlight=False)
            out.print(f"    quasimarket stress run --example {name}", highlight=False)

    @group.command("check")
    def check(
        scenario_file: Annotated[Path, typer.Argument(help="Scenario TOML file.")],
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Validate a scenario and show its sources of uncertainty and memory estimate."""
        from quasimarket.cli._output import console, emit_json
        from quasimarket.stress.run import estimate_memory_bytes
        from quasimarket.stress.sampling import sources_of

        spec = _scenario(scenario_file, None, None, None)
        info = {
            "name": spec.name,
            "draws": spec.draws,
            "seed": spec.seed,
            "lines": [line.id for line in spec.lines],
            "designs": [d.name for d in spec.designs],
            "sources": [s.name for s in sources_of(spec)],
            "memory_estimate_bytes": estimate_memory_bytes(spec),
        }
        if json_out:
            emit_json(info)
            return
        out = console()
        for key, value in info.items():
            out.print(f"[bold]{key}[/]: {value}", highlight=False)

    @app.command("report")
    def report(
        run_id: Annotated[str, typer.Argument(help="Run id (or unique prefix).")],
        out: Annotated[
            Path | None, typer.Option("--out", help="HTML file (default RUN_ID.html).")
        ] = None,
        store: StoreOption = None,
    ) -> None:
        """Write one self-contained HTML report of a stress or simulation run."""
        from quasimarket.cli._output import console
        from quasimarket.runs import RunStore
        from quasimarket.stress.report import write_report

        runs = RunStore(store)
        record = runs.get(run_id)
        if record.kind == "simulation":
            from quasimarket.simulation.report import write_simulation_report as write_report
        path = write_report(runs, record.run_id, out or Path(f"{record.run_id}.html"))
        console().print(f"wrote {path}", highlight=False)


def _records(frame: Any) -> list[dict[str, Any]]:
    """Rows as dicts with NaN as None (valid JSON: null)."""
    records: list[dict[str, Any]] = (
        frame.astype(object).where(frame.notna(), None).to_dict(orient="records")
    )
    return records


def _print_result(out: Any, result: Any, run_id: str) -> None:
    from rich.table import Table

    from quasimarket.money import round_pence

    table = Table(title=result.scenario.name)
    for column in ("design", "party", "mean £", "P5 £", "P95 £", "P(breach)", "risk share"):
        table.add_column(column, justify="left" if column in ("design", "party") else "right")

    def money(value: float) -> str:
        return f"{float(round_pence(value)) + 0.0:,.0f}"  # + 0.0 turns −0 into 0

    for row in result.summary.itertuples():
        share = "" if row.variance_share != row.variance_share else f"{row.variance_share:.0%}"
        table.add_row(
            row.design,
            row.party,
            money(row.mean_gbp),
            money(row.p5_gbp),
            money(row.p95_gbp),
            f"{row.p_breach:.1%}",
            share,
        )
    out.print(table)
    drivers = result.attribution[result.attribution["source"] != "interaction"]
    out.print("[bold]main driver of each party's risk[/] (first-order share of its variance)")
    for (design, party), group in drivers.groupby(["design", "party"], sort=False):
        best = group.loc[group["index"].idxmax()]
        if best["index"] > 0:
            out.print(
                f"  {design} / {party}: {best['source']} ({best['index']:.0%})", highlight=False
            )
    out.print(
        f"stored as [bold]{run_id}[/] ({result.scenario.draws:,} draws in "
        f"{result.timings['total_s']:.1f} s); report: quasimarket report {run_id}",
        highlight=False,
    )
