"""The ``quasimarket`` command: assembles the command groups and maps errors to exit codes.

Exit codes:

* 0: success.
* 2: bad input or usage, or a problem with the user's environment (a full disk, a read-only
  folder, a missing permission): one clear message on stderr, no traceback.
* 70: an internal error (a bug): one line on stderr, ``internal error, please report: <type:
  message>``, and the path of a crash log holding the full traceback; nothing on screen
  beyond that. The log goes to ``$QUASIMARKET_LOG_DIR`` if set, else
  ``$XDG_STATE_HOME/quasimarket/logs`` (default ``~/.local/state/quasimarket/logs``), else the
  temporary folder. 70 is ``EX_SOFTWARE`` of BSD's ``sysexits.h``.
* 130: interrupted (Ctrl-C, including a Dask computation cancelled by it); nothing written.
"""

from __future__ import annotations

import contextlib
import os
import platform
import sys
import tempfile
import time
import traceback
from pathlib import Path
from types import TracebackType

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
    tariff,
)
from quasimarket.errors import QuasimarketError, RunError, from_os_error, from_validation_error

#: Exit code of an internal error (``EX_SOFTWARE``, sysexits.h).
EXIT_INTERNAL = 70
#: Exit code after Ctrl-C (128 + SIGINT, as shells report it).
EXIT_INTERRUPTED = 130
#: Environment variable naming the folder for crash logs (tests set it).
LOG_DIR_ENV = "QUASIMARKET_LOG_DIR"

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


for group in (
    structure,
    economy,
    contract,
    tariff,
    price,
    stress,
    simulate,
    regimes,
    runs,
    serve,
    demo,
):
    group.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return (and, as a console script, exit with) the exit code."""
    try:
        command = typer.main.get_command(app)
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
    except (typer.Abort, KeyboardInterrupt):
        return _exit(_interrupted(), argv)
    except MemoryError:
        problem = RunError(
            "ran out of memory",
            fix="give a smaller input, or use fewer --draws or a smaller --chunk-size",
        )
        _print_error(problem.render())
        return _exit(2, argv)
    except BaseException as error:  # the last resort, sorted below
        if _is_interruption(error):
            return _exit(_interrupted(), argv)
        if not isinstance(error, Exception):  # SystemExit, GeneratorExit: not ours to handle
            raise
        if isinstance(error, BrokenPipeError):  # `quasimarket eras | head`: the reader left
            if argv is None:  # the console script; never redirect a host program's stdout
                _silence_stdout()
            return _exit(2, argv)
        if isinstance(error, OSError):  # the user's environment: disk full, read-only, ...
            _print_error(from_os_error(error, target=_write_target(error)).render())
            return _exit(2, argv)
        return _exit(_internal_error(error, argv), argv)
    code = result if isinstance(result, int) else 0
    if code == EXIT_INTERRUPTED:  # typer turns Ctrl-C into exit code 130 without raising
        _interrupted()
    return _exit(code, argv)


def _interrupted() -> int:
    from quasimarket.cli._output import err_console

    err_console().print("[bold red]interrupted[/]: nothing was written")
    return EXIT_INTERRUPTED


def _is_interruption(error: BaseException) -> bool:
    """Whether *error* is, or was raised while handling, Ctrl-C or a cancelled computation.

    ``concurrent.futures.CancelledError`` covers distributed's ``FutureCancelledError`` (a
    subclass); the classes are looked up in ``sys.modules`` so that neither asyncio nor Dask is
    imported at start-up just to be able to compare against them.
    """
    cancelled = tuple(
        kind
        for name in ("concurrent.futures", "asyncio")
        if isinstance(kind := getattr(sys.modules.get(name), "CancelledError", None), type)
    )
    seen: set[int] = set()
    current: BaseException | None = error
    while current is not None and id(current) not in seen:
        if isinstance(current, (KeyboardInterrupt, typer.Abort, *cancelled)):
            return True
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return False


def _write_target(error: OSError) -> str | None:
    """For an OS error without a file name (``write()`` on a full disk): the file quasimarket
    was writing, from the ``target`` local of the innermost quasimarket frame that has one."""
    if error.filename is not None:
        return None
    frames: list[TracebackType] = []
    tb = error.__traceback__
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    for frame in reversed(frames):
        if not str(frame.tb_frame.f_globals.get("__name__", "")).startswith("quasimarket."):
            continue
        target = frame.tb_frame.f_locals.get("target")
        if isinstance(target, str | os.PathLike):
            return os.fspath(target)
    return None


def _silence_stdout() -> None:
    """Point stdout at /dev/null so the interpreter's final flush does not fail again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError, AttributeError):
        pass


