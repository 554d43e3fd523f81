"""No CLI path prints a traceback: a bad invocation is one clear error and exit code 2.

A spread of bad invocations of every command (missing and garbage arguments, folders, named
pipes, devices, empty, binary, truncated and non-UTF-8 files, absurdly deep or long TOML,
unknown options) runs in-process through ``main([...])``; the cases that would hang or never
end if a check regressed (a FIFO, ``/dev/zero``) and a few others run as the installed
``quasimarket`` script with a timeout. Only an internal error injected on purpose may exit 70,
and then the screen shows the crash log's path instead of the traceback.
"""

from __future__ import annotations

import concurrent.futures
import os
import re
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".venv" / "bin" / "quasimarket"
CONTRACT = ROOT / "examples" / "contracts" / "acute_pbr_2016.toml"
#: A command that hangs is a failure, not a stuck test run (the machine may be busy).
SUBPROCESS_TIMEOUT = 180

CliResult = tuple[int, str, str]


@pytest.fixture(scope="module")
def files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of good and bad inputs; names are used by the cases below."""
    from quasimarket.cli.main import main

    folder = tmp_path_factory.mktemp("bad-inputs")
    good = folder / "good.toml"
    good.write_text(CONTRACT.read_text(encoding="utf-8"), encoding="utf-8")
    for name in ("act.csv", "act.parquet"):
        code = main(
            [
                "activity",
                "generate",
                "--out",
                str(folder / name),
                "--n",
                "40",
                "--contract",
                str(good),
            ]
        )
        assert code == 0
    activity = pd.read_parquet(folder / "act.parquet")
    activity.to_excel(folder / "act.xlsx", index=False)
    workbook = (folder / "act.xlsx").read_bytes()
    parquet = (folder / "act.parquet").read_bytes()
    noise = bytes(range(256)) * 20

    os.mkfifo(folder / "fifo.csv")
    os.mkfifo(folder / "fifo.toml")
    (folder / "adir.csv").mkdir()
    (folder / "adir.toml").mkdir()
    for name in ("empty.csv", "empty.toml", "empty.parquet", "empty.xlsx"):
        (folder / name).write_bytes(b"")
    (folder / "garbage.csv").write_bytes(noise)
    (folder / "garbage.toml").write_bytes(noise)
    (folder / "garbage.xlsx").write_bytes(b"PK\x03\x04" + noise)
    (folder / "garbage.parquet").write_bytes(b"PAR1" + noise + b"PAR1")
    (folder / "trunc.xlsx").write_bytes(workbook[: len(workbook) // 2])
    (folder / "trunc.parquet").write_bytes(parquet[: len(parquet) // 2])
    with zipfile.ZipFile(folder / "notbook.xlsx", "w") as archive:
        archive.writestr("hello.txt", "a zip, but not a workbook")
    with (
        zipfile.ZipFile(folder / "act.xlsx") as source,
        zipfile.ZipFile(folder / "cutxml.xlsx", "w") as archive,
    ):
        for item in source.namelist():
            data = source.read(item)
            archive.writestr(item, data[: len(data) // 2] if "sheet1" in item else data)
    (folder / "latin1.csv").write_bytes("a,b\ncaf\xe9,1\n".encode("latin-1"))
    (folder / "latin1.toml").write_bytes('name = "caf\xe9"\n'.encode("latin-1"))
    (folder / "deep.toml").write_text("a = " + "[" * 5000 + "]" * 5000 + "\n")
    (folder / "deep-inline.toml").write_text("a = " + "{b = " * 5000 + "1" + "}" * 5000)
    (folder / "deep-dotted.toml").write_text(".".join(["a"] * 5000) + " = 1\n")
    (folder / "deep.json").write_text("[" * 5000 + "]" * 5000)
    text = good.read_text(encoding="utf-8")
    huge = re.sub(r'^name = ".*"$', 'name = "' + "x" * 100_000 + '"', text, count=1, flags=re.M)
    (folder / "huge-name.toml").write_text(huge, encoding="utf-8")
    (folder / "no-header.csv").write_text("1,2,3\n")
    return folder


@pytest.fixture
def run(
    files: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Callable[..., CliResult]:
    """``code, out, err = run("price", "{d}/good.toml", ...)``: ``{d}`` is the inputs folder."""
    from quasimarket.cli.main import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QUASIMARKET_RUNS", str(tmp_path / "runs"))
    monkeypatch.setenv("QUASIMARKET_LOG_DIR", str(tmp_path / "logs"))

    def go(*args: str) -> CliResult:
        capsys.readouterr()
        code = main([arg.replace("{d}", str(files)) for arg in args])
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return go


def _refused(result: CliResult) -> str:
    """Assert one clear refusal: exit 2, a message on stderr, no traceback, no crash log."""
    code, out, err = result
    assert "Traceback" not in out + err, err
    assert "internal error" not in err, err
    assert code == 2, (code, out, err)
    assert err.strip(), "a refusal must say why"
    return err


C = "{d}/good.toml"
A = "{d}/act.csv"
TABLES = [
    "adir.csv", "empty.csv", "garbage.csv", "latin1.csv", "no-header.csv", "missing.csv",
    "trunc.xlsx", "garbage.xlsx", "notbook.xlsx", "cutxml.xlsx", "empty.xlsx",
    "trunc.parquet", "garbage.parquet", "empty.parquet", "act.json",
]  # fmt: skip
CONFIGS = [
    "adir.toml", "empty.toml", "garbage.toml", "latin1.toml", "deep.toml", "deep-inline.toml",
    "deep-dotted.toml", "deep.json", "huge-name.toml", "missing.toml", "act.csv",
]  # fmt: skip

CASES: list[tuple[str, ...]] = [
    *(("price", C, f"{{d}}/{name}") for name in TABLES),
    *(("price", C, A, "--tariff", f"{{d}}/{name}") for name in TABLES),
    *(("price", C, A, "--mff", f"{{d}}/{name}") for name in ("trunc.xlsx", "garbage.parquet")),
    *(("tariff", "check", f"{{d}}/{name}") for name in TABLES),
    ("tariff", "check", "{d}/notbook.xlsx", "--mff", "{d}/garbage.csv"),
    ("tariff", "show", "{d}/garbage.xlsx", "--hrg", "AA01A"),
    ("tariff", "show", "{d}/act.csv"),
    ("tariff", "build", "--reference-costs", "{d}/garbage.csv", "--out", "{d}/o.csv"),
    ("tariff", "build", "--reference-costs", "{d}"),
    *(("contract", "check", f"{{d}}/{name}") for name in CONFIGS),
    *(("price", f"{{d}}/{name}", A) for name in ("deep.toml", "huge-name.toml", "garbage.toml")),
    *(("price", C, A, "--achievement", f"{{d}}/{name}") for name in CONFIGS),
    *(("price", C, A, "--performance", f"{{d}}/{name}") for name in ("deep.json", "adir.toml")),
    *(("stress", "check", f"{{d}}/{name}") for name in CONFIGS),
    *(("stress", "check", "--contract", f"{{d}}/{name}") for name in ("deep.toml", "empty.toml")),
    ("stress", "check", "--contract", C, "--uncertainty", "{d}/deep-inline.toml"),
    ("stress", "check", "--contract", C, "--costs", "{d}/garbage.toml"),
    *(("simulate", f"{{d}}/{name}") for name in ("deep.toml", "huge-name.toml", "garbage.toml")),
    ("activity", "generate", "--out", "o.parquet", "--contract", "{d}/deep-dotted.toml"),
    # missing, garbage and unknown arguments and options, command by command
    ("--bogus",),
    ("no-such-command",),
    ("who-commissions", "sexual health services", "--year", "abc"),
    ("who-commissions", "sexual health services"),
    ("services", "--year", "1800"),
    ("eras", "--bogus"),
    ("org-types", "--year", "zz"),
    ("payment-rules",),
    ("payment-rules", "--year", "2016/18"),
    ("structure", "graph", "--year", "2016", "--kind", "nonsense"),
    ("structure", "graph", "--year", "2016", "--format", "xml"),
    ("structure", "answers-to", "NOPE", "--year", "2016"),
    ("economy", "describe", "--year", "abc"),
    ("economy", "describe", "--top", "0"),
    ("economy", "describe", "--real", "{d}/adir.csv"),
    ("economy", "describe", "--real", "{d}/good.toml"),
    ("economy", "build"),
    ("contract", "check"),
    ("contract", "new", "-m", "nonsense"),
    ("contract", "new", "-m", "national_tariff", "--out", "{d}/adir.toml"),
    ("contract", "mechanisms", "--bogus"),
    ("activity", "generate", "--out", "o.xyz", "--n", "5", "--year", "2016/17"),
    ("activity", "generate", "--out", "o.parquet", "--year", "2016/17", "--economy", "mars"),
    ("price",),
    ("price", C),
    ("price", C, A, "--economy", "mars"),
    ("price", C, A, "--avoidable-share", "abc"),
    ("price", C, A, "--out", "{d}/act.csv/priced"),
    ("stress", "run", "--example", "nope"),
    ("stress", "run", "--contract", C, "--ignore-rule", "nope", "--draws", "10"),
    ("stress", "run", "--example", "acute-designs", "--draws", "-1"),
    ("simulate", "--example", "nope"),
    ("simulate", "--years", "abc", "--example", "referral-management"),
    ("simulate", "--draws", "0"),
    ("regimes", "show", "nope"),
    ("regimes", "diff", "a", "b"),
    ("regimes", "counterfactual", "nope"),
    ("runs", "show", "nope", "--store", "{d}/adir.toml"),
    ("runs", "compare", "a", "b", "--store", "{d}/adir.toml"),
    ("runs", "delete", "a", "--store", "{d}/adir.toml", "--yes"),
    ("report", "nope", "--store", "{d}/adir.toml"),
    ("serve", "--port", "0"),
    ("serve-user", "Bad Name", "--password-stdin"),
    ("demo", "--records", "0"),
]  # fmt: skip


@pytest.mark.parametrize("args", CASES, ids=lambda args: " ".join(args).replace("{d}/", ""))
def test_bad_invocation_is_one_clear_error(
    run: Callable[..., CliResult], args: tuple[str, ...]
) -> None:
    _refused(run(*args))


def test_there_are_enough_cases() -> None:
    assert len(CASES) >= 40


def test_a_huge_name_is_refused_quickly(run: Callable[..., CliResult]) -> None:
    """A 100,000-character name took about three minutes to print (rich's highlighter)."""
    started = time.perf_counter()
    err = _refused(run("contract", "check", "{d}/huge-name.toml"))
    assert time.perf_counter() - started < 30
    assert "name" in err
    assert "200 characters" in err


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (("price", C, "{d}/fifo.csv"), "named pipe"),
        (("contract", "check", "{d}/fifo.toml"), "named pipe"),
        (("price", C, "/dev/zero"), "character device"),
        (("stress", "check", "/dev/zero"), "character device"),
        (("price", C, A, "--tariff", "{d}/trunc.xlsx"), "Excel workbook"),
        (("contract", "check", "{d}/deep.toml"), "nested too deeply"),
        (("price", C, A, "--no-such-option"), "No such option"),
    ],
    ids=[
        "fifo-table",
        "fifo-config",
        "dev-zero-table",
        "dev-zero-config",
        "xlsx",
        "deep",
        "option",
    ],
)
def test_installed_script_refuses_without_hanging_or_a_traceback(
    files: Path, tmp_path: Path, args: tuple[str, ...], says: str
) -> None:
    result = subprocess.run(
        [str(SCRIPT), *(arg.replace("{d}", str(files)) for arg in args)],
        capture_output=True,
        text=True,
        errors="replace",
        stdin=subprocess.DEVNULL,
        timeout=SUBPROCESS_TIMEOUT,
        cwd=tmp_path,
        env={**os.environ, "QUASIMARKET_LOG_DIR": str(tmp_path / "logs"), "COLUMNS": "200"},
    )
    err = _refused((result.returncode, result.stdout, result.stderr))
    assert says in err


