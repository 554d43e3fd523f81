"""The ``quasimarket`` command: assembles the command groups and maps errors to exit codes.

Exit codes: 0 success; 2 bad input or usage (one clear message, no traceback); 130 interrupted.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from quasimarket.cli import (
    contract,
    demo,
    economy,
    price,
    regimes,
    runs,
    serve,
    simulate,
    stress,
    structure,
)
from quasimarket.errors import QuasimarketError, from_validation_error

app = typer.Typer(
    name="quasimarket",
    help=(
        "Model the English NHS commissioning quasi-market: price activity under contract terms, "
        "stress-test who bears the financial risk, simulate policy regimes, and explain who "
        "commissions what."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _print_version(value: bool) -> None:
    if value:
        from quasimarket import __version__

        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(
        False,
        "--version",
        help="Print the version and exit.",
        is_eager=True,
        callback=_print_version,
    ),
) -> None:
    """Model the English NHS commissioning quasi-market."""


for group in (structure, economy, contract, price, stress, simulate, regimes, runs, serve, demo):
    group.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return (and, as a console script, exit with) the exit code."""
    from quasimarket.cli._output import err_console

    command = typer.main.get_command(app)
    try:
        # Without standalone mode a command's ``typer.Exit(code)`` comes back as the return value.
        result = command.main(args=argv, prog_name="quasimarket", standalone_mode=False)
    except QuasimarketError as error:
        _print_error(error.render())
        return _exit(error.exit_code, argv)
    except ValidationError as error:
        _print_error(from_validation_error(error).render())
        return _exit(2, argv)
    except typer.Exit as done:
        return _exit(done.exit_code, argv)
    except typer.TyperException as error:  # usage errors: bad option, missing argument
        show = getattr(error, "show", None)
        if callable(show):
            show()
        else:
            _print_error(error.format_message())
        return _exit(2 if error.exit_code == 1 else error.exit_code, argv)
    except typer.Abort:
        err_console().print("[bold red]interrupted[/]: nothing was written")
        return _exit(130, argv)
    except KeyboardInterrupt:
        err_console().print("[bold red]interrupted[/]: nothing was written")
        return _exit(130, argv)
    except OSError as error:
        _print_error(f"{error.strerror or error}: {error.filename}")
        return _exit(2, argv)
    code = result if isinstance(result, int) else 0
    if code == 130:  # typer turns Ctrl-C into exit code 130 without raising
        err_console().print("[bold red]interrupted[/]: nothing was written")
    return _exit(code, argv)


def _print_error(message: str) -> None:
    """Print one error on stderr; the message is escaped so ``[lines]`` is not read as markup."""
    from rich.markup import escape

    from quasimarket.cli._output import err_console

    err_console().print(f"[bold red]error:[/] {escape(message)}", highlight=False)


def _exit(code: int, argv: list[str] | None) -> int:
    if argv is None:  # called as the console script
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
