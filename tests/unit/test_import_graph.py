"""No import cycles between the engine packages (standard library ``ast`` only).

The graph has one node per top-level unit of ``quasimarket`` (a subpackage such as
``quasimarket.stress`` or a module such as ``quasimarket.errors``) and an edge A → B when any
module of A imports from B: ``import quasimarket.B…``, ``from quasimarket.B… import …``,
``from quasimarket import B``, a relative import that resolves into B, or
``importlib.import_module("quasimarket.B…")`` with a literal name. Imports at module top level
and inside functions or classes count; imports under ``if TYPE_CHECKING:`` do not (they never
run). Imports within one unit are not edges.

For every pair of the engine packages (:data:`ENGINES`) the test fails when each reaches the
other, and names the cycle with the module that makes each import. Paths through other units
(``activity``, ``economy``, …) count, so a cycle cannot hide behind a package outside the list.
"""

from __future__ import annotations

import ast
import itertools
from collections import deque
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

SRC = Path(__file__).resolve().parents[2] / "src"
ROOT = "quasimarket"

#: The packages that must not import each other in a cycle (issue "One payment engine").
ENGINES = (
    "contracts",
    "mechanisms",
    "pricing",
    "stress",
    "simulation",
    "regimes",
    "behaviour",
    "payment",
)

#: Known cycles that go through a file being rewritten elsewhere, by package pair. Each entry
#: must really be a cycle (strict xfail): when the cycle is gone, the entry must go too.
KNOWN_CYCLES: dict[tuple[str, str], str] = {}


@dataclass(frozen=True)
class Edge:
    """Unit *source* imports unit *target*; *module* (and *line*) is one place that does."""

    source: str
    target: str
    module: str
    line: int

    def __str__(self) -> str:
        return f"{self.source} → {self.target} ({self.module}:{self.line})"


