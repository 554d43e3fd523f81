"""The committed bad-input corpus (``tests/corpus/cases.py``), every case end to end.

Each case runs in a fresh folder built from the valid base inputs by one change. The folder is
hashed (every path, with the SHA-256 of every file) before the run; afterwards the command must
have exited with the case's code (2 for bad input), printed a message matching the case's
regular expression on stderr, printed no traceback, left every file byte-identical, and created
nothing: no output, no run, no hidden ``.x.tmp-…`` leftover. Cases that would hang the test
run if a check regressed (a named pipe, ``/dev/zero``) run the installed script with a timeout;
the rest run in-process through ``main([...])``.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
import stat
import subprocess
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".venv" / "bin" / "quasimarket"
#: A command still running after this long is a hang, reported as such (the machine may be busy).
SUBPROCESS_TIMEOUT = 120
#: Files above this size (the sparse 2 GiB case) are compared by size and mtime, not hashed.
HASH_LIMIT = 64 * 1024**2
#: One clear message, not a dump of the input.
MAX_STDERR = 10_000


def _load_corpus() -> ModuleType:
    """``tests/corpus/cases.py`` by path: ``tests`` is not a package."""
    path = ROOT / "tests" / "corpus" / "cases.py"
    spec = importlib.util.spec_from_file_location("quasimarket_test_corpus", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


corpus = _load_corpus()
CASES = corpus.CASES

Snapshot = dict[str, tuple[object, ...]]


def snapshot(root: Path) -> Snapshot:
    """Every path under *root*: its kind, and for files the size and SHA-256 of the content."""
    found: Snapshot = {}
    for folder, dirs, files in os.walk(root):
        for name in [*dirs, *files]:
            path = Path(folder) / name
            info = path.lstat()
            rel = path.relative_to(root).as_posix()
            if stat.S_ISDIR(info.st_mode):
                found[rel] = ("folder",)
            elif stat.S_ISREG(info.st_mode):
                if info.st_size > HASH_LIMIT:
                    found[rel] = ("file", info.st_size, info.st_mtime_ns)
                else:
                    digest = hashlib.sha256(path.read_bytes()).hexdigest()
                    found[rel] = ("file", info.st_size, digest)
            elif stat.S_ISFIFO(info.st_mode):
                found[rel] = ("named pipe",)
            elif stat.S_ISLNK(info.st_mode):
                found[rel] = ("link", os.readlink(path))
            else:
                found[rel] = ("other", stat.S_IFMT(info.st_mode))
    return found


def changes(before: Snapshot, after: Snapshot, allowed: tuple[str, ...]) -> list[str]:
    """What the command changed: modified or removed paths, and new ones it may not create."""
    problems = [
        f"modified: {path}" if path in after else f"removed: {path}"
        for path, was in before.items()
        if after.get(path) != was
    ]
    problems += [
        f"created: {path}"
        for path in sorted(set(after) - set(before))
        if not any(path == a or path.startswith(f"{a}/") for a in allowed)
    ]
    return problems


def flat(text: str) -> str:
    return " ".join(text.split())


def matches(pattern: str, err: str) -> bool:
    """The message is found with whitespace normalised, or with folded lines rejoined."""
    candidates = (flat(err), "".join(line.strip() for line in err.splitlines()))
    return any(re.search(pattern, text, re.IGNORECASE | re.DOTALL) for text in candidates)


@pytest.fixture(scope="session")
def base(tmp_path_factory: pytest.TempPathFactory) -> Any:
    """The valid base inputs, built once per session (per xdist worker)."""
    from quasimarket.cli.main import main

    return corpus.Base(tmp_path_factory.mktemp("corpus-base"), main)


@pytest.fixture
def workspace(base: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A fresh folder for one case, its current directory; runs go inside it (a run written by
    mistake shows as a new folder), crash logs outside."""
    root = tmp_path / "case"
    root.mkdir()
    monkeypatch.chdir(root)
    monkeypatch.setenv("QUASIMARKET_RUNS", str(root / "runs"))
    monkeypatch.setenv("QUASIMARKET_LOG_DIR", str(tmp_path / "crash-logs"))
    monkeypatch.setenv("COLUMNS", "200")
    return corpus.Workspace(root, base)


