"""Render a structure graph as PNG (matplotlib), Graphviz DOT text or JSON.

Layout is deterministic: organisation types are placed in horizontal tiers by category
(government at the top, providers and the public at the bottom, see
:data:`~quasimarket.structure.organisations.CATEGORIES`) and ordered by id within a tier. No
randomness, so the same year always gives the same picture.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from quasimarket.errors import ConfigError
from quasimarket.io import write_output_file
from quasimarket.structure.organisations import CATEGORIES

if TYPE_CHECKING:  # networkx costs 0.3 s to import: only the graph functions need it
    import networkx as nx

LineStyle = Literal["solid", "dashed", "dotted"]

__all__ = [
    "EDGE_STYLE",
    "GRAPH_COMMAND",
    "GRAPH_SUFFIXES",
    "check_graph_suffix",
    "graph_to_dict",
    "graph_to_dot",
    "layout",
    "write_graph",
]

#: The command recorded in a graph file's output marker (:mod:`quasimarket.io.outputs`).
GRAPH_COMMAND = "structure graph"
#: The file suffixes :func:`write_graph` writes, lower case.
GRAPH_SUFFIXES = (".png", ".dot", ".gv", ".json")

#: Colour and line style per edge kind (used for both PNG and DOT).
EDGE_STYLE: dict[str, tuple[str, LineStyle]] = {
    "accountable_to": ("#b2182b", "solid"),
    "funds": ("#1b7837", "solid"),
    "regulates": ("#2166ac", "dashed"),
    "hosts": ("#762a83", "dotted"),
    "delegates": ("#e08214", "dashed"),
    "member_of": ("#666666", "dotted"),
}
_WIDTH = {"strong": 2.6, "formal": 1.8, "weak": 1.1, "none": 0.7}


def layout(graph: nx.MultiDiGraph) -> dict[str, tuple[float, float]]:
    """Deterministic tiered positions: one row per category, nodes sorted by id in a row."""
    rows: dict[str, list[str]] = {}
    for node in sorted(graph.nodes):
        rows.setdefault(graph.nodes[node]["category"], []).append(node)
    used = [category for category in CATEGORIES if category in rows]
    positions: dict[str, tuple[float, float]] = {}
    for level, category in enumerate(used):
        members = rows[category]
        for slot, node in enumerate(members):
            x = (slot + 0.5) / len(members)
            y = 1.0 - level / max(len(used) - 1, 1)
            positions[node] = (x, y)
    return positions


def _sorted_edges(graph: nx.MultiDiGraph) -> list[tuple[str, str, Any, dict[str, Any]]]:
    return sorted(graph.edges(keys=True, data=True), key=lambda e: (e[0], e[1], str(e[2])))


def graph_to_dict(graph: nx.MultiDiGraph) -> dict[str, Any]:
    """``{"year", "kind", "nodes": [...], "edges": [...]}``, sorted, JSON-ready."""
    nodes = [{"id": node, **graph.nodes[node]} for node in sorted(graph.nodes)]
    edges = [
        {"from": a, "to": b, **{k: v for k, v in data.items() if k not in ("from_org", "to_org")}}
        for a, b, _, data in _sorted_edges(graph)
    ]
    return {
        "year": graph.graph.get("year"),
        "kind": graph.graph.get("kind"),
        "nodes": nodes,
        "edges": edges,
    }


def _dot_text(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def graph_to_dot(graph: nx.MultiDiGraph) -> str:
    """Graphviz DOT text (nodes grouped by category rank; edge colour by kind)."""
    lines = [
        f"digraph {_dot_text('quasimarket ' + str(graph.graph.get('year', '')))} {{",
        "  rankdir=TB;",
        '  node [shape=box, style="rounded", fontname="Helvetica"];',
    ]
    for category in CATEGORIES:
        members = sorted(n for n in graph.nodes if graph.nodes[n]["category"] == category)
        if not members:
            continue
        lines.append("  { rank=same;")
        for node in members:
            attrs = graph.nodes[node]
            label = attrs["label"] + (" *" if attrs["beyond_research"] else "")
            lines.append(f"    {_dot_text(node)} [label={_dot_text(label)}];")
        lines.append("  }")
    for a, b, _, data in _sorted_edges(graph):
        colour, style = EDGE_STYLE[data["kind"]]
        label = data["kind"] + (f" ({data['strength']})" if data.get("strength") else "")
        lines.append(
            f"  {_dot_text(a)} -> {_dot_text(b)} "
            f"[label={_dot_text(label)}, color={_dot_text(colour)}, style={style}];"
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _png_bytes(graph: nx.MultiDiGraph) -> bytes:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    positions = layout(graph)
    figure, axes = plt.subplots(figsize=(14, 9), dpi=110)
    try:
        axes.set_axis_off()
        axes.set_xlim(-0.05, 1.05)
        axes.set_ylim(-0.1, 1.1)
        for number, (a, b, _, data) in enumerate(_sorted_edges(graph)):
            colour, style = EDGE_STYLE[data["kind"]]
            bend = 0.08 + 0.06 * (number % 3)
            axes.annotate(
                "",
                xy=positions[b],
                xytext=positions[a],
                arrowprops={
                    "arrowstyle": "-|>",
                    "color": colour,
                    "linestyle": style,
                    "linewidth": _WIDTH.get(data.get("strength") or "formal", 1.4),
                    "shrinkA": 18,
                    "shrinkB": 18,
                    "connectionstyle": f"arc3,rad={bend}",
                    "alpha": 0.8,
                },
            )
        for node, (x, y) in sorted(positions.items()):
            attrs = graph.nodes[node]
            axes.text(
                x,
                y,
                attrs["label"] + (" *" if attrs["beyond_research"] else ""),
                ha="center",
                va="center",
                fontsize=8,
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "#f7f7f7", "edgecolor": "#444444"},
            )
        kinds = sorted(
            {data["kind"] for *_, data in graph.edges(data=True)}, key=list(EDGE_STYLE).index
        )
        handles = [
            Line2D([0], [0], color=EDGE_STYLE[k][0], linestyle=EDGE_STYLE[k][1], label=k)
            for k in kinds
        ]
        if handles:
            axes.legend(handles=handles, loc="lower right", fontsize=8, frameon=False)
        year, kind = graph.graph.get("year"), graph.graph.get("kind")
        title = f"English NHS commissioning structure, {year} ({kind})"
        axes.set_title(title + "\n* beyond the research (not in the seed documents)", fontsize=10)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png", metadata={"Software": None})
        return buffer.getvalue()
    finally:
        plt.close(figure)


def check_graph_suffix(path: str | Path) -> str:
    """The lower-case suffix of *path* if :func:`write_graph` can write it.

    Raises:
        ConfigError: the suffix is not ``.png``, ``.dot``/``.gv`` or ``.json``.
    """
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in GRAPH_SUFFIXES:
        raise ConfigError(
            f"cannot tell the format of '{target.name}' from its suffix",
            location="--out",
            expected="a file name ending .png, .dot or .json",
            fix="rename the output, e.g. structure-2016.png",
        )
    return suffix


def write_graph(graph: nx.MultiDiGraph, path: str | Path, *, replace: bool = True) -> Path:
    """Write *graph* to *path* as PNG, DOT or JSON according to its suffix, atomically, with
    its output marker beside it (:mod:`quasimarket.io.outputs`).

    Args:
        graph: The structure graph.
        path: The file.
        replace: Replace an earlier, unchanged graph file at *path*; ``False`` refuses an
            existing *path* (the CLI without ``--force``). A file quasimarket did not write is
            never replaced.

    Raises:
        ConfigError: the suffix is not ``.png``, ``.dot``/``.gv`` or ``.json``.
        InputError: *path* is taken (:func:`quasimarket.io.prepare_output`).
    """

    suffix = check_graph_suffix(path)
    data: bytes | str
    if suffix == ".png":
        data = _png_bytes(graph)
    elif suffix == ".json":
        from quasimarket.io.json_output import dumps

        data = dumps(graph_to_dict(graph), what=str(path), indent=2) + "\n"
    else:
        data = graph_to_dot(graph)
    return write_output_file(path, data, command=GRAPH_COMMAND, force=replace)
