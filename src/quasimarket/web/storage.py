"""Per-user folders and checked paths: no path from a request reaches the filesystem unchecked.

Layout of the data folder::

    <data>/secret_key                      session-signing key (0600)
    <data>/users.toml                      users file (argon2 hashes)
    <data>/jobs/<job id>.json              background jobs, with their owner
    <data>/users/<user>/runs/              the user's run store (quasimarket.runs.RunStore)
    <data>/users/<user>/pricings/<id>/     contract.toml, activity.parquet, options.json,
                                           statement.csv, records.parquet, totals.json

Every identifier taken from a request is matched against a strict pattern before it is
joined to a path, and the joined path must still lie inside the user's folder; anything else
is a 404. Per-user run stores make one user's runs unreachable from another's session.
"""

from __future__ import annotations

import re
import secrets
from pathlib import Path

from quasimarket.web.auth import USER_NAME

__all__ = ["RUN_ID", "TOKEN_ID", "NotFoundError", "Workspace", "new_id", "safe_join"]

#: Server-made identifiers (pricings, jobs): 16 lower-case hex digits.
TOKEN_ID = re.compile(r"^[0-9a-f]{16}$")
#: Run ids written by quasimarket.runs.RunStore.
RUN_ID = re.compile(r"^(stress|simulation)-\d{8}T\d{6}-[0-9a-f]{6}$")


class NotFoundError(Exception):
    """The identifier is malformed, outside the user's folder or does not exist (HTTP 404)."""


def new_id() -> str:
    """A fresh 16-hex-digit identifier."""
    return secrets.token_hex(8)


def safe_join(base: Path, *parts: str) -> Path:
    """*base* / *parts*, refusing anything that resolves outside *base*.

    Raises:
        NotFoundError: a part is empty, absolute, contains a separator or ``..``, or the result
            escapes *base*.
    """
    for part in parts:
        if not part or part in (".", "..") or "/" in part or "\\" in part or "\x00" in part:
            raise NotFoundError(part)
    root = base.resolve()
    target = root.joinpath(*parts).resolve()
    if not target.is_relative_to(root):
        raise NotFoundError("/".join(parts))
    return target


def check_id(value: str, pattern: re.Pattern[str]) -> str:
    """*value* if it matches *pattern*.

    Raises:
        NotFoundError: it does not.
    """
    if not pattern.fullmatch(value):
        raise NotFoundError(value)
    return value


class Workspace:
    """One user's folders inside the data folder.

    Args:
        data_dir: The server's data folder.
        user: The user name (checked against :data:`quasimarket.web.auth.USER_NAME`).
    """

    def __init__(self, data_dir: Path, user: str) -> None:
        if not USER_NAME.fullmatch(user):
            raise NotFoundError(user)
        self.user = user
        self.root = safe_join(data_dir, "users", user)

    @property
    def runs(self) -> Path:
        """The user's run store folder."""
        return self.root / "runs"

    @property
    def pricings(self) -> Path:
        """The folder of the user's pricings."""
        return self.root / "pricings"

    def pricing(self, pricing_id: str) -> Path:
        """The folder of one pricing (which must exist).

        Raises:
            NotFoundError: malformed id or no such pricing for this user.
        """
        path = safe_join(self.pricings, check_id(pricing_id, TOKEN_ID))
        if not (path / "totals.json").is_file():
            raise NotFoundError(pricing_id)
        return path
