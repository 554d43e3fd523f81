"""``quasimarket demo``: the main job on the built-in England-like economy."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

DEFAULT_OUT = Path("quasimarket-out/demo")


def _gbp(amount: float) -> str:
    """``£1,234`` or ``−£1,234`` (a true minus sign before the pound sign)."""
    return f"{'−' if amount < 0 else ''}£{abs(amount):,.0f}"


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to *app*."""

    @app.command()
    def demo(
        seed: int = typer.Option(0, help="Seed for the economy, activity, draws and simulation."),
        out: Annotated[Path, typer.Option(help="Folder for the outputs.")] = DEFAULT_OUT,
        records: int = typer.Option(600_000, min=1, help="Synthetic activity records to price."),
        draws: int = typer.Option(20_000, min=1, help="Monte Carlo draws for the stress test."),
        as_json: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    ) -> None:
        """Build England, price a contract, stress-test it, simulate 5 years, write reports."""
        from dataclasses import asdict

        from quasimarket.cli._output import console, emit_json, err_console
        from quasimarket.demo import run_demo

        progress = err_console()
        summary = run_demo(
            out,
            seed=seed,
            records=records,
            draws=draws,
            say=lambda line: progress.print(f"[dim]… {line}[/]"),
        )
        if as_json:
            emit_json(asdict(summary))
            return
        _print_summary(console(), summary)


def _print_summary(out: object, summary: object) -> None:
    """The short human-readable summary of a :class:`~quasimarket.demo.DemoSummary`."""
    from rich.console import Console
    from rich.markup import escape

    from quasimarket.demo import DemoSummary

    assert isinstance(out, Console)
    assert isinstance(summary, DemoSummary)
    e, st, pr, sim = summary.economy, summary.structure, summary.pricing, summary.simulation
    secs = summary.seconds
    out.print("[bold]quasimarket demo[/] — all organisations and figures are synthetic")
    out.print(
        f"[bold]1. Economy[/] {escape(e['name'])}, {e['year']}: {e['commissioners']} "
        f"{e['commissioner_level']}s in {e['regions']} regions, {e['practices']:,} practices, "
        f"{e['population'] / 1e6:.1f}m people, allocations £{e['allocation_gbp'] / 1e9:.1f}bn, "
        f"{e['providers']} providers ({e['acute_trusts']} acute trusts); built in "
        f"{secs['economy']:.2f} s"
    )
    out.print(
        f"[bold]2. Structure[/] {escape(st['question'])} {escape(', '.join(st['bodies']))}: "
        f"{escape(st['arrangement'])} [{escape(st['source'])}]"
    )
    rules = "; ".join(
        f"{escape(title)} {_gbp(amount)}"
        for title, amount in pr["rules"].items()
        if abs(amount) >= 0.5 and not title.startswith("National tariff")
    )
    out.print(
        f"[bold]3. Pricing[/] {pr['records']:,} records, {pr['provider']} ← {pr['commissioner']}: "
        f"formal outturn {_gbp(pr['formal_gbp'])}, settled {_gbp(pr['settled_gbp'])} "
        f"({rules}); {secs['pricing']:.1f} s"
    )
    shares = "; ".join(
        f"{escape(design)}: commissioner {parts.get('commissioner', 0.0):.0%}, "
        f"provider {parts.get('provider', 0.0):.0%}"
        for design, parts in summary.stress["variance_share"].items()
    )
    out.print(
        f"[bold]4. Stress test[/] who bears the outcome variance ({summary.stress['draws']:,} "
        f"draws): {shares}; {secs['stress']:.1f} s"
    )
    years = sim["years"]
    first, last = years[0], years[-1]
    out.print(
        f"[bold]5. Simulation[/] {first['financial_year']} to {last['financial_year']}: "
        f"elective waiting list {first['waiting_list_march'] / 1e6:.2f}m → "
        f"{last['waiting_list_march'] / 1e6:.2f}m, within 18 weeks "
        f"{first['rtt_within_18_weeks_march']:.0%} → {last['rtt_within_18_weeks_march']:.0%}, "
        f"commissioner position {_gbp(last['commissioners_position_gbp'] / 1e6)}m in "
        f"{last['financial_year']}; {secs['simulation']:.1f} s"
    )
    for label, path in summary.outputs.items():
        out.print(f"   {label.replace('_', ' ')}: {escape(path)}")
