"""Outputs never clobber: the one check every command makes before it writes a file or folder.

A command may write to a new path, or into an empty folder. Anything else that exists is
refused unless the user says ``--force``, and even then it is replaced only when it is the
command's own earlier output, unchanged since: never a file the command did not write, never
one the user has edited since, and never one of the command's own inputs.

How quasimarket knows an output is its own: every output carries a *marker*, a small JSON file
(format ``quasimarket.output/1``) naming the command that wrote it, when, with which version,
and the SHA-256 of every file it wrote:

* an output **folder** holds its marker inside, as ``.quasimarket-output.json``; the folder may
  be replaced only if every file in it is listed there with an unchanged hash;
* an output **file** ``NAME`` has its marker beside it, as the hidden sidecar
  ``.NAME.quasimarket-output.json``; the file may be replaced only if its hash is the one
  recorded there. A sidecar works for every format (CSV has nowhere to carry a header), and the
  hash means a file edited since (a contract template filled in) counts as the user's own.

Writing stays atomic (:mod:`quasimarket.io.atomic`): the complete new output, or the old one
untouched. A folder's marker is written inside the temporary folder before it is swapped in; a
file's sidecar is written just after the file, so a crash in between leaves a file whose hash
does not match, which the next ``--force`` refuses rather than replaces.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Literal, TypeAlias

from quasimarket.errors import InputError, summarise_items
from quasimarket.io.atomic import atomic_dir, atomic_write_bytes, atomic_write_text

__all__ = [
    "MARKER_FORMAT",
    "MARKER_NAME",
    "Inputs",
    "OutputKind",
    "marker_path",
    "output_folder",
    "prepare_output",
    "write_marker",
    "write_output_file",
]

#: The marker file inside an output folder.
MARKER_NAME = ".quasimarket-output.json"
#: The ``format`` field of every marker.
MARKER_FORMAT = "quasimarket.output/1"

#: What a command writes at its ``--out`` path.
OutputKind = Literal["folder", "file"]

#: The files and folders a command reads, by a label for messages (``None``: not given).
Inputs: TypeAlias = Mapping[str, str | Path | None]


def marker_path(path: str | Path, kind: OutputKind) -> Path:
    """Where the marker of the output at *path* lives: inside a folder, beside a file."""
    target = Path(path)
    if kind == "folder":
        return target / MARKER_NAME
    return target.parent / f".{target.name}{MARKER_NAME}"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _named(command: str) -> str:
    return f"'quasimarket {command}'"


def _resolved(path: Path) -> Path:
    return Path(os.path.abspath(path)).resolve()


def _same(a: Path, b: Path) -> bool:
    """*a* and *b* are the same file or folder (symbolic and hard links included)."""
    if _resolved(a) == _resolved(b):
        return True
    try:
        return a.exists() and b.exists() and os.path.samefile(a, b)
    except OSError:
        return False


def _inside(inner: Path, outer: Path) -> bool:
    """*inner* lies somewhere below the folder *outer*."""
    return _resolved(outer) in _resolved(inner).parents


def _check_inputs(target: Path, kind: OutputKind, inputs: Inputs, option: str) -> None:
    """Refuse an output that is, lies in, or (for a folder) holds one of the inputs."""
    fix = f"choose an {option} path outside the command's inputs"
    for label, value in inputs.items():
        if value is None:
            continue
        source = Path(value)
        if _same(target, source):
            raise InputError(
                f"{option} is the {label} input this command reads: refusing to write over it",
                file=target,
                location=option,
                expected="an output path that is not one of the inputs",
                fix=fix,
            )
        # an input not there yet (a run store made on first write) may become a folder
        if not source.is_file() and _inside(target, source):
            raise InputError(
                f"{option} is inside the {label} input folder {source}: refusing to write there",
                file=target,
                location=option,
                expected="an output path outside the input folders",
                fix=fix,
            )
        if kind == "folder" and _inside(source, target):
            raise InputError(
                f"the {label} input {source} is inside {option}: replacing the folder would "
                "delete it",
                file=target,
                location=option,
                expected="an output folder that holds none of the inputs",
                fix=fix,
            )


def _read_marker(path: Path) -> dict[str, Any] | None:
    """The marker at *path*, or None when it is missing or not a marker."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None
    if not isinstance(data, dict) or data.get("format") != MARKER_FORMAT:
        return None
    if not isinstance(data.get("command"), str) or not isinstance(data.get("files"), dict):
        return None
    return data