# -- injected failures: internal errors, interruptions, the user's environment ------------------


@pytest.fixture
def inject() -> Iterator[Callable[[BaseException], None]]:
    """Register a hidden ``boom`` command raising the given exception (removed afterwards)."""
    from quasimarket.cli.main import app

    def add(error: BaseException) -> None:
        @app.command("boom", hidden=True)
        def _boom() -> None:
            raise error

    yield add
    app.registered_commands = [c for c in app.registered_commands if c.name != "boom"]


def test_an_internal_error_exits_70_with_the_crash_log_path(
    run: Callable[..., CliResult], inject: Callable[[BaseException], None], tmp_path: Path
) -> None:
    inject(RuntimeError("the engine fell over\nsecond line"))
    code, out, err = run("boom")
    assert code == 70
    assert "Traceback" not in out + err
    first, second = err.strip().splitlines()
    assert first == "internal error, please report: RuntimeError: the engine fell over"
    log = Path(second.split(" is in ", 1)[1].strip())
    assert log.parent == (tmp_path / "logs").resolve()
    assert log.name.startswith("crash-")
    assert log.suffix == ".log"
    body = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in body
    assert "RuntimeError: the engine fell over" in body
    assert "command: quasimarket boom" in body
    assert log.stat().st_mode & 0o077 == 0  # the user's only: it holds paths and the command


