"""Errors that bad input gets: one clear message saying where, what was expected and how to fix it.

Every error a user can cause by giving quasimarket a bad file or option is a
:class:`QuasimarketError`. The CLI turns it into a short message on stderr and exit code 2,
with no traceback. Code that finds a problem raises the most specific subclass and fills in
as many of *file*, *location*, *expected* and *fix* as it knows.
"""

from __future__ import annotations

import difflib
import errno
import os
import re
import types
import typing
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "ConfigError",
    "InputError",
    "QuasimarketError",
    "RunError",
    "from_os_error",
    "from_validation_error",
    "summarise_items",
    "user_path",
]


class QuasimarketError(Exception):
    """A problem the user can fix, reported as one message.

    Args:
        problem: What is wrong, in one sentence.
        file: The file the problem is in, if any.
        location: Where in the file: a column, a row number, a field path or ``line 3, column 7``.
        expected: What quasimarket expected to find there.
        fix: How to fix it.
    """

    exit_code = 2

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        location: str | None = None,
        expected: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.location = location
        self.expected = expected
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        """The message as the CLI prints it: where and what, then expected, then fix."""
        where = ": ".join(part for part in (self.file, self.location) if part)
        lines = [f"{where}: {self.problem}" if where else self.problem]
        if self.expected:
            lines.append(f"  expected: {self.expected}")
        if self.fix:
            lines.append(f"  fix: {self.fix}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form, for ``--json`` output and the web API."""
        return {
            "error": type(self).__name__,
            "problem": self.problem,
            "file": self.file,
            "location": self.location,
            "expected": self.expected,
            "fix": self.fix,
        }


class InputError(QuasimarketError):
    """A data file (activity, tariff, population, lookup) is malformed or inconsistent."""


class ConfigError(QuasimarketError):
    """A contract, scenario or option is invalid."""


class RunError(QuasimarketError):
    """A run cannot start or finish (too large for memory, unreachable scheduler, interrupted)."""


#: A hidden temporary sibling (:mod:`quasimarket.io.atomic`, the run store): ``.<name>.tmp-<hex>``,
#: ``.<name>.deleted-<hex>``, and duckdb's ``.wal`` beside a temporary catalog.
_TEMP_SIBLING = re.compile(r"^\.(?P<name>.*)\.(?:tmp|deleted)-[0-9a-f]{12}(?:\.wal)?$")


def user_path(path: str | os.PathLike[str] | bytes | int | None) -> str | None:
    """*path* as the user knows it: each hidden temporary sibling named as its target.

    ``out/.statement.csv.tmp-0123456789ab`` becomes ``out/statement.csv``; ``.`` and ``..``
    become the absolute folder. ``None`` (and a file descriptor number) stay ``None``.
    """
    if path is None or isinstance(path, int):
        return None
    parts = os.fsdecode(path).split(os.sep)
    matches = [_TEMP_SIBLING.match(part) for part in parts]
    text = os.sep.join(
        m.group("name") or "." if m else p for m, p in zip(matches, parts, strict=True)
    )
    if any(m and not m.group("name") for m in matches):
        text = os.path.normpath(text)  # "..tmp-<hex>", the sibling of ".", is the folder itself
    return os.path.abspath(text) if text in (".", "..") else text


# errno -> (problem naming {path}, problem when no path is known, fix).
_OS_ERRORS: dict[int, tuple[str, str, str]] = {
    errno.ENOSPC: (
        "no space left on device while writing {path}",
        "no space left on device while writing the output",
        "free some space on that disk, or write to another folder (--out / --store)",
    ),
    errno.EDQUOT: (
        "disk quota exceeded while writing {path}",
        "disk quota exceeded while writing the output",
        "free some space within your quota, or write to another folder (--out / --store)",
    ),
    errno.EACCES: (
        "permission denied for {path}",
        "permission denied",
        "check the permissions of the file and its folder (ls -ld), or use a folder you own",
    ),
    errno.EPERM: (
        "operation not permitted on {path}",
        "operation not permitted",
        "check the permissions of the file and its folder (ls -ld), or use a folder you own",
    ),
    errno.EROFS: (
        "read-only file system: cannot write {path}",
        "read-only file system: cannot write the output",
        "write to a folder on a writable disk (--out / --store)",
    ),
    errno.EBUSY: (
        "{path} is busy (in use by another program, or a mount point)",
        "a file or folder is busy (in use by another program, or a mount point)",
        "close the program using it, or choose another path (not the current folder or a "
        "mount point)",
    ),
    errno.ENOENT: (
        "no such file or folder: {path}",
        "no such file or folder",
        "check the path and name",
    ),
    errno.ENOTDIR: (
        "a part of the path is a file, not a folder: {path}",
        "a part of a path is a file, not a folder",
        "check the path; every part before the last must be a folder",
    ),
    errno.EISDIR: (
        "{path} is a folder, not a file",
        "a folder was given where a file is needed",
        "give the path of a file",
    ),
    errno.EEXIST: (
        "{path} already exists",
        "the output already exists",
        "choose another path",
    ),
    errno.ENOTEMPTY: (
        "folder {path} is not empty",
        "a folder is not empty",
        "choose another path",
    ),
    errno.ENAMETOOLONG: ("file name too long: {path}", "file name too long", "use a shorter path"),
    errno.EMFILE: (
        "too many open files (at {path})",
        "too many open files",
        "raise the limit (ulimit -n) or use fewer workers",
    ),
    errno.ENFILE: (
        "too many open files on this system (at {path})",
        "too many open files on this system",
        "close other programs and retry",
    ),
    errno.EIO: (
        "input/output error on {path}",
        "input/output error",
        "check the disk or network share, then try again",
    ),
    errno.EXDEV: (
        "cannot move {path} across disks",
        "cannot move a file across disks",
        "write the output on the same disk as its folder",
    ),
    errno.EPIPE: (
        "the output pipe was closed while writing {path}",
        "the output pipe was closed",
        "read the whole output, or write it to a file",
    ),
}


def from_os_error(
    error: OSError, *, target: str | os.PathLike[str] | None = None
) -> QuasimarketError:
    """An operating-system error as one message in plain words, with a fix.

    The path named is the user's (:func:`user_path`), not a hidden temporary sibling.
    *target* is used when the error carries no file name (a full disk during ``write()``).
    """
    code = error.errno
    if code is None:  # pyarrow and others put the strerror text in the message only
        text = str(error)
        code = next((known for known in _OS_ERRORS if os.strerror(known) in text), None)
    path = user_path(error.filename) or user_path(target)
    other = user_path(error.filename2)
    if other and (path is None or os.path.abspath(other) != os.path.abspath(path)):
        path = f"{path} -> {other}" if path else other
    if code == errno.EBUSY and path is not None and os.path.abspath(path) == os.getcwd():
        return QuasimarketError(
            f"cannot replace the current folder ({path}) with the output",
            fix="give --out a new folder inside it, e.g. --out ./out",
        )
    if code in (errno.EEXIST, errno.ENOTDIR) and error.filename is not None:
        existing = user_path(error.filename) or ""
        while existing and not os.path.exists(existing) and os.path.dirname(existing) != existing:
            existing = os.path.dirname(existing)  # the part of the path that is in the way
        if existing and os.path.isfile(existing):  # mkdir where a file already is
            return QuasimarketError(
                f"cannot make a folder at {existing}: it is a file",
                fix="choose another --out / --store path; every part before the last must be "
                "a folder (the file is left as it is)",
            )
    if code in _OS_ERRORS:
        with_path, without_path, fix = _OS_ERRORS[code]
        return QuasimarketError(with_path.format(path=path) if path else without_path, fix=fix)
    reason = error.strerror or (
        error.args[0] if len(error.args) == 1 and isinstance(error.args[0], str) else ""
    )
    reason = (
        f"{reason[:1].lower()}{reason[1:]}" if reason else f"system error ({type(error).__name__})"
    )
    problem = reason + (f": {path}" if path else "")
    return QuasimarketError(problem, fix="check the path and the disk, then try again")


#: A bad value longer than this is shortened in messages (a 100,000-character code stays short).
MAX_SHOWN_CHARS = 80


def summarise_items(items: Iterable[object], *, first: int = 5) -> str:
    """``'A, B, C and 12 more'``: the first few bad values, then a count of the rest.

    Each value is cut to :data:`MAX_SHOWN_CHARS` characters, so one absurd value cannot make
    the message unreadable (or slow to print).
    """
    values = [_shorten(str(item)) for item in items]
    shown = ", ".join(values[:first])
    rest = len(values) - first
    return f"{shown} and {rest} more" if rest > 0 else shown


def _shorten(text: str) -> str:
    if len(text) <= MAX_SHOWN_CHARS:
        return text
    return f"{text[: MAX_SHOWN_CHARS - 3]}... ({len(text):,} characters)"


def from_validation_error(
    error: Any, *, file: str | Path | None = None, what: str = "file", model: Any = None
) -> ConfigError:
    """Turn a pydantic ``ValidationError`` into one :class:`ConfigError` naming every bad field.

    Unknown keys are reported with the hint to check the spelling against the documented
    format; other errors carry pydantic's own message, which says what was expected. A value
    outside a fixed set of choices (a ``Literal`` field or the tag of a discriminated union,
    e.g. ``currency = "spel"``) gets a did-you-mean suggestion in the fix; so does an unknown
    key when *model* (the pydantic model class that was validated) is given.
    """
    problems: list[str] = []
    fixes: list[str] = []
    for item in error.errors():
        loc = ".".join(str(part) for part in item.get("loc", ())) or "(top level)"
        kind = item.get("type", "")
        msg = item.get("msg", "invalid value")
        context = item.get("ctx") or {}
        if kind == "extra_forbidden":
            problems.append(f"{loc}: unknown key")
            parts = tuple(item.get("loc", ()))
            known = _keys_at(model, parts[:-1]) if model is not None and parts else []
            close = _close(str(parts[-1]) if parts else "", known)
            hint = f" (did you mean '{close}'?)" if close else ""
            fixes.append(f"remove or correct the spelling of '{loc}'{hint}")
        elif kind == "missing":
            problems.append(f"{loc}: required but missing")
            fixes.append(f"add '{loc}'")
        else:
            value = item.get("input")
            shown = "" if isinstance(value, dict | list) else f" (got {value!r})"
            problems.append(f"{loc}: {msg}{shown}")
            if kind in ("literal_error", "union_tag_invalid"):
                given = value if kind == "literal_error" else context.get("tag")
                listed = str(context.get("expected") or context.get("expected_tags") or "")
                close = _close(given, re.findall(r"'((?:[^'\\]|\\.)*)'", listed))
                fixes.append(
                    f"did you mean '{close}' for {loc}?"
                    if close
                    else f"use one of the values listed for {loc}"
                )
            elif isinstance(context.get("fix"), str) and context["fix"]:
                fixes.append(context["fix"])
    count = len(problems)
    head = f"{count} problem{'s' if count != 1 else ''} in the {what}"
    return ConfigError(
        head + ":\n    " + "\n    ".join(problems),
        file=file,
        fix="; ".join(dict.fromkeys(fixes)) or "correct the fields listed above",
    )


def _close(value: object, choices: list[str]) -> str | None:
    """The closest of *choices* to *value* (difflib), or None."""
    if not isinstance(value, str) or not choices:
        return None
    close = difflib.get_close_matches(value, choices, n=1, cutoff=0.6)
    return close[0] if close else None


def _keys_at(model: Any, loc: tuple[Any, ...]) -> list[str]:
    """The field names of the pydantic model found at *loc* below *model* (best effort).

    Follows model fields, ``dict`` values (a key in *loc*), ``list``/``tuple`` items (an
    index), ``Optional`` and discriminated unions (the tag pydantic puts in *loc*).
    """
    annotation: Any = model
    for part in loc:
        annotation = _step(annotation, part)
        if annotation is None:
            return []
    annotation = _step(annotation, None)
    fields = getattr(annotation, "model_fields", None)
    return list(fields) if isinstance(fields, dict) else []


def _step(annotation: Any, part: Any) -> Any:
    """One level down from *annotation* along *part* (``None``: only unwrap)."""
    for _ in range(20):  # unwrap Annotated / Optional / unions until a step is taken
        origin = typing.get_origin(annotation)
        args = typing.get_args(annotation)
        if origin is typing.Annotated:
            annotation = args[0]
            continue
        if origin in (typing.Union, types.UnionType):
            members = [a for a in args if a is not type(None)]
            tagged = [m for m in members if part is not None and part in _tags_of(m)]
            if tagged:
                return _strip(tagged[0])
            if len(members) == 1:
                annotation = members[0]
                continue
            return None
        if part is None:
            return annotation
        if origin is dict and len(args) == 2:
            return args[1]
        if origin in (list, tuple) and args and isinstance(part, int):
            return args[0]
        fields = getattr(annotation, "model_fields", None)
        if isinstance(fields, dict) and isinstance(part, str) and part in fields:
            return fields[part].annotation
        return None
    return None


def _strip(annotation: Any) -> Any:
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    return annotation


def _tags_of(member: Any) -> tuple[str, ...]:
    """The discriminator tags a union member can carry: its ``Tag`` annotation, else the
    values of its ``Literal`` string fields."""
    if typing.get_origin(member) is typing.Annotated:
        for meta in typing.get_args(member)[1:]:
            tag = getattr(meta, "tag", None)
            if isinstance(tag, str):
                return (tag,)
    fields = getattr(_strip(member), "model_fields", None)
    tags: list[str] = []
    if isinstance(fields, dict):
        for info in fields.values():
            if typing.get_origin(info.annotation) is typing.Literal:
                tags += [v for v in typing.get_args(info.annotation) if isinstance(v, str)]
    return tuple(tags)