def _folder_entries(folder: Path) -> tuple[list[str], list[str]]:
    """``(files, foreign)``: relative paths of the regular files below *folder* (not the
    marker), and of what can never be an output of ours (symbolic links, other odd entries)."""
    files: list[str] = []
    odd: list[str] = []
    for root, dirs, names in os.walk(folder):
        base = Path(root)
        for name in sorted(dirs):
            if (base / name).is_symlink():
                odd.append((base / name).relative_to(folder).as_posix())
        for name in sorted(names):
            path = base / name
            rel = path.relative_to(folder).as_posix()
            if rel == MARKER_NAME:
                continue
            (files if path.is_file() and not path.is_symlink() else odd).append(rel)
    return files, odd


def _refuse_replacing(
    target: Path, kind: OutputKind, command: str, problem: str, fix: str, option: str
) -> InputError:
    what = "folder" if kind == "folder" else "file"
    return InputError(
        f"{problem}: refusing to replace it, even with --force",
        file=target,
        location=option,
        expected=f"a new {what}, or an earlier output of {_named(command)} left as it wrote it",
        fix=fix,
    )


def _check_folder(target: Path, command: str, force: bool, option: str) -> None:
    if not target.is_dir():
        raise InputError(
            f"{option} is a file, not a folder: refusing to replace it",
            file=target,
            location=option,
            expected="a new folder, an empty folder, or (with --force) a folder this command wrote",
            fix=f"give {option} a new folder path (it is created)",
        )
    if not any(target.iterdir()):
        return  # an empty folder holds nothing to lose
    files, odd = _folder_entries(target)
    marker = _read_marker(target / MARKER_NAME)
    if marker is None:
        listed = files + odd
        raise _refuse_replacing(
            target,
            "folder",
            command,
            f"the folder has no quasimarket output marker ({MARKER_NAME}), so its "
            f"{len(listed)} file(s) ({summarise_items(listed)}) may be yours",
            f"choose a new {option} folder, or move or delete the folder yourself if nothing in it "
            "is needed",
            option,
        )
    if marker["command"] != command:
        raise _refuse_replacing(
            target,
            "folder",
            command,
            f"the folder is an output of {_named(marker['command'])}, not of {_named(command)}",
            f"choose a new {option} folder",
            option,
        )
    ours: dict[str, Any] = marker["files"]
    foreign = odd + [name for name in files if name not in ours]
    changed = [name for name in files if name in ours and _sha256(target / name) != ours[name]]
    problems = []
    if foreign:
        problems.append(
            f"{len(foreign)} file(s) {_named(command)} did not write ({summarise_items(foreign)})"
        )
    if changed:
        problems.append(
            f"{len(changed)} file(s) changed since it wrote them ({summarise_items(changed)})"
        )
    if problems:
        raise _refuse_replacing(
            target,
            "folder",
            command,
            "the output folder holds " + " and ".join(problems),
            f"move those files out of the folder, or choose a new {option} folder",
            option,
        )
    if not force:
        raise InputError(
            f"the output folder already holds an earlier output of {_named(command)}",
            file=target,
            location=option,
            expected="a new or empty folder",
            fix=f"add --force to replace it, or choose a new {option} folder",
        )


def _check_file(target: Path, command: str, force: bool, option: str) -> None:
    if target.is_dir():
        raise InputError(
            f"{option} is a folder, not a file: refusing to replace it",
            file=target,
            location=option,
            expected="a file path",
            fix=f"give {option} a file name (a new one, or one this command wrote, with --force)",
        )
    sidecar = marker_path(target, "file")
    if sidecar.is_dir() or sidecar.is_symlink():
        raise InputError(
            f"the marker path {sidecar.name} beside {option} is not a file quasimarket wrote",
            file=target,
            location=option,
            expected=f"no {sidecar.name}, or the marker quasimarket wrote there",
            fix=f"choose another {option} file name",
        )
    if not target.exists():
        return
    marker = _read_marker(sidecar)
    if marker is None or target.name not in marker["files"]:
        raise _refuse_replacing(
            target,
            "file",
            command,
            f"the file has no quasimarket output marker ({sidecar.name} beside it), so it "
            "may be yours",
            f"choose another {option} file, or move or delete the file yourself if it is not "
            "needed",
            option,
        )
    if marker["command"] != command:
        raise _refuse_replacing(
            target,
            "file",
            command,
            f"the file is an output of {_named(marker['command'])}, not of {_named(command)}",
            f"choose another {option} file",
            option,
        )
    if _sha256(target) != marker["files"][target.name]:
        raise _refuse_replacing(
            target,
            "file",
            command,
            f"the file has changed since {_named(command)} wrote it, so it is yours now",
            f"choose another {option} file, or move the file away (or delete it) first",
            option,
        )
    if not force:
        raise InputError(
            f"the output file already exists (an earlier output of {_named(command)})",
            file=target,
            location=option,
            expected="a new file",
            fix=f"add --force to replace it, or choose another {option} file",
        )


