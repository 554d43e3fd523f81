"""``quasimarket.io.outputs``: what a command may write over, and the markers that say so."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from quasimarket.errors import InputError
from quasimarket.io import (
    MARKER_FORMAT,
    MARKER_NAME,
    marker_path,
    output_folder,
    prepare_output,
    write_marker,
    write_output_file,
)

pytestmark = pytest.mark.unit


def _tree(folder: Path) -> dict[str, str]:
    """Every file below *folder* (hidden ones too) with its SHA-256."""
    return {
        path.relative_to(folder).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def _refused(*args: object, **kwargs: object) -> InputError:
    with pytest.raises(InputError) as info:
        prepare_output(*args, **kwargs)  # type: ignore[arg-type]
    error = info.value
    assert error.location == "--out"
    assert error.fix
    return error


def _folder_output(path: Path, command: str = "price", **files: str) -> Path:
    with output_folder(path, command=command, force=True) as tmp:
        for name, text in (files or {"a.csv": "x\n1\n"}).items():
            (tmp / name).parent.mkdir(parents=True, exist_ok=True)
            (tmp / name).write_text(text, encoding="utf-8")
    return path


# -- folders -------------------------------------------------------------------------------------
def test_new_and_empty_folders_are_free(tmp_path: Path) -> None:
    assert prepare_output(tmp_path / "new", command="price") == tmp_path / "new"
    (tmp_path / "empty").mkdir()
    assert prepare_output(tmp_path / "empty", command="price") == tmp_path / "empty"


def test_output_folder_writes_a_marker_listing_every_file(tmp_path: Path) -> None:
    out = _folder_output(tmp_path / "out", **{"a.csv": "1", "sub/b.json": "{}"})
    marker = json.loads((out / MARKER_NAME).read_text(encoding="utf-8"))
    assert marker["format"] == MARKER_FORMAT
    assert marker["command"] == "price"
    assert marker["written_at"].endswith("+00:00")
    assert marker["quasimarket_version"]
    assert marker["files"] == {
        "a.csv": hashlib.sha256(b"1").hexdigest(),
        "sub/b.json": hashlib.sha256(b"{}").hexdigest(),
    }
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]  # no temporary folder left


def test_an_earlier_output_needs_force(tmp_path: Path) -> None:
    out = _folder_output(tmp_path / "out")
    error = _refused(out, command="price")
    assert "already holds an earlier output of 'quasimarket price'" in error.problem
    assert "add --force" in str(error.fix)
    assert prepare_output(out, command="price", force=True) == out


@pytest.mark.parametrize("force", [False, True])
def test_foreign_files_are_named_with_or_without_force(tmp_path: Path, force: bool) -> None:
    """Without --force the message already says --force would not help."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work", encoding="utf-8")
    error = _refused(mine, command="price", force=force)
    assert "thesis.docx" in error.problem
    assert "refusing to replace it, even with --force" in error.problem


def test_force_replaces_only_the_commands_own_unchanged_output(tmp_path: Path) -> None:
    out = _folder_output(tmp_path / "out", **{"a.csv": "old"})
    _folder_output(out, **{"b.csv": "new"})
    assert sorted(_tree(out)) == [MARKER_NAME, "b.csv"]  # replaced whole


def test_force_refuses_a_folder_without_marker(tmp_path: Path) -> None:
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work", encoding="utf-8")
    error = _refused(mine, command="price", force=True)
    assert "no quasimarket output marker" in error.problem
    assert "thesis.docx" in error.problem
    assert "even with --force" in error.problem


def test_force_refuses_foreign_and_changed_files_and_names_them(tmp_path: Path) -> None:
    out = _folder_output(tmp_path / "out", **{"a.csv": "1", "b.csv": "2"})
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    (out / "b.csv").write_text("edited", encoding="utf-8")
    error = _refused(out, command="price", force=True)
    assert "notes.txt" in error.problem
    assert "did not write" in error.problem
    assert "b.csv" in error.problem
    assert "changed since" in error.problem
    assert "a.csv" not in error.problem


def test_force_refuses_a_foreign_subfolder_and_a_symlink(tmp_path: Path) -> None:
    out = _folder_output(tmp_path / "out")
    (out / "extra").mkdir()
    (out / "extra" / "x.txt").write_text("mine", encoding="utf-8")
    assert "extra/x.txt" in _refused(out, command="price", force=True).problem
    out2 = _folder_output(tmp_path / "out2")
    os.symlink(tmp_path / "out", out2 / "link")
    assert "link" in _refused(out2, command="price", force=True).problem


def test_a_missing_own_file_does_not_block_force(tmp_path: Path) -> None:
    out = _folder_output(tmp_path / "out", **{"a.csv": "1", "b.csv": "2"})
    (out / "b.csv").unlink()
    assert prepare_output(out, command="price", force=True) == out


def test_force_refuses_another_commands_output(tmp_path: Path) -> None:
    out = _folder_output(tmp_path / "out", command="economy build")
    error = _refused(out, command="price", force=True)
    assert "'quasimarket economy build', not of 'quasimarket price'" in error.problem


