"""Users, hashed secrets, sessions and CSRF tokens.

The users file is TOML::

    [users.alice]
    password_hash = "$argon2id$v=19$..."   # from `quasimarket serve-user alice`

Passwords are only ever stored as argon2id hashes. A signed session cookie (HttpOnly,
SameSite=Strict, Secure off loopback) carries the user name and a CSRF token; every form
carries the token and every unsafe API call sends it in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import hmac
import re
import secrets
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from quasimarket.errors import ConfigError
from quasimarket.io import atomic_write_text

__all__ = [
    "LOCAL_USER",
    "USER_NAME",
    "Users",
    "add_user",
    "csrf_ok",
    "csrf_token",
    "hash_secret",
    "load_users",
]

#: The single user when authentication is off (loopback only).
LOCAL_USER = "local"
#: Allowed user names: they name folders, so nothing else gets through.
USER_NAME = re.compile(r"^[a-z][a-z0-9_-]{0,31}$")
_HASHER = PasswordHasher()
# A hash to verify against when the user is unknown, so timing does not reveal who exists.
_DUMMY = _HASHER.hash(secrets.token_hex(8))


def hash_secret(secret: str) -> str:
    """An argon2id hash of *secret* for the users file."""
    return _HASHER.hash(secret)


@dataclass(frozen=True)
class Users:
    """User name → argon2 hash. Empty means authentication is off."""

    hashes: dict[str, str]

    @property
    def enabled(self) -> bool:
        """Authentication is on."""
        return bool(self.hashes)

    def verify(self, name: str, secret: str) -> bool:
        """True when *secret* matches *name*'s hash (constant work for unknown users)."""
        stored = self.hashes.get(name)
        try:
            return _HASHER.verify(stored or _DUMMY, secret) and stored is not None
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            return False


def load_users(path: Path) -> Users:
    """Read the users file (absent means no users).

    Raises:
        ConfigError: unreadable TOML, a bad user name or a missing hash.
    """
    if not path.exists():
        return Users({})
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        raise ConfigError(
            f"cannot read the users file: {err}",
            file=path,
            expected='[users.NAME] password_hash = "$argon2id$..."',
            fix="recreate it with `quasimarket serve-user NAME`",
        ) from None
    users: dict[str, str] = {}
    table: Any = data.get("users", {})
    if not isinstance(table, dict):
        raise ConfigError("`users` must be a table", file=path, location="users")
    for name, entry in table.items():
        if not USER_NAME.match(name):
            raise ConfigError(
                f"bad user name {name!r}",
                file=path,
                location=f"users.{name}",
                expected="lower-case letter, then up to 31 letters, digits, - or _",
                fix="rename the user",
            )
        digest = entry.get("password_hash") if isinstance(entry, dict) else None
        if not isinstance(digest, str) or not digest.startswith("$argon2"):
            raise ConfigError(
                "missing or malformed password_hash",
                file=path,
                location=f"users.{name}.password_hash",
                expected="an argon2 hash",
                fix=f"reset it with `quasimarket serve-user {name}`",
            )
        users[name] = digest
    return Users(users)


def add_user(path: Path, name: str, secret: str) -> None:
    """Add or replace *name* in the users file (atomically), storing only the hash.

    Raises:
        ConfigError: bad user name or a password shorter than 8 characters.
    """
    if not USER_NAME.match(name) or name == LOCAL_USER:
        raise ConfigError(
            f"bad user name {name!r}",
            location="NAME",
            expected="lower-case letter, then up to 31 letters, digits, - or _ (not 'local')",
            fix="choose another name",
        )
    if len(secret) < 8:
        raise ConfigError(
            "password too short",
            location="password",
            expected="at least 8 characters",
            fix="choose a longer password",
        )
    users = dict(load_users(path).hashes)
    users[name] = hash_secret(secret)
    lines = ["# quasimarket web users: argon2id hashes only (quasimarket serve-user NAME)"]
    for user, digest in sorted(users.items()):
        lines += ["", f"[users.{user}]", f'password_hash = "{digest}"']
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, "\n".join(lines) + "\n")
    path.chmod(0o600)


def csrf_token(session: dict[str, Any]) -> str:
    """The session's CSRF token (created on first use)."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_ok(session: dict[str, Any], given: str | None) -> bool:
    """True when *given* matches the session's CSRF token (constant-time comparison)."""
    token = session.get("csrf")
    return isinstance(token, str) and given is not None and hmac.compare_digest(token, given)