def _module_name(path: Path, base: Path) -> str:
    parts = list(path.relative_to(base).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _runtime_nodes(tree: ast.AST) -> list[ast.AST]:
    """Every node of *tree* except those under ``if TYPE_CHECKING:`` (its ``else`` counts)."""
    out: list[ast.AST] = []
    stack: list[ast.AST] = [tree]
    while stack:
        node = stack.pop()
        out.append(node)
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        stack.extend(ast.iter_child_nodes(node))
    return out


def imported_modules(source: str, module: str, *, is_package: bool) -> list[tuple[str, int]]:
    """Absolute names of the modules *source* (module *module*) imports at run time, with lines.

    ``from X import y`` gives both ``X`` and ``X.y`` (``y`` may be a submodule).
    """
    tree = ast.parse(source)
    package = module if is_package else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []
    for node in _runtime_nodes(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                up = parts[: len(parts) - (node.level - 1)] if node.level > 1 else parts
                base = ".".join(up + ([node.module] if node.module else []))
            else:
                base = node.module or ""
            found.append((base, node.lineno))
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            found.append((node.args[0].value, node.lineno))
    return found


def _unit(name: str) -> str | None:
    """The top-level unit of an absolute module name inside the package, else None."""
    parts = name.split(".")
    if parts[0] != ROOT or len(parts) < 2:
        return None
    return parts[1]


def build_graph(base: Path, root: str = ROOT) -> dict[str, dict[str, Edge]]:
    """``{source unit: {target unit: first Edge}}`` for the package *root* under *base*."""
    units = {
        p.stem if p.is_file() else p.name
        for p in (base / root).iterdir()
        if (p.is_dir() and (p / "__init__.py").exists())
        or (p.is_file() and p.suffix == ".py" and p.stem != "__init__")
    }
    graph: dict[str, dict[str, Edge]] = {u: {} for u in sorted(units)}
    for path in sorted((base / root).rglob("*.py")):
        module = _module_name(path, base)
        source_unit = _unit(module)
        if source_unit is None:  # the root __init__ (lazy public API) is not a unit
            continue
        names = imported_modules(
            path.read_text(encoding="utf-8"), module, is_package=path.name == "__init__.py"
        )
        for name, line in names:
            target = _unit(name)
            if target is None or target == source_unit or target not in units:
                continue
            graph[source_unit].setdefault(target, Edge(source_unit, target, module, line))
    return graph


def path_between(graph: dict[str, dict[str, Edge]], start: str, goal: str) -> list[Edge] | None:
    """The shortest chain of edges from *start* to *goal*, or None (breadth first)."""
    previous: dict[str, Edge | None] = {start: None}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        if node == goal:
            chain: list[Edge] = []
            edge = previous[node]
            while edge is not None:
                chain.append(edge)
                edge = previous[edge.source]
            return chain[::-1]
        for target, edge in sorted(graph.get(node, {}).items()):
            if target not in previous:
                previous[target] = edge
                queue.append(target)
    return None


def cycle_through(graph: dict[str, dict[str, Edge]], a: str, b: str) -> list[Edge] | None:
    """A cycle a → … → b → … → a, or None."""
    there = path_between(graph, a, b)
    back = path_between(graph, b, a)
    return there + back if there and back else None


def describe(cycle: list[Edge]) -> str:
    return "import cycle: " + "; ".join(str(edge) for edge in cycle)


@cache
def _graph() -> dict[str, dict[str, Edge]]:
    return build_graph(SRC)


def _pairs() -> list[object]:
    params: list[object] = []
    for a, b in itertools.combinations(ENGINES, 2):
        reason = KNOWN_CYCLES.get((a, b))
        marks = [pytest.mark.xfail(strict=True, reason=reason)] if reason else []
        params.append(pytest.param(a, b, marks=marks, id=f"{a}-{b}"))
    return params


@pytest.mark.parametrize(("a", "b"), _pairs())
def test_no_import_cycle_between(a: str, b: str) -> None:
    cycle = cycle_through(_graph(), a, b)
    assert cycle is None, describe(cycle)


def test_known_cycles_name_engine_pairs_in_order() -> None:
    pairs = set(itertools.combinations(ENGINES, 2))
    assert set(KNOWN_CYCLES) <= pairs


def test_the_graph_sees_the_real_imports() -> None:
    graph = _graph()
    assert set(ENGINES) <= set(graph)
    # Edges that exist today (a graph builder that found nothing would pass vacuously).
    assert "mechanisms" in graph["pricing"]
    assert "vocabulary" in graph["contracts"]
    assert "behaviour" in graph["simulation"]  # the simulation loads the behaviour rules
    assert "behaviour" in graph["regimes"]
    assert "simulation" in graph["regimes"]  # the regimes run the simulation


def test_the_simulation_does_not_import_the_regimes() -> None:
    """The regimes sit above the simulation: they pass it the regime-path rule (no way back)."""
    edge = _graph()["simulation"].get("regimes")
    assert edge is None, f"the simulation imports the regimes: {edge}"


def _write(base: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = base / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def test_a_cycle_is_found_and_named(tmp_path: Path) -> None:
    _write(
        tmp_path,
        {
            "quasimarket/__init__.py": "",
            "quasimarket/errors.py": "",
            "quasimarket/a/__init__.py": "from quasimarket.a.x import f\n",
            "quasimarket/a/x.py": "def f():\n    from quasimarket.b import g  # lazy\n",
            "quasimarket/b/__init__.py": "from .y import g\n",
            "quasimarket/b/y.py": "from ..c import h\ndef g(): ...\n",
            "quasimarket/c/__init__.py": "import quasimarket.a.x\nimport quasimarket.errors\n",
            "quasimarket/d/__init__.py": (
                "from typing import TYPE_CHECKING\n"
                "if TYPE_CHECKING:\n    from quasimarket.a import f\n"
                "else:\n    from quasimarket import errors\n"
            ),
            "quasimarket/e/__init__.py": (
                "import importlib\nimportlib.import_module('quasimarket.d')\n"
            ),
        },
    )
    graph = build_graph(tmp_path)
    assert set(graph["a"]) == {"b"}  # the import inside a function counts
    assert set(graph["b"]) == {"c"}  # a relative import resolves
    assert set(graph["c"]) == {"a", "errors"}
    assert set(graph["d"]) == {"errors"}  # TYPE_CHECKING imports do not count, its else does
    assert set(graph["e"]) == {"d"}  # importlib.import_module with a literal name counts
    cycle = cycle_through(graph, "a", "b")
    assert cycle is not None
    assert describe(cycle) == (
        "import cycle: a → b (quasimarket.a.x:2); b → c (quasimarket.b.y:1); "
        "c → a (quasimarket.c:1)"
    )
    assert cycle_through(graph, "a", "d") is None
