"""Request-scoped helpers: the server state, the current user, CSRF checks, rendering."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from quasimarket.web.auth import LOCAL_USER, Users, csrf_ok, csrf_token
from quasimarket.web.config import WebConfig
from quasimarket.web.jobs import JobManager
from quasimarket.web.storage import Workspace

__all__ = [
    "CsrfError",
    "LoginRequiredError",
    "WebState",
    "check_api_csrf",
    "check_form_csrf",
    "current_user",
    "render",
    "state",
    "workspace",
]

TEMPLATES = Path(__file__).parent / "templates"


class LoginRequiredError(Exception):
    """Authentication is on and the request has no logged-in user (HTTP 401 or a redirect)."""


class CsrfError(Exception):
    """An unsafe request without the session's CSRF token (HTTP 403)."""


@dataclass
class WebState:
    """What the server keeps between requests."""

    config: WebConfig
    users: Users
    jobs: JobManager
    templates: Jinja2Templates


def state(request: Request) -> WebState:
    """The server state."""
    found: WebState = request.app.state.web
    return found


def current_user(request: Request) -> str:
    """The logged-in user (``local`` when authentication is off).

    Raises:
        LoginRequiredError: authentication is on and nobody is logged in.
    """
    users = state(request).users
    if not users.enabled:
        return LOCAL_USER
    name = request.session.get("user")
    if isinstance(name, str) and name in users.hashes:
        return name
    raise LoginRequiredError


def workspace(request: Request) -> Workspace:
    """The current user's workspace."""
    return Workspace(state(request).config.data_dir, current_user(request))


def check_api_csrf(request: Request) -> None:
    """Unsafe API calls must send the session's token in ``X-CSRF-Token``.

    Raises:
        CsrfError: missing or wrong token.
    """
    if not csrf_ok(request.session, request.headers.get("x-csrf-token")):
        raise CsrfError


def check_form_csrf(request: Request, form: Any) -> None:
    """Forms must carry the session's token in the ``csrf_token`` field.

    Raises:
        CsrfError: missing or wrong token.
    """
    given = form.get("csrf_token")
    if not csrf_ok(request.session, given if isinstance(given, str) else None):
        raise CsrfError


def render(request: Request, name: str, status_code: int = 200, **context: Any) -> HTMLResponse:
    """Render a page template with the user, CSRF token and navigation in its context."""
    web = state(request)
    try:
        user: str | None = current_user(request)
    except LoginRequiredError:
        user = None
    context.update(
        request=request,
        user=user,
        auth_on=web.users.enabled,
        csrf_token=csrf_token(request.session),
        active=context.get("active", ""),
    )
    return web.templates.TemplateResponse(request, name, context, status_code=status_code)