def _internal_error(error: Exception, argv: list[str] | None) -> int:
    """Report a bug: one line on stderr and a crash log with the full traceback."""
    lines = str(error).strip().splitlines()
    summary = type(error).__name__ + (f": {lines[0][:200]}" if lines else "")
    log = _write_crash_log(error, argv)
    where = (
        f"the full traceback is in {log}"
        if log is not None
        else f"no crash log could be written (set {LOG_DIR_ENV} to a writable folder)"
    )
    message = f"internal error, please report: {summary}\n  {where}"
    try:
        _print_error(message, prefix=False)
    except Exception:  # the console itself is broken: plain text, still no traceback
        sys.stderr.write(message + "\n")
    return EXIT_INTERNAL


def crash_log_folders() -> list[Path]:
    """Where crash logs go, in order of preference (the first writable one is used)."""
    folders: list[Path] = []
    if override := os.environ.get(LOG_DIR_ENV):
        folders.append(Path(override))
    state = os.environ.get("XDG_STATE_HOME", "")
    if os.path.isabs(state):
        folders.append(Path(state) / "quasimarket" / "logs")
    with contextlib.suppress(RuntimeError):  # RuntimeError: no home folder can be found
        folders.append(Path.home() / ".local" / "state" / "quasimarket" / "logs")
    folders.append(Path(tempfile.gettempdir()) / "quasimarket-logs")
    return folders


def _write_crash_log(error: BaseException, argv: list[str] | None) -> Path | None:
    version = getattr(sys.modules.get("quasimarket"), "__version__", "(unknown version)")
    stamp = time.strftime("%Y%m%d-%H%M%S")
    when = time.strftime("%Y-%m-%d %H:%M:%S %z")
    body = "".join(
        [
            f"quasimarket {version} internal error at {when}\n",
            f"command: quasimarket {' '.join(sys.argv[1:] if argv is None else argv)}\n",
            f"python {platform.python_version()} on {platform.platform()}\n\n",
            *traceback.format_exception(error),
        ]
    )
    for folder in crash_log_folders():
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        for attempt in range(1, 100):  # two crashes of one process within a second
            suffix = "" if attempt == 1 else f"-{attempt}"
            path = folder / f"crash-{stamp}-{os.getpid()}{suffix}.log"
            try:
                # Readable by the user only: the log holds the command line and local paths.
                handle = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:
                continue
            except OSError:
                break
            try:
                with os.fdopen(handle, "w", encoding="utf-8") as log:
                    log.write(body)
            except OSError:  # a full disk: try the next folder
                with contextlib.suppress(OSError):
                    path.unlink()
                break
            return path.resolve()
    return None


def _print_error(message: str, *, prefix: bool = True) -> None:
    """Print one error on stderr; the message is escaped so ``[lines]`` is not read as markup.

    Lines are not folded at the console width: a path or a command in the message stays in
    one piece, to be copied (the terminal still wraps what is too long to show).
    """
    from rich.markup import escape

    from quasimarket.cli._output import err_console

    head = "[bold red]error:[/] " if prefix else ""
    err_console().print(f"{head}{escape(message)}", highlight=False, soft_wrap=True)


def _exit(code: int, argv: list[str] | None) -> int:
    if argv is None:  # called as the console script
        sys.exit(code)
    return code


if __name__ == "__main__":
    main()
