"""Outputs never clobber: every CLI command that writes a file or folder, end to end.

For each command: a fresh path is written (with its output marker); the user's own files and
folders are refused with and without ``--force`` (exit 2, one message, no traceback, before
any expensive work) and left byte-identical; the command's own earlier output is replaced
only with ``--force``, and not once a foreign file is added or its file edited; ``--out`` at
one of the command's inputs is refused. The rules themselves: ``quasimarket.io.outputs``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import pandas as pd
import pytest

from quasimarket.cli.main import main
from quasimarket.io import MARKER_NAME, marker_path
from quasimarket.runs import RunStore

pytestmark = pytest.mark.integration

Cli = Callable[..., tuple[int, str, str]]

CONTRACT = """
format = "quasimarket.contract/1"
name = "Acute 2016/17"
year = "2016/17"
[[commissioners]]
code = "QS01"
[[providers]]
code = "SR001"
[[lines]]
id = "el"
service = "Elective"
currency = "spell"
pods = ["day_case", "elective"]
mechanism = "national_tariff"
"""


@dataclass(frozen=True)
class Given:
    """Inputs made once for the module: a contract, its activity, a store with a stress run."""

    contract: Path
    activity: Path
    store: Path
    run_id: str


@pytest.fixture(scope="module")
def given(tmp_path_factory: pytest.TempPathFactory) -> Given:
    folder = tmp_path_factory.mktemp("given")
    contract = folder / "acute.toml"
    contract.write_text(CONTRACT, encoding="utf-8")
    activity = folder / "activity.csv"
    generate = ["activity", "generate", "--n", "200", "--contract", str(contract)]
    assert main([*generate, "--out", str(activity)]) == 0
    store = folder / "runs"
    stress = ["stress", "run", "--example", "acute-designs", "--draws", "400"]
    assert main([*stress, "--store", str(store), "--json"]) == 0
    (record,) = RunStore(store).list()
    return Given(contract, activity, store, record.run_id)


@dataclass(frozen=True)
class Writer:
    """One writing command: its arguments for an ``--out`` path, what it writes, and the
    function doing its expensive work (patched to fail, to prove the check comes first)."""

    id: str
    kind: Literal["folder", "file"]
    name: str
    argv: Callable[[Given, Path], list[str]]
    expensive: str

    def run(self, cli: Cli, given: Given, out: Path, *extra: str) -> tuple[int, str, str]:
        return cli(*self.argv(given, out), *extra)


GENERATE = ["activity", "generate", "--n", "50", "--year", "2016/17"]
STRESS = ["stress", "run", "--example", "acute-designs", "--draws", "400", "--json"]

WRITERS = [
    Writer(
        "price",
        "folder",
        "priced",
        lambda g, out: ["price", str(g.contract), str(g.activity), "--out", str(out)],
        "quasimarket.pricing.price",
    ),
    Writer(
        "activity-generate-parquet",
        "file",
        "generated.parquet",
        lambda g, out: [*GENERATE, "--out", str(out)],
        "quasimarket.activity.synthetic_activity",
    ),
    Writer(
        "activity-generate-xlsx",
        "file",
        "generated.xlsx",
        lambda g, out: [*GENERATE, "--out", str(out)],
        "quasimarket.activity.synthetic_activity",
    ),
    Writer(
        "economy-build",
        "folder",
        "econ",
        lambda g, out: ["economy", "build", "--small", "--out", str(out)],
        "quasimarket.economy.small_economy",
    ),
    Writer(
        "contract-new",
        "file",
        "template.toml",
        lambda g, out: ["contract", "new", "--mechanism", "block", "--out", str(out)],
        "quasimarket.cli.contract.contract_template",
    ),
    Writer(
        "structure-graph",
        "file",
        "graph.json",
        lambda g, out: ["structure", "graph", "--year", "2016", "--out", str(out)],
        "quasimarket.structure.structure_graph",
    ),
    Writer(
        "stress-run-plots",
        "folder",
        "plots",
        lambda g, out: [
            *STRESS,
            "--store",
            str(out.parent.parent / "stress-store"),
            "--plots",
            str(out),
        ],
        "quasimarket.stress.run.run_stress",
    ),
    Writer(
        "report",
        "file",
        "report.html",
        lambda g, out: ["report", g.run_id, "--store", str(g.store), "--out", str(out)],
        "quasimarket.stress.report.render_report",
    ),
]


def _tree(folder: Path) -> dict[str, str]:
    """Every file below *folder*, hidden ones included, with its SHA-256."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _refused(result: tuple[int, str, str], *needles: str) -> str:
    code, _out, err = result
    flat = " ".join(err.split())
    assert code == 2, err
    assert "Traceback" not in err
    assert err.startswith("error:")
    assert "--out" in flat or "--plots" in flat
    for needle in needles:
        assert needle in flat, (needle, flat)
    return flat