def run_case(
    case: Any, argv: list[str], root: Path, capsys: pytest.CaptureFixture[str]
) -> tuple[int | str, str, str]:
    """Run the CLI on *argv* in *root*: (exit code or ``"hang"``, stdout, stderr)."""
    if case.subprocess:
        try:
            result = subprocess.run(
                [str(SCRIPT), *argv],
                capture_output=True,
                text=True,
                errors="replace",
                stdin=subprocess.DEVNULL,
                timeout=SUBPROCESS_TIMEOUT,
                cwd=root,
                env=dict(os.environ),
            )
        except subprocess.TimeoutExpired as hung:
            out = hung.stdout.decode(errors="replace") if isinstance(hung.stdout, bytes) else ""
            err = hung.stderr.decode(errors="replace") if isinstance(hung.stderr, bytes) else ""
            return f"hang (no exit after {SUBPROCESS_TIMEOUT} s)", out, err
        return result.returncode, result.stdout, result.stderr
    from quasimarket.cli.main import main

    capsys.readouterr()
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
def test_bad_input_is_refused_cleanly(
    case: Any, workspace: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    ws = workspace
    root: Path = ws.root
    ws.copy(*case.uses)
    case.build(ws)
    values: dict[str, str] = ws.values
    argv = corpus.format_args(case.argv, values)
    pattern = case.message.format_map({k: re.escape(v) for k, v in values.items()})
    before = snapshot(root)

    code, out, err = run_case(case, argv, root, capsys)

    problems = []
    if code != case.exit:
        problems.append(f"exit {code}, expected {case.exit}")
    if "Traceback" in out + err:
        problems.append("a traceback on screen")
    if not matches(pattern, err):
        problems.append(f"stderr does not match {pattern!r}")
    if len(err) > MAX_STDERR:
        problems.append(f"stderr is {len(err):,} characters long")
    problems += changes(before, snapshot(root), case.allowed)
    head = "\n".join(err.strip().splitlines()[:6])[:1500]
    assert not problems, (
        f"quasimarket {' '.join(a if len(a) < 80 else a[:40] + '…' for a in argv)}\n"
        + "\n".join(f"  - {p}" for p in problems)
        + f"\n  stderr: {head or '(empty)'}"
        + (f"\n  stdout: {out.strip()[:300]}" if out.strip() else "")
    )


@pytest.mark.parametrize("name", sorted(corpus.BASE_COMMANDS))
def test_the_base_inputs_are_valid(
    name: str, workspace: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each case is one change away from inputs that work: the base commands succeed."""
    from quasimarket.cli.main import main

    ws = workspace
    ws.copy(
        "contract.toml", "activity.csv", "activity.parquet", "activity.xlsx", "tariff",
        "mff.csv", "achievement.toml", "performance.toml", "scenario.toml", "uncertainty.toml",
        "costs.toml", "simulation.toml", "runs",
    )  # fmt: skip
    argv = corpus.format_args(corpus.BASE_COMMANDS[name], ws.values)
    capsys.readouterr()
    code = main(argv)
    err = capsys.readouterr().err
    assert code == 0, err
    assert "Traceback" not in err


def test_the_corpus_covers_every_area() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 150
    assert len(set(ids)) == len(ids), [i for i, n in Counter(ids).items() if n > 1]
    by_area = Counter(case.area for case in CASES)
    assert set(by_area) == set(corpus.AREAS)
    assert all(by_area[area] >= 10 for area in corpus.AREAS), by_area
    assert all(case.exit == 2 for case in CASES)


def test_the_committed_corpus_files_are_small() -> None:
    folder = ROOT / "tests" / "corpus"
    big = [p for p in folder.rglob("*") if p.is_file() and p.stat().st_size > 5 * 1024]
    big = [p for p in big if p.name != "cases.py"]
    assert not big, big
