"""Accountability and funding graph by year; upward chains; deterministic rendering."""

from __future__ import annotations

import json
from pathlib import Path

import networkx as nx
import pytest

from quasimarket.errors import ConfigError, InputError
from quasimarket.structure import (
    answers_to,
    graph_to_dict,
    graph_to_dot,
    structure_graph,
    write_graph,
)
from quasimarket.structure._data import parse_model
from quasimarket.structure.drawing import layout
from quasimarket.structure.relations import RelationsFile

pytestmark = pytest.mark.unit


def edge(graph: nx.MultiDiGraph, a: str, b: str, kind: str) -> dict[str, object]:
    data = graph.get_edge_data(a, b) or {}
    found = [d for d in data.values() if d["kind"] == kind]
    assert found, f"no {kind} edge {a} -> {b}"
    return found[0]


def test_2016_accountability() -> None:
    graph = structure_graph(2016, "accountability")
    assert edge(graph, "ccg", "nhs_england", "accountable_to")["strength"] == "strong"
    assert "sanctions" in str(edge(graph, "ccg", "nhs_england", "accountable_to")["sanctions"])
    grant = edge(graph, "local_authority", "phe", "accountable_to")
    assert "grant" in str(grant["sanctions"])
    assert (
        edge(graph, "nhs_england", "secretary_of_state", "accountable_to")["strength"] == "strong"
    )
    assert edge(graph, "ccg", "hwb", "accountable_to")["strength"] == "weak"
    assert edge(graph, "ccg", "public", "accountable_to")["strength"] == "none"
    assert {d["kind"] for *_, d in graph.edges(data=True)} == {"accountable_to"}


def test_2016_funding_path_dh_nhse_ccg_provider() -> None:
    graph = structure_graph(2016, "funding")
    assert nx.shortest_path(graph, "dh", "nhs_trust") == ["dh", "nhs_england", "ccg", "nhs_trust"]
    assert "allocation" in str(edge(graph, "nhs_england", "ccg", "funds")["what"])
    whats = {d["what"] for d in (graph.get_edge_data("nhs_england", "ccg") or {}).values()}
    assert any("delegated budget" in str(w) for w in whats)
    assert "ring-fenced grant" in str(edge(graph, "phe", "local_authority", "funds")["what"])


def test_edges_respect_org_existence() -> None:
    early = structure_graph(2005, "all")
    assert "ccg" not in early
    assert "pct" in early
    assert nx.has_path(structure_graph(2005, "funding"), "dh", "nhs_trust")
    assert "delegates" not in {d["kind"] for *_, d in structure_graph(2014).edges(data=True)}
    assert "delegates" in {d["kind"] for *_, d in structure_graph(2016).edges(data=True)}


def test_all_edge_kinds_present_2016() -> None:
    kinds = {d["kind"] for *_, d in structure_graph(2016, "all").edges(data=True)}
    assert kinds == {"accountable_to", "funds", "regulates", "hosts", "delegates", "member_of"}


def test_icb_graph_2023_beyond_research() -> None:
    graph = structure_graph(2023, "accountability")
    assert graph.nodes["icb"]["beyond_research"] is True
    assert edge(graph, "icb", "nhs_england", "accountable_to")["beyond_research"] is True


def test_answers_to_ccg_2016() -> None:
    links = answers_to("CCG", 2016)
    first = links[0]
    assert (first.depth, first.to_org, first.strength) == (1, "nhs_england", "strong")
    chain = [(link.from_org, link.to_org) for link in links]
    assert ("nhs_england", "secretary_of_state") in chain
    assert ("secretary_of_state", "parliament") in chain
    depths = [link.depth for link in links]
    assert depths == sorted(depths)


def test_answers_to_pct_2008_via_sha() -> None:
    chain = [(link.from_org, link.to_org) for link in answers_to("PCT", 2008)]
    assert chain[:3] == [("pct", "sha"), ("sha", "dh"), ("dh", "secretary_of_state")]


def test_answers_to_errors() -> None:
    with pytest.raises(ConfigError, match="did not exist in 2005/06"):
        answers_to("CCG", 2005)
    with pytest.raises(ConfigError, match="unknown organisation type"):
        answers_to("Ministry of Magic", 2016)
    with pytest.raises(ConfigError, match="unknown graph kind"):
        structure_graph(2016, "money")


def test_dot_and_json_deterministic() -> None:
    first = structure_graph(2016)
    second = structure_graph("2016/17")
    assert graph_to_dot(first) == graph_to_dot(second)
    assert json.dumps(graph_to_dict(first)) == json.dumps(graph_to_dict(second))
    dot = graph_to_dot(first)
    assert dot.startswith('digraph "quasimarket 2016/17"')
    assert '"ccg" -> "nhs_england" [label="accountable_to (strong)"' in dot
    assert layout(first) == layout(second)


def test_write_graph_formats(tmp_path: Path) -> None:
    graph = structure_graph(2016, "funding")
    png = write_graph(graph, tmp_path / "g.png")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(write_graph(graph, tmp_path / "g.json").read_text())
    assert {e["kind"] for e in data["edges"]} == {"funds"}
    assert write_graph(graph, tmp_path / "g.dot").read_text().startswith("digraph")
    with pytest.raises(ConfigError, match="suffix"):
        write_graph(graph, tmp_path / "g.svgz")
    written = ["g.dot", "g.json", "g.png"]  # each with its output marker beside it
    markers = [f".{name}.quasimarket-output.json" for name in written]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(written + markers)


_REL = """
[[relation]]
kind = "accountable_to"
from_org = "ccg"
to_org = "nhs_england"
start = 2013
strength = "strong"
sanctions = "annual assessment"
source = "002@341804"
quote = "backed by sanctions and subject to annual assessment"
"""


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (('strength = "strong"', 'strength = "mighty"'), "relation.0.strength"),
        (('strength = "strong"\n', ""), "needs strength and sanctions"),
        (('kind = "accountable_to"', 'kind = "funds"'), "apply only to accountable_to"),
        (('kind = "accountable_to"', 'kind = "owns"'), "relation.0.kind"),
    ],
)
def test_malformed_relations_reported(change: tuple[str, str], expected: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_model(_REL.replace(*change), RelationsFile, file="rel.toml", what="relations file")
    assert expected in caught.value.render()