def prepare_output(
    path: str | Path,
    *,
    command: str,
    kind: OutputKind = "folder",
    force: bool = False,
    inputs: Inputs | None = None,
    option: str = "--out",
) -> Path:
    """Check that *command* may write its output at *path*; return the path.

    Call it before any expensive work, and again (the writers here do) just before writing.

    Args:
        path: The ``--out`` path.
        command: The command writing it, as typed after ``quasimarket`` (``"price"``,
            ``"economy build"``); recorded in the marker and named in messages.
        kind: ``"folder"`` or ``"file"``.
        force: Allow replacing an earlier output of *command* (``--force``).
        inputs: The files and folders the command reads, by a label for messages (``None``
            values are skipped). The output may not be one of them, lie inside an input folder,
            or (a folder) contain one.
        option: The command-line option giving *path*, for messages (``"--plots"``).

    Raises:
        InputError: the path is taken (see the module docstring for what may be replaced).
    """
    target = Path(path)
    _check_inputs(target, kind, inputs or {}, option)
    if target.is_symlink():
        raise InputError(
            f"{option} is a symbolic link: refusing to replace it",
            file=target,
            location=option,
            expected="a real path, not a link",
            fix=f"give the path the link points to ({os.path.realpath(target)}) or a new one",
        )
    if kind == "folder":
        if target.exists():
            _check_folder(target, command, force, option)
    else:
        _check_file(target, command, force, option)
    return target


def _marker_text(command: str, files: Mapping[str, str]) -> str:
    from quasimarket import __version__

    marker = {
        "format": MARKER_FORMAT,
        "command": command,
        "written_at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "quasimarket_version": __version__,
        "files": dict(sorted(files.items())),
    }
    return json.dumps(marker, indent=2, ensure_ascii=False) + "\n"


def write_marker(path: str | Path, *, command: str, kind: OutputKind = "folder") -> Path:
    """Record that *command* wrote the output at *path* (every file in a folder, or one file)
    with the SHA-256 of each; return the marker's path."""
    target = Path(path)
    if kind == "folder":
        files, _ = _folder_entries(target)
        hashes = {name: _sha256(target / name) for name in files}
    else:
        hashes = {target.name: _sha256(target)}
    return atomic_write_text(marker_path(target, kind), _marker_text(command, hashes))


@contextlib.contextmanager
def output_folder(
    path: str | Path,
    *,
    command: str,
    force: bool = False,
    inputs: Inputs | None = None,
    option: str = "--out",
) -> Iterator[Path]:
    """Check *path* (:func:`prepare_output`), then build the folder atomically with its marker.

    Yields the temporary folder to write into; on success the marker is added and the folder
    swapped into place whole (an earlier output there is replaced), on error nothing changes.
    """
    target = prepare_output(
        path, command=command, kind="folder", force=force, inputs=inputs, option=option
    )
    with atomic_dir(target) as tmp:
        yield tmp
        write_marker(tmp, command=command, kind="folder")


def write_output_file(
    path: str | Path,
    data: bytes | str,
    *,
    command: str,
    force: bool = False,
    inputs: Inputs | None = None,
    option: str = "--out",
) -> Path:
    """Check *path* (:func:`prepare_output`), write *data* (``str`` as UTF-8) atomically and
    the marker beside it; return the path."""
    target = prepare_output(
        path, command=command, kind="file", force=force, inputs=inputs, option=option
    )
    payload = data.encode("utf-8") if isinstance(data, str) else data
    atomic_write_bytes(target, payload)
    digest = hashlib.sha256(payload).hexdigest()
    atomic_write_text(marker_path(target, "file"), _marker_text(command, {target.name: digest}))
    return target
