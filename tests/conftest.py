"""Shared fixtures. Each test carries one tier marker: unit, golden, property, integration."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

TIERS = {"unit", "golden", "property", "integration"}
ROOT = Path(__file__).resolve().parents[1]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    errors = []
    for item in items:
        found = TIERS.intersection(mark.name for mark in item.iter_markers())
        if len(found) != 1:
            errors.append(
                f"{item.nodeid}: needs exactly one of {sorted(TIERS)}, has {sorted(found)}"
            )
    if errors:
        raise pytest.UsageError("Test tier markers:\n" + "\n".join(errors))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """``../shared/data`` beside the project (or ``$QUASIMARKET_SHARED_DATA``).

    Skips with a clear message where the folder is absent, except in CI, where its absence is
    a failure: the real-data loaders must be exercised there.
    """
    path = Path(os.environ.get("QUASIMARKET_SHARED_DATA", ROOT.parent / "shared" / "data"))
    if not path.is_dir():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have the shared data folder at {path}")
        pytest.skip(
            f"real NHS open data not found at {path}; put ../shared/data beside the project"
        )
    return path


CliResult = tuple[int, str, str]


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the ``quasimarket`` CLI in-process: ``code, out, err = cli("eras", "--json")``."""
    from quasimarket.cli.main import main

    def run(*args: str) -> CliResult:
        capsys.readouterr()
        code = main(list(args))
        captured = capsys.readouterr()
        return code, captured.out, captured.err

    return run
