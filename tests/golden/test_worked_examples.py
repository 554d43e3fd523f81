"""Golden worked examples: every docs/worked_examples/*.toml, compared to the penny.

Each file's inputs go to the registered function named by ``mechanism``; every expected field is
compared EXACTLY with ``decimal_pence`` of the result (an exact decimal string in the file, worked
out by hand). The committed ``docs/worked-examples.md`` must equal the render of these files.
"""

from __future__ import annotations

import dataclasses
import importlib.util
import tomllib
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

from quasimarket.mechanisms import REGISTRY, get
from quasimarket.money import decimal_pence

pytestmark = pytest.mark.golden

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES_DIR = ROOT / "docs" / "worked_examples"
EXAMPLES = sorted(EXAMPLES_DIR.glob("*.toml"))
REQUIRED = (
    "title",
    "mechanism",
    "function",
    "rule_source",
    "numbers_source",
    "working",
    "inputs",
    "expected",
)
# The pricing engineer owns national_tariff and checks its own examples' count.
NOT_MINE = {"national_tariff"}


def _load(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text(encoding="utf-8"))


def _compare(actual: Any, expected: Any, where: str) -> None:
    if isinstance(expected, list):
        values = np.asarray(actual)
        assert values.shape[:1] == (len(expected),), f"{where}: shape {values.shape}"
        for i, (a, e) in enumerate(zip(values, expected, strict=True)):
            _compare(a, e, f"{where}[{i}]")
    elif isinstance(expected, bool):
        assert bool(np.asarray(actual)) is expected, f"{where}: {actual!r} != {expected!r}"
    else:
        got = decimal_pence(float(np.asarray(actual)))
        assert got == Decimal(expected), f"{where}: got {got}, expected {expected}"


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.stem)
def test_worked_example(path: Path) -> None:
    case = _load(path)
    missing = [k for k in REQUIRED if k not in case]
    assert not missing, f"{path.name} lacks {missing}"
    assert all(str(case[k]).strip() for k in REQUIRED[:6]), f"{path.name} has an empty field"
    assert path.stem.startswith(case["mechanism"] + "__"), "file must be <mechanism>__<case>.toml"
    mechanism = get(case["mechanism"])
    assert mechanism.qualified_name == case["function"]
    result = mechanism.function(**case["inputs"])
    expected = case["expected"]
    assert expected, "an example must expect something"
    if dataclasses.is_dataclass(result):
        for field, value in expected.items():
            assert hasattr(result, field), f"{case['function']} has no result field {field!r}"
            _compare(getattr(result, field), value, field)
    else:
        assert len(expected) == 1, "a function returning an array has one expected value"
        (field, value), *_ = expected.items()
        _compare(result, value, field)


def test_every_mechanism_has_two_examples() -> None:
    counts = {name: 0 for name in REGISTRY if name not in NOT_MINE}
    for path in EXAMPLES:
        name = _load(path)["mechanism"]
        if name in counts:
            counts[name] += 1
    short = {name: n for name, n in counts.items() if n < 2}
    assert not short, f"mechanisms with fewer than two worked examples: {short}"


def _render_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "worked_examples_render", EXAMPLES_DIR / "render.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_docs_match_render() -> None:
    committed = (ROOT / "docs" / "worked-examples.md").read_text(encoding="utf-8")
    assert committed == _render_module().render(), (
        "docs/worked-examples.md is stale: run .venv/bin/python docs/worked_examples/render.py"
    )


def test_golden_comparison_can_fail() -> None:
    with pytest.raises(AssertionError):
        _compare(np.float64(100.004), "100.01", "probe")
    with pytest.raises(AssertionError):
        _compare(np.array([1.0, 2.0]), ["1.00"], "probe")
