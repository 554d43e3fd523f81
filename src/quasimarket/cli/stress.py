"""CLI commands: ``stress run / examples / check`` and ``report RUN``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from quasimarket.cli.runs import StoreOption

ContractOption = Annotated[
    Path | None,
    typer.Option(
        "--contract",
        help="Stress-test this contract file (no scenario file needed): parties, lines, "
        "plans and prices come from it.",
    ),
]
UncertaintyOption = Annotated[
    Path | None,
    typer.Option(
        "--uncertainty",
        help="With --contract: TOML with the scenario's uncertainty table (default: the "
        "built-in default volume uncertainty, noted in the results).",
    ),
]
CostsOption = Annotated[
    Path | None,
    typer.Option(
        "--costs",
        help="With --contract: TOML with [lines.<id>] provider costs and optional "
        "[parties.<code>] budgets/tolerances (default: costs £0, noted in the results).",
    ),
]
IgnoreRuleOption = Annotated[
    list[str] | None,
    typer.Option(
        "--ignore-rule",
        help="With --contract: drop this record-level rule or section knowingly "
        "(repeatable; noted in the results).",
    ),
]


def _scenario(
    path: Path | None,
    example: str | None,
    draws: int | None,
    seed: int | None,
    *,
    contract: Path | None = None,
    uncertainty: Path | None = None,
    costs: Path | None = None,
    ignore_rules: list[str] | None = None,
) -> Any:
    from quasimarket.errors import ConfigError, from_validation_error
    from quasimarket.stress.builtin import load_example
    from quasimarket.stress.scenario import Scenario, load_scenario

    sources = (("a scenario file", path), ("--example", example), ("--contract", contract))
    given = [name for name, value in sources if value is not None]
    if len(given) != 1:
        raise ConfigError(
            "give a scenario file, --example NAME or --contract FILE (exactly one)"
            + (f"; got {' and '.join(given)}" if given else ""),
            location="arguments",
            expected="quasimarket stress run SCENARIO.toml, --example acute-designs, or "
            "--contract CONTRACT.toml [--uncertainty FILE] [--costs FILE]",
            fix="list the built-in examples with `quasimarket stress examples`",
        )
    extras = [
        option
        for option, value in (
            ("--uncertainty", uncertainty),
            ("--costs", costs),
            ("--ignore-rule", ignore_rules or None),
        )
        if value is not None
    ]
    if contract is None and extras:
        raise ConfigError(
            f"{' and '.join(extras)} {'is' if len(extras) == 1 else 'are'} only for --contract",
            location="arguments",
            expected="--contract CONTRACT.toml with --uncertainty/--costs/--ignore-rule; a "
            "scenario file has its own [uncertainty] table and line costs",
            fix="give --contract FILE, or put the uncertainty and costs in the scenario",
        )
    if contract is not None:
        return _contract_scenario(contract, uncertainty, costs, ignore_rules, draws, seed)
    scenario = load_example(example) if example is not None else load_scenario(path)  # type: ignore[arg-type]
    if draws is None and seed is None:
        return scenario
    update = {k: v for k, v in (("draws", draws), ("seed", seed)) if v is not None}
    from pydantic import ValidationError

    try:
        Scenario.model_validate({**scenario.model_dump(), **update})
    except ValidationError as error:
        raise from_validation_error(error, file="command line", what="options") from None
    # model_copy keeps what validation already resolved (the contracts designs loaded)
    return scenario.model_copy(update=update)


def _contract_scenario(
    contract: Path,
    uncertainty: Path | None,
    costs: Path | None,
    ignore_rules: list[str] | None,
    draws: int | None,
    seed: int | None,
) -> Any:
    """``stress run --contract FILE``: the scenario made from the contract and its inputs."""
    from quasimarket.contracts import load_contract
    from quasimarket.errors import ConfigError
    from quasimarket.stress.from_contract import load_stress_inputs, load_uncertainty
    from quasimarket.stress.scenario import DEFAULT_DRAWS, Scenario

    for value, option in ((draws, "--draws"), (seed, "--seed")):
        if value is not None and (value <= 0 if option == "--draws" else value < 0):
            raise ConfigError(
                f"{option} must be {'greater than 0' if option == '--draws' else '0 or more'}, "
                f"got {value}",
                location=option,
                expected="a positive number of draws" if option == "--draws" else "a seed ≥ 0",
                fix=f"give a valid {option}",
            )
    loaded = load_contract(contract)
    unc = load_uncertainty(uncertainty) if uncertainty is not None else None
    inputs = load_stress_inputs(costs) if costs is not None else None
    sources = {"contract": str(contract)}
    if uncertainty is not None:
        sources["uncertainty"] = str(uncertainty)
    if costs is not None:
        sources["costs"] = str(costs)
    return Scenario.from_contract(
        loaded,
        unc,
        costs=inputs.lines if inputs is not None else None,
        parties=inputs.parties if inputs is not None else None,
        draws=draws if draws is not None else DEFAULT_DRAWS,
        seed=seed if seed is not None else 0,
        ignore_rules=ignore_rules or (),
        sources=sources,
    )


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
        contract: ContractOption = None,
        uncertainty: UncertaintyOption = None,
        costs: CostsOption = None,
        ignore_rule: IgnoreRuleOption = None,
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
            Path | None,
            typer.Option("--plots", help="Also write PNG + HTML plots to this new folder."),
        ] = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        force: Annotated[
            bool,
            typer.Option(
                "--force",
                help="Replace an earlier --plots folder written by stress run (never other files).",
            ),
        ] = False,
    ) -> None:
        """Run a stress test, store it, and print the designs side by side."""
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        from quasimarket.cli._output import console, emit_json, err_console
        from quasimarket.io import prepare_output
        from quasimarket.runs import RunStore
        from quasimarket.stress.plots import PLOTS_COMMAND
        from quasimarket.stress.run import run_stress, save_run

        if workers is not None and scheduler is not None:
            raise typer.BadParameter("give --workers or --scheduler, not both")
        spec = _scenario(
            scenario_file,
            example,
            draws,
            seed,
            contract=contract,
            uncertainty=uncertainty,
            costs=costs,
            ignore_rules=ignore_rule,
        )
        inputs = {
            "scenario": scenario_file,
            "--contract": contract,
            "--uncertainty": uncertainty,
            "--costs": costs,
            "run store": RunStore(store).path,
        }
        if plots is not None:  # before the run: never replace the user's files or the inputs
            prepare_output(
                plots, command=PLOTS_COMMAND, force=force, inputs=inputs, option="--plots"
            )
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
        source = scenario_file or (f"contract:{contract}" if contract else f"example:{example}")
        run_id = save_run(result, store, source=str(source))
        if plots is not None:
            from quasimarket.stress.plots import write_plots

            write_plots(result.tables(), plots, replace=force, inputs=inputs)
        if json_out:
            emit_json(
                {
                    "run_id": run_id,
                    "store": str(RunStore(store).path),
                    "notes": list(result.scenario.notes),
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
        scenario_file: Annotated[
            Path | None, typer.Argument(help="Scenario TOML file.", show_default=False)
        ] = None,
        contract: ContractOption = None,
        uncertainty: UncertaintyOption = None,
        costs: CostsOption = None,
        ignore_rule: IgnoreRuleOption = None,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    ) -> None:
        """Validate a scenario (or --contract FILE) and show its sources of uncertainty."""
        from quasimarket.cli._output import console, emit_json
        from quasimarket.stress.run import check_runnable, estimate_memory_bytes
        from quasimarket.stress.sampling import sources_of

        spec = _scenario(
            scenario_file,
            None,
            None,
            None,
            contract=contract,
            uncertainty=uncertainty,
            costs=costs,
            ignore_rules=ignore_rule,
        )
        check_runnable(spec)  # the same checks as stress run, so check passes what run accepts
        info = {
            "name": spec.name,
            "notes": list(spec.notes),
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
        from rich.markup import escape

        out = console()
        for key, value in info.items():
            out.print(f"[bold]{key}[/]: {escape(str(value))}", highlight=False)

    @app.command("report")
    def report(
        run_id: Annotated[str, typer.Argument(help="Run id (or unique prefix).")],
        out: Annotated[
            Path | None, typer.Option("--out", help="HTML file (default RUN_ID.html).")
        ] = None,
        store: StoreOption = None,
        force: Annotated[
            bool,
            typer.Option(
                "--force",
                help="Replace an earlier --out report written by quasimarket report, if "
                "unchanged (never other files).",
            ),
        ] = False,
    ) -> None:
        """Write one self-contained HTML report of a stress or simulation run."""
        from quasimarket.cli._output import console
        from quasimarket.io import prepare_output, write_output_file
        from quasimarket.runs import RunStore
        from quasimarket.stress.report import REPORT_COMMAND, render_report

        runs = RunStore(store)
        record = runs.get(run_id)
        target = out or Path(f"{record.run_id}.html")
        inputs = {"run store": runs.path}
        prepare_output(target, command=REPORT_COMMAND, kind="file", force=force, inputs=inputs)
        if record.kind == "simulation":
            from quasimarket.simulation.report import render_simulation_report as render_report
        text = render_report(runs, record.run_id)
        path = write_output_file(target, text, command=REPORT_COMMAND, force=force, inputs=inputs)
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
    from rich.markup import escape

    for note in result.scenario.notes:
        out.print(f"[bold]note:[/] {escape(note)}", highlight=False)
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
