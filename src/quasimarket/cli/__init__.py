"""Command-line interface: thin typer commands over the public API, one module per group."""