def _no_expensive_work(monkeypatch: pytest.MonkeyPatch, writer: Writer) -> None:
    def boom(*_args: object, **_kwargs: object) -> None:
        raise AssertionError(f"{writer.id}: expensive work started before the output check")

    monkeypatch.setattr(writer.expensive, boom)


def _marker(writer: Writer, out: Path) -> dict[str, object]:
    path = marker_path(out, writer.kind)
    marker: dict[str, object] = json.loads(path.read_text(encoding="utf-8"))
    return marker


@pytest.fixture
def area(tmp_path: Path) -> Path:
    folder = tmp_path / "area"
    folder.mkdir()
    return folder


ids = [w.id for w in WRITERS]


@pytest.mark.parametrize("writer", WRITERS, ids=ids)
def test_a_fresh_path_is_written_with_its_marker(
    writer: Writer, given: Given, cli: Cli, area: Path
) -> None:
    out = area / "new" / writer.name
    code, _, err = writer.run(cli, given, out)
    assert code == 0, err
    marker = _marker(writer, out)
    assert marker["format"] == "quasimarket.output/1"
    files = marker["files"]
    assert isinstance(files, dict)
    if writer.kind == "folder":
        assert out.is_dir()
        assert set(files) == set(_tree(out)) - {MARKER_NAME}
    else:
        assert out.is_file()
        assert list(files) == [out.name]
        # nothing but the file and its marker: no temporary files left behind
        assert sorted(p.name for p in out.parent.iterdir()) == sorted(
            [out.name, marker_path(out, "file").name]
        )


@pytest.mark.parametrize("force", [False, True], ids=["plain", "force"])
@pytest.mark.parametrize("writer", WRITERS, ids=ids)
def test_the_users_files_are_refused_and_untouched(
    writer: Writer,
    force: bool,
    given: Given,
    cli: Cli,
    area: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A non-empty folder of the user's (and for a file output, the user's own file at
    --out) is refused before any work, with and without --force, byte for byte untouched."""
    mine = area / writer.name
    if writer.kind == "folder":
        mine.mkdir()
        (mine / "thesis.docx").write_text("years of work", encoding="utf-8")
        (mine / "data").mkdir()
        (mine / "data" / "survey.csv").write_text("id,answer\n1,yes\n", encoding="utf-8")
    else:
        mine.write_bytes(b"my own file, not quasimarket's")
    folder = area / "folder"  # a folder of the user's where a file output was asked for
    folder.mkdir()
    (folder / "keep.txt").write_text("keep", encoding="utf-8")
    before = _tree(area)
    _no_expensive_work(monkeypatch, writer)
    extra = ("--force",) if force else ()

    flat = _refused(writer.run(cli, given, mine, *extra), "refusing to replace it")
    assert "even with --force" in flat
    if writer.kind == "folder":
        assert "thesis.docx" in flat
    if writer.kind == "file":
        _refused(writer.run(cli, given, folder, *extra), "is a folder, not a file")
    else:
        (area / "file.csv").write_text("1\n", encoding="utf-8")
        before = _tree(area)
        _refused(writer.run(cli, given, area / "file.csv", *extra), "is a file, not a folder")
    assert _tree(area) == before


@pytest.mark.parametrize("writer", WRITERS, ids=ids)
def test_its_own_output_is_replaced_only_with_force(
    writer: Writer, given: Given, cli: Cli, area: Path
) -> None:
    out = area / writer.name
    assert writer.run(cli, given, out)[0] == 0
    first = _tree(area)
    written_at = _marker(writer, out)["written_at"]

    _refused(writer.run(cli, given, out), "earlier output of", "add --force")
    assert _tree(area) == first

    code, _, err = writer.run(cli, given, out, "--force")
    assert code == 0, err
    assert set(_tree(area)) == set(first)  # the same files, rewritten whole
    assert _marker(writer, out)["written_at"] >= written_at  # type: ignore[operator]


@pytest.mark.parametrize("writer", WRITERS, ids=ids)
def test_its_own_output_changed_by_the_user_is_refused_with_force(
    writer: Writer, given: Given, cli: Cli, area: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file added to its folder, or its file edited, makes the output the user's."""
    out = area / writer.name
    assert writer.run(cli, given, out)[0] == 0
    if writer.kind == "folder":
        (out / "notes.txt").write_text("my notes", encoding="utf-8")
        needle = "notes.txt"
    else:
        out.write_bytes(out.read_bytes() + b"\n")
        needle = "changed since"
    before = _tree(area)
    _no_expensive_work(monkeypatch, writer)
    _refused(writer.run(cli, given, out, "--force"), needle, "even with --force")
    assert _tree(area) == before


