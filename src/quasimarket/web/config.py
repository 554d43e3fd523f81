"""Web application settings: the data folder, the users file, the address, upload limits."""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from quasimarket.errors import ConfigError
from quasimarket.io import atomic_write_text

__all__ = ["WebConfig", "is_loopback"]

#: Largest contract (TOML) upload, bytes.
MAX_CONTRACT_BYTES = 256 * 1024
#: Default limit of one pricing's uploads (activity files and a tariff together), MB
#: (``quasimarket serve --max-upload-mb``): a year of one large trust's extracts fits.
DEFAULT_MAX_UPLOAD_MB = 500
#: Largest tariff upload (CSV or XLSX), bytes: a published workbook is a few MB.
MAX_TARIFF_BYTES = 64 * 1024 * 1024
#: Largest stress scenario text, bytes.
MAX_SCENARIO_BYTES = 256 * 1024


def is_loopback(host: str) -> bool:
    """True for ``localhost`` and addresses in 127.0.0.0/8 or ``::1``."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass(frozen=True)
class WebConfig:
    """Settings of one web server.

    Attributes:
        data_dir: Folder holding uploads, pricings, jobs and the run stores
            (``<data>/users/<user>/runs``; one store per user).
        host: Address the server listens on (for the loopback check and allowed Host headers).
        port: TCP port.
        users_file: TOML users file (``[users.NAME] password_hash = "..."``); default
            ``<data>/users.toml``. Authentication is on when it lists at least one user.
        workers: Worker processes for background jobs.
        secure_cookies: Send the session cookie only over HTTPS. Default: on when not on
            loopback.
        economy_seed: Seed of the built-in economies.
        real_data_dir: Folder of the public NHS files for the real-data economy view
            (optional; ``quasimarket serve --real-data DIR``).
        allowed_hosts: Host headers accepted (DNS-rebinding guard); default: loopback names
            on loopback, anything otherwise.
        scheduler: A Dask scheduler address: the worker hands each stress test's or
            simulation's draw chunks to that cluster (the engines' own ``scheduler=``).
        max_upload_mb: Limit of one pricing's uploads together, MB. Uploads are streamed to
            disk in chunks and counted as they arrive, never held whole in memory.
    """

    data_dir: Path = field(default_factory=lambda: Path("quasimarket-web"))
    host: str = "127.0.0.1"
    port: int = 8000
    users_file: Path | None = None
    workers: int = 1
    secure_cookies: bool | None = None
    economy_seed: int = 0
    real_data_dir: Path | None = None
    allowed_hosts: tuple[str, ...] | None = None
    scheduler: str | None = None
    max_upload_mb: int = DEFAULT_MAX_UPLOAD_MB

    def __post_init__(self) -> None:
        if not 1 <= self.max_upload_mb <= 100_000:
            raise ConfigError(
                f"upload limit {self.max_upload_mb} MB is outside 1-100,000 MB",
                location="--max-upload-mb",
                expected="a limit in MB between 1 and 100,000",
                fix="give e.g. --max-upload-mb 500",
            )

    @property
    def max_upload_bytes(self) -> int:
        """The upload limit in bytes."""
        return self.max_upload_mb * 1024 * 1024

    @property
    def users_path(self) -> Path:
        """The users file in use."""
        return self.users_file if self.users_file is not None else self.data_dir / "users.toml"

    @property
    def cookies_secure(self) -> bool:
        """Whether the session cookie carries the Secure flag."""
        if self.secure_cookies is not None:
            return self.secure_cookies
        return not is_loopback(self.host)

    @property
    def hosts(self) -> list[str]:
        """Allowed Host header names."""
        if self.allowed_hosts is not None:
            return list(self.allowed_hosts)
        if is_loopback(self.host):
            return ["127.0.0.1", "localhost", "[::1]", "::1", "testserver"]
        return ["*"]

    def secret_key(self) -> str:
        """The session-signing key, created once (mode 0600) in the data folder."""
        path = self.data_dir / "secret_key"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            atomic_write_text(path, secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text(encoding="utf-8").strip()

    def check_exposure(self, auth_on: bool) -> None:
        """Refuse a non-loopback address unless authentication is configured.

        Raises:
            ConfigError: *host* is not loopback and the users file lists nobody.
        """
        if not is_loopback(self.host) and not auth_on:
            raise ConfigError(
                f"refusing to listen on {self.host} without authentication",
                location="--host",
                expected="127.0.0.1 (the default), or a users file with at least one user",
                fix=f"add a user with `quasimarket serve-user NAME --data {self.data_dir}`, "
                "or listen on 127.0.0.1",
            )