def test_two_crashes_in_one_second_keep_both_logs(
    run: Callable[..., CliResult], inject: Callable[[BaseException], None], tmp_path: Path
) -> None:
    inject(RuntimeError("again"))
    assert run("boom")[0] == 70
    assert run("boom")[0] == 70
    assert len(list((tmp_path / "logs").glob("crash-*.log"))) == 2


def test_the_crash_log_falls_back_when_the_folder_is_not_writable(
    run: Callable[..., CliResult],
    inject: Callable[[BaseException], None],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("QUASIMARKET_LOG_DIR", str(blocker / "logs"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    inject(ValueError("bad state"))
    code, _, err = run("boom")
    assert code == 70
    logs = list((tmp_path / "state" / "quasimarket" / "logs").glob("crash-*.log"))
    assert len(logs) == 1
    assert str(logs[0]) in err


def test_the_installed_script_exits_70_on_an_internal_error(tmp_path: Path) -> None:
    program = (
        "import sys\n"
        "from quasimarket.cli.main import app, main\n"
        "@app.command('boom', hidden=True)\n"
        "def boom() -> None:\n"
        "    raise AttributeError(\"'TariffTable' object has no attribute 'notes'\")\n"
        "sys.argv = ['quasimarket', 'boom']\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        capture_output=True,
        text=True,
        timeout=SUBPROCESS_TIMEOUT,
        env={**os.environ, "QUASIMARKET_LOG_DIR": str(tmp_path)},
    )
    assert result.returncode == 70
    assert "Traceback" not in result.stdout + result.stderr
    assert "internal error, please report: AttributeError:" in result.stderr
    (log,) = tmp_path.glob("crash-*.log")
    assert str(log) in result.stderr
    assert "Traceback" in log.read_text(encoding="utf-8")


def _distributed_cancelled() -> BaseException:
    client = pytest.importorskip("distributed.client")
    return client.FutureCancelledError("key-1", reason="the scheduler went away")  # type: ignore[no-any-return]


@pytest.mark.parametrize(
    "make",
    [
        lambda: concurrent.futures.CancelledError(),
        lambda: __import__("asyncio").CancelledError(),
        _distributed_cancelled,
        lambda: KeyboardInterrupt(),
    ],
    ids=["concurrent", "asyncio", "distributed", "keyboard"],
)
def test_a_cancelled_computation_is_an_interruption(
    run: Callable[..., CliResult],
    inject: Callable[[BaseException], None],
    make: Callable[[], BaseException],
) -> None:
    inject(make())
    code, out, err = run("boom")
    assert code == 130
    assert "interrupted" in err
    assert "Traceback" not in out + err


def test_an_error_raised_while_handling_ctrl_c_is_an_interruption(
    run: Callable[..., CliResult], inject: Callable[[BaseException], None]
) -> None:
    try:
        try:
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            raise RuntimeError("cluster closed while shutting down")  # noqa: B904
    except RuntimeError as error:
        inject(error)
    code, _, err = run("boom")
    assert code == 130
    assert "interrupted" in err


@pytest.mark.parametrize(
    ("error", "says", "not_says"),
    [
        (OSError(28, "No space left on device"), "no space left on device while writing", "None"),
        (
            OSError(28, "No space left on device", "out/.statement.csv.tmp-0123456789ab"),
            "no space left on device while writing out/statement.csv",
            ".tmp-",
        ),
        (
            OSError(16, "Device or resource busy", ".", None, "..tmp-0123456789ab"),
            "cannot replace the current folder",
            "..tmp-",
        ),
        (OSError(16, "Device or resource busy", "/mnt/share"), "/mnt/share is busy", "None"),
        (
            OSError(30, "Read-only file system", "runs/.abc.tmp-0123456789ab/summary.parquet"),
            "read-only file system: cannot write runs/abc/summary.parquet",
            ".tmp-",
        ),
        (
            PermissionError(13, "Permission denied", "/srv/out"),
            "permission denied for /srv/out",
            "None",
        ),
        (
            OSError("Error writing bytes. Detail: [errno 28] No space left on device"),
            "no space",
            "Errno",
        ),
    ],
    ids=[
        "enospc-no-name",
        "enospc-temp",
        "ebusy-dot",
        "ebusy-mount",
        "erofs-temp",
        "eacces",
        "pyarrow-text",
    ],
)
def test_os_errors_read_well(
    run: Callable[..., CliResult],
    inject: Callable[[BaseException], None],
    error: OSError,
    says: str,
    not_says: str,
) -> None:
    inject(error)
    err = _refused(run("boom"))
    assert says in err
    assert not_says not in err
    assert "fix:" in err


def test_a_full_disk_names_the_file_being_written(
    run: Callable[..., CliResult], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``write()``/``fsync()`` on a full disk carry no file name: the message names the target."""

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    target = tmp_path / "new-contract.toml"
    err = _refused(run("contract", "new", "-m", "national_tariff", "--out", str(target)))
    assert f"no space left on device while writing {target}" in err
    assert ".tmp-" not in err
    assert not target.exists()


@pytest.fixture
def full_disk(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs filled to the last byte, or a skip saying why there cannot be one."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("mount") is None:
        pytest.skip("a real full disk needs root and the mount command (for a small tmpfs)")
    disk = tmp_path / "disk"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(disk)],
        capture_output=True,
        text=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        with open(disk / "filler", "wb") as handle:
            try:
                while True:
                    handle.write(b"\0" * 65_536)
                    handle.flush()
            except OSError:
                pass
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_really_full_disk_names_the_users_file(
    run: Callable[..., CliResult], full_disk: Path
) -> None:
    target = full_disk / "contract.toml"
    err = _refused(run("contract", "new", "-m", "national_tariff", "--out", str(target)))
    assert f"no space left on device while writing {target}" in err
    assert ".tmp-" not in err
    assert "None" not in err
    assert not target.exists()


def test_running_out_of_memory_is_a_clear_error(
    run: Callable[..., CliResult], inject: Callable[[BaseException], None]
) -> None:
    inject(MemoryError())
    err = _refused(run("boom"))
    assert "ran out of memory" in err