# -- --out at an input ---------------------------------------------------------------------------
def _given_inputs(given: Given) -> dict[str, str]:
    return _tree(given.contract.parent)


@pytest.mark.parametrize("force", [(), ("--force",)], ids=["plain", "force"])
@pytest.mark.parametrize(
    ("case", "needle"),
    [
        ("price-out-activity", "is the activity input"),
        ("price-out-contract", "is the contract input"),
        ("price-out-inside-tariff", "inside the --tariff input folder"),
        ("price-out-holds-activity", "replacing the folder would delete it"),
        ("generate-out-contract", "is the --contract input"),
        ("economy-out-from", "is the --from input"),
        ("economy-out-inside-from", "inside the --from input folder"),
        ("plots-out-store", "is the run store input"),
        ("plots-out-scenario", "is the scenario input"),
        ("report-out-inside-store", "inside the run store input folder"),
    ],
)
def test_out_at_an_input_is_refused(
    case: str, needle: str, force: tuple[str, ...], given: Given, cli: Cli, tmp_path: Path
) -> None:
    c, a, store = str(given.contract), str(given.activity), str(given.store)
    tariff, e, r = tmp_path / "tariff", tmp_path / "tariff" / "econ", f"{given.store}/r.html"
    tariff.mkdir()
    (tariff / "apc.csv").write_text("hrg\n", encoding="utf-8")
    scenario = tmp_path / "s.toml"
    from quasimarket.stress.builtin import example_text

    scenario.write_text(example_text("acute-designs"), encoding="utf-8")
    argv = {
        "price-out-activity": ["price", c, a, "--out", a],
        "price-out-contract": ["price", c, a, "--out", c],
        "price-out-inside-tariff": ["price", c, a, "--tariff", str(tariff), "--out", f"{tariff}/o"],
        "price-out-holds-activity": ["price", c, a, "--out", str(given.activity.parent)],
        "generate-out-contract": ["activity", "generate", "--contract", c, "--out", c],
        "economy-out-from": ["economy", "build", "--from", str(tariff), "--out", str(tariff)],
        "economy-out-inside-from": ["economy", "build", "--from", f"{tariff}", "--out", f"{e}"],
        "plots-out-store": [*STRESS, "--store", store, "--plots", store],
        "plots-out-scenario": ["stress", "run", str(scenario), "--plots", str(scenario)],
        "report-out-inside-store": ["report", given.run_id, "--store", store, "--out", r],
    }[case]
    before = (_given_inputs(given), _tree(tmp_path))
    _refused(cli(*argv, *force), needle)
    assert (_given_inputs(given), _tree(tmp_path)) == before
    assert len(RunStore(given.store).list()) == 1  # no stress run was started


# -- the format follows the suffix ---------------------------------------------------------------
@pytest.mark.parametrize("suffix", [".parquet", ".csv", ".xlsx"])
def test_generated_activity_is_in_the_format_of_its_suffix(
    suffix: str, given: Given, cli: Cli, tmp_path: Path
) -> None:
    out = tmp_path / f"g{suffix.upper()}"  # the suffix is matched case-insensitively
    argv = ["activity", "generate", "--n", "30", "--contract", str(given.contract)]
    code, _, err = cli(*argv, "--out", str(out))
    assert code == 0, err
    magic = {".parquet": b"PAR1", ".xlsx": b"PK\x03\x04"}.get(suffix)  # xlsx: a zip
    if magic is not None:
        assert out.read_bytes()[:4] == magic
    frame = {".parquet": pd.read_parquet, ".csv": pd.read_csv, ".xlsx": pd.read_excel}[suffix](out)
    assert len(frame) == 30
    # and price reads it back
    code, text, err = cli("price", str(given.contract), str(out), "--json")
    assert code == 0, err
    assert json.loads(text)["records"] == 30


@pytest.mark.parametrize("name", ["g.txt", "g", "g.pq"])
def test_generate_refuses_an_unknown_suffix_before_any_work(
    name: str, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("quasimarket.activity.synthetic_activity", None)
    flat = _refused(
        cli("activity", "generate", "--year", "2016/17", "--out", str(tmp_path / name)),
        ".parquet, .csv or .xlsx",
    )
    assert "unknown file type" in flat
    assert list(tmp_path.iterdir()) == []


# -- atomic replacement --------------------------------------------------------------------------
def test_an_interrupted_replacement_leaves_the_old_output(
    given: Given, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "priced"
    argv = ["price", str(given.contract), str(given.activity), "--out", str(out)]
    assert cli(*argv)[0] == 0
    before = _tree(tmp_path)

    def interrupted(*_args: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("quasimarket.pricing.report.summary_payload", interrupted)
    code, _, err = cli(*argv, "--force")
    assert code == 130, err
    assert _tree(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["priced"]  # no temporary folder
