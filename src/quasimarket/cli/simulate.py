"""CLI command: ``simulate SCENARIO | --example NAME`` (the system simulation, on the run store)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from quasimarket.cli.runs import StoreOption


def _scenario(path: Path | None, example: str | None) -> Any:
    from quasimarket.errors import ConfigError
    from quasimarket.simulation import builtin_scenario, load_simulation_scenario

    if (path is None) == (example is None):
        raise ConfigError(
            "give a scenario file or --example NAME (exactly one)",
            location="arguments",
            expected="quasimarket simulate SCENARIO.toml, or --example small-baseline",
            fix="list the built-in scenarios with `quasimarket simulate --list`",
        )
    return builtin_scenario(example) if example is not None else load_simulation_scenario(path)  # type: ignore[arg-type]


def register(app: typer.Typer) -> None:
    """Add the ``simulate`` command to *app*."""

    @app.command("simulate")
    def simulate_command(
        scenario_file: Annotated[
            Path | None, typer.Argument(help="Scenario TOML file.", show_default=False)
        ] = None,
        example: Annotated[
            str | None, typer.Option("--example", help="Run a built-in scenario instead.")
        ] = None,
        years: Annotated[
            str | None, typer.Option("--years", help="Year range, e.g. 2013/14:2018/19.")
        ] = None,
        draws: Annotated[int | None, typer.Option("--draws", min=1, help="Ensemble size.")] = None,
        workers: Annotated[
            int | None, typer.Option("--workers", min=1, help="Local Dask cluster with K workers.")
        ] = None,
        seed: Annotated[int | None, typer.Option("--seed", min=0, help="Master seed.")] = None,
        store: StoreOption = None,
        out: Annotated[
            Path | None, typer.Option("--out", help="Run store folder (same as --store).")
        ] = None,
        list_examples: Annotated[
            bool, typer.Option("--list", help="List the built-in scenarios and exit.")
        ] = False,
        json_out: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
        regime: Annotated[
            str | None,
            typer.Option("--regime", help="Run under a regime preset (quasimarket regimes list)."),
        ] = None,
        regime_path: Annotated[
            str | None,
            typer.Option(
                "--regime-path",
                help="Switch regimes at years, e.g. hsca-2013@2013/14,stp-2016@2016/17.",
            ),
        ] = None,
    ) -> None:
        """Simulate a health economy month by month and store the run (kind simulation)."""
        from quasimarket.cli._output import console, emit_json, err_console
        from quasimarket.simulation import BUILTIN

        if list_examples:
            if json_out:
                emit_json({name: text for name, (text, _) in BUILTIN.items()})
                return
            for name, (text, _) in BUILTIN.items():
                console().print(f"[bold]{name}[/]: {text}", highlight=False)
            return
        # the regimes' simulate: a scenario file may name a regime preset or path
        from quasimarket.regimes import apply_regime, simulate

        if years is not None:  # before the scenario, so the message names the option
            from quasimarket.simulation.scenario import year_range

            year_range(years, location="--years")
        spec = _scenario(scenario_file, example)
        if regime is not None or regime_path is not None:
            spec = apply_regime(spec, regime=regime, path=regime_path, years=years)
        quiet = json_out or not sys.stderr.isatty()

        def progress(done: int, total: int) -> None:
            if not quiet:
                err_console().print(f"simulated {done:,}/{total:,} draws", highlight=False)

        result = simulate(
            spec, years=years, draws=draws, seed=seed, workers=workers, progress=progress
        )
        run_id = result.save(out or store, source=str(scenario_file or f"example:{example}"))
        summary = result.summary()
        if json_out:
            emit_json(
                {
                    "run_id": run_id,
                    "summary": summary.to_dict(orient="records"),
                    "timings": result.timings,
                }
            )
            return
        _print_summary(console(), summary, run_id, result.timings)


def _print_summary(out: Any, summary: Any, run_id: str, timings: dict[str, Any]) -> None:
    from rich.table import Table

    from quasimarket.money import round_pence

    table = Table(title="England totals by financial year (mean over draws)")
    columns = {
        "financial_year": "year",
        "elective_spell": "elective spells",
        "non_elective": "emergency spells",
        "ae": "A&E",
        "waiting_list_march": "RTT list (Mar)",
        "rtt_within_18_weeks_march": "<18 wks",
        "commissioners_position_gbp": "commissioner position £m",
        "providers_surplus_gbp": "provider surplus £m",
    }
    for label in columns.values():
        table.add_column(label, justify="left" if label == "year" else "right")
    for row in summary.to_dict(orient="records"):
        cells = []
        for key in columns:
            value = row[key]
            if key == "financial_year":
                cells.append(str(value))
            elif key.endswith("_gbp"):
                cells.append(f"{float(round_pence(value / 1e6)) + 0.0:,.1f}")
            elif key.startswith("rtt"):
                cells.append(f"{value:.1%}")
            else:
                cells.append(f"{value:,.0f}")
        table.add_row(*cells)
    out.print(table)
    out.print(
        f"stored as [bold]{run_id}[/] in {timings['total_s']:.1f} s; "
        f"report: quasimarket report {run_id}",
        highlight=False,
    )
