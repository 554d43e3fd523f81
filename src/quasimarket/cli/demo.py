"""``quasimarket demo``: the main job on the built-in England-like economy."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add the ``demo`` command to *app*."""

    @app.command()
    def demo(seed: int = typer.Option(0, help="Seed for the synthetic economy.")) -> None:
        """Build the England-like economy, price a contract and print a short summary."""
        from quasimarket.cli._output import console

        console().print(f"quasimarket demo (seed {seed})")
