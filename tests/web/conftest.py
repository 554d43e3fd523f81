"""Fixtures for the web tests: an app per test (TestClient) and one real server per session.

The in-process apps' job workers are checked to be gone when a test ends."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

PASSWORDS = {"alice": "alice-password-1", "bob": "bob-password-22"}
ROOT = Path(__file__).resolve().parents[2]


def _test_client() -> Any:
    with warnings.catch_warnings():  # starlette's notice about httpx 1 vs httpx2
        warnings.simplefilter("ignore")
        from fastapi.testclient import TestClient
    return TestClient


@pytest.fixture
def make_client(tmp_path: Path) -> Iterator[Callable[..., Any]]:
    """``make_client(users=False, **config)``: a TestClient on a fresh data folder."""
    from quasimarket.web import WebConfig, create_app
    from quasimarket.web.auth import add_user

    clients: list[Any] = []

    def make(users: bool = False, **config: Any) -> Any:
        data = config.pop("data_dir", tmp_path / "data")
        if users:
            for name, secret in PASSWORDS.items():
                add_user(data / "users.toml", name, secret)
        app = create_app(WebConfig(data_dir=data, **config))
        client = _test_client()(app, base_url="http://127.0.0.1")
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        workers = client.app.state.web.jobs.worker_processes()
        client.__exit__(None, None, None)  # the app's lifespan shutdown stops its job workers
        left = [w.pid for w in workers if w.is_alive()]
        assert not left, f"job worker processes outlived the app: {left}"


@pytest.fixture
def client(make_client: Callable[..., Any]) -> Any:
    """A client of an app without authentication (loopback)."""
    return make_client()


def _csrf(client: Any) -> dict[str, str]:
    return {"X-CSRF-Token": client.get("/api/session").json()["csrf_token"]}


def _login(client: Any, name: str) -> dict[str, str]:
    response = client.post(
        "/api/login", json={"username": name, "password": PASSWORDS[name]}, headers=_csrf(client)
    )
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


@pytest.fixture
def csrf() -> Callable[[Any], dict[str, str]]:
    """``csrf(client)``: the header carrying the session's CSRF token."""
    return _csrf


@pytest.fixture
def login() -> Callable[[Any, str], dict[str, str]]:
    """``login(client, name)``: log in through the API; the CSRF header of the new session."""
    return _login


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def live_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The data folder of :func:`live_server`."""
    return tmp_path_factory.mktemp("web-live")


def _serve(data: Path, *, new_session: bool = False) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``quasimarket serve --data DATA`` on a free loopback port; (process, URL) once it
    answers. Output goes to ``DATA/server.log``; *new_session* puts it in its own process
    group (as a terminal would, for a Ctrl-C sent to the group)."""
    import httpx

    port = _free_port()
    with open(data / "server.log", "ab") as log:  # the child keeps its own copy of the handle
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "quasimarket.cli.main",
                "serve",
                "--port",
                str(port),
                "--data",
                str(data),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env={**os.environ, "PYTHONWARNINGS": "ignore"},
            start_new_session=new_session,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(url + "/api/session", timeout=2).status_code == 200:
                return process, url
        except httpx.HTTPError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            process.wait()
            pytest.fail("the web server did not start:\n" + (data / "server.log").read_text())
        time.sleep(0.2)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 10 s."""
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def live_server(live_data: Path) -> Iterator[str]:
    """``quasimarket serve`` on a free loopback port, with users alice and bob; its URL."""
    from quasimarket.web.auth import add_user

    for name, secret in PASSWORDS.items():
        add_user(live_data / "users.toml", name, secret)
    process, url = _serve(live_data)
    yield url
    _stop(process)


@pytest.fixture
def start_server(tmp_path: Path) -> Iterator[Callable[..., tuple[subprocess.Popen[bytes], str]]]:
    """``start_server(new_session=False)``: ``quasimarket serve`` on a fresh data folder
    (``tmp_path/"served"``), no users; (process, URL). Stopped at teardown if still running."""
    started: list[subprocess.Popen[bytes]] = []

    def start(new_session: bool = False) -> tuple[subprocess.Popen[bytes], str]:
        data = tmp_path / "served"
        data.mkdir(exist_ok=True)
        process, url = _serve(data, new_session=new_session)
        started.append(process)
        return process, url

    yield start
    for process in started:
        if process.poll() is None:
            _stop(process)
