"""CLI commands: ``serve`` (the web application) and ``serve-user`` (add a web user)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

#: Seconds the server waits for open requests on SIGTERM/SIGINT before stopping anyway.
GRACEFUL_SHUTDOWN_S = 10
DataOption = Annotated[
    Path, typer.Option("--data", help="Folder for uploads, pricings, jobs and run stores.")
]
UsersOption = Annotated[
    Path | None,
    typer.Option("--users", help="Users file (TOML of argon2 hashes); default DATA/users.toml."),
]


def register(app: typer.Typer) -> None:
    """Add ``serve`` and ``serve-user`` to *app*."""

    @app.command("serve")
    def serve(
        host: Annotated[
            str,
            typer.Option(help="Address to listen on; other than loopback needs users."),
        ] = "127.0.0.1",
        port: Annotated[int, typer.Option(min=1, max=65535, help="TCP port.")] = 8000,
        data: DataOption = Path("quasimarket-web"),
        users: UsersOption = None,
        workers: Annotated[
            int, typer.Option(min=1, max=64, help="Worker processes for background jobs.")
        ] = 1,
        scheduler: Annotated[
            str | None,
            typer.Option(help="Dask scheduler ADDRESS for the jobs' draw chunks (optional)."),
        ] = None,
        real_data: Annotated[
            Path | None,
            typer.Option(help="Folder of the public NHS files: adds the real-data economy view."),
        ] = None,
        max_upload_mb: Annotated[
            int,
            typer.Option(
                min=1,
                max=100_000,
                help="Limit of one pricing's uploads (activity files and tariff together), MB.",
            ),
        ] = 500,
    ) -> None:
        """Start the web application (built-in economy; no setup, no network)."""
        import uvicorn

        from quasimarket.cli._output import console
        from quasimarket.errors import ConfigError
        from quasimarket.web import WebConfig, create_app

        if real_data is not None and not real_data.is_dir():
            raise ConfigError(
                "the real-data folder does not exist",
                file=real_data,
                location="--real-data",
                expected="a folder holding the public NHS files (see docs/economy.md)",
                fix="give the folder you downloaded the files into, or leave --real-data out",
            )
        config = WebConfig(
            data_dir=data,
            host=host,
            port=port,
            users_file=users,
            workers=workers,
            scheduler=scheduler,
            real_data_dir=real_data,
            max_upload_mb=max_upload_mb,
        )
        web = create_app(config)  # refuses a non-loopback host without users
        console().print(f"quasimarket web on http://{host}:{port}/ (data in {data})")
        try:
            uvicorn.run(
                web,
                host=host,
                port=port,
                log_level="warning",
                server_header=False,
                timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_S,
            )
        finally:  # a second Ctrl-C skips the lifespan shutdown that stops the job workers
            web.state.web.jobs.shutdown()

    @app.command("serve-user")
    def serve_user(
        name: Annotated[str, typer.Argument(help="User name (lower-case letters, digits).")],
        data: DataOption = Path("quasimarket-web"),
        users: UsersOption = None,
        password_stdin: Annotated[
            bool, typer.Option("--password-stdin", help="Read the password from stdin.")
        ] = False,
    ) -> None:
        """Add (or reset) a web user; only an argon2id hash of the password is stored."""
        from quasimarket.cli._output import console
        from quasimarket.web.auth import add_user

        if password_stdin:
            secret = sys.stdin.readline().rstrip("\n")
        else:
            secret = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        path = users if users is not None else data / "users.toml"
        add_user(path, name, secret)
        console().print(f"user {name} saved in {path} (hash only)", highlight=False)
