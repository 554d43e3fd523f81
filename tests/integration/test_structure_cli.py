"""The structure CLI commands: readable output, --json with sources, clean errors (exit 2)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration

Cli = Callable[..., tuple[int, str, str]]


def run_json(cli: Cli, *args: str) -> object:
    code, out, err = cli(*args, "--json")
    assert code == 0, err
    return json.loads(out)


def test_who_commissions_json(cli: Cli) -> None:
    data = run_json(cli, "who-commissions", "sexual health services", "--year", "2016")
    assert isinstance(data, dict)
    assert [b["id"] for b in data["bodies"]] == ["local_authority"]
    assert "002@64221" in data["source"]
    assert data["quote"]


def test_who_commissions_readable_shows_ambiguity(cli: Cli) -> None:
    code, out, _ = cli("who-commissions", "out of hours", "--year", "2014")
    assert code == 0
    assert "Ambiguity" in out
    assert "nhs_england" in out
    assert "002@54597" in out


def test_who_commissions_readable_levels(cli: Cli) -> None:
    code, out, _ = cli("who-commissions", "GP services", "--year", "2016/17")
    assert code == 0
    assert "Statutory responsibility: NHS England" in out
    assert "64 CCGs from April 2015, 115 by 2016/17" in out


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("who-commissions", "sexual helth", "--year", "2016"), "Sexual health services"),
        (("who-commissions", "A&E", "--year", "1989"), "outside the years"),
        (("who-commissions", "A&E", "--year", "twenty"), "not a financial year"),
        (("payment-rules", "--year", "2030/31"), "outside the years"),
        (("org-types", "--year", "1985"), "outside the years"),
        (("structure", "answers-to", "CCG", "--year", "2005"), "did not exist"),
        (("structure", "graph", "--year", "2016", "--kind", "money"), "unknown graph kind"),
        (("structure", "graph", "--year", "2016", "--format", "svg"), "unknown format"),
    ],
)
def test_errors_exit_2_without_traceback(cli: Cli, args: tuple[str, ...], needle: str) -> None:
    code, out, err = cli(*args)
    assert code == 2
    assert needle in err
    assert "Traceback" not in err + out
    assert "fix:" in err


def test_services_and_eras_json(cli: Cli) -> None:
    services = run_json(cli, "services")
    assert isinstance(services, list)
    assert len(services) >= 20
    assert len(run_json(cli, "services", "--year", "1993")) < len(services)  # type: ignore[arg-type]
    eras = run_json(cli, "eras")
    assert isinstance(eras, list)
    assert eras[0]["start"] == 1991
    assert eras[0]["source"]
    assert eras[-1]["beyond_research"] is True


def test_org_types_2005_and_2023(cli: Cli) -> None:
    found = {o["id"]: o for o in run_json(cli, "org-types", "--year", "2005")}  # type: ignore[union-attr]
    assert "pct" in found
    assert "ccg" not in found
    assert found["pct"]["source"]
    assert found["pct"]["quote"]
    later = {o["id"]: o for o in run_json(cli, "org-types", "--year", "2023")}  # type: ignore[union-attr]
    assert later["icb"]["beyond_research"] is True
    code, out, _ = cli("org-types", "--year", "2023")
    assert code == 0
    assert "beyond research" in out


def test_payment_rules_json(cli: Cli) -> None:
    data = run_json(cli, "payment-rules", "--year", "2016/17")
    assert isinstance(data, dict)
    assert data["year"] == "2016/17"
    assert data["rules"]["mret_rate"]["value"] == 0.7
    assert data["rules"]["mret_rate"]["status"] == "V"
    code, out, _ = cli("payment-rules", "--year", "2011")
    assert code == 0
    assert "activity_caps_allowed" in out
    assert "not in force" in out


def test_answers_to_json(cli: Cli) -> None:
    links = run_json(cli, "structure", "answers-to", "LA", "--year", "2016")
    assert isinstance(links, list)
    assert {(link["to"], link["strength"]) for link in links if link["depth"] == 1} == {
        ("phe", "formal"),
        ("public", "formal"),
    }


def test_graph_outputs(cli: Cli, tmp_path: Path) -> None:
    code, out, _ = cli(
        "structure", "graph", "--year", "2016", "--kind", "funding", "--format", "dot"
    )
    assert code == 0
    assert out.startswith("digraph")
    assert '"dh" -> "nhs_england"' in out
    data = run_json(cli, "structure", "graph", "--year", "2016", "--kind", "accountability")
    assert isinstance(data, dict)
    assert {e["kind"] for e in data["edges"]} == {"accountable_to"}
    target = tmp_path / "structure.png"
    code, out, _ = cli("structure", "graph", "--year", "2016", "--out", str(target))
    assert code == 0
    assert target.read_bytes()[:4] == b"\x89PNG"
    code, out, _ = cli("structure", "graph", "--year", "2016")
    assert code == 0
    assert "accountable_to (strong)" in out


def test_graph_bad_out_leaves_nothing(cli: Cli, tmp_path: Path) -> None:
    code, _, err = cli("structure", "graph", "--year", "2016", "--out", str(tmp_path / "g.svg"))
    assert code == 2
    assert "--out" in err
    assert "Traceback" not in err
    assert list(tmp_path.iterdir()) == []