def test_unreadable_marker_counts_as_no_marker(tmp_path: Path) -> None:
    out = _folder_output(tmp_path / "out")
    (out / MARKER_NAME).write_text("{not json", encoding="utf-8")
    assert "no quasimarket output marker" in _refused(out, command="price", force=True).problem


def test_folder_output_onto_a_file_is_refused_even_with_force(tmp_path: Path) -> None:
    file = tmp_path / "f.csv"
    file.write_text("1", encoding="utf-8")
    assert "is a file, not a folder" in _refused(file, command="price", force=True).problem


def test_a_failed_write_leaves_the_old_output_untouched(tmp_path: Path) -> None:
    out = _folder_output(tmp_path / "out", **{"a.csv": "old"})
    before = _tree(out)

    def interrupted() -> None:
        with output_folder(out, command="price", force=True) as tmp:
            (tmp / "a.csv").write_text("half", encoding="utf-8")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        interrupted()
    assert _tree(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


# -- files ---------------------------------------------------------------------------------------
def test_output_file_has_a_sidecar_marker(tmp_path: Path) -> None:
    target = write_output_file(tmp_path / "g.csv", "a\n1\n", command="activity generate")
    sidecar = marker_path(target, "file")
    assert sidecar == tmp_path / ".g.csv.quasimarket-output.json"
    marker = json.loads(sidecar.read_text(encoding="utf-8"))
    assert marker["command"] == "activity generate"
    assert marker["files"] == {"g.csv": hashlib.sha256(b"a\n1\n").hexdigest()}


def test_existing_file_needs_force_and_is_replaced_when_unchanged(tmp_path: Path) -> None:
    target = write_output_file(tmp_path / "g.csv", "one", command="activity generate")
    error = _refused(target, command="activity generate", kind="file")
    assert "already exists (an earlier output of 'quasimarket activity generate')" in error.problem
    assert "add --force" in str(error.fix)
    write_output_file(target, "two", command="activity generate", force=True)
    assert target.read_text(encoding="utf-8") == "two"


@pytest.mark.parametrize("case", ["no marker", "edited", "other command", "empty file"])
def test_force_never_replaces_a_file_that_is_not_ours(tmp_path: Path, case: str) -> None:
    target = tmp_path / "g.toml"
    if case == "no marker":
        target.write_text("mine", encoding="utf-8")
    elif case == "empty file":
        target.touch()
    else:
        command = "structure graph" if case == "other command" else "contract new"
        write_output_file(target, "template", command=command)
        if case == "edited":
            target.write_text("template, filled in", encoding="utf-8")
    before = target.read_bytes()
    with pytest.raises(InputError) as info:
        write_output_file(target, "new", command="contract new", force=True)
    assert "even with --force" in info.value.problem
    assert target.read_bytes() == before


def test_file_output_onto_a_folder_is_refused(tmp_path: Path) -> None:
    assert "is a folder, not a file" in _refused(tmp_path, command="report", kind="file").problem


def test_symbolic_link_outputs_are_refused(tmp_path: Path) -> None:
    real = write_output_file(tmp_path / "r.html", "x", command="report")
    link = tmp_path / "l.html"
    link.symlink_to(real)
    assert "symbolic link" in _refused(link, command="report", kind="file", force=True).problem


def test_write_marker_records_a_file(tmp_path: Path) -> None:
    target = tmp_path / "x.png"
    target.write_bytes(b"\x89PNG")
    write_marker(target, command="structure graph", kind="file")
    assert prepare_output(target, command="structure graph", kind="file", force=True) == target


# -- inputs --------------------------------------------------------------------------------------
def test_output_equal_to_an_input_is_refused(tmp_path: Path) -> None:
    activity = tmp_path / "act.csv"
    activity.write_text("a\n", encoding="utf-8")
    for kind in ("folder", "file"):
        error = _refused(
            activity, command="price", kind=kind, force=True, inputs={"activity": activity}
        )
        assert "activity input" in error.problem
    link = tmp_path / "alias.csv"
    link.symlink_to(activity)
    error = _refused(link, command="x", kind="file", inputs={"activity": activity})
    assert "activity input" in error.problem


def test_output_inside_an_input_folder_is_refused(tmp_path: Path) -> None:
    tariff = tmp_path / "tariff"
    tariff.mkdir()
    error = _refused(tariff / "out", command="price", inputs={"--tariff": tariff, "none": None})
    assert "inside the --tariff input folder" in error.problem


def test_output_inside_an_input_folder_not_made_yet_is_refused(tmp_path: Path) -> None:
    """A run store is created on the first write, after the check."""
    error = _refused(
        tmp_path / "runs" / "plots", command="x", inputs={"run store": tmp_path / "runs"}
    )
    assert "inside the run store input folder" in error.problem


def test_output_folder_holding_an_input_is_refused(tmp_path: Path) -> None:
    out = _folder_output(tmp_path / "out")
    error = _refused(out, command="price", force=True, inputs={"activity": out / "a.csv"})
    assert "replacing the folder would delete it" in error.problem
